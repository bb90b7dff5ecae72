"""The outbox on its own: attempts on the policy's schedule, the ack rule, the per-attempt signer,
loopback-only delivery, and the journal."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockserver.core.time.clock import Clock
from mockserver.core.state.journal import Journal
from mockserver.core.time.scheduler import Scheduler
from mockserver.core.webhooks.outbox import Outbox, RetryPolicy, ack_any_2xx

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
async def parts():
    clock = Clock(START)
    scheduler = Scheduler(clock)
    journal = Journal(clock.now)
    outbox = Outbox(scheduler, journal)
    yield clock, scheduler, journal, outbox
    await outbox.close()


async def test_schedule_ack_and_journal(parts, receiver):
    clock, scheduler, journal, outbox = parts
    rec = await receiver([500, 201])
    delivery = outbox.enqueue(provider="p", event="paid", url=rec.url, body=b'{"a":1}',
                              headers={"X-Extra": "1"}, policy=RetryPolicy.minutes(2, 3),
                              ack=ack_any_2xx, ref="inv-1")
    assert delivery.status == "pending" and delivery.next_attempt_at == START
    await scheduler.settle()
    assert [a.status for a in delivery.attempts] == [500]
    assert delivery.next_attempt_at == START + timedelta(minutes=2)
    await scheduler.advance(timedelta(minutes=2))
    assert [a.status for a in delivery.attempts] == [500, 201] and delivery.status == "delivered"
    assert rec.requests[0]["body"] == b'{"a":1}' and rec.requests[0]["headers"]["X-Extra"] == "1"
    assert rec.requests[0]["headers"]["Content-Type"] == "application/json"
    kinds = [e["kind"] for e in journal.query(ref="inv-1")]
    assert kinds == ["webhook.enqueued", "webhook.attempt", "webhook.attempt"]
    assert outbox.list(status="delivered") == [delivery] and outbox.get(delivery.id) is delivery
    assert outbox.list(provider="other") == []


async def test_signer_runs_at_each_attempt_with_its_time(parts, receiver):
    clock, scheduler, _journal, outbox = parts
    rec = await receiver([503, 200])
    signed_at = []

    def signer(body: bytes, at: datetime) -> dict:
        signed_at.append(at)
        return {"X-Timestamp": str(int(at.timestamp()))}

    outbox.enqueue(provider="p", event="e", url=rec.url, body=b"{}", policy=RetryPolicy.minutes(5), signer=signer)
    await scheduler.run_until_quiet()
    assert signed_at == [START, START + timedelta(minutes=5)]
    assert [r["headers"]["X-Timestamp"] for r in rec.requests] == [str(int(t.timestamp())) for t in signed_at]


async def test_non_loopback_urls_are_never_contacted(parts):
    _clock, scheduler, _journal, outbox = parts
    delivery = outbox.enqueue(provider="p", event="e", url="http://192.0.2.1/hook", body=b"{}")
    await scheduler.settle()
    assert delivery.attempts[0].error.startswith("blocked: non-loopback")
    assert delivery.status == "failed" and delivery.reason == delivery.attempts[0].error


@pytest.mark.parametrize("url, reason", [
    (None, "no webhook URL configured"),
    ("", "no webhook URL configured"),
    (123, "webhook URL must be a string"),
    ("http://127.0.0.1:9/hook\r\nX-Evil: 1", "invalid webhook URL: it holds a control character"),
    ("http://127.0.0.1:9/a\x00b", "invalid webhook URL: it holds a control character"),
    ("http://[::1", "invalid webhook URL"),
    ("http://127.0.0.1:99999/hook", "invalid webhook URL"),
    ("/relative/hook", "invalid webhook URL: an absolute"),
    ("ftp://127.0.0.1/hook", "invalid webhook URL: an absolute"),
])
async def test_a_delivery_that_cannot_be_attempted_fails_at_once_with_its_reason(parts, url, reason):
    """Never pending with no attempt: the reason is recorded as the one attempt, and no hopeless
    retry is scheduled."""
    _clock, scheduler, journal, outbox = parts
    delivery = outbox.enqueue(provider="p", event="e", url=url, body=b"{}", policy=RetryPolicy.minutes(1, 5))
    assert delivery.status == "failed" and delivery.reason.startswith(reason)
    assert [a.error for a in delivery.attempts] == [delivery.reason]
    assert delivery.to_dict()["reason"] == delivery.reason and delivery.next_attempt_at is None
    await scheduler.run_until_quiet()
    assert len(delivery.attempts) == 1 and len(scheduler) == 0
    assert [e["kind"] for e in journal.query(kind="webhook.attempt")] == ["webhook.attempt"]


async def test_a_signer_that_raises_is_a_failed_attempt_not_a_lost_delivery(parts, receiver):
    _clock, scheduler, _journal, outbox = parts
    rec = await receiver([200])

    def signer(body, at):
        raise ValueError("app_key is not base64")

    delivery = outbox.enqueue(provider="p", event="e", url=rec.url, body=b"{}", signer=signer,
                              policy=RetryPolicy.minutes(1))
    await scheduler.run_until_quiet()
    assert delivery.status == "exhausted" and len(delivery.attempts) == 2
    assert delivery.attempts[0].error == "ValueError: app_key is not base64"
    assert rec.requests == []


async def test_redeliver_is_one_extra_manual_attempt(parts, receiver):
    clock, scheduler, _journal, outbox = parts
    rec = await receiver([200])
    delivery = outbox.enqueue(provider="p", event="e", url=rec.url, body=b"{}")
    await scheduler.settle()
    clock.advance(timedelta(hours=1))
    outbox.redeliver(delivery)
    await scheduler.settle()
    assert [(a.number, a.manual, a.at) for a in delivery.attempts] == [
        (1, False, START), (2, True, START + timedelta(hours=1))]
    assert delivery.to_dict()["attempt_count"] == 2 and len(rec.requests) == 2
