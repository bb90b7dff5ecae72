"""ALT 5 Pay (sandbox https://api.digitalpaydev.com), mounted at /alt5pay.

Documented [D]: HMAC auth headers apikey / merchant_id / authentication =
base64(apikey:hex(HMAC-SHA512(secret, bodyString))); deposit addresses per asset
(/usr/wallet/{asset}/create) with a price quote and `expires`; transaction status by address,
txid or ref_id (`all` for every one); addresses by ref_id; price; invoices; balances; fees; the
merchant's transactions with their settlement; assets; payout requests and settlement payments;
the bodyString's fixed key order (`ref_id`, `url`, `timestamp`, `nonce`, `currency`); IPNs on every
confirmed status change (BTC Paid at 6 confirmations, as in the docs' sample), signed with
hex(HMAC-SHA512(secret, raw body)) and re-posted after 1, 2, 4 ... 640 minutes until HTTP 200 or
until 1280 minutes have passed since the first post. Seen in public integration code [C]: the WooCommerce plugin's
bodyString rules, its unauthenticated POST /invoice/{id} status call and its "200 or failure"
rule; Node clients signing their body's own key order (`url` last) and verifying IPNs against
JSON.stringify(req.body).

Sandbox assumptions [A], each also written where it is implemented and as "x-assumption" in
contracts/alt5pay/:
- HTTP statuses of errors: 401 auth, 400 bad input (422 for a contract violation), 404 unknown
  ids/routes; every auth failure says "Access Invalid" (errors.py, error.json);
- timestamp window +-300 s of real time (not the virtual clock: clients sign with their wall
  clock, and the virtual clock runs ahead after an advance); exact replays refused;
  millisecond timestamps refused; repeated nonces with new timestamps accepted (auth.py, gate.py);
- null signed as `null`; nested values may also be signed PHP-style; keys an endpoint's docs
  sample does not name follow its fixed order (auth.py);
- leniencies the merchant setting `strict` refuses (auth.py): the body's own key order where it
  differs from the docs' fixed order, PHP-style nesting, an uppercase hex digest;
- confirmations per asset but BTC, IPN network words, asset listing names/links (assets.py);
- settlement: fees unrounded, payouts of a whole fiat balance, payout fees, date ranges (model.py,
  backend.py, api.py);
- prices: fixed reference prices, FX and a deterministic daily swing (pricing.py);
- address quote lifetime 60 min, late payments re-priced, Payment/Reused, invoice statuses
  (model.py); "confirmed status change" read as Paid (Pending IPN behind `ipn_pending`), the stop
  rule winning over the eleventh delay (`ipn_schedule: all_delays` for the other reading), URL
  choice (webhooks.py);
- balances key spelled `blalance` as in the docs' sample (model.py, balances.response.json);
- credentials' shapes (provider.py).
"""
from .provider import PROVIDER

__all__ = ["PROVIDER"]
