"""The documented retry schedule (1 min, 5 min, 15 min, 1 h, 6 h; 200 acknowledges), on virtual time,
against receivers that fail in every way a real endpoint can."""
from __future__ import annotations

import asyncio
import socket
import time
from datetime import timedelta

import pytest

from cp_support import instant

# +0, +1m, +6m, +21m, +1h21m, +7h21m: each documented delay counts from the previous attempt.
SCHEDULE = [timedelta(0), timedelta(minutes=1), timedelta(minutes=6), timedelta(minutes=21),
            timedelta(hours=1, minutes=21), timedelta(hours=7, minutes=21)]


class RawReceiver:
    """A TCP endpoint scripted connection by connection with raw bytes (None: hang up at once),
    for answers no HTTP framework would produce. The last script entry repeats."""

    def __init__(self, script: list[bytes | None]):
        self.script = script
        self.connections = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> "RawReceiver":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/webhook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        reply = self.script[min(self.connections, len(self.script)) - 1]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")]
            await reader.readexactly(length[0] if length else 0)
            if reply is not None:
                writer.write(reply)
                await writer.drain()
        finally:
            writer.close()

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"


@pytest.fixture
async def raw_receiver():
    made = []

    async def start(script):
        rec = await RawReceiver(script).start()
        made.append(rec)
        return rec

    yield start
    for rec in made:
        await rec.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:  # bound then released: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


async def _detected(cp, invoice_id: str) -> dict:
    (found,) = await cp.deliveries(ref=invoice_id, event="payment.detected")
    return await cp.delivery(found["id"])


async def test_always_500_gets_exactly_six_attempts_then_exhausted(cp, receiver):
    rec = await receiver([500])
    await cp.set_merchant(webhook_url=rec.url)
    inv = await cp.create("btc", 60)  # btc confirms at +20 min, its own delivery is separate
    t0 = await cp.now()
    await cp.pay(inv["id"])

    # step through each boundary: nothing early, exactly one attempt at each instant
    previous = timedelta(0)
    for number, offset in enumerate(SCHEDULE[1:], start=2):
        await cp.advance(f"{int((offset - previous).total_seconds()) - 1}s")
        assert (await _detected(cp, inv["id"]))["attempt_count"] == number - 1
        await cp.advance("1s")
        assert (await _detected(cp, inv["id"]))["attempt_count"] == number
        previous = offset

    dlv = await _detected(cp, inv["id"])
    assert [instant(a["at"]) - t0 for a in dlv["attempts"]] == SCHEDULE
    assert [a["number"] for a in dlv["attempts"]] == [1, 2, 3, 4, 5, 6]
    assert all(a["status"] == 500 and not a["acknowledged"] for a in dlv["attempts"])
    assert dlv["status"] == "exhausted" and dlv["next_attempt_at"] is None
    assert dlv["max_attempts"] == 6

    await cp.advance("3d")
    assert (await _detected(cp, inv["id"]))["attempt_count"] == 6
    detected_bodies = {r["body"] for r in rec.requests if b'"payment.detected"' in r["body"]}
    assert len(detected_bodies) == 1  # every retry carries the same signed body
    confirmed = (await cp.deliveries(ref=inv["id"], event="payment.confirmed"))[0]
    assert confirmed["status"] == "exhausted" and confirmed["attempt_count"] == 6
    assert len(rec.requests) == 12
    journal = await cp.admin("GET", f"/journal?kind=webhook.exhausted&ref={inv['id']}")
    assert len(journal) == 2


async def test_down_twice_then_up(cp, receiver):
    rec = await receiver([500, 503, 200])
    await cp.set_merchant(webhook_url=rec.url)
    inv = await cp.create("btc", 60)
    t0 = await cp.now()
    await cp.pay(inv["id"])
    await cp.advance("10m")
    dlv = await _detected(cp, inv["id"])
    assert [instant(a["at"]) - t0 for a in dlv["attempts"]] == [
        timedelta(0), timedelta(minutes=1), timedelta(minutes=6)]
    assert [a["status"] for a in dlv["attempts"]] == [500, 503, 200]
    assert dlv["status"] == "delivered" and dlv["next_attempt_at"] is None
    await cp.advance("1d")
    assert (await _detected(cp, inv["id"]))["attempt_count"] == 3


async def test_only_http_200_acknowledges(cp, receiver):
    rec = await receiver([201, 204, (302, ""), (200, "not even json")])
    await cp.set_merchant(webhook_url=rec.url)
    inv = await cp.create("btc", 60)
    await cp.pay(inv["id"])
    await cp.advance("21m")
    dlv = await _detected(cp, inv["id"])
    assert [(a["status"], a["acknowledged"]) for a in dlv["attempts"]] == [
        (201, False), (204, False), (302, False), (200, True)]
    assert dlv["status"] == "delivered"


