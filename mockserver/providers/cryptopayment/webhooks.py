"""payment.detected / payment.confirmed: payloads as documented, signed, on the documented schedule.

Shaped like the docs' webhook sample [D]: its fourteen keys in its order (event, invoice_id, ...,
timestamp, signature), money written as the sample writes it: ``"amount_usd": 50.00`` with two
decimals, and [A] amount_crypto / paid_amount with the coin's decimals (USDT 2, as the sample's
50.00; BTC, LTC, ETH 8), confirmations an integer. [A] Compact JSON (what PHP's json_encode prints,
the docs' handlers being PHP), "/" not escaped. The signature covers invoice_id and event only,
so none of this changes what a merchant verifies.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

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


def _fixed(amount: Decimal, places: int) -> str:
    return format(amount.quantize(Decimal(1).scaleb(-places)), "f")


# what json.dumps(key) and json.dumps(value, separators=(",", ":"), ensure_ascii=False) print,
# without building an encoder for each of a body's fourteen keys and values
_key = json.encoder.encode_basestring_ascii
_value = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode(body: dict, invoice: "Invoice") -> bytes:
    """The bytes posted: the body in its (the sample's) order, compact, money with fixed decimals."""
    money_text = {"amount_usd": _fixed(invoice.amount_usd, 2),
                  "amount_crypto": _fixed(invoice.amount_crypto, invoice.network.decimals),
                  "paid_amount": _fixed(invoice.paid_amount(), invoice.network.decimals)}
    parts = (_key(key) + ":" + (money_text[key] if key in money_text else _value(value))
             for key, value in body.items())
    return ("{" + ",".join(parts) + "}").encode()


def send(world: "World", invoice: "Invoice", event: str) -> None:
    body = payload(invoice, event, world)
    world.contracts("cryptopayment").audit("webhook", body)
    merchant = invoice.merchant
    world.outbox.enqueue(
        provider="cryptopayment", event=event, url=merchant.get("webhook_url"),
        body=encode(body, invoice), policy=RETRY_POLICY, ack=ack_http_200, ref=invoice.id,
        merchant=merchant["api_key"], timeout=float(merchant.get("webhook_timeout", 10)))
