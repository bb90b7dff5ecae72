"""Due events on the World's clock, run in (time, seq) order.

A waiting retry, an expiry or a confirmation threshold costs one heap entry: no task, no lock.
Events due at the same instant run concurrently (one webhook POST must not wait for another's
timeout); the clock moves on only when all of them have finished.
"""
from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from .clock import Clock

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[Any] | Any]


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    callback: Callback = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    # Guard against a callback that keeps rescheduling itself at the same instant forever.
    MAX_EVENTS_PER_RUN = 1_000_000

    def __init__(self, clock: Clock, on_error: Callable[[Event, BaseException], None] | None = None):
        self.clock = clock
        self._heap: list[Event] = []
        self._seq = itertools.count()
        self._lock = asyncio.Lock()
        self._changed: asyncio.Event | None = None
        self.on_error = on_error
        self.events_run = 0

    def schedule(self, at: datetime, callback: Callback, label: str = "") -> Event:
        at = max(at, self.clock.now()) if self.clock.mode == "virtual" else at
        event = Event(at, next(self._seq), callback, label)
        heapq.heappush(self._heap, event)
        if self._changed is not None:
            self._changed.set()
        return event

    def schedule_in(self, delay: timedelta, callback: Callback, label: str = "") -> Event:
        return self.schedule(self.clock.now() + delay, callback, label)

    def next_due(self) -> datetime | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].at if self._heap else None

    def pending(self) -> list[dict]:
        return [{"at": e.at.isoformat(), "label": e.label}
                for e in sorted(self._heap) if not e.cancelled]

    def __len__(self) -> int:
        return sum(1 for e in self._heap if not e.cancelled)

    async def _run_batch(self, batch: list[Event]) -> None:
        async def run(event: Event) -> None:
            try:
                result = event.callback()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # one broken event must not stop the world
                log.exception("scheduled event %s failed", event.label)
                if self.on_error:
                    self.on_error(event, exc)
        self.events_run += len(batch)
        if len(batch) == 1:
            await run(batch[0])
        else:
            await asyncio.gather(*(run(e) for e in batch))

    async def run_until(self, until: datetime) -> int:
        """Run every event due at or before `until`, then leave the clock at `until`."""
        async with self._lock:
            count = 0
            while True:
                due = self.next_due()
                if due is None or due > until or count > self.MAX_EVENTS_PER_RUN:
                    break
                self.clock.set(due)
                batch = []
                while self._heap and self._heap[0].at == due:
                    event = heapq.heappop(self._heap)
                    if not event.cancelled:
                        batch.append(event)
                count += len(batch)
                await self._run_batch(batch)
            self.clock.set(until)
            return count

    async def advance(self, delta: timedelta) -> int:
        return await self.run_until(self.clock.now() + delta)

    async def settle(self) -> int:
        """Run what is due now (after an API call or a simulation changed facts)."""
        return await self.run_until(self.clock.now())

    async def run_until_quiet(self, horizon: timedelta = timedelta(days=30)) -> int:
        """Run events until none is left within `horizon` of now; returns how many ran."""
        limit = self.clock.now() + horizon
        total = 0
        while True:
            due = self.next_due()
            if due is None or due > limit:
                return total
            total += await self.run_until(due)

    async def drive_realtime(self) -> None:
        """Realtime mode: one task sleeps until the next due event, woken early by new events."""
        self._changed = asyncio.Event()
        while True:
            self._changed.clear()
            due = self.next_due()
            timeout = None if due is None else self.clock.seconds_until(due)
            if timeout is None or timeout > 0:
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout)
                except asyncio.TimeoutError:
                    pass
                continue
            await self.run_until(self.clock.now())
