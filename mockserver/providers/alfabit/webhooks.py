"""Callbacks: the whole order JSON, POSTed as application/json on every status change [D].

Body: the order as GET /orders/{uid} shows it, keys in the order of the docs' sample, numbers and
strings as the sample writes them (amounts as decimal strings, `id` a number), compact JSON, then
`signature` (auth.py: unverifiable by default, HMAC as an opt-in) [A].
Target: the order's `callbackUrl`, else the merchant's configured Callback URL (`webhook_url`) [D].
Source: AlfaBit sends only from its published IPs (views.CALLBACK_IPS) and tells merchants to
allow-list them [D]. The sandbox POSTs from stand-in loopback addresses, one per address family:
`callback_source_address` (IPv4, default 127.0.0.2) for IPv4 receivers and
`callback_source_address_v6` (default ::1, the only IPv6 loopback address) for IPv6 ones
(`http://[::1]:port`, or `localhost` resolving to ::1). When `callback_forwarded_for` is set
(e.g. "18.194.211.115") it adds `X-Forwarded-For` with it, for a handler behind a proxy.
Acknowledgement [C/A]: any 2xx (real handlers answer "OK" with 200 or {"status":"accepted"} with 201).
Retries [A]: none published; after a failed attempt 1 min, 5 min, 15 min, 30 min, 1 h (each from
the previous attempt), then the delivery is exhausted. A retry carries the body of its first
attempt (the status it announced), so it can arrive after a newer status; handlers re-read the
order (GET /orders/{uid}) as the public clients do.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.webhooks.outbox import RetryPolicy, ack_any_2xx
from .auth import HMAC, compact, hmac_signature, signature_mode, unverifiable_signature
from .model import NAME
from .views import order_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .backend import Backend
    from .model import Order

RETRY_POLICY = RetryPolicy.minutes(1, 5, 15, 30, 60)
DEFAULT_SOURCE, DEFAULT_SOURCE_V6 = "127.0.0.2", "::1"


def callback_payload(world: "World", backend: "Backend", order: "Order") -> dict:
    view = order_view(order, backend, world.clock.now())
    merchant = order.merchant
    if signature_mode(merchant) == HMAC:
        signature = hmac_signature(str(merchant["api_key"]), view)
    else:
        signature = unverifiable_signature(f"{world.seed}:{merchant.get('merchant_uid')}", view)
    return {**view, "signature": signature}


def sources(merchant: dict) -> tuple[str, ...] | None:
    """The stand-in source addresses, one per family (the sender picks the receiver's)."""
    chosen = tuple(a for a in (merchant.get("callback_source_address"),
                               merchant.get("callback_source_address_v6")) if a)
    return chosen or None


def send(world: "World", backend: "Backend", order: "Order") -> None:
    payload = callback_payload(world, backend, order)
    world.contracts(NAME).audit("callback.webhook", payload)
    merchant = order.merchant
    headers = {}
    if merchant.get("callback_forwarded_for"):
        headers["X-Forwarded-For"] = str(merchant["callback_forwarded_for"])
    world.outbox.enqueue(
        provider=NAME, event=payload["status"], url=order.callback_url or merchant.get("webhook_url"),
        body=compact(payload).encode(), headers=headers, policy=RETRY_POLICY, ack=ack_any_2xx,
        ref=order.uid, merchant=merchant["api_key"], timeout=float(merchant.get("webhook_timeout", 10)),
        source_address=sources(merchant))
