"""Human durations ("90s", "5m", "1h30m", "7h21m", "2d", 45) <-> timedelta."""
from __future__ import annotations

import re
from datetime import timedelta

from ..basics.words import show

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def _shown(value: object) -> str:
    """The value as the person typed it (JSON), for a message: never a Python repr."""
    if hasattr(value, "as_tuple"):   # a Decimal from JSON: its digits, never Decimal('1E+300')
        return "a number that large" if value.is_finite() and value.adjusted() > 15 else format(value, "f")[:40]
    return show(value[:40] if isinstance(value, str) else value)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse a duration; bare numbers are seconds. Raises ValueError on anything else."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {_shown(value)}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"negative duration: {_shown(value)}")
        return _seconds(value, value)
    text = str(value).strip().replace(" ", "").lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _seconds(float(text), value)
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {_shown(value)} (use e.g. 90s, 5m, 1h30m, 2d)")
    return _seconds(seconds, value)


def _seconds(seconds: float, given: object) -> timedelta:
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # beyond timedelta's ~2.7 million years: bad input, not a crash
        raise ValueError(f"duration out of range: {_shown(given)}") from None


def format_duration(delta: timedelta) -> str:
    """Compact form, e.g. 7h21m, 1m30s, 0s."""
    total = int(delta.total_seconds())
    if total == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            out.append(f"{total // size}{unit}")
            total %= size
    return "".join(out)
