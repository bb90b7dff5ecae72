"""IPNs (instant payment notifications): payment status change -> a signed JSON POST.

[D] Body fields ref_id, price, amount, total, date_time (epoch ms string), transaction_id, coin,
network, currency, confirmation, status, fee, source_address, type; header `signature` =
hex(HMAC-SHA512(key=secret, msg=raw body)); delivered when the receiver answers HTTP 200, else
re-posted after 1, 2, 4, 8, 20, 40, 80, 160, 320, 640 and 1280 minutes.

The raw body is what JavaScript's JSON.stringify prints (see jsjson): Node handlers verify the
signature against `JSON.stringify(req.body)`, so only that byte form verifies for them.
Types follow the docs' sample: price/amount/total numbers; date_time, confirmation, fee strings.
No field is ever empty: PHP handlers drop an IPN whose ref_id, price, amount, total, date_time,
transaction_id, coin, network or currency is empty.

Assumptions ([A], also in contracts/alt5pay/ipn.webhook.json):
- an IPN is sent when a payment is first seen (`Pending`, confirmation "0") and when it reaches
  the asset's required confirmations (`Paid`); never twice for the same payment and status;
- date_time is when the transfer was seen (the same instant transactions show);
- the docs' two rules, eleven delays "between each re-post" and "stops re-posting when 1280
  minutes have passed since the initial post", hold together when the stop rule is checked as an
  attempt fails: the tenth retry fails at minute 1275 (< 1280), so the eleventh is scheduled 1280
  minutes later, and after it fails (minute 2555) re-posting stops. A receiver that never answers
  200 gets 12 posts, the last 2555 minutes after the first (RetryPolicy.stop_after);
- the IPN goes to the address's `url` when one was given at creation, else to the merchant's
  webhook URL (sandbox merchant setting `webhook_url`).
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ...core.webhooks import RetryPolicy, ack_http_200

from . import jsjson
from .auth import ipn_signature

if TYPE_CHECKING:
    from ...core.world import World

    from .backend import Alt5Backend
    from .model import Payment

RETRY_MINUTES = (1, 2, 4, 8, 20, 40, 80, 160, 320, 640, 1280)
IPN_RETRY_POLICY = RetryPolicy.minutes(*RETRY_MINUTES, measured_from="previous",
                                       stop_after=timedelta(minutes=1280))


def ipn_payload(payment: "Payment", status: str, confirmations: int) -> dict:
    wallet = payment.wallet
    return {
        "ref_id": wallet.ref_id,
        "price": payment.price,
        "amount": payment.amount,
        "total": payment.total,
        "date_time": str(int(payment.transfer.seen_at.timestamp() * 1000)),
        "transaction_id": payment.txid,
        "coin": wallet.asset.coin,
        "network": wallet.asset.ipn_network,
        "currency": wallet.currency,
        "confirmation": str(confirmations),
        "status": status,
        "fee": format(payment.fee, "f"),
        "source_address": payment.transfer.source_address,
        "type": payment.type,
    }


class IpnSender:
    def __init__(self, world: "World", backend: "Alt5Backend"):
        self.world = world
        self.backend = backend
        self._sent: set[tuple[str, str]] = set()

    def status_changed(self, payment: "Payment") -> None:
        """Send the payment's current status once; safe to call again at any time."""
        now = self.world.clock.now()
        status = payment.status(now)
        if (payment.txid, status) in self._sent:
            return
        self._sent.add((payment.txid, status))
        merchant = self.backend.merchant_by_id(payment.wallet.merchant_id) or {}
        payload = ipn_payload(payment, status, payment.confirmations(now))
        self.world.contracts("alt5pay").audit("ipn.webhook", payload)
        body = jsjson.dumps_bytes(payload)
        self.world.outbox.enqueue(
            provider="alt5pay", event=f"ipn.{status.lower()}",
            url=payment.wallet.url or merchant.get("webhook_url") or None, body=body,
            headers={"signature": ipn_signature(str(merchant.get("secret", "")), body)},
            policy=IPN_RETRY_POLICY, ack=ack_http_200, ref=payment.wallet.ref_id,
            merchant=merchant.get("merchant_id"), timeout=_timeout(merchant))


def _timeout(merchant: dict) -> float:
    """The merchant's per-attempt timeout in seconds; a bad setting falls back to 10 s."""
    try:
        value = float(merchant.get("webhook_timeout", 10))
    except (TypeError, ValueError):
        return 10.0
    return value if 0 < value <= 300 else 10.0
