"""What changed a World since its last reset, kept so it can be handed out as a scenario
(`GET /_sandbox/recording`, core/http/recording.py): every request routed to a provider and every
admin write, in the order they arrived, with the raw body and headers as sent.

A World is a function of its seed, start, settings and inputs (the same reasoning as durable
state, state/durability.py), so these inputs replayed on a fresh World with the same seed and
start rebuild it. Kept in memory, one list per reset (`World._build` makes a new one), bounded:
past `retention.recording` inputs or `MAX_BYTES` of bodies the recording stops and says so,
since a recording missing inputs cannot replay the World.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_BYTES = 64 * 1024 * 1024   # bodies kept per recording; past it the recording is incomplete


@dataclass(slots=True)   # one per input: no __dict__ each
class RecordedInput:
    """One request as it reached the World; the answer's facts are filled in when it leaves."""
    method: str
    path: str                                   # the raw path with its query, as routed (no tenant prefix)
    headers: tuple                              # aiohttp's raw_headers: (name, value) byte pairs
    remote: str | None                          # the caller's address
    virtual: datetime                           # the World's clock when it arrived
    journal_seq: int                            # the journal's last entry when it arrived
    routed: bool = False                        # into a provider's sub-application (else an admin write)
    provider: str | None = None                 # which one: filled in when the recording is read
    body: bytes = b""
    status: int | None = None                   # None: no answer (the client went away)
    answered_seq: int = 0                       # the journal's last entry when the answer left
    answered_virtual: datetime | None = None


class Recording:
    def __init__(self, cap: int):
        self.cap = cap
        self.inputs: list[RecordedInput] = []
        self.bytes = 0
        self.dropped = 0          # inputs that came after the recording was full

    @property
    def complete(self) -> bool:
        return self.dropped == 0

    def add(self, item: RecordedInput) -> bool:
        """Keep `item` (False once full: the recording is then incomplete for good)."""
        if self.dropped or len(self.inputs) >= self.cap:
            self.dropped += 1
            return False
        self.inputs.append(item)
        return True

    def answered(self, item: RecordedInput, body: bytes, status: int | None, seq: int,
                 now: datetime) -> None:
        item.body, item.status, item.answered_seq, item.answered_virtual = body, status, seq, now
        self.bytes += len(body)
        if self.bytes > MAX_BYTES and not self.dropped:
            self.dropped = 1
