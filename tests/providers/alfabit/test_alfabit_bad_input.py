"""Bad input anywhere: a 400/401/403/404 in the provider's shape, never a 500, and nothing changed
(no order stored, no rng consumed, no balance moved)."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from alfabit_support import CONTRACTS, INVOICE, OPEN_INVOICE, ORDER, ORDERS, TRON_ADDRESS, WITHDRAW, BASE

ERROR = Draft202012Validator(json.loads((CONTRACTS / "error.json").read_text()))
RATE = BASE + "/api/v1/integration/assets/exchange-rate"
EXCHANGE = WITHDRAW + "-with-exchange"
# what no provider message may show: the sandbox's language and libraries
INTERNALS = re.compile(r"Decimal\(|Error\b|\^\(|\[0-9|is not of type|is a required property|\bNone\b|Traceback|\\d")


def js(obj) -> bytes:
    return json.dumps(obj).encode()


def inv(**fields) -> bytes:
    return js({"currencyInCode": "USDTTRC20", "invoiceAmount": "10", **fields})


def wd(**fields) -> bytes:
    return js({"amount": "1", "toCurrencyCode": "USDTTRC20", "recipient": TRON_ADDRESS, **fields})


CASES = [
    # (id, method, path, body, status)
    ("truncated", "POST", INVOICE, b'{"currencyInCode": ', 400),
    ("not-utf8", "POST", INVOICE, b'{"comment": "\xff"}', 400),
    ("empty", "POST", INVOICE, b"", 400),
    ("array", "POST", INVOICE, b"[]", 400),
    ("null", "POST", OPEN_INVOICE, b"null", 400),
    ("nan", "POST", INVOICE, b'{"currencyInCode": "TON", "invoiceAmount": NaN}', 400),
    ("deep-nesting", "POST", INVOICE, b"[" * 100_000 + b"]" * 100_000, 400),
    ("nesting-in-extra-field", "POST", INVOICE, inv(extra=json.loads("[" * 40 + "]" * 40)), 400),
    ("lone-surrogate", "POST", INVOICE, b'{"currencyInCode": "TON", "invoiceAmount": "1", "comment": "\\ud800"}', 400),
    ("surrogate-key", "POST", OPEN_INVOICE, b'{"currencyInCode": "TON", "\\udfff": 1}', 400),
    ("no-currency", "POST", INVOICE, js({"invoiceAmount": "10"}), 400),
    ("no-amount", "POST", INVOICE, js({"currencyInCode": "TON"}), 400),
    ("unknown-currency", "POST", INVOICE, inv(currencyInCode="DOGE"), 400),
    ("currency-int", "POST", OPEN_INVOICE, js({"currencyInCode": 5}), 400),
    ("internal-currency", "POST", OPEN_INVOICE, js({"currencyInCode": "USDT-INTERNAL"}), 400),
    ("amount-tiny", "POST", INVOICE, inv(invoiceAmount="1e-30"), 400),
    ("amount-19-decimals", "POST", INVOICE, inv(invoiceAmount="0." + "0" * 18 + "1"), 400),
    ("amount-huge-number", "POST", INVOICE, b'{"currencyInCode": "TON", "invoiceAmount": 1e400}', 400),
    ("amount-tiny-number", "POST", INVOICE, b'{"currencyInCode": "TON", "invoiceAmount": 1e-30}', 400),
    ("amount-negative", "POST", INVOICE, inv(invoiceAmount="-5"), 400),
    ("amount-zero", "POST", INVOICE, inv(invoiceAmount="0"), 400),
    ("amount-bool", "POST", INVOICE, inv(invoiceAmount=True), 400),
    ("amount-padded", "POST", INVOICE, inv(invoiceAmount=" 10"), 400),
    ("amount-too-many-digits", "POST", INVOICE, inv(invoiceAmount="1" * 16), 400),
    ("asset-unknown", "POST", INVOICE, inv(invoiceAssetCode="XYZ"), 400),
    ("await-string", "POST", INVOICE, inv(isAwaitRequisites="true"), 400),
    ("buyer-pays-int", "POST", OPEN_INVOICE, js({"currencyInCode": "TON", "isBayerPaysService": 1}), 400),
    ("expiry-zero", "POST", INVOICE, inv(expiryDurationMinutes=0), 400),
    ("expiry-fraction", "POST", INVOICE, inv(expiryDurationMinutes=20.5), 400),
    ("expiry-string", "POST", INVOICE, inv(expiryDurationMinutes="20"), 400),
    ("expiry-huge", "POST", INVOICE, inv(expiryDurationMinutes=10 ** 30), 400),
    ("callback-ftp", "POST", INVOICE, inv(callbackUrl="ftp://example.org/x"), 400),
    ("callback-long", "POST", INVOICE, inv(callbackUrl="https://x.org/" + "a" * 3000), 400),
    ("comment-long", "POST", INVOICE, inv(comment="x" * 1001), 400),
    ("comment-object", "POST", INVOICE, inv(comment={"a": 1}), 400),
    ("body-over-1mib", "POST", INVOICE, inv(pad="x" * (1024 * 1024)), 413),
    ("withdraw-number-amount", "POST", WITHDRAW, wd(amount=1), 400),
    ("withdraw-7-decimals", "POST", WITHDRAW, wd(amount="0.0000001"), 400),
    ("withdraw-exponent", "POST", WITHDRAW, wd(amount="1e3"), 400),
    ("withdraw-bad-recipient", "POST", WITHDRAW, wd(recipient="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6\n"), 400),
    ("withdraw-no-recipient", "POST", WITHDRAW, js({"amount": "1", "toCurrencyCode": "TON"}), 400),
    ("withdraw-memo-object", "POST", WITHDRAW, wd(requisitesMemoTag={"x": 1}), 400),
    ("withdraw-to-internal", "POST", WITHDRAW, wd(toCurrencyCode="USDT-INTERNAL"), 400),
    ("list-limit-0", "GET", ORDERS + "?limit=0", None, 400),
    ("list-limit-101", "GET", ORDERS + "?limit=101", None, 400),
    ("list-page-word", "GET", ORDERS + "?page=abc", None, 400),
    ("list-page-superscript", "GET", ORDERS + "?page=%C2%B2", None, 400),
    ("list-status-bogus", "GET", ORDERS + "?statuses[]=paid", None, 400),
    ("list-type-bogus", "GET", ORDERS + "?types[]=refund", None, 400),
    ("list-since-bogus", "GET", ORDERS + "?createdAtSince=yesterday", None, 400),
    ("list-since-leap-second", "GET", ORDERS + "?createdAtSince=2025-06-30T23:59:60Z", None, 400),
    ("list-order-bogus", "GET", ORDERS + "?orderBy=amount", None, 400),
    ("list-page-twice", "GET", ORDERS + "?page=1&page=2", None, 400),
    ("list-search-long", "GET", ORDERS + "?search=" + "x" * 201, None, 400),
    ("rate-bogus", "GET", RATE + "?fromAssetCode=XYZ", None, 400),
    ("rate-twice", "GET", RATE + "?fromAssetCode=TON&fromAssetCode=BTC", None, 400),
    ("list-order-colon-form", "GET", ORDERS + "?orderBy=createdAt:desc", None, 400),
    ("list-merchant-uid-bogus", "GET", ORDERS + "?merchantsUids[]=nope", None, 400),
    ("list-protected-bogus", "GET", ORDERS + "?showProtectedMerchantsOrders=maybe", None, 400),
    ("exchange-no-from", "POST", EXCHANGE, wd(), 400),
    ("exchange-from-bogus", "POST", EXCHANGE, wd(fromAssetCode="XYZ"), 400),
    ("withdraw-below-min-out", "POST", WITHDRAW, wd(amount="0.01"), 400),
    ("withdraw-volume-body", "POST", WITHDRAW, js({"walletId": "w1", "volume": "1", "toCurrencyCode": "USDTTRC20",
                                                  "recipient": TRON_ADDRESS}), 400),
    ("invoice-not-json-charset", "POST", INVOICE, inv(), 400),   # sent as UTF-16 below
    ("fiat-withdraw", "POST", BASE + "/api/v1/integration/orders/fiat-withdraw", js({}), 404),
    ("order-bad-uid", "GET", ORDER + "..%2F..%2Fetc", None, 404),
    ("order-long-uid", "GET", ORDER + "9" * 300, None, 404),
    ("unknown-route", "POST", BASE + "/api/v1/integration/nowhere", b"{", 404),
    ("wrong-method", "DELETE", INVOICE, None, 404),          # Express has no 405: "Cannot DELETE /..."
    ("post-to-an-order", "POST", ORDER + "00000000-aaaa-bbbb-cccc-111111111111", js({}), 404),
]


def snapshot(world):
    backend = world.backend("alfabit")
    return (world.rng.getstate(), len(backend.orders), dict(backend.balances), len(world.outbox.list()),
            len(world.scheduler))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_a_provider_shaped_4xx_and_changes_nothing(ab, world, case):
    _, method, path, body, status = case
    await ab.simulate("credit", amount="3")
    before = snapshot(world)
    media = "application/json; charset=utf-16" if case[0] == "invoice-not-json-charset" else "application/json"
    resp = await ab.client.request(method, path, data=body, headers={**ab.headers, "Content-Type": media})
    answer = await resp.json()
    assert resp.status == status, answer
    assert answer["statusCode"] == status and answer["message"] != "ok"
    assert not list(ERROR.iter_errors(answer)), answer
    messages = answer["message"] if isinstance(answer["message"], list) else [answer["message"]]
    assert not [m for m in messages if INTERNALS.search(m)], messages
    assert snapshot(world) == before


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "nope"}, {"x-api-key": "\u00e9\u00e9"},
                                     {"x-api-key": "k" * 5000}, {"X-API-KEY": "afb_sbx_wrong"},
                                     {"Authorization": "Bearer afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2"}])
async def test_missing_or_wrong_key_is_401_everywhere(ab, world, headers):
    before = snapshot(world)
    for method, path, body in [("POST", INVOICE, inv()), ("POST", WITHDRAW, wd()), ("GET", ORDERS, None),
                               ("GET", ORDER + "00000000-aaaa-bbbb-cccc-111111111111", None),
                               ("GET", BASE + "/api/v1/integration/merchant/balances", None)]:
        resp = await ab.client.request(method, path, data=body, headers=headers)
        answer = await resp.json()
        assert resp.status == 401 and answer["error"] == "Unauthorized" and answer["message"] != "ok"
    assert snapshot(world) == before


async def test_another_merchants_order_is_404(ab, world):
    world.backend("alfabit").merchants.append({**ab.merchant, "api_key": "afb_sbx_second_merchant"})
    order = await ab.create("TON", amount="1")
    resp = await ab.client.get(ORDER + order["uid"], headers={"x-api-key": "afb_sbx_second_merchant"})
    assert resp.status == 404