async def test_receiver_timeout_is_retried_and_costs_only_the_timeout(cp, receiver):
    rec = await receiver(["timeout", 200], hold_seconds=1.0)
    await cp.set_merchant(webhook_url=rec.url, webhook_timeout=0.2)
    inv = await cp.create("btc", 60)
    started = time.perf_counter()
    await cp.pay(inv["id"])
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed < 0.8  # the receiver holds 1 s; the sandbox gives up at 0.2 s
    await cp.advance("1m")
    dlv = await _detected(cp, inv["id"])
    assert [(a["status"], a["error"]) for a in dlv["attempts"]] == [(None, "timeout"), (200, None)]
    assert dlv["status"] == "delivered"


async def test_connection_reset_is_retried(cp, receiver):
    rec = await receiver(["reset", 200])
    await cp.set_merchant(webhook_url=rec.url)
    inv = await cp.create("btc", 60)
    await cp.pay(inv["id"])
    await cp.advance("1m")
    dlv = await _detected(cp, inv["id"])
    assert dlv["attempts"][0]["status"] is None and dlv["attempts"][0]["error"]
    assert dlv["attempts"][1]["status"] == 200 and dlv["status"] == "delivered"


@pytest.mark.parametrize("garbage", [
    b"this is not http at all\r\n\r\n",
    b"HTTP/1.1 abc Whatever\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Le",                         # cut inside the headers
    b"\x00\xff\xfe" * 100,
    None,                                                      # accepted, then hung up
])
async def test_garbage_answers_never_stop_the_outbox(cp, raw_receiver, receiver, garbage):
    raw = await raw_receiver([garbage, OK])
    await cp.set_merchant(webhook_url=raw.url)
    first = await cp.create("btc", 60)
    await cp.pay(first["id"])
    dlv = await _detected(cp, first["id"])
    assert dlv["attempts"][0]["acknowledged"] is False
    # another merchant endpoint, another invoice: the outbox keeps delivering
    good = await receiver([200])
    await cp.set_merchant(webhook_url=good.url)
    second = await cp.create("btc", 60)
    await cp.pay(second["id"])
    assert (await _detected(cp, second["id"]))["status"] == "delivered"
    await cp.advance("1m")
    dlv = await _detected(cp, first["id"])
    assert dlv["attempt_count"] == 2 and dlv["status"] == "delivered"


async def test_connection_refused_runs_the_whole_schedule(cp):
    await cp.set_merchant(webhook_url=_closed_port_url())
    inv = await cp.create("btc", 60)
    t0 = await cp.now()
    await cp.pay(inv["id"])
    await cp.advance("8h")
    dlv = await _detected(cp, inv["id"])
    assert [instant(a["at"]) - t0 for a in dlv["attempts"]] == SCHEDULE
    assert all(a["error"].startswith("connection refused") for a in dlv["attempts"])
    assert dlv["status"] == "exhausted"


async def test_redeliver_a_delivered_webhook(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 5)
    await cp.pay(inv["id"])
    dlv = await _detected(cp, inv["id"])
    again = await cp.admin("POST", f"/deliveries/{dlv['id']}/redeliver")
    assert again["attempt_count"] == 2 and again["attempts"][1]["manual"] is True
    assert again["status"] == "delivered"
    assert rec.requests[0]["body"] == rec.requests[1]["body"]


async def test_redeliver_revives_an_exhausted_delivery(cp, receiver):
    rec = await receiver([500] * 12 + [200])
    await cp.set_merchant(webhook_url=rec.url)
    inv = await cp.create("btc", 60)
    await cp.pay(inv["id"])
    await cp.advance("8h")
    dlv = await _detected(cp, inv["id"])
    assert dlv["status"] == "exhausted"
    again = await cp.admin("POST", f"/deliveries/{dlv['id']}/redeliver")
    assert again["status"] == "delivered" and again["attempt_count"] == 7
    assert again["attempts"][-1]["manual"] and again["attempts"][-1]["status"] == 200
    await cp.advance("1d")  # a manual attempt does not restart the schedule
    assert (await _detected(cp, inv["id"]))["attempt_count"] == 7


async def test_redeliver_unknown_delivery_is_404_in_admin_shape(cp):
    body = await cp.admin("POST", "/deliveries/dlv_999999/redeliver", expect=404)
    assert body == {"error": {"message": "unknown delivery", "status": 404}}
