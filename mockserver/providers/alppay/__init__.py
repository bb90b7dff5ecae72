"""ALPPAY (https://api.alppay.io/v2), mounted at /alppay: base URL http://HOST:PORT/alppay/v2.

Documented [D] (docs.alppay.io reference pages and the integration guide):
- `API-KEY` header on every call; every request with a body also carries `X-HMAC` = hex
  HMAC-SHA256(key = HMAC key, msg = raw body bytes as sent); the signed body is compact JSON with
  the fields in their original order ("400 Bad Request: malformed JSON or incorrect field order").
  400 malformed, 401 bad/missing key or signature, 403 no access, 422 validation. The caller's IP
  must be whitelisted.
- POST /payment {amount (decimal string), asset {short, network}, customer {id, name, email},
  clientId?, invoice?, checkoutUrl?} -> the payment object (200, unwrapped); GET /payment/{id} ->
  {"data": {...}}; GET /payment -> {"results": [...]} with statuses (display statuses; the older
  page's CANCELLED and AML_CHECK_FAILED), method, search, txnIds, ids, invoices, sortField,
  sortOrder, page (from 1), limit (1-100, default 20).
- status OPEN | EXPIRED | COMPLETED beside displayStatus NEW, OPEN, COMPLETED, EXPIRED, OVERPAID,
  UNDERPAID, AML_CHECK_DANGER; transactions[] with fixedFee, percentFee, riskScore, isDanger,
  riskCheckedAt and amlPriceUsd (0 / null / "0" until the AML check has run).
- the standard fee: 0.5 % of each payment, deducted automatically (transaction-fees).
- coins and networks: USDT, USDC, BTC, ETH, TON; tron, ethereum, bsc, solana, ton.
- clientId: one persistent deposit address per client; a new payment for the client expires the
  client's earlier OPEN payment. Deposit addresses (POST /deposit-addresses/create, sticky with a
  clientId or in batches); funds landing on one with no open payment create a payment and send
  the deposit-detected webhook, then the AML result, then the status change.
- GET /wallets-by-client, GET /wallets-balances, GET /network-fee, GET
  /api/v2/merchants/wallets/info; POST /api/v2/payments (the Client ID page's path).
- POST /withdrawal {amount (8 decimals, minimum 0, no maximum), asset (USDT/USDC on
  tron/ethereum), addressTo, customer, destTag, invoice, addressFrom + clientId (together, else
  400), transferAll?}; OPEN -> APPROVED -> COMPLETE | CANCELLED; GET /withdrawal (page from 0),
  GET /withdrawal/{id} (unwrapped); timestamps with nanoseconds.
- Webhooks: the payment / withdrawal object POSTed on creation and every status change, X-HMAC
  over the raw body, acknowledged by HTTP 200.

Sandbox assumptions [A] (also "x-assumption" in contracts/alppay/ and docs/providers/alppay.md,
which has the row-by-row table documented -> sandbox -> source):
- error body {"code": status, "message": "...", "field": "a.b"} (`field` on a 422 about one field);
  404 for an unknown id or route (the docs list no 404), 405 wrong method, 413 body over 1 MiB.
- order of checks: API-KEY (401), IP whitelist (403), X-HMAC (401), body form (400), fields (422).
  A body-less GET needs no X-HMAC. The "original field order" is the order of each page's request
  sample (bodyform.py); `signed_body: as_sent` accepts any bytes the signature matches.
- `strict: true` refuses the sandbox's own leniencies: upper-case hex, unknown fields, null for an
  optional field, a body without Content-Type: application/json, the sandbox-only routes, camelCase
  sort fields and repeated list parameters.
- IP whitelist: merchant settings `ip_whitelist` (IPs / CIDR networks, default 127.0.0.1 and ::1)
  and `trusted_proxies` (peers whose X-Forwarded-For is believed; none by default); a bad entry is
  refused when set (400).
- assets.py: BTC's network word `bitcoin`, the pairs offered, confirmations per network, USD
  reference prices, network-fee estimates. timeout 9000 s (merchant setting payment_timeout).
- displayStatus rules: NEW before any transfer; OPEN once a transfer is seen and until it is
  confirmed and checked; UNDERPAID when confirmed transfers fall short (while OPEN, and after it
  expires); COMPLETED / OVERPAID when they cover the amount; EXPIRED when nothing came in time;
  AML_CHECK_DANGER (sticky) when the AML check flags a transfer. A payment fully paid in time
  stays OPEN past its deadline while it waits for confirmations. A transfer to a one-off payment
  address after the payment closed is journaled (payment.late) and not counted.
- the AML check completes when a transfer is first mined; a flagged transfer's funds are held and
  its deposit wallet is BLOCKED (the clientId then gets a new address).
- a payment created by a deposit shows confirmsNeeded 0 and timeout 0 (the sample), no customer,
  and completes when its transfer has the network's confirmations.
- fees: fee_percent (0.5 by default) and fee_fixed (0) merchant settings; the balance is credited
  net of fees when a clean transfer is confirmed and checked.
- chain events (lifecycle.chain_took_back; docs "Chain events"): a credited transfer the chain
  takes back is debited at once; re-mined it waits for its confirmations again (a COMPLETED
  payment is OPEN again, webhook), dropped or replaced it leaves the payment's transactions. The
  wrong network or token, a TON transfer without the address's destination tag and dust (under
  0.10 USD) are no deposit (journaled payment.unmatched).
- transactions carry both `date` and `createdAt` (doc versions differ).
- payment list: page, limit, total beside `results`; `payment_list: data` gives the older page's
  envelope. Sort fields created_at, updated_at, amount, status, default created_at desc.
- invoice confirmation and cancellation: POST /payment/{id}/confirm and /cancel are the
  sandbox's own routes (x-sandbox-only in the OpenAPI document); a cancelled payment is EXPIRED
  (`cancelled_status: CANCELLED` for the older word).
- withdrawals: the amount is held at request time and returned on CANCELLED; no network fee is
  taken from it; withdraw-direct needs addressFrom to be the clientId's deposit address for that
  asset; approve/complete/cancel come from the admin API; timestamps always carry nine digits.
- webhooks: retried after 1, 5, 15, 60, 240 min; keys in the order of the docs' samples; the
  redirect link spelled paymentRedirectUrl (`redirect_url_key` for the webhookSequence spelling).
- paymentRedirectUrl is the sandbox's hosted page /alppay/payment-invoice?id=...
- the client-wallet report's shape (its page could not be read past the request).
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
