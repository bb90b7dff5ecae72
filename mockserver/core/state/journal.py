"""Bounded, queryable record of every API exchange, webhook attempt, simulation and violation."""
from __future__ import annotations

import itertools
import json
import logging
from collections import deque
from typing import Any, Callable, Iterable, Iterator

from ..basics.retention import clip

log = logging.getLogger(__name__)

# Wall-clock measurements vary between runs; the export leaves them out so that a seeded
# scenario replays to a byte-identical journal.
NON_DETERMINISTIC = frozenset({"latency_ms"})


def _clipped(value: Any, limit: int, depth: int = 0) -> Any:
    """Strings cut to `limit` chars (with a marker), also inside small dicts/lists (violations)."""
    if isinstance(value, str):
        return clip(value, limit)
    if depth < 3 and isinstance(value, dict):
        return {k: _clipped(v, limit, depth + 1) for k, v in list(value.items())[:limit]}
    if depth < 3 and isinstance(value, (list, tuple)):
        return [_clipped(v, limit, depth + 1) for v in value[:limit]]
    return value


class Journal:
    """At most `size` entries (oldest dropped), each string in them at most `field_chars` long:
    a 8 KiB query string costs 512 characters here, not 8 KiB times the journal's length."""

    def __init__(self, now: Callable[[], Any], size: int = 10_000, field_chars: int = 512,
                 listeners: list[Callable[[dict], None]] | None = None):
        self._now = now
        self._entries: deque[dict] = deque(maxlen=size)
        self._seq = itertools.count(1)
        # The export's order (see `mark`): entries in the order the World caused them. An entry
        # recorded in place gets the next causal number; one recorded for a mark is placed
        # right after the entries that existed when the mark was taken.
        self._causal = 0
        self._marks = itertools.count(1)
        self._order: dict[int, tuple] = {}   # seq -> export order, for the entries kept
        self.field_chars = field_chars
        # shared with the World, so a listener (the live console) outlives a reset's new Journal
        self.listeners = listeners if listeners is not None else []

    def subscribe(self, listener: Callable[[dict], None]) -> None:
        """Call `listener(entry)` after each entry is recorded (cheap and synchronous: it runs on
        the request's path)."""
        self.listeners.append(listener)

    def record(self, kind: str, provider: str | None = None, *, placed: list | None = None,
               **fields: Any) -> dict:
        """`placed`: a `mark()` taken when the work this entry reports began."""
        entry = self._entry(next(self._seq), kind, provider, fields)
        if placed is None:
            self._causal += 1
            order = (self._causal, 0, 0, 0)
        else:
            placed[2] += 1
            order = (placed[0], 1, placed[1], placed[2])
        if len(self._entries) == self._entries.maxlen:
            self._order.pop(self._entries[0]["seq"], None)
        self._entries.append(entry)
        self._order[entry["seq"]] = order
        self._tell(entry)
        return entry

    def mark(self) -> list:
        """Where, in the export, the entries of work that starts now and reports later belong (a
        webhook attempt beside the clock is journaled when its answer comes, at a moment that
        depends on the receiver's real latency): right after what is journaled now, in the order
        the marks were taken. So a seeded story's export is the same on every run."""
        return [self._causal, next(self._marks), 0]

    def announce(self, kind: str, provider: str | None = None, **fields: Any) -> dict:
        """An entry for the listeners only (seq 0), not kept: news about the World, like the seed
        a reset chose, that is no part of its history (a reset's journal starts empty)."""
        entry = self._entry(0, kind, provider, fields)
        self._tell(entry)
        return entry

    def _entry(self, seq: int, kind: str, provider: str | None, fields: dict) -> dict:
        entry = {"seq": seq, "at": self._now().isoformat(), "kind": kind}
        if provider:
            entry["provider"] = provider
        limit = self.field_chars
        entry.update({k: (v if isinstance(v, (int, float, bool)) else _clipped(v, limit))
                      for k, v in fields.items() if v is not None})
        return entry

    def _tell(self, entry: dict) -> None:
        for listener in self.listeners:
            try:
                listener(entry)
            except Exception:  # noqa: BLE001 - a listener's failure never fails the request
                log.exception("journal listener failed")

    def query(self, *, provider: str | None = None, kind: str | None = None, ref: str | None = None,
              since: int = 0, limit: int | None = None) -> list[dict]:
        out: Iterable[dict] = (
            e for e in self._entries
            if e["seq"] > since
            and (provider is None or e.get("provider") == provider)
            and (kind is None or e["kind"] == kind or e["kind"].startswith(kind + "."))
            and (ref is None or e.get("ref") == ref))
        result = list(out)
        return result[-limit:] if limit else result

    def around(self, seq: int, before: int = 5, after: int = 5) -> list[dict]:
        return [e for e in self._entries if seq - before <= e["seq"] <= seq + after]

    @property
    def last_seq(self) -> int:
        return self._entries[-1]["seq"] if self._entries else 0

    def export_lines(self) -> Iterator[str]:
        """One JSON line per entry (newline included), from a snapshot taken now: the journal may
        grow while a slow reader streams the export. In the order the World caused the entries
        (`mark`), numbered in that order: the same for the same story, whatever the receivers'
        real latencies; `GET /_sandbox/journal` keeps the order they were recorded in."""
        snapshot = list(self._entries)
        first = snapshot[0]["seq"] if snapshot else 1
        order = self._order
        snapshot.sort(key=lambda e: order.get(e["seq"], (e["seq"], 0, 0, 0)))
        for number, entry in enumerate(snapshot, start=first):
            clean = {k: v for k, v in entry.items() if k not in NON_DETERMINISTIC}
            clean["seq"] = number
            yield json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str) + "\n"

    def export(self) -> str:
        """JSON lines, sorted keys, wall-clock fields dropped: deterministic for a seeded story."""
        return "".join(self.export_lines())

    def __len__(self) -> int:
        return len(self._entries)
