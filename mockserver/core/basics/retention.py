"""Bounded memory: the retention settings, and a dict that forgets its oldest finished entries.

Every store that grows with traffic is capped; a long-running sandbox under a steady load keeps
a flat memory curve. Live objects (an unpaid invoice, a pending delivery) are never forgotten:
only *finished* ones beyond the cap go, oldest first, so the newest `cap` stories stay queryable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class Retention:
    objects: int = 10_000          # per provider store (invoices, orders, payments, withdrawals...)
    deliveries: int = 10_000       # finished webhook deliveries kept by the outbox
    transfers: int = 50_000        # chain transfers kept (with their per-address index)
    inbox_names: int = 100         # built-in inbox: names kept (least recently posted evicted)
    inbox_per_name: int = 100      # built-in inbox: deliveries kept per name (newest)
    inbox_body_bytes: int = 65_536 # built-in inbox: bytes of each body kept (real size recorded)
    journal_field_chars: int = 512 # journal: longest string kept in an entry (path, query...)
    recording: int = 10_000        # inputs kept since the last reset for GET /_sandbox/recording

    @classmethod
    def from_mapping(cls, data: Any) -> "Retention":
        if data is None:
            return cls()
        if isinstance(data, Retention):
            return data
        if not isinstance(data, dict):
            raise ValueError("retention must be a mapping, e.g. {objects: 10000}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown retention keys: {', '.join(sorted(map(str, unknown)))}")
        for key, value in data.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"retention.{key} must be a positive integer")
        return cls(**data)

    def as_dict(self) -> dict:
        return asdict(self)


class BoundedStore(dict, Generic[K, V]):
    """A dict (insertion-ordered) holding at most `cap` entries once they are finished.

    `finished(value)` says whether an entry may be forgotten; `on_evict(key, value)` lets the owner
    drop its other references (indexes, chain watchers). An insert past the cap sweeps from the
    oldest entry, evicting finished ones until the store is back at the cap and skipping at most
    `max_skip` live ones, so an insert costs O(evicted + max_skip) however many objects are live
    (each entry is evicted once). Objects created first finish first in every provider (fixed
    lifetimes), so live entries rarely sit at the head for long; while more than `max_skip` of
    them do, the store holds more than `cap` until they finish, and the next sweep waits for
    `max_skip` more inserts: a load test that only creates invoices (all pending) costs about one
    look per insert, not max_skip + 1 (that was half the cost of a create under load).
    """

    def __init__(self, cap: int, finished: Callable[[V], bool] = lambda _v: True,
                 on_evict: Callable[[K, V], Any] | None = None, max_skip: int = 64):
        super().__init__()
        self.cap = max(1, int(cap))
        self.finished = finished
        self.on_evict = on_evict
        self.max_skip = max_skip
        self.evicted = 0
        self._quiet_below = 0   # a sweep stopped by a live head: no new sweep below this size

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        if len(self) > self.cap and len(self) >= self._quiet_below:
            self.sweep()

    def sweep(self) -> int:
        excess = len(self) - self.cap
        if excess <= 0:
            return 0
        gone, skipped = [], 0
        for key, value in dict.items(self):
            if len(gone) >= excess or skipped > self.max_skip:
                break
            if self.finished(value):
                gone.append((key, value))
            else:
                skipped += 1
        for key, value in gone:
            super().pop(key, None)
            if self.on_evict is not None:
                self.on_evict(key, value)
        self.evicted += len(gone)
        self._quiet_below = len(self) + self.max_skip if skipped > self.max_skip else 0
        return len(gone)


def clip(value: Any, limit: int) -> Any:
    """A string cut to `limit` characters with a marker naming the real length; others as is."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}...[{len(value) - limit} more chars]"
    return value
