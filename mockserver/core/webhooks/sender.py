"""The HTTP/1.1 POST of one webhook attempt over plain http://: connect, send, read the status
and the first bytes of the answer, close.

Why not aiohttp's client here: it spends ~90 us of CPU per attempt before a byte leaves (request
object, connector, happy-eyeballs), three times this exchange's own cost, and a provider's retry
storm (10,000 IPNs x 11 posts) is mostly that. A webhook attempt needs none of it: one request,
its own connection (`Connection: close`; no pool, so a stale kept-alive socket can never turn
into a spurious failed attempt), no redirects, no cookies, no proxies. https:// stays on aiohttp.

Errors are the exceptions below; core/webhooks/outbox.py words them for the journal.
"""
from __future__ import annotations

import asyncio
import errno
import functools
import os
import re
import socket
import _socket
from urllib.parse import quote, urlsplit

EXCERPT_BYTES = 2048
MAX_HEAD_BYTES = 64 * 1024        # status line and headers of an answer: more is not HTTP we accept
USER_AGENT = "provider-sandbox-webhooks/1"
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_NO_BODY = {204, 304}
_OWN_HEADERS = frozenset(("content-length", "connection", "host", "transfer-encoding"))
_BAD_NAME = re.compile(r"[\r\n\0:]")
_BAD_VALUE = re.compile(r"[\r\n\0]")


class ConnectFailed(OSError):
    """The receiver could not be reached (refused, unreachable): nothing was sent."""


class Disconnected(Exception):
    """The receiver closed or reset the connection before its answer's headers were complete."""


class InvalidAnswer(Exception):
    """What came back is not an HTTP/1.x answer."""


@functools.lru_cache(maxsize=1024)   # a receiver's URL recurs at every retry: parsed once
def _endpoint(url: str) -> tuple[str, int, str]:
    """(host, port, request line and Host header) of an http:// URL."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    target = quote(parts.path or "/", safe=_PATH_SAFE) + (f"?{quote(parts.query, safe=_PATH_SAFE + '?')}"
                                                         if parts.query else "")
    authority = f"[{host}]" if ":" in host else host
    return host, port, f"POST {target} HTTP/1.1\r\nHost: {authority}" + (f":{port}" if port != 80 else "")


@functools.lru_cache(maxsize=1024)
def _literal_family(host: str) -> int | None:
    """AF_INET / AF_INET6 for an IP address written out, None for a name (which needs a resolver)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return family
        except OSError:
            pass
    return None


def request_bytes(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bytes]:
    """(host, port, the whole request) for a POST of `body` to an http:// `url`."""
    host, port, start = _endpoint(url)
    lines = [start, f"User-Agent: {USER_AGENT}", "Accept: */*"]
    for name, value in headers.items():
        name, value = str(name), str(value)
        if not name or _BAD_NAME.search(name) or _BAD_VALUE.search(value):
            raise ValueError(f"header {name!r} cannot be sent: line breaks or ':' in it")
        if name.lower() not in _OWN_HEADERS:
            lines.append(f"{name}: {value}")
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return host, port, "\r\n".join(lines).encode("utf-8") + body


