"""Alchemy Pay ramp (on-ramp BUY / off-ramp SELL), mounted at /alchemypay.

``https://openapi-test.alchemypay.org`` becomes ``http://HOST:PORT/alchemypay``; paths, headers,
signatures, the response wrapper, status words and webhook bodies are Alchemy's own.
Modules follow docs/architecture.md: auth (signatures), model (orders, statuses, prices, pairs, limits), backend
(state, webhooks), api (orders and tokens over HTTP), catalog (quote, crypto and fiat queries), pages (the hosted ramp
pages, where the off-ramp starts, and the payUrl page), tokens (login-free access tokens), views (order fields),
simulate (admin verbs), webhooks (payloads, header clock, ack rule), errors (the error shape). Each states the
assumptions ([A]) it implements; docs/providers/alchemypay.md lists them all, in a table "documented behaviour ->
sandbox behaviour -> source".

Merchant settings (config or ``PATCH /_sandbox/providers/alchemypay/merchant``):
``webhook_url`` (used when an order has no callbackUrl), ``webhook_timeout`` (seconds),
``webhook_retries`` (true = the documented on-ramp retry schedule; default one send),
``strict_sign`` (true = refuse the legacy SHA1 header sign), ``timestamp_window`` ("5m" default,
or "off"), ``webhook_clock`` ("wall" default: the webhook ``timestamp`` header is real time; "virtual"
for replay-exact journals), ``api_sell`` (true = the sandbox extension letting trade/create take
SELL), ``strict`` (true = refuse also what the sandbox accepts on its own assumption [A]: spaced or
escaped bodies, testnet addresses, depositType "2", a buy link without merchantOrderNo, a reopened
link), ``error_status`` ("4xx" default, or "200": errors with HTTP 200 and ``success: false``),
``sell_expiry`` (48 h default [D]). Provider options: the same keys, as defaults for every merchant.
Modules added for this provider's own reference data: addresses (receiving-address shapes per
network), estimate (the Estimate Price Query).
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
