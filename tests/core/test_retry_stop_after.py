"""RetryPolicy.stop_after: "stops re-posting once N minutes have passed since the first post"."""
from datetime import datetime, timedelta, timezone

from mockserver.core.webhooks.outbox import RetryPolicy

T0 = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


def test_stop_after_is_checked_when_an_attempt_fails():
    policy = RetryPolicy.minutes(1, 2, 4, 8, 20, 40, 80, 160, 320, 640, 1280,
                                 stop_after=timedelta(minutes=1280))
    at, times = T0, [T0]
    while (nxt := policy.next_attempt_at(len(times), T0, at)) is not None:
        times.append(nxt)
        at = nxt
    minutes = [int((t - T0).total_seconds() // 60) for t in times]
    assert minutes == [0, 1, 3, 7, 15, 35, 75, 155, 315, 635, 1275, 2555]


def test_stop_after_cuts_a_schedule_that_would_run_longer():
    policy = RetryPolicy.minutes(10, 10, 10, 10, stop_after=timedelta(minutes=15))
    assert policy.next_attempt_at(1, T0, T0) == T0 + timedelta(minutes=10)
    assert policy.next_attempt_at(2, T0, T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=20)
    assert policy.next_attempt_at(3, T0, T0 + timedelta(minutes=20)) is None  # 20 >= 15: stop
