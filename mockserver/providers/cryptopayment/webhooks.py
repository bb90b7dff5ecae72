"""payment.detected / payment.confirmed: payloads as documented, signed, on the documented schedule."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.http.jsonio import dumps
from ...core.webhooks.outbox import RetryPolicy, ack_http_200
from .auth import webhook_signature
from .views import iso, money

if TYPE_CHECKING:
    from ...core.state.world import World
    from .model import Invoice

# [D] "We retry failed webhooks up to 5 times ... (1min, 5min, 15min, 1h, 6h)": each delay counts
# from the previous attempt, so the sixth and last attempt is 7 h 21 min after the first.
RETRY_POLICY = RetryPolicy.minutes(1, 5, 15, 60, 360)


def payload(invoice: "Invoice", event: str, world: "World") -> dict:
    now = world.clock.now()
    return {
        "event": event,
        "invoice_id": invoice.id,
        "order_id": invoice.order_id,
        "status": invoice.status(now),
        "network": invoice.network.code,
        "coin": invoice.network.coin,
        "amount_usd": money(invoice.amount_usd),
        "amount_crypto": money(invoice.amount_crypto),
        "paid_amount": money(invoice.paid_amount()),
        "txid": invoice.txid(),
        "confirmations": invoice.confirmations_received(now),
        "address": invoice.address,
        "timestamp": iso(now),
        "signature": webhook_signature(invoice.merchant["app_key"], invoice.id, event),
    }


def send(world: "World", invoice: "Invoice", event: str) -> None:
    body = payload(invoice, event, world)
    world.contracts("cryptopayment").audit("webhook", body)
    merchant = invoice.merchant
    world.outbox.enqueue(
        provider="cryptopayment", event=event, url=merchant.get("webhook_url"),
        body=dumps(body).encode(), policy=RETRY_POLICY, ack=ack_http_200, ref=invoice.id,
        merchant=merchant["api_key"], timeout=float(merchant.get("webhook_timeout", 10)))
