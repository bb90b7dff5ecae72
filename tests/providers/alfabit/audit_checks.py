"""The check behind each audit row (audit_rows.py runs them): transport, endpoints, request fields.
Rows 39-105 (the order object, statuses, lists, callbacks, lifecycle) are in audit_checks_flow.py.
Each check raises when the sandbox does not do what the row says."""
from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

from audit_rows import TRON, V1, V2, Probe, row

D = Decimal
BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@row(1, "exact", "base URL and paths /api/v1/integration/..., /api/v2/integration/orders")
async def _1(p: Probe):
    await p.invoice()
    await p.ok("GET", V2 + "/orders")


@row(2, "exact", "auth: x-api-key only, case-insensitive header name; Bearer alone is 401")
async def _2(p: Probe):
    assert (await p.api("GET", V1 + "/merchant", key=False))[0] == 401
    assert (await p.api("GET", V1 + "/merchant", key=False, headers={"X-API-KEY": p.key}))[0] == 200
    assert (await p.api("GET", V1 + "/merchant", key=False, headers={"Authorization": "Bearer " + p.key}))[0] == 401


@row(3, "exact", 'success envelope {"message": "ok", "data": ...}')
async def _3(p: Probe):
    for path in ("/merchant", "/merchant/balances", "/assets/currencies", "/assets/exchange-rate"):
        await p.ok("GET", V1 + path)


@row(4, "labelled", "creates answer 201, reads 200 [A]")
async def _4(p: Probe):
    await p.ok("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": "1"}, status=201)
    await p.ok("GET", V1 + "/merchant", status=200)


@row(5, "exact", "401 for a missing, empty, wrong or non-ASCII key")
async def _5(p: Probe):
    for headers in ({}, {"x-api-key": ""}, {"x-api-key": "nope"}, {"x-api-key": "\u00e9t\u00e9"}):
        assert (await p.api("GET", V1 + "/merchant", key=False, headers=headers))[0] == 401


@row(6, "labelled", "403 only for a withdrawal by a key without the permission [A]")
async def _6(p: Probe):
    await p.set(withdrawals_enabled=False)
    status, answer = await p.api("POST", V1 + "/orders/withdraw", {"amount": "1", "toCurrencyCode": "USDTTRC20",
                                                                  "recipient": TRON})
    assert status == 403 and answer["error"] == "Forbidden"


@row(7, "exact", "400 for schema violations, bad JSON, unknown currency, amount <= 0, too many decimals")
async def _7(p: Probe):
    bad = [{"currencyInCode": "TON"}, {"currencyInCode": "DOGE", "invoiceAmount": "1"},
           {"currencyInCode": "TON", "invoiceAmount": "0"}, {"currencyInCode": "TON", "invoiceAmount": "1." + "1" * 19}]
    for body in bad:
        assert (await p.api("POST", V1 + "/orders/invoice", body))[0] == 400, body
    status, _ = await p.api("POST", V1 + "/orders/invoice", raw=b"{", headers={"Content-Type": "application/json"})
    assert status == 400


@row(8, "exact", "500 in the provider's shape (fault injection)")
async def _8(p: Probe):
    await p.admin("POST", "/faults", {"provider": "alfabit", "status": 500, "times": 1}, expect=201)
    status, answer = await p.api("GET", V1 + "/merchant")
    assert status == 500 and answer["statusCode"] == 500 and answer["error"] == "Internal Server Error"


@row(9, "labelled", "404 Order not found: unknown, malformed, numeric id, another merchant's [A]")
async def _9(p: Probe):
    order = await p.invoice()
    for uid in ("00000000-aaaa-bbbb-cccc-111111111111", "nope", str(order["id"]), order["uid"].upper()):
        status, answer = await p.api("GET", f"{V1}/orders/{uid}")
        assert (status, answer["message"]) == (404, "Order not found"), uid


@row(10, "labelled", "NestJS error body: validation message an array of strings, no internals [A]")
async def _10(p: Probe):
    status, answer = await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": 10.5,
                                                                 "expiryDurationMinutes": "x"})
    assert status == 400 and answer["message"] == ["expiryDurationMinutes must be an integer number between 1 and 10080"]
    status, answer = await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": "1,5"})
    assert answer["message"] == ["invoiceAmount must be a positive number string"]
    assert not any(word in json.dumps(answer) for word in ("Decimal", "^(", "is not of type"))
    status, answer = await p.api("GET", f"{V1}/orders/nope")
    assert isinstance(answer["message"], str) and set(answer) == {"statusCode", "message", "error"}


@row(11, "exact", "create invoice: the API reference's example (BTC paid, USDT asset, 100)")
async def _11(p: Probe):
    data = await p.invoice("BTC", "100", invoiceAssetCode="USDT")
    assert data["amountInExpected"] == "0.00166667" and data["invoiceCurrencyCode"] == "USDT"


@row(12, "exact", "create invoice without amount")
async def _12(p: Probe):
    data = await p.invoice("USDCSOL", None)
    assert (data["type"], data["invoiceAmount"], data["invoiceCurrencyCode"]) == ("invoice-without-amount", "0", None)


