"""Payment and withdrawal webhooks: the object as the API shows it, signed with X-HMAC.

[D] POSTed on creation and on every status change; `X-HMAC` = hex HMAC-SHA256 of the raw body
with the merchant's HMAC key; the merchant answers 200.
[A] retry policy: after a failed attempt, again after 1 min, 5 min, 15 min, 1 h and 4 h (each
counted from the previous attempt), then the delivery is exhausted. Only HTTP 200 acknowledges.
[D: webhookSequence] a payment webhook is also sent when a new transfer is seen without a status
change ("deposit detected") and when the AML check of a transfer completes; [A] also for the
integration guide's partial-payment test webhook: what is sent is keyed on (status, displayStatus,
received, transfers, transfers checked).
[A] withdrawal webhooks go to `withdrawal_webhook_url` when the merchant set one (the docs show a
separate endpoint), else to `webhook_url`.
[A] the body is compact JSON (no spaces), UTF-8, keys in the order of the docs' samples, numbers
as they write them (amounts as decimal strings, counts as integers).
[A] the redirect link is `paymentRedirectUrl` (createPayment, getPayment, paymentWebhooks); the
merchant setting `redirect_url_key: paymentRedirectURL` spells it as the webhookSequence sample does.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ...core.webhooks.outbox import RetryPolicy, ack_http_200
from .auth import sign
from .views import payment_view, withdrawal_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .model import Payment, Withdrawal

PROVIDER = "alppay"
RETRY_POLICY = RetryPolicy.minutes(1, 5, 15, 60, 240)


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _enqueue(world: "World", merchant: dict, event: str, url, body: dict, contract: str, ref: str) -> None:
    world.contracts(PROVIDER).audit(contract, body)
    raw = encode(body)
    world.outbox.enqueue(
        provider=PROVIDER, event=event, url=url, body=raw,
        headers={"X-HMAC": sign(str(merchant["hmac_key"]), raw)}, policy=RETRY_POLICY,
        ack=ack_http_200, ref=ref, merchant=str(merchant["api_key"]),
        timeout=float(merchant.get("webhook_timeout", 10)))


def payment_changed(world: "World", payment: "Payment") -> None:
    """Send the payment's webhook if what a merchant sees changed since the last one."""
    now = world.clock.now()
    checked = sum(1 for d in payment.deposits if d.risk_checked_at is not None)
    key = (payment.status(now), payment.display_status(now), payment.received(), len(payment.deposits), checked)
    if key == payment.last_sent:
        return
    if payment.last_sent is not None:   # creation keeps createdAt == updatedAt
        payment.updated_at = now
    payment.last_sent = key
    view = payment_view(payment, now)
    merchant = payment.merchant
    if merchant.get("redirect_url_key") == "paymentRedirectURL":
        view = {("paymentRedirectURL" if k == "paymentRedirectUrl" else k): v for k, v in view.items()}
    _enqueue(world, merchant, f"payment.{view['displayStatus']}", merchant.get("webhook_url"), view,
             "payment.webhook", payment.id)


def withdrawal_changed(world: "World", withdrawal: "Withdrawal") -> None:
    merchant = withdrawal.merchant
    url = merchant.get("withdrawal_webhook_url") or merchant.get("webhook_url")
    _enqueue(world, merchant, f"withdrawal.{withdrawal.status}", url, withdrawal_view(withdrawal),
             "withdrawal.webhook", withdrawal.id)
