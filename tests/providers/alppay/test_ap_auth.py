"""API-KEY and X-HMAC as documented: hex HMAC-SHA256 of the raw body bytes, computed here from
the published formula. A body that differs from the signed bytes by one byte is refused."""
from __future__ import annotations

import json

import pytest

from ap_support import compact, payment_body, x_hmac


async def test_signed_create_answers_the_payment_object(ap):
    status, out = await ap.call("POST", "/payment", payment_body("1000.00", invoice="INV-001",
                                                                  checkoutUrl="https://your-shop.com/orders/40113049"))
    assert status == 200
    assert out["amount"] == "1000.00" and out["status"] == "OPEN" and out["displayStatus"] == "NEW"
    assert out["asset"] == {"short": "USDT", "name": "Tether",
                            "logoUrl": "https://cryptologos.cc/logos/tether-usdt-logo.png", "network": "tron"}
    assert out["addressTo"].startswith("T") and len(out["addressTo"]) == 34
    assert out["transactions"] == [] and out["totalReceivedAmount"] == "0.00"
    for key in ("id", "destTag", "confirmsNeeded", "timeout", "checkoutUrl", "paymentRedirectUrl",
                "customer", "merchant", "invoice", "createdAt", "updatedAt"):
        assert key in out
    assert out["createdAt"] == "2025-01-15T10:00:00Z"


async def test_the_signature_covers_the_bytes_as_sent_under_the_as_sent_reading(ap):
    pretty = json.dumps(payment_body(), indent=2).encode()
    status, out = await ap.call("POST", "/payment", raw=pretty)   # the hmac page: compact JSON only
    assert status == 400 and "compact JSON" in out["message"]
    await ap.set_merchant(signed_body="as_sent")
    await ap.call("POST", "/payment", raw=pretty, expect=200)     # signed as sent: fine


@pytest.mark.parametrize("mutate", [
    lambda b: json.dumps(json.loads(b)).encode(),                                 # re-serialised with spaces
    lambda b: compact(dict(reversed(list(json.loads(b).items())))),             # keys reordered
    lambda b: b + b" ",                                                           # one trailing byte
    lambda b: b.replace(b'"100.00"', b'"100.01"'),                               # one digit
], ids=["reserialised", "reordered", "whitespace", "one-digit"])
async def test_a_body_that_differs_from_the_signed_bytes_is_401(ap, world, mutate):
    signed = compact(payment_body())
    sent = mutate(signed)
    assert sent != signed
    status, out = await ap.call("POST", "/payment", raw=sent, headers={"X-HMAC": x_hmac(ap.key, signed)})
    assert status == 401 and out == {"code": 401, "message": "Invalid X-HMAC signature"}
    assert not world.backend("alppay").payments


@pytest.mark.parametrize("headers, message", [
    ({"API-KEY": None}, "Invalid or missing API-KEY"),
    ({"API-KEY": "ak_sandbox_wrong"}, "Invalid or missing API-KEY"),
    ({"API-KEY": "ключ"}, "Invalid or missing API-KEY"),
    ({"X-HMAC": None}, "Missing X-HMAC signature"),
    ({"X-HMAC": "0" * 64}, "Invalid X-HMAC signature"),
    ({"X-HMAC": "zz"}, "Invalid X-HMAC signature"),
    ({"X-HMAC": "é" * 64}, "Invalid X-HMAC signature"),
])
async def test_missing_or_wrong_key_or_signature_is_401(ap, world, headers, message):
    state = world.rng.getstate()
    status, out = await ap.call("POST", "/payment", payment_body(), headers=headers)
    assert (status, out) == (401, {"code": 401, "message": message})
    assert world.rng.getstate() == state and not world.backend("alppay").payments


async def test_uppercase_hex_signature_is_accepted(ap):
    body = compact(payment_body())
    await ap.call("POST", "/payment", raw=body, headers={"X-HMAC": x_hmac(ap.key, body).upper()}, expect=200)


async def test_a_get_needs_no_signature_but_a_key(ap):
    created = await ap.create()
    status, out = await ap.call("GET", f"/payment/{created['id']}")
    assert status == 200 and out["data"]["id"] == created["id"]
    status, _ = await ap.call("GET", f"/payment/{created['id']}", headers={"API-KEY": None})
    assert status == 401


async def test_malformed_but_signed_is_400_and_validation_is_422_naming_the_field(ap):
    status, out = await ap.call("POST", "/payment", raw=b'{"amount": "1",')
    assert status == 400 and out["code"] == 400
    status, out = await ap.call("POST", "/payment", payment_body(network="TRC20"))
    assert status == 422 and out["field"] == "asset.network"
    status, out = await ap.call("POST", "/payment", {"amount": "5", "asset": {"short": "USDT", "network": "tron"}})
    assert status == 422 and out["field"] == "customer"
    status, out = await ap.call("POST", "/payment", payment_body(amount="0.00"))
    assert status == 422 and out["field"] == "amount"


async def test_a_webhook_signature_and_the_sandbox_hook_agree_with_the_formula(hooked):
    ap, rec = hooked
    await ap.create()
    await ap.advance("0s")
    got = rec.requests[-1]
    assert got["headers"]["X-HMAC"] == x_hmac(ap.key, got["body"])
    from mockserver.providers.alppay import PROVIDER
    assert PROVIDER.verify_webhook(ap.merchant, got["headers"], got["body"])
    assert not PROVIDER.verify_webhook(ap.merchant, got["headers"], got["body"] + b" ")