class _Exchange(asyncio.Protocol):
    """Collects one answer: head, then up to EXCERPT_BYTES of its (de-chunked) body."""

    def __init__(self, request: bytes, done: asyncio.Future):
        self.request, self.done = request, done
        self.buffer = bytearray()
        self.status: int | None = None
        self.length: int | None = None     # Content-Length of the answer, when given
        self.chunked = False
        self.body = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        self.buffer += data
        try:
            if self.status is None and not self._head():
                return
            self._body(eof=False)
        except InvalidAnswer as exc:
            self.done.set_exception(exc)

    def eof_received(self) -> bool:
        self.connection_lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if self.status is None:
            self.done.set_exception(Disconnected(str(exc) if exc else "closed before an answer"))
            return
        try:
            self._body(eof=True)
        except InvalidAnswer as exc2:
            self.done.set_exception(exc2)

    def _head(self) -> bool:
        """Parse the status line and headers once complete (1xx interim answers skipped)."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    raise InvalidAnswer("answer headers too long")
                return False
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            del self.buffer[:end + 4]
            status_line = head[0].split(" ", 2)
            if len(status_line) < 2 or not status_line[0].startswith("HTTP/1.") \
                    or not (status_line[1].isdigit() and len(status_line[1]) == 3):
                raise InvalidAnswer(f"bad status line {head[0][:80]!r}")
            status = int(status_line[1])
            if 100 <= status < 200:
                continue
            self.status = status
            for line in head[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    raise InvalidAnswer(f"bad header line {line[:80]!r}")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    if not value.isdigit():
                        raise InvalidAnswer(f"bad Content-Length {value[:40]!r}")
                    self.length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    self.chunked = True
            if status in _NO_BODY:
                self.length, self.chunked = 0, False
            return True

    def _body(self, eof: bool) -> None:
        if self.chunked:
            self._dechunk(eof)
        else:
            want = EXCERPT_BYTES if self.length is None else min(self.length, EXCERPT_BYTES)
            self.body += self.buffer[: want - len(self.body)]
            self.buffer.clear()
            if len(self.body) >= want or eof:
                self._finish()

    def _dechunk(self, eof: bool) -> None:
        while len(self.body) < EXCERPT_BYTES:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            size_text = bytes(self.buffer[:line_end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise InvalidAnswer(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:
                self._finish()
                return
            if len(self.buffer) < line_end + 2 + size + 2:
                # take what is here of an unfinished chunk (its data only, never its closing
                # CRLF) when the excerpt is full with it or nothing more will come
                part = self.buffer[line_end + 2: line_end + 2 + size]
                if eof or len(self.body) + len(part) >= EXCERPT_BYTES:
                    self.body += part
                break
            self.body += self.buffer[line_end + 2: line_end + 2 + size]
            del self.buffer[: line_end + 2 + size + 2]
        if len(self.body) >= EXCERPT_BYTES or eof:
            self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result((self.status, bytes(self.body[:EXCERPT_BYTES])))
        if self.transport is not None:
            self.transport.close()


class Opened:
    """A connection `connect_now` started: connected already, or still on its way."""
    __slots__ = ("sock", "address", "connected")

    def __init__(self, sock: socket.socket, address: tuple, connected: bool):
        self.sock, self.address, self.connected = sock, address, connected


@functools.lru_cache(maxsize=1024)
def direct_address(url: str, source_address: str | tuple[str, ...] | None = None) -> tuple | None:
    """(socket address, source address) of an http:// URL whose host is an IP address, the
    address as asyncio's resolver gives it and the source the one of its family (of a tuple, one
    per family, as `_connect_from` picks it); None when a name must be resolved first, or no
    source address is of the receiver's family: `connect_now` cannot take those."""
    host, port, _ = _endpoint(url)
    family = _literal_family(host)
    if family is None:
        return None
    source = source_address
    if isinstance(source_address, tuple):
        source = next((s for s in source_address if _literal_family(s) == family), None)
        if source is None:
            return None
    elif source and _literal_family(source) != family:
        return None
    return ((host, port) if family == socket.AF_INET else (host, port, 0, 0)), source


_REFUSALS: dict[tuple, str] = {}
_NONBLOCK = getattr(socket, "SOCK_NONBLOCK", 0)   # Linux: non-blocking from birth, no extra call


def _handed_on(family: int, sock: _socket.socket) -> socket.socket:
    """The connection as the socket.socket the event loop's transports take."""
    out = socket.socket(family, socket.SOCK_STREAM | _NONBLOCK, 0, sock.detach())
    if not _NONBLOCK:
        out.setblocking(False)
    return out


def connect_now(address: tuple, source_address: str | None = None) -> Opened | str:
    """Start the TCP connection at once, without the event loop: the SYN leaves before this
    returns, and for a receiver on this machine the kernel has answered it by then (its SYN-ACK,
    or its RST from a closed port), so a refused attempt is known here with no loop round trip,
    no task and no timer. A refusal is returned as the words a ConnectFailed from `post` has
    (asyncio's), not raised: a retry storm is mostly refusals. The caller owns an Opened socket:
    `exchange(..., opened=...)` or close it."""
    family = socket.AF_INET if len(address) == 2 else socket.AF_INET6
    # the C socket alone (socket.socket's Python layer is for the connections that go on)
    sock = _socket.socket(family, socket.SOCK_STREAM | _NONBLOCK)
    try:
        if not _NONBLOCK:
            sock.setblocking(False)
        if source_address:
            local = (source_address, 0) if family == socket.AF_INET else (source_address, 0, 0, 0)
            try:
                sock.bind(local)
            except OSError as exc:
                sock.close()
                return str(ConnectFailed(exc.errno, f"error while attempting to bind on address {local!r}: "
                                                    f"{(exc.strerror or '').lower()}"))
        code = sock.connect_ex(address)
        if code == errno.EINPROGRESS:
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if not code:
                try:
                    sock.getpeername()
                    connected = True
                except OSError:             # on its way (a remote host, a full backlog)
                    connected = False
                return Opened(_handed_on(family, sock), address, connected)
            words = _REFUSALS.get((code, address))
            if words is None:
                if len(_REFUSALS) > 1024:
                    _REFUSALS.clear()
                words = _REFUSALS[code, address] = str(ConnectFailed(code, f"Connect call failed {address}"))
        elif code:
            words = str(ConnectFailed(code, os.strerror(code)))
        else:
            return Opened(_handed_on(family, sock), address, True)
    except BaseException:
        sock.close()
        raise
    sock.close()
    return words


