"""Due events on the World's clock, run in (time, seq) order by one driver.

A waiting retry, an expiry or a confirmation threshold costs one heap entry: no task, no lock.

Moving the clock is serialised without a lock: every caller (an advance, a settle after a
simulation, a kick after a provider API call, the realtime driver) only raises the *target*
instant and waits until the one driver task has brought the clock there. Concurrent advances
therefore add up exactly (21 advances of 10 m move the clock 210 m), and a caller that only
reads state never waits for anyone.

Work that takes real time (a webhook POST) runs as a task beside the driver, not inside it:
`spawn(coro, until=...)` says how far the clock may move while the task is out (a webhook attempt
can change the future only from its next retry time on), so the clock keeps running other
objects' events while one receiver is slow, and the schedule stays exact. A plain coroutine
callback holds the clock at its own instant until it finishes, so events due at one instant run
concurrently and the clock moves on only when all of them are done.
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


@dataclass(order=True, slots=True)   # one per waiting expiry or retry: no __dict__ each
class Event:
    at: datetime
    seq: int
    callback: Callback = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


@dataclass(eq=False)
class Outstanding:
    """Work running beside the driver: started at a virtual instant; while it runs the clock may
    not reach `until` (None: it may move freely)."""
    task: asyncio.Task
    started_at: datetime
    until: datetime | None
    label: str = ""
    claimed: bool = False   # a caller of run_until is waiting for it


@dataclass(eq=False)
class _Waiter:
    """A run_until caller: the work it waits for, kept up to date as work starts and ends, so
    a check is O(1) however many attempts are in flight."""
    until: datetime
    mine: set[Outstanding] = field(default_factory=set)


class Scheduler:
    # Guard against a callback that keeps rescheduling itself at the same instant forever.
    MAX_EVENTS_PER_RUN = 1_000_000

    def __init__(self, clock: Clock, on_error: Callable[[Event, BaseException], None] | None = None):
        self.clock = clock
        # (at, seq, event): tuples compare in C; Event's own ordering was most of a push's cost
        self._heap: list[tuple[datetime, int, Event]] = []
        self._seq = itertools.count()
        self._target: datetime | None = None
        self._driver: asyncio.Task | None = None
        self._outstanding: set[Outstanding] = set()
        # (until, seq, work): the earliest instant work in flight holds the clock from; entries
        # of finished work are dropped lazily when they reach the top
        self._holds: list[tuple[datetime, int, Outstanding]] = []
        self._released: asyncio.Event | None = None   # some work in flight finished (the driver)
        self._waiters: list[_Waiter] = []
        self._progress: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self.on_error = on_error
        self.events_run = 0
        # which run of events due at one instant is going on: the events of one batch run back to
        # back with nothing else in between (no await), so they may share what one of them learned
        self.batches = 0

    # -- the heap ---------------------------------------------------------------------------
    def schedule(self, at: datetime, callback: Callback, label: str = "") -> Event:
        at = max(at, self.clock.now()) if self.clock.mode == "virtual" else at
        event = Event(at, next(self._seq), callback, label)
        heapq.heappush(self._heap, (at, event.seq, event))
        if self._changed is not None:
            self._changed.set()
        return event

    def schedule_in(self, delay: timedelta, callback: Callback, label: str = "") -> Event:
        return self.schedule(self.clock.now() + delay, callback, label)

    def next_due(self) -> datetime | None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pending(self) -> list[dict]:
        return [{"at": e.at.isoformat(), "label": e.label}
                for _at, _seq, e in sorted(self._heap) if not e.cancelled]

    def __len__(self) -> int:
        return sum(1 for _at, _seq, e in self._heap if not e.cancelled)

    @property
    def target(self) -> datetime:
        """The furthest instant anyone has asked the clock to reach."""
        now = self.clock.now()
        return now if self._target is None or self._target < now else self._target

    # -- work beside the driver ---------------------------------------------------------------
    def spawn(self, coro: Awaitable[Any], *, until: datetime | None, label: str = "") -> asyncio.Task:
        """Run `coro` as a task; the clock will not reach `until` before it has finished."""
        task = asyncio.ensure_future(coro)
        self._started(Outstanding(task, self.clock.now(), until, label))
        return task

    def _started(self, item: Outstanding) -> None:
        self._outstanding.add(item)
        if item.until is not None:
            heapq.heappush(self._holds, (item.until, next(self._seq), item))
        for waiter in self._waiters:
            if item.started_at <= waiter.until:
                waiter.mine.add(item)
                item.claimed = True
        item.task.add_done_callback(lambda t, item=item: self._finished(item))

    def _finished(self, item: Outstanding) -> None:
        self._outstanding.discard(item)
        for waiter in self._waiters:
            waiter.mine.discard(item)
        if self._released is not None:
            self._released.set()
        if not item.task.cancelled() and item.task.exception() is not None:
            self._report(Event(item.started_at, -1, lambda: None, item.label), item.task.exception())
        self._notify()

    def _report(self, event: Event, exc: BaseException) -> None:
        log.error("scheduled event %s failed: %r", event.label, exc)
        if self.on_error:
            self.on_error(event, exc)

    # -- the driver ---------------------------------------------------------------------------
    def _notify(self) -> None:
        if self._progress is not None:
            self._progress.set()

    def kick(self, until: datetime | None = None) -> None:
        """Ask the clock to reach `until` (default: run what is due now); returns at once."""
        now = self.clock.now()
        until = now if until is None else until
        if until <= now and (self._driver is None or self._driver.done()) and not self._outstanding:
            # the common case after an API call: nothing due, nothing in flight; no task per request
            due = self.next_due()
            if due is None or due > now:
                return
        if self._target is None or until > self._target:
            self._target = until
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        else:
            self._notify()

    def _held_at(self, step: datetime) -> bool:
        """Whether work in flight forbids the clock to reach `step`."""
        while self._holds and self._holds[0][2] not in self._outstanding:
            heapq.heappop(self._holds)
        return bool(self._holds) and self._holds[0][0] <= step

    def _launch(self, event: Event) -> None:
        try:
            result = event.callback()
        except Exception as exc:  # one broken event must not stop the world
            self._report(event, exc)
            return
        if result is not None and inspect.isawaitable(result):
            self._started(Outstanding(asyncio.ensure_future(result), event.at, event.at, event.label))

    async def _drive(self) -> None:
        ran = 0
        while True:
            target = self.target
            due = self.next_due()
            step = due if due is not None and due <= target else target
            if self._held_at(step):
                if self._released is None:
                    self._released = asyncio.Event()
                self._released.clear()
                await self._released.wait()
                continue
            if due is None or due > target or ran > self.MAX_EVENTS_PER_RUN:
                self.clock.set(target)
                self._notify()
                raised = self._target is not None and self._target > target
                due = self.next_due()
                if not raised and (due is None or due > target or ran > self.MAX_EVENTS_PER_RUN):
                    self._driver = None
                    return
                continue
            self.clock.set(due)
            batch = []
            while self._heap and self._heap[0][0] == due:
                event = heapq.heappop(self._heap)[2]
                if not event.cancelled:
                    batch.append(event)
            ran += len(batch)
            self.events_run += len(batch)
            self.batches += 1
            for event in batch:
                self._launch(event)
            self._notify()
            await asyncio.sleep(0)  # let the tasks just launched start, in order

    def _reached(self, waiter: _Waiter) -> bool:
        if self.clock.now() < waiter.until or waiter.mine:
            return False
        due = self.next_due()
        return due is None or due > waiter.until or self._driver is None

    async def run_until(self, until: datetime) -> int:
        """Bring the clock to `until`, running every event due on the way, and wait for the work
        those events started (webhook attempts) to finish. Returns how many events ran."""
        before = self.events_run
        # Wait for work up to `until` that no other caller is already waiting for: a slow
        # receiver another caller waits on holds this one only through the clock (`until`), while
        # work a bare kick started (a provider API call's webhook) is adopted, so a caller that
        # advances after an API call sees that call's webhook attempted. Work started later, up
        # to `until`, joins as it starts (`_started`).
        waiter = _Waiter(until, {o for o in self._outstanding if o.started_at <= until and not o.claimed})
        for item in waiter.mine:
            item.claimed = True
        self._waiters.append(waiter)
        if self._progress is None:
            self._progress = asyncio.Event()
        try:
            self.kick(until)
            while not self._reached(waiter):
                self._progress.clear()
                if self._driver is None and self.clock.now() < until:
                    self.kick(until)
                await self._progress.wait()
        finally:
            self._waiters.remove(waiter)
        return self.events_run - before

    async def advance(self, delta: timedelta) -> int:
        """Move `delta` beyond every advance already asked for: concurrent advances add up."""
        return await self.run_until(self.target + delta)

    async def settle(self) -> int:
        """Run what is due now (after an API call or a simulation changed facts)."""
        return await self.run_until(self.clock.now())

    async def run_until_quiet(self, horizon: timedelta = timedelta(days=30)) -> int:
        """Run events until none is left within `horizon` of now; returns how many ran."""
        limit = self.target + horizon
        total = 0
        while True:
            due = self.next_due()
            if due is None or due > limit:
                if not self._outstanding:
                    return total
                # quiet means nothing in flight either: a finishing attempt may schedule a retry
                await asyncio.wait([o.task for o in self._outstanding])
                continue
            total += await self.run_until(max(due, self.clock.now()))

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
            self.kick(self.clock.now())
            await asyncio.sleep(0)

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) for the work in flight, webhook POSTs, to end by
        itself: a graceful stop keeps their answers instead of cutting them off."""
        tasks = [o.task for o in self._outstanding]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def close(self) -> None:
        """Stop the driver and cancel work in flight (shutdown or reset)."""
        tasks = [o.task for o in self._outstanding]
        if self._driver is not None:
            tasks.append(self._driver)
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._outstanding.clear()
        self._holds.clear()
        for waiter in self._waiters:
            waiter.mine.clear()
        self._driver = None
