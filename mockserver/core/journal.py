"""Bounded, queryable record of every API exchange, webhook attempt, simulation and violation."""
from __future__ import annotations

import itertools
import json
from collections import deque
from typing import Any, Callable, Iterable

# Wall-clock measurements vary between runs; the export leaves them out so that a seeded
# scenario replays to a byte-identical journal.
NON_DETERMINISTIC = frozenset({"latency_ms"})


class Journal:
    def __init__(self, now: Callable[[], Any], size: int = 10_000):
        self._now = now
        self._entries: deque[dict] = deque(maxlen=size)
        self._seq = itertools.count(1)

    def record(self, kind: str, provider: str | None = None, **fields: Any) -> dict:
        entry = {"seq": next(self._seq), "at": self._now().isoformat(), "kind": kind}
        if provider:
            entry["provider"] = provider
        entry.update({k: v for k, v in fields.items() if v is not None})
        self._entries.append(entry)
        return entry

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

    def export(self) -> str:
        """JSON lines, sorted keys, wall-clock fields dropped: deterministic for a seeded story."""
        lines = []
        for entry in self._entries:
            clean = {k: v for k, v in entry.items() if k not in NON_DETERMINISTIC}
            lines.append(json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str))
        return "\n".join(lines) + ("\n" if lines else "")

    def __len__(self) -> int:
        return len(self._entries)
