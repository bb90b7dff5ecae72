"""/_sandbox/inbox/{name}: a webhook receiver built into the sandbox, for trying things by hand.

Point a merchant's webhook URL at `inbox:shop?fail=2` (or http://HOST:PORT/_sandbox/inbox/shop?fail=2)
and the first two deliveries to `shop` are answered 500 (so retries can be watched), later ones 200.
"The first two" counts from when the rule was set: the count restarts when a merchant's webhook URL
naming the inbox is set (`restart`) and when the name is posted to with another rule (query) than
before, so a name that received earlier deliveries fails again as its new rule says.

Bounded (settings under `retention:`): at most `inbox_names` names (the least recently posted one
is forgotten first), the newest `inbox_per_name` deliveries per name, and the first
`inbox_body_bytes` bytes of each body (`size` records the real length, `truncated` says so).
The body is read in pieces and only the kept part is held: a 1 MiB post costs 64 KiB here.
"""
from __future__ import annotations

from collections import deque

from ..basics.retention import Retention


class Inboxes:
    def __init__(self, retention: Retention | None = None):
        retention = retention or Retention()
        self.max_names = retention.inbox_names
        self.per_name = retention.inbox_per_name
        self.body_bytes = retention.inbox_body_bytes
        self._boxes: dict[str, deque[dict]] = {}
        # per kept name: the rule it answers by (?fail=N&status=S) and deliveries received under it
        self._rules: dict[str, tuple[int, int]] = {}
        self._counted: dict[str, int] = {}

    def box(self, name: str) -> deque[dict]:
        """The name's box, made most recently used; the least recently used name goes past the cap."""
        box = self._boxes.pop(name, None)
        if box is None:
            box = deque(maxlen=self.per_name)
            while len(self._boxes) >= self.max_names:
                oldest = next(iter(self._boxes))
                del self._boxes[oldest]
                self.restart(oldest)
        self._boxes[name] = box
        return box

    def answer(self, name: str, fail: int, status: int) -> int:
        """The status for the next delivery to `name` under the rule "fail the first `fail` with
        `status`", counted from when that rule was set; the delivery is counted."""
        rule = (fail, status)
        if self._rules.get(name) != rule:   # another rule than before: it counts from here
            self._rules[name], self._counted[name] = rule, 0
        received = self._counted[name]
        self._counted[name] = received + 1
        return status if received < fail else 200

    def restart(self, name: str) -> None:
        """Count `name`'s rule from zero again (a webhook URL naming the inbox was just set)."""
        self._rules.pop(name, None)
        self._counted.pop(name, None)

    def add(self, name: str, entry: dict) -> None:
        self.box(name).append(entry)

    def get(self, name: str, default=None):
        box = self._boxes.get(name)
        return list(box) if box is not None else default

    def names(self) -> list[str]:
        """Kept names, least recently posted first."""
        return list(self._boxes)

    def __len__(self) -> int:
        return len(self._boxes)

    def __contains__(self, name: str) -> bool:
        return name in self._boxes
