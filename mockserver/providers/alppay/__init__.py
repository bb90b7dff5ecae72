"""ALPPAY (https://api.alppay.io/v2), mounted at /alppay: base URL http://HOST:PORT/alppay/v2.

Documented [D] (docs.alppay.io reference pages and the integration guide):
- `API-KEY` header on every call; every request with a body also carries `X-HMAC` = lowercase hex
  HMAC-SHA256(key = HMAC key, msg = raw body bytes as sent). 400 malformed, 401 bad/missing key or
  signature, 403 no access, 422 validation. The caller's IP must be whitelisted.
- POST /payment {amount (decimal string), asset {short, network}, customer {id, name, email},
  clientId?, invoice?, checkoutUrl?} -> the payment object (200, unwrapped); GET /payment/{id} ->
  {"data": {...}}; GET /payment with statuses, method, search, txnIds, ids, invoices, sortField,
  sortOrder, page (from 1), limit (1-100, default 20).
- status OPEN | EXPIRED | COMPLETED beside displayStatus NEW, OPEN, COMPLETED, EXPIRED, OVERPAID,
  UNDERPAID, AML_CHECK_DANGER; transactions[] with fixedFee, percentFee, riskScore, isDanger.
- clientId: one persistent deposit address per client; a new payment for the client expires the
  client's earlier OPEN payment.
- POST /withdrawal {amount, asset, addressTo, customer, destTag, invoice, addressFrom + clientId
  (together, else 400), transferAll?}; OPEN -> APPROVED -> COMPLETE | CANCELLED; GET /withdrawal
  (page from 0), GET /withdrawal/{id} (unwrapped object). Assets USDT/USDC on tron/ethereum.
- Webhooks: the payment / withdrawal object POSTed on creation and every status change, X-HMAC
  over the raw body, acknowledged by HTTP 200.

Sandbox assumptions [A] (also "x-assumption" in contracts/alppay/ and docs/providers/alppay.md):
- error body {"code": status, "message": "...", "field": "a.b"} (`field` on a 422 about one field);
  404 for an unknown id or route (the docs list no 404), 405 wrong method, 413 body over 1 MiB.
- order of checks: API-KEY (401), IP whitelist (403), X-HMAC (401), body (400), fields (422).
  A body-less GET needs no X-HMAC. Lone surrogates in JSON strings are malformed (400).
- IP whitelist: merchant settings `ip_whitelist` (IPs / CIDR networks, default 127.0.0.1 and ::1)
  and `trusted_proxies` (peers whose X-Forwarded-For is believed; none by default), changed with
  PATCH /_sandbox/providers/alppay/merchant; a bad entry answers 403 naming it.
- confirmsNeeded: 20 on tron, 12 on ethereum; timeout 9000 s (merchant setting payment_timeout).
- displayStatus rules: NEW before any transfer; OPEN once a transfer is seen and until it is
  confirmed; UNDERPAID when confirmed transfers fall short (while OPEN, and after it expires);
  COMPLETED / OVERPAID when confirmed transfers cover the amount; EXPIRED when nothing came in time;
  AML_CHECK_DANGER (sticky) when the AML check flags a transfer. A payment fully paid in time stays
  OPEN past its deadline while it waits for confirmations. A transfer after a payment closed is
  journaled (payment.late) and not counted.
- fees: merchant settings fee_fixed (per transfer) and fee_percent, both 0 by default; the balance
  is credited net of fees when a clean transfer is confirmed; a flagged one is held.
- transactions carry both `date` and `createdAt` (doc versions differ); amlPriceUsd = the amount.
- payment list: {"data": [...], "page", "limit", "total"} (one doc version says `results`);
  statuses matches status or displayStatus; sort fields created_at, updated_at, amount, status,
  default created_at desc. Withdrawal list: same wrapper, newest first.
- invoice confirmation and cancellation: POST /payment/{id}/confirm (accept an OPEN payment as it
  stands: COMPLETED, displayStatus keeps UNDERPAID/...) and POST /payment/{id}/cancel (EXPIRED now);
  a body is optional; anything but an OPEN payment -> 422.
- withdrawals: the amount is held at request time and returned on CANCELLED; no network fee
  (receivedAmount = amount); withdraw-direct needs addressFrom to be the clientId's deposit
  address for that asset and spends that address's balance; transferAll takes the whole balance
  (of the address, or of the merchant without addressFrom); approve/complete/cancel come from the
  admin API; timeToApprove is the approval instant.
- webhooks: retried after 1, 5, 15, 60, 240 min; also sent when a new transfer is seen; withdrawal
  webhooks go to withdrawal_webhook_url if set, else webhook_url; compact JSON body.
- paymentRedirectUrl is the sandbox's hosted page /alppay/payment-invoice?id=...
- merchant settings beyond the whitelist: webhook_url, withdrawal_webhook_url, webhook_timeout,
  payment_timeout, fee_fixed, fee_percent, profile (the `merchant` object), balances (opening
  balances from the config, e.g. {"USDT_tron": "100"}); a second default merchant whitelists only
  198.51.100.0/24 behind a trusted loopback proxy.
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
