"""A webhook attempt to an IP address connects inside its scheduler event (sender.connect_now):
a refusal is recorded there and then, with no task; a connection made goes on in a task. What the
receiver sees, the words in the journal, the schedule and the socket slots are as through the
event loop's own connect."""
from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timedelta, timezone

import pytest

from mockserver.core.state.journal import Journal
from mockserver.core.time.clock import Clock
from mockserver.core.time.scheduler import Scheduler
from mockserver.core.webhooks import sender
from mockserver.core.webhooks.outbox import Outbox, RetryPolicy

START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def words_through_the_loop(url: str, **kw) -> str:
    with pytest.raises(sender.ConnectFailed) as failed:
        await sender.post(url, b"{}", {}, **kw)
    return str(failed.value)


@pytest.fixture
async def parts():
    clock = Clock(START)
    scheduler = Scheduler(clock)
    journal = Journal(clock.now)
    outbox = Outbox(scheduler, journal)
    yield scheduler, journal, outbox
    await scheduler.close()
    await outbox.close()


async def test_a_refusal_reads_as_the_event_loops_connect_words_it():
    port = closed_port()
    direct = sender.direct_address(f"http://127.0.0.1:{port}/h")
    assert direct == (("127.0.0.1", port), None)
    assert sender.connect_now(*direct) == await words_through_the_loop(f"http://127.0.0.1:{port}/h")


async def test_a_source_address_that_cannot_be_bound_reads_as_the_event_loops_words():
    url = f"http://127.0.0.1:{closed_port()}/h"
    # TEST-NET-3: never an address of this machine, so binding to it fails
    at_once = sender.connect_now(*sender.direct_address(url, "203.0.113.7"))
    assert at_once == await words_through_the_loop(url, source_address="203.0.113.7")
    assert "error while attempting to bind on address ('203.0.113.7', 0)" in at_once


def test_names_and_mixed_families_are_left_to_the_event_loop():
    assert sender.direct_address("http://localhost:8080/h") is None
    assert sender.direct_address("http://127.0.0.1:8080/h", "::1") is None
    assert sender.direct_address("http://[::1]:8080/h") == (("::1", 8080, 0, 0), None)
    # one source address per family: the receiver's family picks it
    assert sender.direct_address("http://[::1]:8080/h", ("127.0.0.2", "::1")) == (("::1", 8080, 0, 0), "::1")
    assert sender.direct_address("http://127.0.0.1:8080/h", ("127.0.0.2", "::1")) == (("127.0.0.1", 8080), "127.0.0.2")
    assert sender.direct_address("http://127.0.0.1:8080/h", ("::1",)) is None


async def test_a_connection_made_at_once_carries_the_same_request():
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b'{"a":1}'))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook?x=1"
        assert await sender.post(url, b'{"a":1}', {"X-Sig": "s"}) == (200, b"ok")
        host, port, request = sender.request_bytes(url, b'{"a":1}', {"X-Sig": "s"})
        opened = sender.connect_now(*sender.direct_address(url))
        assert isinstance(opened, sender.Opened) and opened.connected   # loopback: made already
        assert await sender.exchange(host, port, request, opened=opened) == (200, b"ok")
    finally:
        server.close()
    assert seen[0] == seen[1] == request


async def test_a_refused_attempt_is_recorded_in_its_event_with_the_same_words(parts):
    scheduler, journal, outbox = parts
    url = f"http://127.0.0.1:{closed_port()}/ipn"
    delivery = outbox.enqueue(provider="p", event="ipn.paid", url=url, body=b"{}", ref="R1",
                              policy=RetryPolicy.minutes(1, 2))
    spawned = []
    real_spawn = scheduler.spawn
    scheduler.spawn = lambda *a, **kw: spawned.append(a) or real_spawn(*a, **kw)
    await scheduler.settle()
    assert spawned == []                        # no task: the refusal was known at once
    expected = "connection refused: " + await words_through_the_loop(url)
    assert [a.error for a in delivery.attempts] == [expected]
    assert delivery.next_attempt_at == START + timedelta(minutes=1)
    await scheduler.run_until_quiet()
    assert delivery.status == "exhausted"
    assert [a.at for a in delivery.attempts] == [START, START + timedelta(minutes=1), START + timedelta(minutes=3)]
    entries = journal.query(kind="webhook.attempt", ref="R1")
    assert [(e["attempt"], e["error"], e["path"], e.get("retry_at")) for e in entries] == [
        (1, expected, "/ipn", (START + timedelta(minutes=1)).isoformat()),
        (2, expected, "/ipn", (START + timedelta(minutes=3)).isoformat()),
        (3, expected, "/ipn", None)]
    assert [e["at"] for e in entries] == [a.at.isoformat() for a in delivery.attempts]


