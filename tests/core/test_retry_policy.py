"""RetryPolicy arithmetic: when the next attempt of a failing delivery is due."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mockserver.core.webhooks.outbox import RetryPolicy, ack_any_2xx, ack_http_200

T0 = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


def offsets(policy: RetryPolicy) -> list[timedelta]:
    """Every attempt's offset from the first, for a receiver that always fails."""
    attempts = [T0]
    while True:
        nxt = policy.next_attempt_at(len(attempts), attempts[0], attempts[-1])
        if nxt is None:
            return [a - T0 for a in attempts]
        assert nxt > attempts[-1]
        attempts.append(nxt)


def test_previous_attempt_schedule_accumulates():
    policy = RetryPolicy.minutes(1, 5, 15, 60, 360)
    assert policy.max_attempts == 6
    assert offsets(policy) == [timedelta(minutes=m) for m in (0, 1, 6, 21, 81, 441)]
    assert offsets(policy)[-1] == timedelta(hours=7, minutes=21)


def test_next_attempt_for_each_failure_count():
    policy = RetryPolicy.minutes(1, 5, 15, 60, 360)
    last = T0 + timedelta(minutes=21)
    assert policy.next_attempt_at(4, T0, last) == last + timedelta(hours=1)
    assert policy.next_attempt_at(5, T0, last) == last + timedelta(hours=6)
    assert policy.next_attempt_at(6, T0, last) is None
    assert policy.next_attempt_at(60, T0, last) is None


def test_first_attempt_schedule_is_offsets():
    policy = RetryPolicy.minutes(5, 15, 30, measured_from="first")
    assert offsets(policy) == [timedelta(minutes=m) for m in (0, 5, 15, 30)]


def test_give_up_after_cuts_the_schedule():
    doubling = RetryPolicy.minutes(1, 2, 4, 8, 20, 40, 80, 160, 320, 640, 1280,
                                   give_up_after=timedelta(minutes=1280))
    got = offsets(doubling)
    assert got[-1] <= timedelta(minutes=1280)
    assert got == [timedelta(minutes=m) for m in (0, 1, 3, 7, 15, 35, 75, 155, 315, 635, 1275)]
    assert doubling.max_attempts == len(got) == 11  # the schedule with its stop rule, not the delays alone

    tight = RetryPolicy.minutes(10, 10, 10, give_up_after=timedelta(minutes=25))
    assert offsets(tight) == [timedelta(0), timedelta(minutes=10), timedelta(minutes=20)]
    exact = RetryPolicy.minutes(10, 10, give_up_after=timedelta(minutes=20))
    assert offsets(exact)[-1] == timedelta(minutes=20)  # "not later than": the boundary is allowed


def test_no_retries():
    policy = RetryPolicy()
    assert policy.max_attempts == 1
    assert offsets(policy) == [timedelta(0)]


def test_ack_rules():
    assert ack_http_200(200, b"") and not ack_http_200(201, b"") and not ack_http_200(204, b"")
    assert ack_any_2xx(201, b"") and ack_any_2xx(299, b"") and not ack_any_2xx(300, b"")
    assert not ack_any_2xx(500, b"success")
