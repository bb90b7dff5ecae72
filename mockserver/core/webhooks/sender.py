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
import functools
import re
import socket
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


async def post(url: str, body: bytes, headers: dict[str, str], *,
               source_address: str | tuple[str, ...] | None = None) -> tuple[int, bytes]:
    """POST `body`; (status, first bytes of the answer's body). The caller bounds it in time
    (cancelling it closes the connection). `source_address`: the local address to send from, or
    one per address family (see `_connect_from`)."""
    host, port, request = request_bytes(url, body, headers)
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
