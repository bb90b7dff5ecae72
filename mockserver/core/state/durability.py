"""A durable World: inputs recorded before they are answered, replayed on restart.

The World is deterministic given its seed, start, settings and inputs, so the inputs are what is
kept (core/state/store.py), not snapshots of objects:

- every request routed to a provider, and every admin write, is appended to the store (with the
  World's clock and the real time when it arrived, the caller's address, headers and raw body)
  and committed before its answer leaves;
- every webhook POST's answer is appended as it comes back: the only fact from outside;
- on restart the same World (same seed and start) replays the inputs in order through the same
  application, in process, without a socket: the clock is brought to each input's instant first,
  `Clock.wall_now()` returns the input's recorded real time (freshness windows pass as they did),
  and webhook POSTs are answered from the recorded outcomes instead of being sent. Each POST is
  marked started before it leaves; one started and never answered (in flight when the process
  died) is sent again, journaled as `webhook.resent`: at least once. One never started (due
  while the process was down) is simply sent.

Inputs are numbered when they arrive (after the body is read, before the handler runs), not when
they are answered: a handler changes the World before its first wait (an advance raises the
clock's target, a simulation adds its transfer, then both wait for the effects), so arrival order
is the order in which the World changed, and replaying in it reproduces ids and schedules.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .store import Outcome, Store

if TYPE_CHECKING:
    from .world import World


class Durability:
    """The World's link to its store: numbers inputs, answers webhook POSTs during a replay."""

    def __init__(self, store: Store, last_seq: int = 0):
        self.store = store
        self._seq = itertools.count(last_seq + 1)
        self._recorded: dict[tuple, Outcome] | None = None   # set while replaying

    @property
    def replaying(self) -> bool:
        return self._recorded is not None

    def next_seq(self) -> int:
        return next(self._seq)

    def replay_from(self, outcomes: list[Outcome]) -> None:
        """While a replay runs, webhook POSTs are answered from these recorded outcomes."""
        self._recorded = {(o.generation, o.delivery, o.index): o for o in outcomes}

    def replay_done(self) -> None:
        self._recorded = None

    async def outcome(self, world: "World", delivery: Any, index: int, at: datetime, post) -> tuple:
        """(status, error, body, latency_ms) of POST number `index` of `delivery`: recorded
        during a replay, else sent now and recorded before the attempt counts."""
        key = (world.generation, delivery.id, index)
        kept = self._recorded.get(key) if self._recorded is not None else None
        if kept is not None and not kept.in_flight:
            if kept.cancelled:   # a reset cut it short: as then, no attempt is recorded
                raise asyncio.CancelledError
            return kept.status, kept.error, kept.body, kept.latency_ms
        may_act = getattr(self.store, "may_act", None)
        if may_act is not None and not may_act():
            # a shared store's lease ran out (core/state/cluster.py): another process may own the
            # World now and send this POST itself; sending it here too would send it twice
            raise asyncio.CancelledError
        if kept is not None:
            # started and never answered: in flight when the process that sent it stopped. Sent
            # again (at least once), and said so; the only duplicate a stop makes
            world.journal.record("webhook.resent", delivery.provider, delivery=delivery.id,
                                 event=delivery.event, ref=delivery.ref, post=index + 1,
                                 reason="in flight when the process serving this World stopped; "
                                        "no answer was kept, so it is sent again")
        else:   # kept before it leaves: a replay tells a POST in flight from one never sent
            await self.store.append_outcome(Outcome(world.generation, delivery.id, index, None, None,
                                                    b"", Outcome.STARTED))
        started = time.perf_counter()
        try:
            status, error, body = await post(delivery, at)
        except asyncio.CancelledError:
            if not world.closing:   # shutting down: no outcome, so the restart sends it again
                self.store.append_outcome_soon(Outcome(world.generation, delivery.id, index, None,
                                                       None, b"", 0.0, cancelled=True))
            raise
        latency = (time.perf_counter() - started) * 1000
        await self.store.append_outcome(Outcome(world.generation, delivery.id, index, status, error,
                                                body, latency))
        return status, error, body, latency