@row(13, "exact", "GET order: the same object the create answered")
async def _13(p: Probe):
    data = await p.invoice()
    assert await p.order(data["uid"]) == data


@row(14, "exact", "GET /api/v2/integration/orders exists")
async def _14(p: Probe):
    await p.ok("GET", V2 + "/orders", status=200)


@row(15, "exact", "v2 list: data is the list of orders (the fiat payout class reads it so)")
async def _15(p: Probe):
    order = await p.invoice()
    data = await p.ok("GET", V2 + "/orders")
    assert isinstance(data, list) and {o["uid"]: o for o in data}[order["uid"]]["uid"] == order["uid"]


@row(16, "exact", 'GET /api/v1/integration/orders: {"message": "ok", "data": [...]}')
async def _16(p: Probe):
    order = await p.invoice()
    assert [o["uid"] for o in await p.ok("GET", V1 + "/orders")] == [order["uid"]]


@row(17, "exact", "withdraw: a type withdraw order")
async def _17(p: Probe):
    await p.sim("credit", amount="50")
    data = await p.ok("POST", V1 + "/orders/withdraw", {"amount": "5", "toCurrencyCode": "USDTTRC20",
                                                       "recipient": TRON}, status=201)
    assert data["type"] == "withdraw"


@row(18, "exact", "withdraw-with-exchange with fromAssetCode: fees added, then the conversion")
async def _18(p: Probe):
    await p.sim("credit", amount="1000")
    data = await p.ok("POST", V1 + "/orders/withdraw-with-exchange", {
        "fromAssetCode": "USDT", "amount": "0.01", "toCurrencyCode": "BTC", "recipient": BTC_ADDRESS}, status=201)
    fee = next(f for f in await p.ok("GET", V1 + "/assets/withdraw-fee") if f["toCurrencyCode"] == "BTC")
    in_btc = D("0.01") + D(str(fee["fixFee"])) + D("0.01") * D(str(fee["rate"])) / 100
    assert D(data["amountInExpected"]) == in_btc * 60000 and data["type"] == "withdraw-with-exchange"


@row(19, "exact", "merchant carries balanceUsd and equal (a front-end reads both)")
async def _19(p: Probe):
    await p.sim("credit", amount="12.5")
    data = await p.ok("GET", V1 + "/merchant")
    assert (data["balanceUsd"], data["equal"]) == ("12.5", "12.5") and len(data["callbackIps"]) == 4


@row(20, "exact", "balances: code, type, currencyCode, assetCode, balance, balanceUsd")
async def _20(p: Probe):
    await p.sim("credit", amount="3")
    data = await p.ok("GET", V1 + "/merchant/balances")
    usdt = next(b for b in data if b["code"] == "USDT")
    assert usdt == {"code": "USDT", "type": "COIN", "currencyCode": "USDT-INTERNAL", "assetCode": "USDT",
                    "balance": "3", "balanceUsd": "3"}


@row(21, "exact", "currencies: COIN filter keeps the coins; usdPrice and assetName")
async def _21(p: Probe):
    data = await p.ok("GET", V1 + "/assets/currencies")
    coins = [c for c in data if not c["isInternal"] and c["currencyType"] == "COIN"]
    assert len(coins) == 10 and all(float(c["usdPrice"]) > 0 and c["assetName"] for c in data)


@row(22, "exact", "exchange-rate items {fromAssetCode, toAssetCode, fromCurrencyType, toCurrencyType, rate, isTurnRate}")
async def _22(p: Probe):
    data = await p.ok("GET", V1 + "/assets/exchange-rate")
    assert data and all(set(r) == {"fromAssetCode", "toAssetCode", "fromCurrencyType", "toCurrencyType", "rate",
                                   "isTurnRate"} for r in data)
    assert [r for r in data if not r["isTurnRate"]]


@row(23, "exact", "GET assets: {code, type: COIN}")
async def _23(p: Probe):
    assert {"code": "USDT", "type": "COIN"} in await p.ok("GET", V1 + "/assets")


@row(24, "exact", "GET assets/withdraw-fee: {toAssetCode, toCurrencyCode, fixFee, rate, isTurnRate, minOut, maxOut}")
async def _24(p: Probe):
    data = await p.ok("GET", V1 + "/assets/withdraw-fee")
    assert all({"toAssetCode", "toCurrencyCode", "fixFee", "rate", "isTurnRate", "minOut", "maxOut"} <= set(f)
               for f in data) and all(isinstance(f["fixFee"], (int, float)) for f in data)


@row(25, "labelled", "fiat-config and fiat-withdraw: 404 in the provider's shape, never 405 [A]")
async def _25(p: Probe):
    for method, path in (("GET", "/merchant/fiat-config"), ("POST", "/orders/fiat-withdraw")):
        status, answer = await p.api(method, V1 + path, {} if method == "POST" else None)
        assert status == 404 and answer["error"] == "Not Found"


@row(26, "labelled", "currencyInCode: the sandbox's 10 codes; others 400 listing them [A]")
async def _26(p: Probe):
    status, answer = await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "DOGE", "invoiceAmount": "1"})
    assert status == 400 and "USDTTRC20" in answer["message"][0]