async def test_every_socket_slot_comes_back(parts, receiver):
    """More deliveries at one instant than slots: some connect in their event, the rest wait for
    a slot in a task; all are delivered and every slot is free again."""
    scheduler, _journal, outbox = parts
    rec = await receiver([200])
    deliveries = [outbox.enqueue(provider="p", event="e", url=rec.url, body=b"{}", ref=f"r{i}")
                  for i in range(Outbox.MAX_CONCURRENT_EXCHANGES + 44)]
    await scheduler.settle()
    assert {d.status for d in deliveries} == {"delivered"} and len(rec.requests) == len(deliveries)
    assert outbox._slots.free == Outbox.MAX_CONCURRENT_EXCHANGES and not outbox._slots._waiting


async def test_a_signer_runs_once_per_attempt_on_either_path(parts, receiver):
    scheduler, _journal, outbox = parts
    rec = await receiver([500, 200])
    signed: list[datetime] = []

    def signer(body: bytes, at: datetime) -> dict:
        signed.append(at)
        return {"X-At": at.isoformat()}
    for url in (rec.url, rec.url.replace("127.0.0.1", "localhost")):   # at once; through the loop
        signed.clear()
        rec.requests.clear()
        rec.replies = [500, 200]
        delivery = outbox.enqueue(provider="p", event="e", url=url, body=b"{}", signer=signer,
                                  policy=RetryPolicy.minutes(5))
        await scheduler.run_until_quiet()
        assert delivery.status == "delivered" and len(signed) == len(rec.requests) == 2
        assert [r["headers"]["X-At"] for r in rec.requests] == [t.isoformat() for t in signed]


async def test_a_refusal_stands_for_its_batch_only(parts, monkeypatch):
    """Attempts to one dead address due at one instant share the first one's refusal (one SYN,
    the same words for all, each journaled); the next instant connects again, and a receiver that
    started listening in between is reached, however long a refusal may stand."""
    scheduler, journal, outbox = parts
    port = closed_port()
    url = f"http://127.0.0.1:{port}/ipn"
    expected = "connection refused: " + await words_through_the_loop(url)
    connects = []
    real_connect = sender.connect_now
    monkeypatch.setattr(sender, "connect_now", lambda *a: connects.append(a) or real_connect(*a))
    monkeypatch.setattr(Outbox, "REFUSAL_STANDS", 3600.0)   # only the batch bounds it here
    deliveries = [outbox.enqueue(provider="p", event="ipn.paid", url=url, body=b"{}", ref=f"R{i}",
                                 policy=RetryPolicy.minutes(1)) for i in range(50)]
    await scheduler.settle()
    assert len(connects) == 1
    assert [[a.error for a in d.attempts] for d in deliveries] == [[expected]] * 50
    assert len(journal.query(kind="webhook.attempt")) == 50

    seen = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"{}"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        await scheduler.run_until_quiet()
    finally:
        server.close()
    assert {d.status for d in deliveries} == {"delivered"} and len(seen) == 50
    assert [len(d.attempts) for d in deliveries] == [2] * 50


async def test_a_refusal_stands_only_so_long_in_wall_time(parts, monkeypatch):
    scheduler, _journal, outbox = parts
    url = f"http://127.0.0.1:{closed_port()}/ipn"
    connects = []
    real_connect = sender.connect_now
    monkeypatch.setattr(sender, "connect_now", lambda *a: connects.append(a) or real_connect(*a))
    monkeypatch.setattr(Outbox, "REFUSAL_STANDS", 0.0)
    for i in range(5):
        outbox.enqueue(provider="p", event="e", url=url, body=b"{}", ref=f"R{i}", policy=RetryPolicy.minutes())
    await scheduler.settle()
    assert len(connects) == 5
