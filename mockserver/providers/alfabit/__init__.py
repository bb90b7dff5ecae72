"""AlfaBit Pay (https://pay.alfabit.org), mounted at /alfabit: base URL `https://pay.alfabit.org`
becomes `http://HOST:PORT/alfabit`.

Documented [D]: header `x-api-key` on every call; answers wrapped {"message": "ok", "data": ...};
errors 400/401/403/500; GET /api/v1/integration/orders/{uid}; GET /api/v2/integration/orders with
page, limit, orderBy, statuses[], types[], assets[], networks[], createdAtSince, createdAtBefore,
search; the order object (every field of the published sample: amounts as strings, ISO instants
with milliseconds and Z, nulls, isDone, paymentTiming, amountValidity, signature); the status words
(created, success, warning, failed, inProgress, invoiceWaitCreate, invoiceNotCreated,
invoiceWaitRequisites, invoiceWaitPay, invoiceWaitConfirms, invoiceWaitCheck, invoiceNotPayed,
invoiceCheckBlocked, withdrawBlocked, refund states) and order types; callbacks: POST
application/json of the order object on every status change, to the Callback URL set in the
dashboard, only from 18.194.211.115, 3.70.205.120, 3.250.143.116, 185.252.146.25, which merchants
are told to allow-list.

Seen in public clients [C] (PremiumExchanger modules, a NestJS service, a PHP gateway):
POST /api/v1/integration/orders/invoice and /invoice/without-amount with currencyInCode,
invoiceAssetCode, invoiceAmount, comment, publicComment, callbackUrl, redirectUrl,
isBayerPaysService (their spelling), isAwaitRequisites, expiryDurationMinutes; a create is a
failure unless message === "ok" and data.uid and data.requisites are there; data.requisitesMemoTag;
POST /api/v1/integration/orders/withdraw {amount (string), toCurrencyCode, recipient,
requisitesMemoTag, callbackUrl, comment}; GET merchant, merchant/balances, assets/currencies
(publicCode, publicName, assetCode, isInternal, currencyType), assets/exchange-rate; callbacks are
answered "OK" (200) or {"status":"accepted"} (201), their signature ignored; then clients poll
GET /orders/{uid} until isDone and credit only status success, reading amountInFact as a string.

Sandbox assumptions [A] (each also an "x-assumption" in contracts/alfabit/ and a comment where
it is implemented):
- errors: NestJS's {"statusCode", "message", "error"}; 400 any bad input (contract violations
  included), 401 missing or unknown x-api-key, 403 withdraw with a key whose merchant setting
  `withdrawals_enabled` is false, 404 unknown order (or another merchant's) and unknown routes,
  405, 413 over 1 MiB. Creates answer 201, reads 200 (clients ignore the code).
- callback `signature` = hex HMAC-SHA256(key=api key, msg=compact JSON of the order without
  `signature`, keys in the order sent, UTF-8); only callbacks carry it.
- callbacks leave from `callback_source_address` (default 127.0.0.2, standing in for the
  published IPs) and carry `X-Forwarded-For: <callback_forwarded_for>` when that is set; no
  callback for the status an order is created with; retries after 1, 5, 15, 30, 60 min (from the
  previous attempt); any 2xx acknowledges.
- isAwaitRequisites defaults to true (requisites in the answer); false answers
  invoiceWaitRequisites with null requisites, which come 5 s later (callback invoiceWaitPay).
- expiryDurationMinutes defaults to 20 (the sample's lifetime), 1..10080.
- currencies: BTC, ETH, USDTERC20, TRX, USDTTRC20, USDTBEP20, TON, USDTTON, SOL, USDCSOL and the
  balance USDT-INTERNAL; network words BTC, ETH, TRON, BSC, TON, SOL; confirmations BTC 2, ETH 12,
  TRON 19, BSC 15, TON 1, SOL 32; TON deposits get a 9-digit numeric requisitesMemoTag and a
  transfer without it is not matched; currencyType crypto | internal.
- prices in USD: USDT 1, USDC 1, BTC 60000, ETH 3000, TRX 0.12, TON 5.2, SOL 150 (option
  `rates`); hedgeRate is the coin's USDT rate; service fee 0.06 % (850 -> 849.49, near the
  sample's 849.48966); isBayerPaysService=true puts the fee on the payer (amountInExpected / 0.9994).
- lifecycle: the first payment moves invoiceWaitPay (or invoiceNotPayed: a late payment) to
  invoiceWaitConfirms; every payment until all are confirmed counts, later ones are journaled
  only; the AML check (invoiceWaitCheck) lasts 1 min; a pass gives success and credits
  USDT-INTERNAL with amountOutFact, a block gives invoiceCheckBlocked (risk "100", nothing
  credited). Partial / over payments complete with amountValidity less / more (an invoice without
  amount is always valid); paymentTiming late when the first payment came after expirationTime.
  isDone is true for success, invoiceNotPayed, invoiceCheckBlocked, withdrawBlocked, failed.
- withdrawals: `amount` in the asset of toCurrencyCode; the balance is debited amount x rate +
  a per-network fee (netCommission, netFeeCurrencyCode USDT-INTERNAL) at once; created, then
  inProgress after 10 s (or withdrawBlocked by AML: refunded), success once the payout has its
  confirmations; failed (refunded) by the admin API; recipient checked against the network's
  address shape.
- warning only by the admin API (the docs: "unexpected error, manual intervention").
- GET /api/v2/integration/orders answers {items, total, page, limit, pages}; orderBy
  field:direction (createdAt|updatedAt, asc|desc; default createdAt:desc); limit 1..100 (20);
  list parameters accepted as statuses[]=a, statuses[0]=a or statuses=a; unknown ones ignored.
- merchant answer {uid, id, name, callbackUrl, callbackIps}; balances [{currencyCode, assetCode,
  balance}]; exchange-rate ?from=&to= (asset codes) answers [{from, to, rate}].
- the hosted invoice page at invoicePublicUrl; requisitesQrCode is an SVG placeholder, not a QR.
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
