"""The audit's rows A (authentication, signature, whitelist, errors) and B (create payment), each
checked as the audit checked it: by calling the running app over HTTP and comparing with the page.
The verdict of each row is in docs/providers/alppay.md's table; test_ap_audit_hooks_wallets.py
counts them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ap_support import CUSTOMER, compact, payment_body, x_hmac


async def test_A1_api_key_on_every_call(ap):
    for headers in ({"API-KEY": None}, {"API-KEY": "ak_wrong"}):
        assert (await ap.call("GET", "/payment", headers=headers))[0] == 401
        assert (await ap.call("POST", "/payment", payment_body(), headers=headers))[0] == 401


async def test_A2_x_hmac_on_every_request_with_a_body(ap):
    assert (await ap.call("POST", "/payment", payment_body(), headers={"X-HMAC": None}))[1]["message"] == \
        "Missing X-HMAC signature"
    assert (await ap.call("POST", "/payment", payment_body(), headers={"X-HMAC": "ab" * 32}))[0] == 401


async def test_A3_the_docs_formula_and_nothing_else(ap):
    raw = compact(payment_body())
    digest = hmac.new(ap.key.encode(), raw, hashlib.sha256)
    assert (await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": digest.hexdigest()}))[0] == 200
    for wrong in (base64.b64encode(digest.digest()).decode(), "sha256=" + digest.hexdigest()):
        assert (await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": wrong}))[0] == 401


async def test_A4_upper_case_hex_is_a_labelled_leniency(ap):
    raw = compact(payment_body())
    upper = {"X-HMAC": x_hmac(ap.key, raw).upper()}
    assert (await ap.call("POST", "/payment", raw=raw, headers=upper))[0] == 200
    await ap.set_merchant(strict=True)
    assert (await ap.call("POST", "/payment", raw=raw, headers=upper))[0] == 401


async def test_A5_compact_json_in_the_documented_order(ap):
    pretty = json.dumps(payment_body(), indent=2).encode()
    reordered = compact(dict(reversed(list(payment_body().items()))))
    for raw in (pretty, reordered):
        assert (await ap.call("POST", "/payment", raw=raw))[0] == 400
    await ap.set_merchant(signed_body="as_sent")
    for raw in (pretty, reordered):
        assert (await ap.call("POST", "/payment", raw=raw))[0] == 200


async def test_A6_a_get_needs_only_the_key(ap):
    assert (await ap.call("GET", "/payment"))[0] == 200


async def test_A7_x_hmac_on_a_bodyless_get(ap):
    assert (await ap.call("GET", "/payment", headers={"X-HMAC": x_hmac(ap.key, b"")}))[0] == 200
    assert (await ap.call("GET", "/payment", headers={"X-HMAC": "abc"}))[0] == 401


async def test_A8_the_ip_whitelist(ap):
    assert (await ap.call("GET", "/payment"))[0] == 200
    await ap.set_merchant(ip_whitelist=["198.51.100.0/24"])
    status, out = await ap.call("GET", "/payment")
    assert status == 403 and "127.0.0.1" in out["message"]


async def test_A9_proxies_and_a_bad_whitelist_entry(ap, client):
    await ap.set_merchant(ip_whitelist=["198.51.100.0/24"], trusted_proxies=["127.0.0.1"])
    assert (await ap.call("GET", "/payment", headers={"X-Forwarded-For": "198.51.100.7"}))[0] == 200
    assert (await ap.call("GET", "/payment", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}))[0] == 403
    resp = await client.patch("/_sandbox/providers/alppay/merchant", json={"ip_whitelist": ["not-an-ip"]})
    assert resp.status == 400 and "ip_whitelist" in (await resp.json())["error"]["message"]


async def test_A10_the_order_of_checks(ap):
    await ap.set_merchant(ip_whitelist=["198.51.100.0/24"])
    assert (await ap.call("POST", "/payment", payment_body(), headers={"API-KEY": "ak_wrong"}))[0] == 401
    assert (await ap.call("POST", "/payment", payment_body(), headers={"X-HMAC": "0" * 64}))[0] == 403


async def test_A11_error_statuses(ap):
    assert (await ap.call("POST", "/payment", raw=b'{"amount":'))[0] == 400
    assert (await ap.call("POST", "/payment", payment_body(amount="0")))[0] == 422


async def test_A12_the_error_body(ap):
    _, out = await ap.call("POST", "/payment", payment_body(network="TRC20"))
    assert set(out) == {"code", "message", "field"} and out["field"] == "asset.network"
    _, out = await ap.call("POST", "/payment", raw=b"{")
    assert set(out) == {"code", "message"} and "Error" not in out["message"]   # no exception names


async def test_A13_statuses_the_docs_never_list(ap, client):
    assert (await ap.call("GET", "/payment/00000000-0000-4000-8000-000000000000"))[0] == 404
    assert (await client.delete("/alppay/v2/payment")).status == 405
    assert (await ap.call("POST", "/payment", raw=b'{"a":"' + b"x" * (1100 * 1024) + b'"}'))[0] == 413


async def test_B1_create_with_the_docs_body(ap):
    body = {"amount": "1000.00", "asset": {"short": "USDT", "network": "tron"}, "customer": CUSTOMER,
            "clientId": "your_client_id", "invoice": "INV-001", "checkoutUrl": "https://your-shop.com/orders/40113049"}
    assert (await ap.call("POST", "/payment", body))[0] == 200


async def test_B2_amount_a_decimal_string(ap):
    assert (await ap.create(amount="1000"))["amount"] == "1000"
    assert (await ap.call("POST", "/payment", payment_body(amount=1000)))[1]["field"] == "amount"


async def test_B3_amount_limits(ap):
    for amount in ("0", "1.000000001", "1e3", " 10", "10.", "1000000000000000"):
        assert (await ap.call("POST", "/payment", payment_body(amount=amount)))[0] == 422, amount


async def test_B4_asset_words(ap):
    for short, network in (("USDT", "tron"), ("USDT", "ethereum"), ("USDC", "tron"), ("USDC", "ethereum")):
        assert (await ap.create(short=short, network=network))["asset"]["network"] == network


async def test_B5_trc20_is_refused(ap):
    for network in ("TRC20", "Tron"):
        assert (await ap.call("POST", "/payment", payment_body(network=network)))[1]["field"] == "asset.network"


async def test_B6_other_coins_and_networks(ap):
    shapes = {("BTC", "bitcoin"): ("tb1", 2), ("ETH", "ethereum"): ("0x", 12), ("TON", "ton"): ("0Q", 1),
              ("USDT", "bsc"): ("0x", 15), ("USDT", "solana"): ("", 32), ("TRX", "tron"): ("T", 20)}
    for (short, network), (prefix, confirms) in shapes.items():
        out = await ap.create(amount="1.5", short=short, network=network)
        assert out["addressTo"].startswith(prefix) and out["confirmsNeeded"] == confirms, out
    assert (await ap.call("POST", "/payment", payment_body(short="BTC", network="tron")))[1]["field"] == "asset"


async def test_B7_customer_required(ap):
    assert (await ap.call("POST", "/payment", {"amount": "5", "asset": {"short": "USDT", "network": "tron"}}))[1][
        "field"] == "customer"
    bad = {"id": "42", "name": "a", "email": "a@b.example"}
    assert (await ap.call("POST", "/payment", payment_body(customer=bad)))[1]["field"] == "customer.id"


async def test_B8_customer_sub_fields(ap):
    assert (await ap.create(customer={"id": 1, "name": "n" * 300, "email": "a@b.example"}))["customer"]["id"] == 1
    for bad in ({"id": 1, "name": "a"}, {"id": 1.0, "name": "a", "email": "a@b.example"}):
        assert (await ap.call("POST", "/payment", payment_body(customer=bad)))[0] == 422


async def test_B9_client_id(ap):
    assert (await ap.create(clientId="your_client_id"))["clientId"] == "your_client_id"
    for bad in ("", "client 1", 123):
        assert (await ap.call("POST", "/payment", payment_body(clientId=bad)))[0] == 422


async def test_B10_null_for_optional_fields(ap):
    out = await ap.create(clientId=None, invoice=None, checkoutUrl=None)
    assert (out["clientId"], out["invoice"], out["checkoutUrl"]) == ("", "", "")
    await ap.set_merchant(strict=True)
    assert (await ap.call("POST", "/payment", payment_body(invoice=None)))[1]["field"] == "invoice"


async def test_B11_checkout_url_form(ap):
    assert (await ap.call("POST", "/payment", payment_body(checkoutUrl="your-shop")))[0] == 422


async def test_B12_unknown_fields(ap):
    assert (await ap.call("POST", "/payment", payment_body(merchant={"id": 12345})))[0] == 200
    await ap.set_merchant(strict=True)
    assert (await ap.call("POST", "/payment", payment_body(merchant={"id": 12345})))[1]["field"] == "merchant"


async def test_B13_B14_create_answers_the_sample_keys_unwrapped(ap):
    out = await ap.create()
    sample = ["id", "transactions", "amount", "totalReceivedAmount", "asset", "addressTo", "confirmsNeeded",
              "timeout", "checkoutUrl", "status", "customer", "merchant"]
    assert "data" not in out and all(k in out for k in sample)
    assert [k for k in out if k in sample] == sample                     # in the sample's order



async def test_B15_merchant_id_a_uuid_string(ap):
    merchant = (await ap.create())["merchant"]
    assert isinstance(merchant["id"], str) and len(merchant["id"]) == 36
    await ap.set_merchant(profile={"id": 7, "name": "My Store"})
    assert (await ap.create())["merchant"]["id"] == 7


async def test_B16_B17_confirmations_and_timeout(ap):
    out = await ap.create(network="ethereum")
    assert (out["confirmsNeeded"], out["timeout"]) == (12, 9000)
    await ap.set_merchant(payment_timeout=3600)
    assert (await ap.create())["timeout"] == 3600



async def test_B18_B19_redirect_and_checkout_urls(ap, client):
    out = await ap.create(checkoutUrl="https://your-shop.com/orders/1")
    assert out["checkoutUrl"] == "https://your-shop.com/orders/1"
    redirect = out["paymentRedirectUrl"]
    assert "/alppay/payment-invoice?id=" + out["id"] in redirect
    assert (await client.get(redirect[redirect.index("/alppay"):])).status == 200



async def test_B20_B21_B22_asset_timestamps_new(ap):
    out = await ap.create()
    assert out["asset"] == {"short": "USDT", "name": "Tether",
                            "logoUrl": "https://cryptologos.cc/logos/tether-usdt-logo.png", "network": "tron"}
    assert out["createdAt"] == "2025-01-15T10:00:00Z" and out["displayStatus"] == "NEW"

