"""CryptoPayment.center (https://cryptopayment.center/api/v1), mounted at /cryptopayment.

Documented [D]: bearer auth `{api_key}:{api_secret}`; networks btc/ltc/eth/trc20/bep20; invoices with
a unique address each, 30-minute expiry, statuses pending/confirming/confirmed/expired; 20 invoices a
page; balances per coin; withdrawals with per-coin minimums and fees and manual review over $500;
webhooks payment.detected / payment.confirmed with signature
hex(HMAC-SHA256(base64decode(APP_KEY), invoice_id + "." + event)), retried after 1m, 5m, 15m, 1h, 6h;
HTTP 200 acknowledges; trc20 needs 19 confirmations.

Sandbox assumptions [A] (also written as "x-assumption" in contracts/cryptopayment/):
- leniencies the merchant setting `strict` refuses: unknown request fields (ignored, else 422) and
  the Authorization scheme in any case (`bearer`; else 401).
- webhook bytes: compact JSON in the docs sample's key order, amount_usd with 2 decimals, amount_crypto
  and paid_amount with the coin's (webhooks.py).
- confirmations required: btc 2, ltc 6, eth 12, bep20 15.
- error body {"success": false, "error": "..."}: 400 malformed JSON, 401 auth, 404 unknown id or
  route, 405 wrong method, 413 body over 1 MiB, 422 validation (field types, minimums, balance).
- partial payment keeps the invoice `pending` with paid_amount > 0 until topped up (then
  `confirming`) or until it expires (then `expired`, paid_amount kept); overpayment confirms with
  paid_amount > amount_crypto; a payment after expiry is recorded (journal, chain) but neither
  resurrects the invoice nor sends a webhook nor credits the balance.
- payment.detected is sent for every on-time transfer seen (partial ones too), payment.confirmed
  once, when the on-time transfers with enough confirmations cover amount_crypto. No expiry webhook.
- chain events (docs/providers/cryptopayment.md, "Chain events"): a transfer the chain takes back
  (reorg, double spend) is debited at once if it was credited (a balance may go below 0 when the
  money was withdrawn); re-mined it confirms, and sends payment.confirmed, again; dropped or
  replaced it leaves the invoice. No webhook for any of it. The wrong network or token, and dust
  (below the coin's withdrawal fee) are not counted (journaled); memos are ignored.
- coin prices for amount_crypto: BTC 60000, LTC 80, ETH 3000 USD, USDT 1 (option `prices`);
  amount_crypto has 8 decimals (USDT: 2).
- network_label for btc/ltc/eth: "Bitcoin (BTC)", "Litecoin (LTC)", "Ethereum (ETH)".
- invoice list: newest first, wrapper {"success", "invoices", "pagination"}.
- withdrawal object and statuses (processing -> completed, pending_review -> processing | rejected),
  amount debited on request (fee taken out of it), GET /withdrawals/{id}; completion one block
  after approval; USD value for the $500 line uses the same sandbox prices.
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
