"""The served sandbox's own process settings (`mockserver serve` only: a test process that embeds
the sandbox through the pytest plugin keeps its own).

The cyclic garbage collector: CPython starts a young collection every 700 net allocations and a
full one every 10 young-of-young ones, each full one walking every object alive. A sandbox under
load keeps tens of thousands of live objects (pending invoices, their watchers and expiry events,
webhook attempts, the journal), so a full walk is a 100-200 ms pause, several a second: p99
latency of a create went from ~5 ms to ~180 ms, and a 110,000-attempt retry storm spent a third
of its time collecting. A young collection every 10,000 allocations makes full walks ~15x rarer
for the same garbage collected; the middle generation is collected every 2 young collections
(not 10) so that each of its walks stays short (under a create load nearly everything survives
into it: 10 young collections' worth was a ~20 ms pause, the p99), and the old one every 50 of
those, so a full walk still comes once per million allocations at most, as with 10,000/10/10.
Objects made at start-up (modules, compiled contracts, the providers) are moved out of the
collector's sight once, as they live as long as the process.
"""
from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 10_000   # net allocations (CPython's default is 700)
MIDDLE_EVERY_YOUNG = 2            # default 10
OLD_EVERY_MIDDLE = 50             # default 10


def tune_collector() -> None:
    """Call once the World is built, before the first request."""
    gc.freeze()   # O(1): start-up objects leave the generations the collector walks
    gc.set_threshold(YOUNG_COLLECTION_EVERY, MIDDLE_EVERY_YOUNG, OLD_EVERY_MIDDLE)
