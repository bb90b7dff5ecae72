"""The World's clock: the only source of 'now' in the sandbox.

virtual  - time moves only when advanced (tests, scenarios, CI).
realtime - follows the wall clock from the start instant, times `speed`; advance() still jumps.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


# The latest instant the clock may reach. Providers compute deadlines up to years past "now"
# (expiries, retry schedules, options in minutes), and datetime stops at 9999-12-31: a clock
# moved close to that made every later create answer 500. A millennium of headroom is plenty.
MAX_INSTANT = datetime(9000, 1, 1, tzinfo=timezone.utc)


def check_instant(moment: datetime, what: str = "the instant") -> datetime:
    """`moment` (UTC), or ValueError when it lies past MAX_INSTANT; callers answer a 400."""
    try:
        moment = utc(moment)
    except OverflowError:   # 9999-12-31T23:59:59-14:00 (or 0001-01-01 at +14:00) is past what UTC holds
        raise ValueError(f"{what} must be between year 1 and {MAX_INSTANT.date().isoformat()}") from None
    if moment > MAX_INSTANT:
        raise ValueError(f"{what} must be before {MAX_INSTANT.date().isoformat()}")
    return moment


_ISO_TEXTS: dict[datetime, str] = {}


def iso(moment: datetime) -> str:
    """moment.isoformat(), remembered for a few UTC instants: a wave of webhook attempts stamps
    the journal with the same two or three instants thousands of times."""
    if moment.tzinfo is not timezone.utc:   # equal instants in other zones print differently
        return moment.isoformat()
    text = _ISO_TEXTS.get(moment)
    if text is None:
        if len(_ISO_TEXTS) >= 64:
            _ISO_TEXTS.clear()
        text = _ISO_TEXTS[moment] = moment.isoformat()
    return text


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


class Clock:
    # While a durable World replays its inputs (core/state/durability.py), the real time each one arrived
    # at: a request that was fresh when first handled is fresh when replayed.
    replay_wall: datetime | None = None

    def __init__(self, start: datetime | None = None, mode: str = "virtual", speed: float = 1.0):
        if mode not in ("virtual", "realtime"):
            raise ValueError(f"clock mode must be virtual or realtime, not {mode!r}")
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        # The start instant is read once; freezegun pins it in tests.
        self._virtual = utc(start) if start else Clock.wall_now().replace(microsecond=0)
        self.mode = mode
        self.held = False
        self.speed = speed
        self._wall_anchor = time.monotonic()

    def now(self) -> datetime:
        if self.mode == "virtual":
            return self._virtual
        elapsed = (time.monotonic() - self._wall_anchor) * self.speed
        return self._virtual + timedelta(seconds=elapsed)

    @staticmethod
    def wall_now() -> datetime:
        """The real time, which a merchant's client signs its requests with. Only request-freshness
        windows (a client's timestamp against now) use it: after `advance`, virtual time runs ahead
        of every real client's clock, and a provider checking freshness compares with real time."""
        return Clock.replay_wall or datetime.now(timezone.utc)

    def hold(self) -> None:
        """A realtime clock stands still (moved only by `set`) while a durable World replays."""
        if self.mode == "realtime":
            self._virtual, self.mode, self.held = self.now(), "virtual", True

    def release(self) -> None:
        if self.held:
            self.mode, self.held, self._wall_anchor = "realtime", False, time.monotonic()

    def set(self, moment: datetime) -> None:
        """Move to `moment` (never backwards)."""
        moment = utc(moment)
        current = self.now()
        if moment < current:
            return
        if self.mode == "virtual":
            self._virtual = moment
        else:
            self._virtual += moment - current

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock does not go backwards")
        self.set(self.now() + delta)
        return self.now()

    def seconds_until(self, moment: datetime) -> float:
        """Wall seconds until `moment` in realtime mode (used by the realtime driver)."""
        return max(0.0, (moment - self.now()).total_seconds() / self.speed)

    def describe(self) -> dict:
        return {"now": self.now().isoformat(), "mode": self.mode, "speed": self.speed}
