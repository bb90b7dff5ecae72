"""Callbacks: the whole order JSON, POSTed as application/json on every status change [D].

Target: the order's `callbackUrl`, else the merchant's configured Callback URL (`webhook_url`) [D].
Source: AlfaBit sends only from its published IPs (views.CALLBACK_IPS) and tells merchants to
allow-list them [D]. The sandbox POSTs from the merchant setting `callback_source_address`
(default 127.0.0.2, a loopback address standing in for the published list) and, when
`callback_forwarded_for` is set (e.g. "18.194.211.115"), adds `X-Forwarded-For` with it, for a
merchant whose handler sits behind a proxy and reads the client IP from that header.
Acknowledgement [C/A]: any 2xx (real handlers answer "OK" with 200 or {"status":"accepted"} with 201).
Retries [A]: none published; after a failed attempt 1 min, 5 min, 15 min, 30 min, 1 h (each from
the previous attempt), then the delivery is exhausted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.webhooks.outbox import RetryPolicy, ack_any_2xx
from .auth import compact, signature
from .model import NAME
from .views import order_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .backend import Backend
    from .model import Order

RETRY_POLICY = RetryPolicy.minutes(1, 5, 15, 30, 60)
DEFAULT_SOURCE = "127.0.0.2"


def callback_payload(world: "World", backend: "Backend", order: "Order") -> dict:
    view = order_view(order, backend, world.clock.now())
    return {**view, "signature": signature(order.merchant["api_key"], view)}


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
        source_address=merchant.get("callback_source_address") or None)
