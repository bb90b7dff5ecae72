"""Due events run in (time, seq) order on the virtual clock; events due together run concurrently."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from mockserver.core.time.clock import Clock
from mockserver.core.state.journal import Journal
from mockserver.core.time.scheduler import Scheduler
from mockserver.core.webhooks.outbox import Outbox, RetryPolicy

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


def make():
    clock = Clock(START)
    return clock, Scheduler(clock)


async def test_time_then_sequence_order_and_clock_at_each_event():
    clock, scheduler = make()
    log = []

    def record(name):
        return lambda: log.append((name, clock.now() - START))

    scheduler.schedule(START + 3 * S, record("c"))
    scheduler.schedule(START + 1 * S, record("a1"))
    scheduler.schedule(START + 2 * S, record("b"))
    scheduler.schedule(START + 1 * S, record("a2"))
    scheduler.schedule(START + 9 * S, record("later"))
    ran = await scheduler.run_until(START + 5 * S)
    assert ran == 4
    assert log == [("a1", S), ("a2", S), ("b", 2 * S), ("c", 3 * S)]
    assert clock.now() == START + 5 * S  # left at the target, not at the last event
    assert len(scheduler) == 1 and scheduler.next_due() == START + 9 * S


async def test_events_schedule_more_events_within_the_window():
    clock, scheduler = make()
    log = []

    def first():
        log.append(("first", clock.now() - START))
        scheduler.schedule(clock.now(), lambda: log.append(("same instant", clock.now() - START)))
        scheduler.schedule(clock.now() + 2 * S, lambda: log.append(("retry", clock.now() - START)))
        scheduler.schedule(clock.now() + 100 * S, lambda: log.append(("too late", clock.now() - START)))

    scheduler.schedule(START + S, first)
    await scheduler.advance(10 * S)
    assert log == [("first", S), ("same instant", S), ("retry", 3 * S)]
    await scheduler.run_until_quiet()
    assert log[-1] == ("too late", 101 * S)


async def test_past_events_run_now_and_cancelled_ones_never():
    clock, scheduler = make()
    clock.advance(timedelta(hours=1))
    log = []
    scheduler.schedule(START, lambda: log.append(clock.now()))  # in the past: clamped to now
    cancelled = scheduler.schedule(clock.now(), lambda: log.append("cancelled"))
    cancelled.cancel()
    assert await scheduler.settle() == 1
    assert log == [START + timedelta(hours=1)]


async def test_async_callbacks_are_awaited_and_errors_do_not_stop_the_world():
    clock, scheduler = make()
    errors, log = [], []
    scheduler.on_error = lambda event, exc: errors.append((event.label, str(exc)))

    async def slow():
        await asyncio.sleep(0)
        log.append("async")

    def broken():
        raise RuntimeError("boom")

    scheduler.schedule(START + S, broken, label="broken")
    scheduler.schedule(START + S, slow)
    scheduler.schedule(START + 2 * S, lambda: log.append("after"))
    assert await scheduler.advance(5 * S) == 3
    assert log == ["async", "after"] and errors == [("broken", "boom")]


async def test_same_instant_events_run_concurrently():
    """Each waits for the other: run one after the other they would deadlock (and time out)."""
    clock, scheduler = make()
    a_started, b_started = asyncio.Event(), asyncio.Event()
    done = []

    async def a():
        a_started.set()
        await asyncio.wait_for(b_started.wait(), 1)
        done.append("a")

    async def b():
        b_started.set()
        await asyncio.wait_for(a_started.wait(), 1)
        done.append("b")

    scheduler.schedule(START + S, a)
    scheduler.schedule(START + S, b)
    await scheduler.advance(2 * S)
    assert sorted(done) == ["a", "b"]


async def test_the_clock_waits_for_a_whole_batch():
    clock, scheduler = make()
    seen = []
    gate = asyncio.Event()

    async def slow():
        await gate.wait()
        seen.append(clock.now())

    async def quick():
        seen.append(clock.now())
        gate.set()

    scheduler.schedule(START + S, slow)
    scheduler.schedule(START + S, quick)
    scheduler.schedule(START + 2 * S, lambda: seen.append(clock.now()))
    await scheduler.advance(3 * S)
    assert seen == [START + S, START + S, START + 2 * S]


async def test_two_slow_receivers_at_one_instant_cost_one_timeout(receiver):
    """Two webhook receivers that each hold the request past the 0.3 s timeout: both attempts
    fail with `timeout`, and the pair costs about 0.3 s of real time, not 0.6 s."""
    clock, scheduler = make()
    outbox = Outbox(scheduler, Journal(clock.now))
    slow_one = await receiver(["timeout"], hold_seconds=1.0)
    slow_two = await receiver(["timeout"], hold_seconds=1.0)
    try:
        deliveries = [outbox.enqueue(provider="test", event="e", url=rec.url, body=b"{}", timeout=0.3,
                                     policy=RetryPolicy.minutes(1)) for rec in (slow_one, slow_two)]
        started = time.perf_counter()
        ran = await scheduler.settle()
        elapsed = time.perf_counter() - started
    finally:
        await outbox.close()
    assert ran == 2
    assert 0.3 <= elapsed < 0.58, elapsed  # one after the other would be >= 0.6 s
    assert [d.attempts[0].error for d in deliveries] == ["timeout", "timeout"]
    assert len(slow_one.requests) == len(slow_two.requests) == 1
    assert all(d.next_attempt_at == START + timedelta(minutes=1) for d in deliveries)


async def test_concurrent_runs_are_serialised():
    clock, scheduler = make()
    log = []

    async def step(name):
        log.append((name, "start"))
        await asyncio.sleep(0)
        log.append((name, "end"))

    scheduler.schedule(START + S, lambda: step("one"))
    scheduler.schedule(START + 2 * S, lambda: step("two"))
    await asyncio.gather(scheduler.run_until(START + S), scheduler.run_until(START + 2 * S))
    assert log == [("one", "start"), ("one", "end"), ("two", "start"), ("two", "end")]
