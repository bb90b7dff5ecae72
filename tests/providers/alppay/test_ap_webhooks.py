"""Webhook delivery: only HTTP 200 acknowledges; retries after 1, 5, 15, 60, 240 min [A]."""
from __future__ import annotations

import json
from datetime import datetime


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_receiver_down_then_up(ap, receiver):
    rec = await receiver([500, 201, 200])
    await ap.set_merchant(webhook_url=rec.url, webhook_timeout=0.3)
    created = await ap.create()
    await ap.advance("0s")
    await ap.advance("1m")
    await ap.advance("5m")
    [delivery] = [d for d in await ap.deliveries() if d["ref"] == created["id"]]
    assert delivery["status"] == "delivered" and delivery["event"] == "payment.NEW"
    attempts = delivery["attempts"]
    assert [a["status"] for a in attempts] == [500, 201, 200]          # 201 is not an ack
    gaps = [(_at(b["at"]) - _at(a["at"])).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert gaps == [60, 300]
    assert len({r["body"] for r in rec.requests}) == 1                 # the same bytes each time


async def test_exhausted_after_five_retries(ap, receiver):
    rec = await receiver([503])
    await ap.set_merchant(webhook_url=rec.url)
    await ap.create()
    await ap.admin("POST", "/clock/run", {})
    [delivery, expired] = await ap.deliveries()
    assert (delivery["event"], expired["event"]) == ("payment.NEW", "payment.EXPIRED")
    assert delivery["status"] == "exhausted" and len(delivery["attempts"]) == 6
    total = (_at(delivery["attempts"][-1]["at"]) - _at(delivery["attempts"][0]["at"])).total_seconds()
    assert total == (1 + 5 + 15 + 60 + 240) * 60


async def test_each_webhook_is_the_object_as_the_api_shows_it(hooked):
    ap, rec = hooked
    created = await ap.create()
    await ap.pay(created["id"], kind="over")
    await ap.advance("1m")
    last = json.loads(rec.requests[-1]["body"])
    assert last == await ap.payment(created["id"])
    assert rec.requests[-1]["headers"]["Content-Type"] == "application/json"
    assert b": " not in rec.requests[-1]["body"]           # compact JSON


# key orders of the docs' samples (paymentWebhooks + webhookSequence; the v2 withdrawal pages)
PAYMENT_KEYS = ["id", "transactions", "amount", "totalReceivedAmount", "asset", "addressTo", "destTag",
                "confirmsNeeded", "timeout", "checkoutUrl", "status", "displayStatus", "customer", "merchant",
                "invoice", "paymentRedirectUrl", "clientId", "fixedFee", "createdAt", "updatedAt"]
TRANSACTION_KEYS = ["paymentId", "txnId", "receivedAmount", "asset", "destTag", "addressFrom", "addressTo",
                    "date", "createdAt", "fixedFee", "percentFee", "riskScore", "isDanger", "riskCheckedAt",
                    "amlPriceUsd"]
WITHDRAWAL_KEYS = ["id", "txnId", "amount", "receivedAmount", "asset", "addressFrom", "addressTo", "destTag",
                   "status", "customer", "merchant", "invoice", "createdAt", "updatedAt", "timeToApprove"]


def _subsequence(keys: list[str], order: list[str]) -> bool:
    positions = [order.index(k) for k in keys if k in order]
    return positions == sorted(positions)


async def test_bodies_keep_the_samples_key_order_and_number_forms(hooked):
    ap, rec = hooked
    created = await ap.create()
    await ap.pay(created["id"])
    await ap.simulate("fund", method="USDT_tron", amount="5")
    await ap.withdraw(amount="5")
    await ap.advance("1m")
    payments = [json.loads(r["body"]) for r in rec.requests if b'"displayStatus"' in r["body"]]
    withdrawal = next(json.loads(r["body"]) for r in rec.requests if b'"timeToApprove"' in r["body"])
    for body in payments:
        assert list(body) == PAYMENT_KEYS
        assert list(body["merchant"]) == ["id", "name", "siteUrl", "logoUrl", "email"]   # the payment samples
        for tx in body["transactions"]:
            assert list(tx) == TRANSACTION_KEYS
            assert isinstance(tx["riskScore"], int) and isinstance(tx["receivedAmount"], str)
        assert isinstance(body["confirmsNeeded"], int) and isinstance(body["timeout"], int)
        assert isinstance(body["customer"]["id"], int) and isinstance(body["amount"], str)
    assert list(withdrawal) == WITHDRAWAL_KEYS
    assert list(withdrawal["merchant"]) == ["id", "name", "email", "siteUrl", "logoUrl"]  # the withdrawal samples
    assert withdrawal["amount"] == "5" and withdrawal["receivedAmount"] == "0"


async def test_the_redirect_link_spelled_as_the_webhook_sequence_sample(hooked):
    ap, rec = hooked
    await ap.set_merchant(redirect_url_key="paymentRedirectURL")
    created = await ap.create()
    await ap.advance("0s")
    body = json.loads(rec.requests[-1]["body"])
    assert body["paymentRedirectURL"] == created["paymentRedirectUrl"] and "paymentRedirectUrl" not in body
