"""The served sandbox's own process settings (`mockserver serve` only: a test process that embeds
the sandbox through the pytest plugin keeps its own).

The cyclic garbage collector: CPython starts a young collection every 700 net allocations and a
full one every 10 young-of-young ones, each full one walking every object alive. A sandbox under
load keeps tens of thousands of live objects (pending invoices, their watchers and expiry events,
webhook attempts, the journal), so a full walk is a 100-200 ms pause, several a second: p99
latency of a create went from ~5 ms to ~180 ms, and a 110,000-attempt retry storm spent a third
of its time collecting. A young collection every 10,000 allocations makes full walks ~15x rarer
for the same garbage collected; objects made at start-up (modules, compiled contracts, the
providers) are moved out of the collector's sight once, as they live as long as the process.
"""
from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 10_000   # net allocations (CPython's default is 700)


def tune_collector() -> None:
    """Call once the World is built, before the first request."""
    gc.freeze()   # O(1): start-up objects leave the generations the collector walks
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