@row(27, "exact", "invoiceAssetCode converts into the coin paid; USD refused")
async def _27(p: Probe):
    assert (await p.invoice("TON", "52", invoiceAssetCode="USDT"))["amountInExpected"] == "10"
    status, _ = await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": "5",
                                                            "invoiceAssetCode": "USD"})
    assert status == 400


@row(28, "exact", "invoiceAmount as a string or a number; 1e3, 1,5, -1, true refused")
async def _28(p: Probe):
    for good in ("25", "25.50", 25.5):
        await p.invoice(amount=good)
    for bad in ("1e3", "1,5", "-1", True):
        assert (await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": bad}))[0] == 400


@row(29, "exact", "comment and publicComment echoed")
async def _29(p: Probe):
    data = await p.invoice(comment="ORD-1", publicComment="Order 1")
    assert (data["comment"], data["publicComment"]) == ("ORD-1", "Order 1")


@row(30, "exact", "the order's callbackUrl wins over the merchant's")
async def _30(p: Probe):
    merchant, own = await p.hook(), await p.hook(merchant=False)
    order = await p.invoice(callbackUrl=own.url)
    await p.sim("pay", order=order["uid"])
    assert own.seen and not merchant.seen


@row(31, "labelled", "redirectUrl kept off the order; the hosted page links back to it [A]")
async def _31(p: Probe):
    order = await p.invoice(redirectUrl="https://shop.example/thanks")
    assert "redirectUrl" not in order
    async with p.session.get(order["invoicePublicUrl"]) as page:
        assert "https://shop.example/thanks" in await page.text()


@row(32, "labelled", "isBayerPaysService: the fee on the payer (100 -> 100.060037) [A]")
async def _32(p: Probe):
    assert (await p.invoice(amount="100", isBayerPaysService=True))["amountInExpected"] == "100.060037"


@row(33, "labelled", "isAwaitRequisites: default true; false -> requisites 5 s later [A]")
async def _33(p: Probe):
    data = await p.invoice(isAwaitRequisites=False)
    assert data["requisites"] is None
    await p.advance("5s")
    assert (await p.order(data["uid"]))["requisites"] and (await p.invoice())["requisites"]


@row(34, "labelled", "expiryDurationMinutes: default 20, 1..10080, 60.0 read as 60 [A]")
async def _34(p: Probe):
    await p.invoice(expiryDurationMinutes=60.0)
    assert (await p.api("POST", V1 + "/orders/invoice", {"currencyInCode": "TON", "invoiceAmount": "1",
                                                        "expiryDurationMinutes": 0}))[0] == 400


@row(35, "exact", "invoiceAssetCode on an invoice without amount: Convert to")
async def _35(p: Probe):
    data = await p.invoice("USDTTRC20", None, invoiceAssetCode="BTC")
    assert (data["invoiceCurrencyCode"], data["currencyOutCode"]) == ("BTC", "BTC-INTERNAL")


@row(36, "exact", "withdraw body: amount (string), toCurrencyCode, recipient, requisitesMemoTag, callbackUrl, comment")
async def _36(p: Probe):
    await p.sim("credit", amount="50")
    body = {"amount": "1", "toCurrencyCode": "USDTTON", "recipient": "0QB45RBhcxHYo8LOb0R-1NV7Hi_riUFMNDwQJ8TRw4a7xNa7",
            "requisitesMemoTag": "12345", "comment": "payout"}
    assert (await p.ok("POST", V1 + "/orders/withdraw", body))["requisitesMemoTag"] == "12345"
    assert (await p.api("POST", V1 + "/orders/withdraw", {**body, "amount": 1}))[0] == 400


@row(37, "labelled", "walletId + volume body: refused; accepted with withdraw_volume_field [A]")
async def _37(p: Probe):
    await p.sim("credit", amount="50")
    body = {"walletId": "w", "volume": "1", "toCurrencyCode": "USDTTRC20", "recipient": TRON}
    assert (await p.api("POST", V1 + "/orders/withdraw", body))[0] == 400
    await p.set(withdraw_volume_field=True)
    await p.ok("POST", V1 + "/orders/withdraw", body, status=201)


@row(38, "exact", "withdrawal cost: the network fee and a % service fee on top (figures [A])")
async def _38(p: Probe):
    await p.sim("credit", amount="50")
    fee = next(f for f in await p.ok("GET", V1 + "/assets/withdraw-fee") if f["toCurrencyCode"] == "USDTTRC20")
    data = await p.ok("POST", V1 + "/orders/withdraw", {"amount": "10", "toCurrencyCode": "USDTTRC20",
                                                       "recipient": TRON})
    assert D(data["amountInExpected"]) == 10 + D(str(fee["fixFee"])) + 10 * D(str(fee["rate"])) / 100


def hmac_of(key: str, body: dict) -> str:
    unsigned = json.dumps({k: v for k, v in body.items() if k != "signature"}, separators=(",", ":"),
                          ensure_ascii=False).encode()
    return hmac.new(key.encode(), unsigned, hashlib.sha256).hexdigest()


import audit_checks_flow  # noqa: E402,F401 - rows 39-105 register themselves
