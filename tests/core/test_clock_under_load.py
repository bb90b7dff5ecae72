"""The clock and the outbox under load: exact concurrent advances, no waiting behind a slow
receiver, timeouts that measure only the exchange, causal order at one instant, and webhooks
caused by a provider API call sent without any admin call.

Every wait here is for something a real receiver or the sandbox does, bounded by a timeout;
nothing sleeps to let time pass (the receivers' own holds stand for their work).
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web

from mockserver.core.time.clock import Clock
from mockserver.core.http.context import WORLD
from mockserver.core.http.jsonio import json_response
from mockserver.core.http.middleware import provider_middleware
from mockserver.core.state.journal import Journal
from mockserver.core.time.scheduler import Scheduler
from mockserver.core.webhooks.outbox import Outbox, RetryPolicy

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
async def parts():
    clock = Clock(START)
    scheduler = Scheduler(clock)
    outbox = Outbox(scheduler, Journal(clock.now))
    yield clock, scheduler, outbox
    await scheduler.close()
    await outbox.close()


async def test_concurrent_advances_add_up_while_an_attempt_is_in_flight(client, world, receiver):
    """21 advances of 10 m sent at once while a webhook attempt is out: the clock moves 210 m,
    and each answer is a 200."""
    slow = await receiver(["timeout", 200], hold_seconds=0.6)
    world.outbox.enqueue(provider="test", event="e", url=slow.url, body=b"{}", timeout=0.4,
                         policy=RetryPolicy.minutes(300))
    start = world.clock.now()
    answers = await asyncio.gather(*(client.post("/_sandbox/clock/advance", json={"by": "10m"})
                                     for _ in range(21)))
    assert [a.status for a in answers] == [200] * 21
    assert world.clock.now() - start == timedelta(minutes=210)
    assert len(slow.requests) == 1  # the retry is due at +300 m, not yet


async def test_a_slow_receiver_does_not_hold_other_callers(client, world, receiver):
    """While one delivery's attempt waits on a receiver that never answers in time, a simulation
    on another object, an advance that does not reach the slow one's retry time, and reads all
    answer at once."""
    black_hole = await receiver(["timeout"], hold_seconds=2.0)
    fast = await receiver([200])
    stuck = world.outbox.enqueue(provider="test", event="e", url=black_hole.url, body=b"{}", ref="a",
                                 timeout=1.5, policy=RetryPolicy.minutes(60))
    kick = asyncio.ensure_future(client.post("/_sandbox/clock/advance", json={"by": "0s"}))
    await black_hole.wait_for_requests(1)

    started = time.perf_counter()
    other = world.outbox.enqueue(provider="test", event="e", url=fast.url, body=b"{}", ref="b")
    settle = await client.post("/_sandbox/clock/advance", json={"by": "5m"})
    clock = await client.get("/_sandbox/clock")
    listed = await client.get("/_sandbox/deliveries")
    elapsed = time.perf_counter() - started
    assert settle.status == clock.status == listed.status == 200
    assert elapsed < 1.0, elapsed  # not the 1.5 s the black hole holds its attempt
    assert other.status == "delivered" and stuck.attempts == []
    assert (await kick).status == 200  # the call that started the attempt waited for it
    assert stuck.attempts[0].error == "timeout" and stuck.next_attempt_at == START + timedelta(minutes=60)


async def test_waiting_for_a_socket_does_not_count_against_the_timeout(parts, receiver, monkeypatch):
    """60 attempts due at one instant, 10 sockets at a time, a receiver answering each in 0.2 s,
    a 0.7 s timeout: the receiver answers all 60 in time, so none is recorded as a timeout. Were
    the wait for a socket timed, the fourth wave on would be (0.6 s of waiting + 0.2 s)."""
    clock, scheduler, outbox = parts
    monkeypatch.setattr(Outbox, "MAX_CONCURRENT_EXCHANGES", 10)
    rec = await receiver(["timeout"], hold_seconds=0.2)  # holds 0.2 s, then answers 200
    deliveries = [outbox.enqueue(provider="p", event="e", url=rec.url, body=b"{}", ref=f"r{i}",
                                 timeout=0.7, policy=RetryPolicy.minutes(5)) for i in range(60)]
    await scheduler.settle()
    assert len(rec.requests) == 60
    assert [d.status for d in deliveries] == ["delivered"] * 60
    assert max(d.attempts[0].latency_ms for d in deliveries) < 700


@pytest.mark.parametrize("round_", range(5))
async def test_same_instant_webhooks_of_one_object_keep_their_order(parts, receiver, round_):
    """detected then confirmed, due at one instant, for one invoice: the receiver has the whole
    of detected first every time, although detected is the larger body (900 KiB: sent side by side,
    the small one would arrive first)."""
    clock, scheduler, outbox = parts
    rec = await receiver([200])
    other = await receiver([200])
    detected = b'{"event":"detected","pad":"' + b"x" * (900 << 10) + b'"}'
    outbox.enqueue(provider="p", event="detected", url=rec.url, body=detected, ref="inv-1")
    outbox.enqueue(provider="p", event="confirmed", url=rec.url, body=b'{"event":"confirmed"}', ref="inv-1")
    outbox.enqueue(provider="p", event="other", url=other.url, body=b'"other"', ref="inv-2")
    await scheduler.settle()
    assert [r["body"][:20] for r in rec.requests] == [b'{"event":"detected",', b'{"event":"confirmed"']
    assert len(other.requests) == 1


async def test_a_provider_api_call_sends_its_webhook_without_an_admin_call(aiohttp_client, receiver):
    """A provider handler that causes a webhook: the answer comes back first, then the webhook
    arrives with no /_sandbox/ call in between."""
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig

    app = build_app(SandboxConfig(seed=1, start=START))
    world = app[WORLD]
    rec = await receiver([200])

    async def create(request: web.Request) -> web.Response:
        world.outbox.enqueue(provider="fake", event="order.created", url=rec.url, body=b'{"id":1}')
        return json_response({"id": 1}, status=201)

    fake = web.Application(middlewares=[provider_middleware(
        "fake", lambda err: json_response({"error": err.message}, status=err.status))])
    fake.router.add_post("/orders", create)
    fake[WORLD] = world
    app.add_subapp("/fake", fake)
    client = await aiohttp_client(app)
    resp = await client.post("/fake/orders", json={})
    assert resp.status == 201
    await rec.wait_for_requests(1)
    assert rec.requests[0]["body"] == b'{"id":1}'
