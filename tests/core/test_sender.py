"""The webhook attempt's own HTTP/1.1 POST (core/webhooks/sender.py), against raw loopback receivers that
answer byte for byte: what a receiver sees, and how each kind of answer is read."""
from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timezone

import pytest

from mockserver.core.webhooks import sender
from mockserver.core.time.clock import Clock
from mockserver.core.state.journal import Journal
from mockserver.core.time.scheduler import Scheduler
from mockserver.core.webhooks.outbox import Delivery, Outbox, RetryPolicy, Slots, ack_http_200


class RawReceiver:
    """Reads one request (head + Content-Length body), then writes `answer` verbatim."""

    def __init__(self, answer: bytes | None, close_after: bool = True):
        self.answer, self.close_after = answer, close_after
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        self.requests.append(head + await reader.readexactly(length))
        if self.answer is not None:
            writer.write(self.answer)
            await writer.drain()
        if self.close_after:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.origin = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self.origin

    async def __aexit__(self, *exc) -> None:
        self.server.close()


async def test_request_is_a_plain_post_on_its_own_connection():
    rec = RawReceiver(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    async with rec as origin:
        status, body = await sender.post(f"{origin}/hooks/pay?shop=1", b'{"a":1}',
                                         {"Content-Type": "application/json", "X-Signature": "abc"})
    assert (status, body) == (200, b"ok")
    head, _, payload = rec.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hooks/pay?shop=1 HTTP/1.1"
    port = origin.rsplit(":", 1)[1]
    assert f"Host: 127.0.0.1:{port}" in lines and "Content-Length: 7" in lines
    assert "Connection: close" in lines and "X-Signature: abc" in lines
    assert payload == b'{"a":1}'


@pytest.mark.parametrize("answer, expected", [
    (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail", (500, b"fail")),
    (b"HTTP/1.1 204 No Content\r\n\r\n", (204, b"")),
    (b"HTTP/1.0 200 OK\r\n\r\nread until the receiver closes", (200, b"read until the receiver closes")),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew", (201, b"new")),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=1\r\ndefg\r\n0\r\n\r\n", (200, b"abcdefg")),
    (b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", (302, b"")),
])
async def test_answers_are_read_as_http_says(answer, expected):
    async with RawReceiver(answer) as origin:
        assert await sender.post(f"{origin}/h", b"{}", {}) == expected


async def test_a_long_answer_is_cut_at_the_excerpt_without_waiting_for_the_rest():
    # 1 MB announced, 3000 bytes sent, connection kept open: the excerpt is complete at 2048
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 3000
    async with RawReceiver(answer, close_after=False) as origin:
        status, body = await asyncio.wait_for(sender.post(f"{origin}/h", b"{}", {}), 5)
    assert status == 200 and body == b"x" * sender.EXCERPT_BYTES


async def test_a_chunk_cut_before_its_crlf_adds_no_crlf_to_the_excerpt():
    # a 2047-byte chunk whose closing CRLF has only half arrived: the excerpt is its data alone
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 2047 + b"y" * 2047 + b"\r"
    async with RawReceiver(answer) as origin:
        status, body = await asyncio.wait_for(sender.post(f"{origin}/h", b"{}", {}), 5)
    assert status == 200 and body == b"y" * 2047


@pytest.mark.parametrize("answer, error", [
    (None, sender.Disconnected),                                  # closed without a word
    (b"HTTP/1.1 200 OK\r\nContent-Le", sender.Disconnected),      # closed inside the head
    (b"SMTP ready\r\n\r\n", sender.InvalidAnswer),
    (b"HTTP/1.1 2000 OK\r\n\r\n", sender.InvalidAnswer),
    (b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", sender.InvalidAnswer),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", sender.InvalidAnswer),
])
async def test_what_is_not_an_answer_is_an_error(answer, error):
    async with RawReceiver(answer) as origin:
        with pytest.raises(error):
            await sender.post(f"{origin}/h", b"{}", {})


async def test_nobody_listening_is_a_connect_failure():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(sender.ConnectFailed, match="Connect call failed"):
        await sender.post(f"http://127.0.0.1:{port}/h", b"{}", {})


def test_header_injection_is_refused_before_connecting():
    with pytest.raises(ValueError):
        sender.request_bytes("http://127.0.0.1:1/h", b"", {"X-Sig": "a\r\nX-Evil: 1"})
    host, port, raw = sender.request_bytes("http://[::1]/p ath/é", b"", {"Content-Length": "99"})
    assert (host, port) == ("::1", 80)
    assert raw.startswith(b"POST /p%20ath/%C3%A9 HTTP/1.1\r\nHost: [::1]\r\n")
    assert b"Content-Length: 99" not in raw and b"Content-Length: 0" in raw


async def test_outbox_words_each_failure_as_before():
    """The journal's words for each failure are the ones receivers' tests and docs rely on."""
    scheduler = Scheduler(Clock(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    outbox = Outbox(scheduler, Journal(scheduler.clock.now))

    def delivery(url: str) -> Delivery:
        return Delivery(id="dlv_1", provider="p", event="e", url=url, body=b"{}", headers={},
                        policy=RetryPolicy(), ack=ack_http_200, created_at=scheduler.clock.now(), timeout=0.3)
    async with RawReceiver(None) as origin:
        assert (await outbox._post(delivery(origin + "/h"), scheduler.clock.now()))[:2] == (None, "connection reset")
    async with RawReceiver(b"nonsense\r\n\r\n") as origin:
        _, error, _ = await outbox._post(delivery(origin + "/h"), scheduler.clock.now())
        assert error.startswith("invalid response: bad status line")
    async with RawReceiver(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", close_after=False) as origin:
        assert (await outbox._post(delivery(origin + "/h"), scheduler.clock.now()))[:2] == (None, "timeout")


async def test_slots_are_handed_on_in_arrival_order_and_survive_cancellation():
    slots = Slots(1)
    order: list[int] = []
    gate = asyncio.Event()

    async def user(n: int) -> None:
        async with slots:
            order.append(n)
            await gate.wait()
    first = asyncio.create_task(user(0))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(user(n)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    waiting[0].cancel()                    # a cancelled waiter gives up its place, not a slot
    gate.set()
    await asyncio.gather(first, *waiting[1:])
    assert order == [0, 2, 3] and slots.free == 1


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_one_source_per_family_reaches_receivers_of_either_family():
    peers = []

    async def handle(reader, writer):
        peers.append(writer.get_extra_info("peername")[0])
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    v6 = await asyncio.start_server(handle, "::1", 0)
    v4 = await asyncio.start_server(handle, "127.0.0.1", 0)
    sources = ("127.0.0.2", "::1")
    try:
        v6_port, v4_port = v6.sockets[0].getsockname()[1], v4.sockets[0].getsockname()[1]
        assert (await sender.post(f"http://[::1]:{v6_port}/", b"{}", {}, source_address=sources))[0] == 204
        # localhost tries both loopback addresses, whatever the hosts file maps it to
        assert (await sender.post(f"http://localhost:{v6_port}/", b"{}", {}, source_address=sources))[0] == 204
        assert (await sender.post(f"http://localhost:{v4_port}/", b"{}", {}, source_address=sources))[0] == 204
        assert peers == ["::1", "::1", "127.0.0.2"]
        with pytest.raises(sender.ConnectFailed, match="no source address of its family"):
            await sender.post(f"http://[::1]:{v6_port}/", b"{}", {}, source_address=("127.0.0.2",))
    finally:
        v6.close()
        v4.close()
