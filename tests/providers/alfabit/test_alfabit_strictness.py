"""As strict as production: one test per row of docs/providers/alfabit.md's table "what production
refuses -> what the sandbox does". Each was lenient before (a client that production would refuse
passed here). Rows 1-5 hold by default; rows 6-11 are the sandbox's own [A] leniencies, refused
when the merchant setting `strict` is true."""
from __future__ import annotations

import json

import pytest

from alfabit_support import BASE, INVOICE, ORDERS, TRON_ADDRESS, WITHDRAW

BODY = {"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "10"}


async def _post(ab, path: str, raw: bytes, content_type: str | None):
    headers = dict(ab.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    resp = await ab.client.post(path, data=raw, headers=headers)
    return resp.status, await resp.json()


# 1-2: NestJS (Express's JSON parser) parses no body without Content-Type: application/json
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/vnd.api+json"])
async def test_row1_2_a_json_body_without_the_json_content_type_is_not_read(ab, world, content_type):
    status, answer = await _post(ab, INVOICE, json.dumps(BODY).encode(), content_type)
    assert status == 400 and answer["error"] == "Bad Request"
    assert answer["message"] == ["currencyInCode must be one of the following values: BTC, ETH, USDTERC20, TRX, "
                                 "USDTTRC20, USDTBEP20, TON, USDTTON, SOL, USDCSOL",
                                 "invoiceAmount must be a positive number string"]
    assert not world.backend("alfabit").orders


async def test_row3_utf8_bytes_declared_as_utf16_are_not_json(ab, world):
    status, answer = await _post(ab, INVOICE, json.dumps(BODY).encode(), "application/json; charset=utf-16")
    assert status == 400 and isinstance(answer["message"], str) and "JSON" in answer["message"]
    assert not world.backend("alfabit").orders


async def test_row4_a_charset_that_is_not_utf_is_415(ab, world):
    status, answer = await _post(ab, INVOICE, json.dumps(BODY).encode(), "application/json; charset=latin1")
    assert (status, answer) == (415, {"statusCode": 415, "message": 'unsupported charset "LATIN1"',
                                      "error": "Unsupported Media Type"})
    status, _ = await _post(ab, INVOICE, json.dumps(BODY).encode(), "Application/JSON; charset=UTF-8")
    assert status == 201


async def test_row5_order_by_only_in_the_documented_form(ab):
    for query in ("orderBy=createdAt:desc", "orderBy=amount", "orderBy=--uid"):
        status, answer = await ab.call("GET", f"{ORDERS}?{query}")
        assert status == 400 and answer["message"][0].startswith("orderBy must be"), query
    for query in ("orderBy=-uid", "orderBy=createdAt", "orderBy=-updatedAt"):
        await ab.call("GET", f"{ORDERS}?{query}", expect=200)


# 6-11: the sandbox's own leniencies, refused when the merchant is strict
@pytest.fixture
async def strict(ab):
    await ab.set_merchant(strict=True)
    return ab


async def test_row6_unknown_body_fields(ab, strict):
    body = {**BODY, "orderId": "ORD-1"}
    status, answer = await ab.call("POST", INVOICE, json_body=body)
    assert status == 400 and answer["message"] == ["property orderId should not exist"]
    await ab.set_merchant(strict=False)
    await ab.call("POST", INVOICE, json_body=body, expect=201)


async def test_row7_unknown_query_parameters(ab, strict):
    status, answer = await ab.call("GET", ORDERS + "?statuses[]=success&sort=asc")
    assert status == 400 and answer["message"] == ["property sort should not exist"]


async def test_row8_a_json_number_amount(ab, strict):
    status, answer = await ab.call("POST", INVOICE, json_body={**BODY, "invoiceAmount": 10})
    assert status == 400 and answer["message"] == ["invoiceAmount must be a number string"]


async def test_row9_an_invoice_without_its_asset(ab, strict):
    body = {k: v for k, v in BODY.items() if k != "invoiceAssetCode"}
    status, answer = await ab.call("POST", INVOICE, json_body=body)
    assert status == 400 and answer["message"] == ["invoiceAssetCode should not be empty"]


async def test_row10_a_testnet_recipient(ab, strict):
    await ab.simulate("credit", amount="100")
    await ab.simulate("credit", amount="1", currency="TON-INTERNAL")
    status, answer = await ab.call("POST", WITHDRAW, json_body={
        "amount": "0.5", "toCurrencyCode": "TON", "recipient": "0QB45RBhcxHYo8LOb0R-1NV7Hi_riUFMNDwQJ8TRw4a7xNa7"})
    assert status == 400 and answer["message"] == ["recipient must be a TON address"]
    await ab.call("POST", WITHDRAW, json_body={
        "amount": "0.5", "toCurrencyCode": "TON", "recipient": "EQB45RBhcxHYo8LOb0R-1NV7Hi_riUFMNDwQJ8TRw4a7xNa7"},
        expect=201)


async def test_row11_the_volume_body_even_when_opted_in(ab, strict):
    await ab.set_merchant(withdraw_volume_field=True)
    await ab.simulate("credit", amount="100")
    status, answer = await ab.call("POST", WITHDRAW, json_body={
        "walletId": "w", "volume": "5", "toCurrencyCode": "USDTTRC20", "recipient": TRON_ADDRESS})
    assert status == 400 and "property volume should not exist" in answer["message"]


async def test_a_strict_merchant_still_runs_what_the_public_clients_send(ab, strict):
    status, answer = await ab.call("POST", INVOICE, json_body={
        **BODY, "comment": "ORD-1", "publicComment": "Order 1", "callbackUrl": "http://127.0.0.1:9/cb",
        "redirectUrl": "https://shop.example/thanks", "isBayerPaysService": False, "isAwaitRequisites": True,
        "expiryDurationMinutes": 60})
    assert status == 201 and answer["message"] == "ok"
    await ab.call("GET", ORDERS + "?statuses[]=created&types[]=invoice&page=1&limit=10&orderBy=-uid", expect=200)
    await ab.call("GET", BASE + "/api/v1/integration/assets/currencies", expect=200)
