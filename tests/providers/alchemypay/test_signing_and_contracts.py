"""Signature rules and contracts, checked against the formulas and the docs' own samples."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from alchemypay_helpers import APP_ID, SECRET, V4, buy_body, hmac_b64, sorted_body

from mockserver.core.contracts.contract_set import load_contracts
from mockserver.providers.alchemypay import PROVIDER
from mockserver.providers.alchemypay import auth

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_v4_sign_matches_the_published_recipe():
    ts = "1538054050234"
    query = [("showTable", "buy"), ("appId", "f83Is2y7L425rxl8"), ("memo", ""), ("crypto", "USDT")]
    # the docs' example: query sorted by name, empty ones dropped
    assert auth.request_path("/index/rampPageBuy", query) == \
        "/index/rampPageBuy?appId=f83Is2y7L425rxl8&crypto=USDT&showTable=buy"
    body = {"b": "2", "a": {"z": 1, "y": ""}, "c": "", "d": None, "e": [], "n": 10}
    assert auth.body_string(body) == '{"a":{"z":1},"b":"2","n":10}'
    message = ts + "POST" + "/open/api/v4/merchant/trade/create" + '{"a":{"z":1},"b":"2","n":10}'
    assert auth.v4_sign(SECRET, ts, "post", "/open/api/v4/merchant/trade/create",
                        auth.body_string(body)) == hmac_b64(SECRET, message)


def test_legacy_and_webhook_sha1_formulas():
    ts = "1700000000000"
    assert auth.legacy_sign(APP_ID, SECRET, ts) == hashlib.sha1((APP_ID + SECRET + ts).encode()).hexdigest()
    expected = hashlib.sha1((APP_ID + SECRET + APP_ID + "1001" + "USDT" + "TRX" + "Taddr").encode()).hexdigest()
    assert auth.webhook_signature(APP_ID, SECRET, "1001", "USDT", "TRX", "Taddr") == expected


def test_non_ascii_and_slashes_are_signed_raw_but_php_escapes_sent_as_signed_pass_too():
    body = {"merchantName": "Café/Bar"}
    assert auth.body_string(body) == '{"merchantName":"Café/Bar"}'
    php = '{"merchantName":"Caf\\u00e9\\/Bar"}'
    ts, path = "1700000000000", "/p"
    sign = hmac_b64(SECRET, ts + "POST" + path + php)
    verify = dict(app_id=APP_ID, secret=SECRET, timestamp=ts, method="POST", path=path, query=[], sign=sign,
                  allow_legacy=False)
    assert auth.verify_request_sign(raw_body=php, **verify) == "v4"             # the bytes sent, signed
    assert auth.verify_request_sign(raw_body=php, strict=True, **verify) is None   # [A] not under strict
    assert auth.verify_request_sign(raw_body=auth.body_string(body), **verify) is None


def test_client_request_hook_signs_like_a_client(world):
    merchant = world.backend("alchemypay").merchants[0]
    body = buy_body()
    headers, sent = PROVIDER.client_request(merchant, "POST", f"{V4}/trade/create", body, now=world.clock.wall_now())
    assert sent.decode() == sorted_body(body)
    assert headers["sign"] == hmac_b64(SECRET, headers["timestamp"] + "POST" + f"{V4}/trade/create" + sorted_body(body))
    headers, sent = PROVIDER.client_request(merchant, "GET", f"{V4}/query/trade?side=BUY&orderNo=7", None,
                                            now=world.clock.wall_now())
    assert sent == b""
    assert headers["sign"] == hmac_b64(SECRET, headers["timestamp"] + "GET" + f"{V4}/query/trade?orderNo=7&side=BUY")


def _samples() -> tuple[dict, dict]:
    """The docs' published payloads (provider-docs/alchemypay-webhooks.txt, comments removed)."""
    return (json.loads((FIXTURES / "on-ramp-webhook.sample.json").read_text()),
            json.loads((FIXTURES / "off-ramp-webhook.sample.json").read_text()))


def test_the_docs_webhook_samples_fit_the_contracts():
    contracts = load_contracts("alchemypay")
    on, off = _samples()
    assert contracts.validate("webhook.on-ramp", on) == []
    assert contracts.validate("webhook.off-ramp", off) == []
    broken = {k: v for k, v in on.items() if k != "newSignature"}
    assert contracts.validate("webhook.on-ramp", broken)


def test_every_contract_has_its_examples_valid_and_names_its_assumptions():
    contracts = load_contracts("alchemypay")
    assert {"trade-create.request", "order-create.request", "trade-create.response", "query-trade.request",
            "query-trade.response", "order-detail.request", "order-detail.response", "error",
            "webhook.on-ramp", "webhook.off-ramp", "get-token.request", "get-token.response", "quote.request",
            "quote.response", "crypto-list.request", "crypto-list.response", "fiat-list.request", "fiat-list.response",
            "ramp-page-buy.request", "ramp-page-sell.request"} <= set(contracts.names())
    for name in contracts.names():
        for example in contracts.schemas[name].get("examples", []):
            assert contracts.validate(name, example) == [], name
    text = json.dumps(contracts.schemas)
    for assumption in ("81001", "newSignature's bodyString", "NEW", "TIMEOUT", "access-token", "81004",
                       "webhook_clock", "api_sell", "rawRampFee", "Opening a correctly signed page"):
        assert assumption in text
