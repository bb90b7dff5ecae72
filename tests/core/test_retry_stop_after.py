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


def test_max_attempts_counts_the_stop_rule():
    """A delivery showed max_attempts 12 and stopped after 11 (ALT 5 Pay's 1,280-minute rule)."""
    from mockserver.core.webhooks.outbox import RetryPolicy
    from mockserver.providers.alt5pay import webhooks
    assert RetryPolicy.minutes(1, 5, 15).max_attempts == 4
    assert RetryPolicy.minutes(1, 2, 4, measured_from="first", give_up_after=timedelta(minutes=3)).max_attempts == 3
    assert webhooks.STOP_RULE_POLICY.max_attempts == 11    # the default: 11 posts, last at +1275 min
    assert webhooks.ALL_DELAYS_POLICY.max_attempts == 12   # ipn_schedule: all_delays
