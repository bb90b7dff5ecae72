"""Issue 21 for CryptoPayment.center: webhooks shaped like the docs' sample (key order, numbers,
compact JSON), and the rows of docs/providers/cryptopayment.md "What production refuses" where the
sandbox is lenient on its own assumption ([A]) and `strict: true` refuses."""
from __future__ import annotations

import json

# The docs' webhook sample, in its order: event, invoice_id, ..., timestamp, signature.
SAMPLE_ORDER = ["event", "invoice_id", "order_id", "status", "network", "coin", "amount_usd", "amount_crypto",
                "paid_amount", "txid", "confirmations", "address", "timestamp", "signature"]


def keys_in_order(raw: bytes) -> list[str]:
    return [k for k, _ in json.loads(raw, object_pairs_hook=lambda pairs: pairs)]


async def test_webhook_bytes_follow_the_docs_sample(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50, order_id="ORD-1")
    await cp.pay(inv["id"])
    raw = rec.requests[0]["body"]
    assert keys_in_order(raw) == SAMPLE_ORDER
    text = raw.decode()
    # numbers as the sample writes them: "amount_usd": 50.00, and compact as a PHP json_encode prints
    assert '"amount_usd":50.00,' in text and '"amount_crypto":50.00,' in text and '"paid_amount":50.00,' in text
    assert ", " not in text and ": " not in text
    assert '"confirmations":0,' in text


async def test_webhook_crypto_amounts_keep_the_coins_decimals(hooked):
    cp, rec = hooked
    inv = await cp.create("btc", 60, order_id="ORD-2")
    await cp.pay(inv["id"])
    text = rec.requests[0]["body"].decode()
    assert '"amount_usd":60.00,' in text and '"amount_crypto":0.00100000,' in text, text
    assert '"paid_amount":0.00100000,' in text


async def test_unknown_fields_are_ignored_unless_strict(cp):
    """[A] The docs list network, amount_usd, order_id, metadata; they do not say what production does
    with other keys. The sandbox ignores them; strict refuses them."""
    await cp.call("POST", "/invoices", json_body={"network": "trc20", "amount_usd": 5, "memo": "x"}, expect=201)
    await cp.set_merchant(strict=True)
    resp, text = await cp.call("POST", "/invoices", json_body={"network": "trc20", "amount_usd": 5, "memo": "x"})
    assert resp.status == 422 and json.loads(text)["success"] is False, text
    await cp.call("POST", "/invoices", json_body={"network": "trc20", "amount_usd": 5}, expect=201)


async def test_bearer_scheme_case_is_lenient_unless_strict(cp):
    """[A] The docs write `Authorization: Bearer ...`; the sandbox also takes `bearer`, unless strict."""
    lower = {"Authorization": cp.auth["Authorization"].replace("Bearer", "bearer", 1)}
    await cp.call("GET", "/balances", headers=lower, expect=200)
    await cp.set_merchant(strict=True)
    await cp.call("GET", "/balances", headers=lower, expect=401)
    await cp.call("GET", "/balances", expect=200)
