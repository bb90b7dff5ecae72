"""The World's clock: virtual by default, realtime on request; the wall clock pinned with freezegun."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from mockserver.app import build_world
from mockserver.config import SandboxConfig
from mockserver.core.time.clock import Clock, utc
from mockserver.core.time.scheduler import Scheduler

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


def test_default_start_is_the_wall_clock_in_whole_seconds():
    with freeze_time("2025-03-01 12:34:56.789"):
        clock = Clock()
    assert clock.now() == datetime(2025, 3, 1, 12, 34, 56, tzinfo=timezone.utc)
    assert clock.now().tzinfo is timezone.utc


def test_a_world_without_a_start_begins_at_the_wall_clock():
    with freeze_time("2026-07-04 08:00:00"):
        world = build_world(SandboxConfig(seed=3))
    assert world.start == world.clock.now() == datetime(2026, 7, 4, 8, 0, tzinfo=timezone.utc)


def test_virtual_time_stands_still_until_advanced():
    with freeze_time("2025-01-15 10:00:00") as frozen:
        clock = Clock(START)
        frozen.tick(3600)
        assert clock.now() == START
    assert clock.advance(timedelta(minutes=5)) == START + timedelta(minutes=5)
    assert clock.now() == START + timedelta(minutes=5)


def test_never_backwards():
    clock = Clock(START)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    clock.set(START - timedelta(days=1))
    assert clock.now() == START
    clock.set(START + timedelta(hours=2))
    assert clock.now() == START + timedelta(hours=2)


def test_naive_and_offset_starts_become_utc():
    assert Clock(datetime(2025, 1, 15, 10, 0)).now() == START
    plus_two = timezone(timedelta(hours=2))
    assert Clock(datetime(2025, 1, 15, 12, 0, tzinfo=plus_two)).now() == START
    assert utc(datetime(2025, 1, 15, 12, 0, tzinfo=plus_two)).tzinfo is timezone.utc


def test_realtime_follows_the_wall_clock_times_speed():
    with freeze_time("2025-01-15 10:00:00") as frozen:
        clock = Clock(START, mode="realtime", speed=60)
        assert clock.now() == START
        frozen.tick(10)  # ten wall seconds = ten virtual minutes
        assert clock.now() == START + timedelta(minutes=10)
        clock.advance(timedelta(hours=1))  # advance still jumps, and time keeps flowing from there
        assert clock.now() == START + timedelta(hours=1, minutes=10)
        frozen.tick(1)
        assert clock.now() == START + timedelta(hours=1, minutes=11)
        assert clock.seconds_until(clock.now() + timedelta(minutes=3)) == pytest.approx(3)
        assert clock.seconds_until(clock.now() - timedelta(minutes=3)) == 0
        assert clock.describe() == {"now": clock.now().isoformat(), "mode": "realtime", "speed": 60}


def test_realtime_at_speed_one():
    with freeze_time("2025-01-15 10:00:00") as frozen:
        clock = Clock(START, mode="realtime")
        frozen.tick(timedelta(minutes=2, seconds=5))
        assert clock.now() == START + timedelta(minutes=2, seconds=5)


@pytest.mark.parametrize("kwargs", [{"mode": "fast"}, {"speed": 0}, {"speed": -1}])
def test_bad_modes(kwargs):
    with pytest.raises(ValueError):
        Clock(START, **kwargs)


async def test_realtime_driver_wakes_early_for_an_earlier_event():
    """One task sleeps until the next due event; scheduling an earlier one wakes it. At 36000x a
    virtual hour is 0.1 wall seconds, so the event 36 virtual seconds ahead is due in 1 ms."""
    clock = Clock(START, mode="realtime", speed=36000)
    scheduler = Scheduler(clock)
    driver = asyncio.get_running_loop().create_task(scheduler.drive_realtime())
    far, near = [], asyncio.Event()
    try:
        await asyncio.sleep(0)  # let the driver start waiting (not a wait for a scheduled event)
        scheduler.schedule(clock.now() + timedelta(hours=1000), lambda: far.append(1), label="far")
        scheduler.schedule(clock.now() + timedelta(seconds=36), near.set, label="near")
        await asyncio.wait_for(near.wait(), timeout=2)
        assert far == [] and len(scheduler) == 1
    finally:
        driver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await driver