async def _connected(opened: Opened) -> None:
    """Wait for a connection still on its way (writable), as asyncio's own sock_connect does."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = opened.sock.fileno()
    loop.add_writer(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_writer(fd)
    code = opened.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise ConnectFailed(code, f"Connect call failed {opened.address}")


async def post(url: str, body: bytes, headers: dict[str, str], *,
               source_address: str | tuple[str, ...] | None = None) -> tuple[int, bytes]:
    """POST `body`; (status, first bytes of the answer's body). The caller bounds it in time
    (cancelling it closes the connection). `source_address`: the local address to send from, or
    one per address family (see `_connect_from`)."""
    host, port, request = request_bytes(url, body, headers)
    direct = direct_address(url, source_address)
    if direct is None:
        return await exchange(host, port, request, source_address=source_address)
    opened = connect_now(*direct)
    if type(opened) is str:
        raise ConnectFailed(opened)
    return await exchange(host, port, request, opened=opened)


async def exchange(host: str, port: int, request: bytes, *, source_address: str | tuple[str, ...] | None = None,
                   opened: Opened | None = None) -> tuple[int, bytes]:
    """Send `request` (from request_bytes) on a new connection, or on `opened` (connect_now's),
    and read the answer; as `post`."""
    if opened is not None:
        return await _on_socket(opened, request)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    try:
        if isinstance(source_address, tuple):
            transport = await _connect_from(loop, lambda: _Exchange(request, done), host, port, source_address)
        else:
            local = (source_address, 0) if source_address else None
            transport, _ = await loop.create_connection(lambda: _Exchange(request, done), host, port,
                                                        local_addr=local)
    except OSError as exc:
        raise ConnectFailed(*exc.args) from None
    try:
        return await done
    finally:
        transport.close()


async def _on_socket(opened: Opened, request: bytes) -> tuple[int, bytes]:
    """The exchange on a socket of our own, watched with the loop's add_reader / add_writer: the
    work of an asyncio transport (send what the socket takes, the rest when it is writable; read
    whatever comes, in either order; a failure is the connection's loss) without building one
    per attempt."""
    loop = asyncio.get_running_loop()
    sock = opened.sock
    try:
        if not opened.connected:
            await _connected(opened)
        fd = sock.fileno()
        done = loop.create_future()
        answer = _Exchange(request, done)
        unsent = memoryview(request)

        def writable() -> None:
            nonlocal unsent
            try:
                unsent = unsent[sock.send(unsent):]
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                unsent = unsent[:0]
                answer.connection_lost(exc)
            if not unsent:
                loop.remove_writer(fd)

        def readable() -> None:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                answer.connection_lost(exc)
                return
            if data:
                answer.data_received(data)
            else:
                answer.eof_received()
        writable()   # what the socket takes now; the rest when it is writable
        if unsent:
            loop.add_writer(fd, writable)
        loop.add_reader(fd, readable)
        try:
            return await done
        finally:
            loop.remove_reader(fd)
            if unsent:
                loop.remove_writer(fd)
    finally:
        sock.close()


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


async def _connect_from(loop, factory, host: str, port: int, sources: tuple[str, ...]) -> asyncio.Transport:
    """Each of the receiver's addresses in turn, from the source address of its family: one
    local address can only reach receivers of its own family, so a provider standing in for
    published IPv4 and IPv6 addresses gives one of each. `localhost` (and `*.localhost`) also
    tries both loopback addresses, as curl does, whatever the hosts file maps it to."""
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    targets = [(family, addr[0]) for family, _, _, _, addr in infos]
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        targets += [(socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1")]
    errors = []
    for family, address in dict.fromkeys(targets):
        source = next((s for s in sources if _family(s) == family), None)
        if source is None:
            errors.append(f"{address}: no source address of its family")
            continue
        try:
            transport, _ = await loop.create_connection(factory, address, port, local_addr=(source, 0))
            return transport
        except OSError as exc:
            errors.append(str(exc))
    raise OSError("; ".join(errors) or f"no address for {host}")
