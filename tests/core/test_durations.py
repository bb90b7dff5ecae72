"""Human durations <-> timedelta: what the admin API, scenarios and config accept."""
from __future__ import annotations

from datetime import timedelta

import pytest

from mockserver.core.time.durations import format_duration, parse_duration


@pytest.mark.parametrize("text,expected", [
    ("90s", timedelta(seconds=90)),
    ("5m", timedelta(minutes=5)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("7h21m", timedelta(hours=7, minutes=21)),
    ("2d", timedelta(days=2)),
    ("1w", timedelta(weeks=1)),
    ("250ms", timedelta(milliseconds=250)),
    ("1.5h", timedelta(minutes=90)),
    ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    (" 1h 30m ", timedelta(hours=1, minutes=30)),
    ("1H30M", timedelta(hours=1, minutes=30)),
    ("45", timedelta(seconds=45)),
    ("0.5", timedelta(milliseconds=500)),
    ("0s", timedelta(0)),
    (45, timedelta(seconds=45)),
    (0.25, timedelta(milliseconds=250)),
    (timedelta(minutes=3), timedelta(minutes=3)),
])
def test_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", [
    "", "   ", "5x", "m5", "5m5", "-5m", "5 minutes", "1h-30m", "h", "1..5s", "NaN", "inf", "∞",
    True, False, -1, -0.5, None, [5], {"m": 5},
    1e308, float("inf"), float("nan"), "99999999999999d", "1" + "0" * 400 + "s",
])
def test_parse_rejects_with_value_error(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("delta,text", [
    (timedelta(0), "0s"),
    (timedelta(seconds=59), "59s"),
    (timedelta(seconds=90), "1m30s"),
    (timedelta(hours=7, minutes=21), "7h21m"),
    (timedelta(days=2, seconds=1), "2d1s"),
])
def test_format(delta, text):
    assert format_duration(delta) == text
    assert parse_duration(text) == delta
