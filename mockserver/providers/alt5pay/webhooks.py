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

When [D]: "IPNs are sent upon every confirmed status change". The sandbox reads this as: an IPN
goes out when a payment's status change is confirmed, i.e. when the payment reaches the asset's
required confirmations and turns `Paid` (confirmation = that count: "6" for BTC, as in the docs'
IPN sample). A payment first seen on the chain (`Pending`, 0 confirmations) is not a confirmed
change and sends nothing by default [A]; merchant setting `ipn_pending: true` also sends that
`Pending` IPN (confirmation "0"), as the sandbox did before [A]. Every payment to an address is
its own status change (a second payment, type `Reused`, sends its own IPN); never twice for the
same payment and status.

Re-posting [D]: "1 minute delay, 2 ..., 640 minute delay and 1,280 minute delay", and re-posting
stops at a 200 OK "or when 1,280 minutes have passed since the initial post". The delays add up
to 1275 minutes after ten re-posts, so the eleventh (at minute 2555) would come after 1280 minutes
have passed: by default the stop rule wins [D reading, labelled A]: 11 posts, the last at minute
1275 (RetryPolicy.give_up_after). Merchant setting `ipn_schedule: "all_delays"` (or provider option
`ipn_schedule`) takes the other reading: all eleven delays, 12 posts, the last at minute 2555 [A].

Assumptions ([A], also in contracts/alt5pay/ipn.webhook.json):
- date_time is when the transfer was seen (the same instant transactions show);
- the IPN goes to the address's `url` when one was given at creation, else to the merchant's
  webhook URL (sandbox merchant setting `webhook_url`).
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ...core.webhooks.outbox import RetryPolicy, ack_http_200

from . import jsjson
from .auth import ipn_signature

if TYPE_CHECKING:
    from ...core.state.world import World

    from .backend import Alt5Backend
    from .model import Payment

RETRY_MINUTES = (1, 2, 4, 8, 20, 40, 80, 160, 320, 640, 1280)
STOP_AFTER = timedelta(minutes=1280)
# [D] "stops re-posting when 1,280 minutes have passed since the initial post": no post later than that.
STOP_RULE_POLICY = RetryPolicy.minutes(*RETRY_MINUTES, measured_from="previous", give_up_after=STOP_AFTER)
# [A] the other reading: every listed delay is used; the stop rule is checked as a post fails.
ALL_DELAYS_POLICY = RetryPolicy.minutes(*RETRY_MINUTES, measured_from="previous", stop_after=STOP_AFTER)
IPN_SCHEDULES = {"stop_rule": STOP_RULE_POLICY, "all_delays": ALL_DELAYS_POLICY}
IPN_RETRY_POLICY = STOP_RULE_POLICY


def retry_policy(merchant: dict, options: dict) -> RetryPolicy:
    """The merchant's `ipn_schedule`, else the provider option, else the stop rule; unknown -> default."""
    choice = merchant.get("ipn_schedule") or options.get("ipn_schedule") or "stop_rule"
    return IPN_SCHEDULES.get(choice, STOP_RULE_POLICY) if isinstance(choice, str) else STOP_RULE_POLICY


def sends_pending(merchant: dict, options: dict) -> bool:
    """[A] merchant setting (or provider option) `ipn_pending: true`: also an IPN at first sight."""
    value = merchant.get("ipn_pending", options.get("ipn_pending", False))
    return value is True or (isinstance(value, str) and value.lower() == "true")


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

    def status_changed(self, payment: "Payment", going_back: bool = False) -> None:
        """Send the payment's current status once, if it is one that sends; safe to call again.
        `going_back`: a Paid payment's confirmations were undone by a reorg [A]: `Pending` goes
        out whatever `ipn_pending` says, once per reorg."""
        now = self.world.clock.now()
        status = payment.status(now)
        merchant = self.backend.merchant_by_id(payment.wallet.merchant_id) or {}
        if status != "Paid" and not going_back and not sends_pending(merchant, self.backend.options):
            return
        if status in payment.announced and not going_back:
            return
        payment.announced.add(status)
        payload = ipn_payload(payment, status, payment.confirmations(now))
        self.world.contracts("alt5pay").audit("ipn.webhook", payload)
        body = jsjson.dumps_bytes(payload)
        self.world.outbox.enqueue(
            provider="alt5pay", event=f"ipn.{status.lower()}",
            url=payment.wallet.url or merchant.get("webhook_url") or None, body=body,
            headers={"signature": ipn_signature(str(merchant.get("secret", "")), body)},
            policy=retry_policy(merchant, self.backend.options), ack=ack_http_200,
            ref=payment.wallet.ref_id, merchant=merchant.get("merchant_id"), timeout=_timeout(merchant))


def _timeout(merchant: dict) -> float:
    """The merchant's per-attempt timeout in seconds; a bad setting falls back to 10 s."""
    try:
        value = float(merchant.get("webhook_timeout", 10))
    except (TypeError, ValueError):
        return 10.0
    return value if 0 < value <= 300 else 10.0
