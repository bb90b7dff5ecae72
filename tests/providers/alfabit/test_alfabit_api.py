"""Every endpoint public clients call, with the fields they send and read."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta

from alfabit_support import BASE, ORDER, ORDERS, dec, sample_order

INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    num = 0
    for ch in text:
        num = num * 58 + B58.index(ch)
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def instant(text: str) -> datetime:
    assert INSTANT.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_sample_shape(order: dict) -> None:
    """Every field of the published sample, same names, same JSON types (or null)."""
    sample = sample_order()
    for key, value in sample.items():
        if key == "signature":
            continue
        assert key in order, key
        if order[key] is not None and value is not None:
            assert type(order[key]) is type(value), (key, order[key], value)
    for key in ("invoiceAmount", "amountInExpected", "amountInFact", "amountOutExpected", "amountOutFact",
                "hedgeRate", "risk", "balanceAfter"):
        dec(order[key])
    for key in ("createdAt", "updatedAt"):
        instant(order[key])


async def test_invoice_with_amount_answers_uid_requisites_and_the_sample_fields(ab):
    status, answer = await ab.call("POST", BASE + "/api/v1/integration/orders/invoice", json_body={
        "currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25.5",
        "comment": "ORD-1", "publicComment": "Order N1", "callbackUrl": "http://127.0.0.1:9/hook",
        "redirectUrl": "https://shop.example/thanks", "isBayerPaysService": False, "isAwaitRequisites": True,
        "expiryDurationMinutes": 30})
    assert status == 201 and answer["message"] == "ok"
    data = answer["data"]
    assert_sample_shape(data)
    # created: processing starts a second later [A]; the requisites are there already (isAwaitRequisites)
    assert UUID.match(data["uid"]) and data["type"] == "invoice" and data["status"] == "created"
    raw = b58decode(data["requisites"])      # a real TRON address: 0x41 + 20 bytes + checksum
    assert raw[0] == 0x41 and len(raw) == 25
    assert hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]
    assert data["requisitesIn"] == data["requisites"] and data["requisitesMemoTag"] is None
    assert data["requisitesQrCode"].endswith("/alfabit/qr-code/" + data["uid"])
    assert (data["invoiceAmount"], data["amountInExpected"], data["amountInFact"]) == ("25.5", "25.5", "0")
    assert data["invoiceCurrencyCode"] == "USDT" and data["currencyOutCode"] == "USDT-INTERNAL"
    assert (data["assetInCode"], data["networkInCode"]) == ("USDT", "TRON")
    assert data["isDone"] is False and data["paymentTiming"] == "onTime" and data["txId"] is None
    assert instant(data["expirationTime"]) - instant(data["createdAt"]) == timedelta(minutes=30)
    assert (data["comment"], data["publicComment"], data["callbackUrl"]) == ("ORD-1", "Order N1", "http://127.0.0.1:9/hook")
    assert data["serviceCommission"] == "0.0153" and data["amountValidity"] == "valid"   # neutral before money
    assert await ab.order(data["uid"]) == data
    await ab.advance("1s")
    assert (await ab.order(data["uid"]))["status"] == "invoiceWaitPay"


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def test_invoice_without_amount_usdc_on_solana(ab):
    data = await ab.create("USDCSOL", amount=None, comment="Пример комментария", publicComment="Order N123456")
    assert data["type"] == "invoice-without-amount" and data["invoiceCurrencyCode"] is None
    assert (data["invoiceAmount"], data["amountInExpected"], data["amountValidity"]) == ("0", "0", "valid")
    assert (data["assetInCode"], data["networkInCode"], data["currencyInCode"]) == ("USDC", "SOL", "USDCSOL")
    assert len(b58decode(data["requisites"])) == 32     # a Solana public key
    assert_sample_shape(data)
    # default lifetime: the sample's 20 minutes
    assert instant(data["expirationTime"]) - instant(data["createdAt"]) == timedelta(minutes=20)


async def test_ton_invoices_carry_a_memo_tag(ab):
    for currency in ("TON", "USDTTON"):
        data = await ab.create(currency, amount=None)
        assert data["requisites"].startswith("0Q") and len(data["requisites"]) == 48
        assert re.fullmatch(r"\d{9}", data["requisitesMemoTag"])
        assert base64.urlsafe_b64decode(data["requisites"])[0] == 0xD1


async def test_invoice_asset_is_converted_into_the_coin_paid(ab):
    data = await ab.create("TON", amount="52", invoiceAssetCode="USDT")
    assert (data["invoiceAmount"], data["amountInExpected"], data["hedgeRate"]) == ("52", "10", "5.2")
    assert data["invoiceCurrencyCode"] == "USDT"


async def test_buyer_pays_the_service_fee(ab):
    merchant_pays = await ab.create("USDTTRC20", amount="100")
    buyer_pays = await ab.create("USDTTRC20", amount="100", isBayerPaysService=True)
    assert dec(merchant_pays["amountOutExpected"]) == dec("99.94")
    assert buyer_pays["isBayerPaysService"] is True
    # the payer's amount is rounded up to the coin's 6 decimals: the merchant never gets less
    assert dec(buyer_pays["amountInExpected"]) == dec("100.060037")
    assert 100 <= dec(buyer_pays["amountOutExpected"]) < dec("100.00001")


async def test_not_awaiting_requisites_answers_without_them_then_issues_them(hooked):
    ab, rec = hooked
    data = await ab.create("USDTTRC20", amount="10", isAwaitRequisites=False)
    assert data["status"] == "created" and data["requisites"] is None and data["requisitesQrCode"] is None
    await ab.advance("1s")
    assert (await ab.order(data["uid"]))["status"] == "invoiceWaitRequisites"
    await ab.advance("4s")
    later = await ab.order(data["uid"])
    assert later["status"] == "invoiceWaitPay" and later["requisites"]
    assert [rec.json(i)["status"] for i in range(len(rec.requests))] == ["invoiceWaitRequisites", "invoiceWaitPay"]
    assert rec.json()["requisites"] == later["requisites"]


async def test_get_unknown_order_is_404_in_the_error_shape(ab):
    for uid in ("00000000-aaaa-bbbb-cccc-111111111111", "nope", "withdraw-with-exchange"):
        status, answer = await ab.call("GET", ORDER + uid)
        assert status == 404 and answer == {"statusCode": 404, "message": "Order not found", "error": "Not Found"}


async def test_order_list_filters(ab):
    trc = await ab.create("USDTTRC20", amount="10", comment="first-ORD")
    await ab.advance("19m")
    sol = await ab.create("USDCSOL", amount=None, publicComment="second")
    await ab.advance("1m")
    ton = await ab.create("TON", amount="1")
    await ab.simulate("pay", order=ton["uid"])
    await ab.simulate("confirm", order=ton["uid"])
    await ab.advance("2m")

    async def uids(query: str, path: str = ORDERS) -> list[str]:
        _, answer = await ab.call("GET", path + query, expect=200)
        assert answer["message"] == "ok" and isinstance(answer["data"], list)
        return [o["uid"] for o in answer["data"]]

    assert await uids("") == [ton["uid"], sol["uid"], trc["uid"]]          # newest first
    assert await uids("?orderBy=createdAt") == [trc["uid"], sol["uid"], ton["uid"]]
    assert await uids("?orderBy=-createdAt") == [ton["uid"], sol["uid"], trc["uid"]]
    assert await uids("?orderBy=-uid") == sorted([ton["uid"], sol["uid"], trc["uid"]], reverse=True)
    assert await uids("?orderBy=id") == [trc["uid"], sol["uid"], ton["uid"]]
    assert await uids("?statuses[]=success") == [ton["uid"]]
    assert await uids("?statuses[]=success&statuses[]=invoiceNotPayed") == [ton["uid"], trc["uid"]]
    assert await uids("?statuses[0]=invoiceNotPayed") == [trc["uid"]]         # PHP's http_build_query
    assert await uids("?types[]=invoice-without-amount") == [sol["uid"]]
    assert await uids("?assets[]=USDC") == [sol["uid"]]
    assert await uids("?networks[]=TON&networks[]=TRON") == [ton["uid"], trc["uid"]]
    assert await uids(f"?createdAtSince={sol['createdAt']}") == [ton["uid"], sol["uid"]]
    assert await uids(f"?createdAtBefore={sol['createdAt']}") == [trc["uid"]]
    assert await uids("?search=first-ord") == [trc["uid"]]
    assert await uids(f"?search={ton['requisites'][:20]}") == [ton["uid"]]
    assert await uids("?limit=1&page=2") == [sol["uid"]]
    assert await uids("?limit=2") == [ton["uid"], sol["uid"]]
    assert await uids("?search=sandboxmerchant") == [ton["uid"], sol["uid"], trc["uid"]]   # the merchant's name
    assert await uids(f"?merchantsUids[]={ab.merchant['merchant_uid']}") == [ton["uid"], sol["uid"], trc["uid"]]
    assert await uids("?merchantsUids[]=3422b448-2460-4fd2-9183-8000de6f8343") == []
    assert await uids("?billingTags[]=test@example.com") == []              # [A] no order carries a billingTag
    assert await uids("?showProtectedMerchantsOrders=false") == await uids("?showProtectedMerchantsOrders=true")
    for documented in ("revoked", "blocked", "waitRefundRequisitesCheck"):
        assert await uids(f"?statuses[]={documented}") == []
    for documented in ("withdraw-with-exchange", "payment-without-amount", "deposit"):
        assert await uids(f"?types[]={documented}") == []
    # v1: the same list, `data` a list as in the API reference's example
    assert await uids("?limit=2&orderBy=-createdAt", BASE + "/api/v1/integration/orders") == [ton["uid"], sol["uid"]]
    assert await uids("?search=first-ord", BASE + "/api/v1/integration/orders") == [trc["uid"]]


async def test_merchant_balances_currencies_and_rates(ab):
    await ab.simulate("credit", amount="100")
    await ab.simulate("credit", amount="0.01", currency="BTC-INTERNAL")
    _, merchant = await ab.call("GET", BASE + "/api/v1/integration/merchant", expect=200)
    assert merchant["message"] == "ok" and merchant["data"]["callbackIps"] == [
        "18.194.211.115", "3.70.205.120", "3.250.143.116", "185.252.146.25"]
    assert (merchant["data"]["balanceUsd"], merchant["data"]["equal"]) == ("700", "700")
    _, balances = await ab.call("GET", BASE + "/api/v1/integration/merchant/balances", expect=200)
    by_code = {b["code"]: b for b in balances["data"]}
    assert by_code["USDT"] == {"code": "USDT", "type": "COIN", "currencyCode": "USDT-INTERNAL", "assetCode": "USDT",
                               "balance": "100", "balanceUsd": "100"}
    assert (by_code["BTC"]["balance"], by_code["BTC"]["balanceUsd"]) == ("0.01", "600")
    _, currencies = await ab.call("GET", BASE + "/api/v1/integration/assets/currencies", expect=200)
    by_code = {c["publicCode"]: c for c in currencies["data"]}
    assert {"USDTTRC20", "USDTTON", "TON", "USDCSOL", "USDT-INTERNAL"} <= set(by_code)
    assert by_code["USDCSOL"] == {"publicCode": "USDCSOL", "publicName": "USD Coin (Solana)", "assetCode": "USDC",
                                  "assetName": "USD Coin", "networkCode": "SOL", "isInternal": False,
                                  "currencyType": "COIN", "usdPrice": "1"}
    assert by_code["USDT-INTERNAL"]["isInternal"] is True and by_code["TON"]["usdPrice"] == "5.2"
    _, rates = await ab.call("GET", BASE + "/api/v1/integration/assets/exchange-rate?fromAssetCode=USDT&toAssetCode=TON",
                             expect=200)
    assert rates["data"] == [{"fromAssetCode": "USDT", "toAssetCode": "TON", "fromCurrencyType": "COIN",
                              "toCurrencyType": "COIN", "rate": "5.2", "isTurnRate": True}]   # 1 TON = 5.2 USDT
    _, rates = await ab.call("GET", BASE + "/api/v1/integration/assets/exchange-rate", expect=200)
    assert len(rates["data"]) == 7 * 6 and {r["fromAssetCode"] for r in rates["data"]} >= {"BTC", "TON", "SOL"}
    assert all(dec(r["rate"]) >= 1 for r in rates["data"])
    _, assets = await ab.call("GET", BASE + "/api/v1/integration/assets", expect=200)
    assert {"code": "USDT", "type": "COIN"} in assets["data"] and len(assets["data"]) == 7
    _, fees = await ab.call("GET", BASE + "/api/v1/integration/assets/withdraw-fee", expect=200)
    trc = next(f for f in fees["data"] if f["toCurrencyCode"] == "USDTTRC20")
    assert trc == {"toAssetCode": "USDT", "toCurrencyCode": "USDTTRC20", "toCurrencyName": "Tether USD (TRC20)",
                   "fixFee": 1, "rate": 0.1, "isTurnRate": False, "minOut": 0.1, "maxOut": 1000000}


async def test_invoice_page_and_qr_placeholder(ab, client):
    data = await ab.create("USDTTON", amount="3")
    page = await client.get(data["invoicePublicUrl"].split("127.0.0.1", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert page.status == 200 and data["requisites"] in await page.text()
    assert data["requisitesMemoTag"] in await page.text()
    qr = await client.get("/alfabit/qr-code/" + data["uid"])
    assert qr.status == 200 and qr.content_type == "image/svg+xml"
