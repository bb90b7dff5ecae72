"""AlfaBit Pay (https://pay.alfabit.org), mounted at /alfabit: base URL `https://pay.alfabit.org`
becomes `http://HOST:PORT/alfabit`. docs/providers/alfabit.md compares every audited fact with the
docs or the client behind it.

Documented [D]: header `x-api-key` on every call; answers wrapped {"message": "ok", "data": ...};
errors 400/401/403/500; GET /api/v1/integration/orders/{uid}; GET /api/v1/integration/orders and
GET /api/v2/integration/orders (page, limit, orderBy `-uid`, statuses[], types[] with their enums,
merchantsUids[], billingTags[], assets[], networks[], createdAtSince, createdAtBefore,
showProtectedMerchantsOrders, search) answering data: [orders]; the order object (every field of
the published sample; serviceCommission in the reference's example); the status words (created,
success, warning, failed, inProgress, invoiceWaitCreate, invoiceNotCreated, invoiceWaitRequisites,
invoiceWaitPay, invoiceWaitConfirms, invoiceWaitCheck, invoiceNotPayed, invoiceCheckBlocked,
withdrawBlocked, waitRefundRequisites, waitRefundRequisitesCheck, waitToRefund, refunded, revoked,
blocked); withdraw-with-exchange as its own operation (network and % service fees first, then the
conversion); callbacks: POST application/json of the order object on every status change, to the
Callback URL set in the dashboard, only from 18.194.211.115, 3.70.205.120, 3.250.143.116,
185.252.146.25, which merchants are told to allow-list; the sample's `signature` has no published
formula.

Seen in public clients [C] (PremiumExchanger modules, a NestJS service, PHP gateways, a front-end):
POST /api/v1/integration/orders/invoice and /invoice/without-amount with currencyInCode,
invoiceAssetCode ("Convert to" on invoices without amount), invoiceAmount, comment, publicComment,
callbackUrl, redirectUrl, isBayerPaysService (their spelling), isAwaitRequisites,
expiryDurationMinutes; a create is a failure unless message === "ok" and data.uid and
data.requisites are there; data.requisitesMemoTag; POST .../orders/withdraw {amount (string),
toCurrencyCode, recipient, requisitesMemoTag, callbackUrl, comment}, .../withdraw-with-exchange
(+ fromAssetCode), one gateway's {walletId, volume}; GET merchant (balanceUsd, equal),
merchant/balances (code, type, currencyCode, assetCode, balance, balanceUsd), assets ({code, type}),
assets/currencies (kept by !isInternal && currencyType === 'COIN'; usdPrice, assetName),
assets/exchange-rate ({fromAssetCode, toAssetCode, fromCurrencyType, toCurrencyType, rate,
isTurnRate}), assets/withdraw-fee, merchant/fiat-config, orders/fiat-withdraw; callbacks are
answered "OK" (200) or {"status":"accepted"} (201), their signature ignored; then clients poll GET
/orders/{uid} until isDone and credit only status success, reading amountInFact as a string.

Sandbox assumptions [A] (each also an "x-assumption" in contracts/alfabit/ and a comment where it
is implemented; the merchant setting `strict` refuses the leniencies among them):
- the framework: NestJS. Only application/json bodies are parsed (validation.py); validation
  errors answer `message` as an array of class-validator strings; unknown routes 404 "Cannot
  METHOD /path"; creates 201, reads 200; 404 for unknown orders; 403 for withdrawals when the key's
  `withdrawals_enabled` is false; fiat endpoints 404 (no fiat rails).
- reference data (assets.py): 10 currencies, one internal balance per asset ({ASSET}-INTERNAL),
  prices (option `rates`), 0.06 % service fee on payments, 0.1 % on withdrawals plus a network fee,
  rates quoted >= 1 with isTurnRate, recipients checked against mainnet (and, unless strict,
  testnet) address shapes; testnet-shaped deposit addresses; 9-digit TON memos.
- timings (model.py): created for 1 s, requisites 5 s later when not awaited, confirmations per
  network, AML check 1 min, inProgress (conversion) 10 s, withdrawals start after 10 s; expiry 20
  min by default; late payments taken for `late_payment_minutes` (60) after expiry, isDone final.
- callbacks (webhooks.py, auth.py): from 127.0.0.2 / ::1 (settings callback_source_address,
  callback_source_address_v6), X-Forwarded-For when callback_forwarded_for is set; `signature`
  unverifiable by default, HMAC-SHA256(api key, compact order JSON) with callback_signature=hmac;
  retries after 1, 5, 15, 30, 60 min carrying the first attempt's body; any 2xx acknowledges.
- chain events (backend.on_chain_change; docs "Chain events"): a reorg or double spend on the
  payment path sends the order back (invoiceWaitConfirms, invoiceWaitPay / invoiceNotPayed), with
  a callback, and debits what success credited; the wrong network or asset, a TON transfer without
  the memo and dust (under 0.1 USD) are not the order's money (journaled).
- the walletId/volume withdraw body only with `withdraw_volume_field`; the hosted invoice page at
  invoicePublicUrl links to redirectUrl; requisitesQrCode is an SVG placeholder, not a QR.
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
