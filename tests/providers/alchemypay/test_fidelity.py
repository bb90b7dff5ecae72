"""Issue 10 (Alchemy Pay): access-token, hosted ramp pages, webhook clock and path, errors, ack, new statuses
and endpoints. Signatures are computed here from the published formulas, never with the server's code."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from alchemypay_helpers import (APP_ID, SECRET, V4, buy_body, get, get_token, hmac_b64, ms, open_page, post,
                                ramp_query, sell_body, sorted_body, v4_headers, webhook_new_signature,
                                webhook_signature)

from mockserver.providers.alchemypay.webhooks import ack_success

SUCCESS = (200, "success")


async def refused(resp, status: int, code: str) -> dict:
    data = await resp.json()
    assert resp.status == status, data
    assert data["success"] is False and data["returnCode"] == code and data["returnMsg"] and data["data"] is None
    return data


async def simulate(client, verb, expect=200, **params):
    resp = await client.post(f"/_sandbox/simulate/alchemypay/{verb}", json=params)
    data = await resp.json()
    assert resp.status == expect, data
    return data


async def created(client, world, body, **kw) -> str:
    resp = await post(client, world, f"{V4}/trade/create", body, **kw)
    data = await resp.json()
    assert resp.status == 200, data
    return data["data"]["orderNo"]


# ---- item 8: access-token --------------------------------------------------------------------------
async def test_get_token_is_per_email_and_lasts_ten_virtual_days(client, world):
    first = await get_token(client, world, "ann@example.com")
    assert first.startswith("ACH") and "@ACH@" in first
    assert await get_token(client, world, "ann@example.com") == first          # one token per email
    other = await get_token(client, world, "bob@example.com")
    assert other != first
    order_no = await created(client, world, buy_body(), token=first)
    query = await (await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})).json()
    assert query["data"]["email"] == "ann@example.com"                           # the token's user
    await client.post("/_sandbox/clock/advance", json={"by": "9d23h"})
    await created(client, world, buy_body(merchantOrderNo="ORD-2"), token=first)
    await client.post("/_sandbox/clock/advance", json={"by": "1h"})              # 10 days are over
    await refused(await post(client, world, f"{V4}/trade/create", buy_body(merchantOrderNo="ORD-3"), token=first),
                  401, "81004")
    renewed = await get_token(client, world, "ann@example.com")
    assert renewed != first
    await created(client, world, buy_body(merchantOrderNo="ORD-3"), token=renewed)


async def test_trade_create_without_or_with_a_bad_token_changes_nothing(client, world):
    rng_before = world.rng.getstate()
    path = f"{V4}/trade/create"
    await refused(await post(client, world, path, buy_body(), token=None), 401, "81004")
    await refused(await post(client, world, path, buy_body(), token="ACH123@ACH@forged"), 401, "81004")
    assert world.backend("alchemypay").orders == {} and world.rng.getstate() == rng_before
    # the merchantOrderNo was not used up
    await created(client, world, buy_body())


async def test_get_token_refusals(client, world):
    path = f"{V4}/getToken"
    for body in ({}, {"email": "not-an-email"}, {"uid": "x" * 37}):
        headers = v4_headers(ms(world), "POST", path, body=body)
        resp = await client.post("/alchemypay" + path, data=sorted_body(body), headers=headers)
        await refused(resp, 422, "10005")
    body = {"email": "a@example.com"}
    headers = {**v4_headers(ms(world), "POST", path, body=body), "sign": "x"}
    await refused(await client.post("/alchemypay" + path, data=sorted_body(body), headers=headers), 401, "81003")
    assert world.backend("alchemypay").tokens.by_token == {}


async def test_queries_and_order_create_need_no_token_but_a_sent_one_must_be_valid(client, world):
    order_no = await created(client, world, buy_body())
    resp = await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})
    assert resp.status == 200                                      # Query Order lists no access-token [D]
    body = buy_body(orderType="4", side=None, merchantOrderNo="OC-1")
    assert (await post(client, world, f"{V4}/order/create", body)).status == 200    # [C] clients send none
    await refused(await post(client, world, f"{V4}/order/create", {**body, "merchantOrderNo": "OC-2"},
                             token="ACH1@ACH@stale"), 401, "81004")


# ---- item 9: the off-ramp is the hosted page ------------------------------------------------------
def test_the_docs_page_signature_example():
    # "Ramp Signature Description": the string signed for the docs' on-ramp link
    query = {"appId": "f83Is2y7L425rxl8", "crypto": "USDT", "network": "ETH", "showTable": "buy", "fiat": "USD",
             "fiatAmount": "30"}
    built = ramp_query("buy", query, "1538054050234", app_id="f83Is2y7L425rxl8", secret="s")
    expected_string = ("1538054050234GET/index/rampPageBuy?appId=f83Is2y7L425rxl8&crypto=USDT&fiat=USD"
                       "&fiatAmount=30&network=ETH&showTable=buy&timestamp=1538054050234")
    assert built["sign"] == hmac_b64("s", expected_string)


async def test_trade_create_refuses_sell_unless_the_extension_is_on(client, world):
    await refused(await post(client, world, f"{V4}/trade/create", sell_body()), 400, "10005")
    assert world.backend("alchemypay").orders == {}
    await simulate(client, "settings", api_sell=True)
    assert (await post(client, world, f"{V4}/trade/create", sell_body())).status == 200


async def test_sell_page_signature_is_checked_and_nothing_is_made_on_a_refusal(client, world):
    params = {"crypto": "USDT", "network": "TRX", "cryptoAmount": "50", "merchantOrderNo": "S-1", "showTable": "sell",
              "type": "sell"}
    good = ramp_query("sell", params, ms(world))
    url = "/alchemypay/index/rampPageSell"
    await refused(await client.get(url, params={**good, "cryptoAmount": "5000"}), 401, "81003")   # changed
    await refused(await client.get(url, params={k: v for k, v in good.items() if k != "sign"}), 401, "81003")
    await refused(await client.get(url, params=ramp_query("sell", params, ms(world), secret="x" * 16)), 401, "81003")
    # signed for the buy page, opened as the sell page
    await refused(await client.get(url, params=ramp_query("buy", params, ms(world))), 401, "81003")
    await refused(await client.get(url, params={**good, "appId": "nobody"}), 401, "81001")
    stale = ramp_query("sell", params, str(int(ms(world)) - 6 * 60 * 1000))
    await refused(await client.get(url, params=stale), 401, "81002")
    bad = ramp_query("sell", {**params, "cryptoAmount": "lots"}, ms(world))
    await refused(await client.get(url, params=bad), 422, "10005")
    assert world.backend("alchemypay").orders == {}
    page = await client.get(url, params=good)
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    [order] = world.backend("alchemypay").orders.values()
    assert order.order_no in html and order.address in html and order.side == "SELL"
    again = await client.get(url, params=good)                 # the same link reopened: the same order
    assert again.status == 200 and len(world.backend("alchemypay").orders) == 1
    # a new link with the same merchantOrderNo: "cannot be duplicated"
    await refused(await client.get(url, params=ramp_query("sell", params, ms(world))), 409, "10006")


async def test_off_ramp_story_from_the_page_every_status_with_a_webhook(client, world, receiver):
    rec = await receiver([SUCCESS])
    params = {"crypto": "USDT", "network": "TRX", "fiat": "USD", "country": "US", "cryptoAmount": "100",
              "merchantOrderNo": "S-OK", "callbackUrl": rec.url, "showTable": "sell", "type": "sell"}
    # the ramp host's root form (https://ramptest.alchemypay.org?...&showTable=sell)
    resp = await open_page(client, world, "sell", path="/ramp", **params)
    assert resp.status == 200, await resp.text()
    found = await (await get(client, world, f"{V4}/query/trade", {"merchantOrderNo": "S-OK", "side": "SELL"})).json()
    order_no = found["data"]["orderNo"]
    await simulate(client, "deposit", order=order_no)
    await simulate(client, "payout", order=order_no)
    await simulate(client, "payout_success", order=order_no)

    failing = {**params, "merchantOrderNo": "S-FAIL"}
    assert (await open_page(client, world, "sell", **failing)).status == 200
    failed_no = next(o.order_no for o in world.backend("alchemypay").orders.values() if o.merchant_order_no == "S-FAIL")
    await simulate(client, "deposit", order=failed_no)
    await simulate(client, "payout", order=failed_no)
    await simulate(client, "payout_fail", order=failed_no)
    await simulate(client, "refund", order=failed_no)

    assert (await open_page(client, world, "sell", **{**params, "merchantOrderNo": "S-LATE"})).status == 200
    await client.post("/_sandbox/clock/advance", json={"by": "48h"})       # "Order timeout in 48 hours"

    seen = {}
    for request in rec.requests:
        payload = json.loads(request["body"])
        assert payload["signature"] == webhook_signature(payload)
        assert payload["newSignature"] == webhook_new_signature(payload, request["headers"]["timestamp"], "/webhook")
        seen.setdefault(payload["merchantOrderNo"], []).append(payload["status"])
    assert seen == {"S-OK": ["1", "2", "3", "4"], "S-FAIL": ["1", "2", "3", "5", "6"], "S-LATE": ["1", "7"]}


async def test_buy_page_makes_a_pending_order_without_a_webhook(client, world, receiver):
    rec = await receiver([SUCCESS])
    resp = await open_page(client, world, "buy", crypto="USDT", network="TRX", fiat="USD", fiatAmount="100",
                           address="TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8", merchantOrderNo="B-1", callbackUrl=rec.url)
    assert resp.status == 200, await resp.text()
    [order] = world.backend("alchemypay").orders.values()
    assert order.side == "BUY" and order.status(world.clock.now()) == "PENDING" and rec.requests == []


# ---- items 3 and 10: the webhook timestamp header and the signed path ------------------------------
async def test_webhook_timestamp_is_wall_clock_and_body_times_virtual(client, world, receiver):
    rec = await receiver([SUCCESS])
    callback = rec.url + "?shop=7&x="
    order_no = await created(client, world, buy_body(callbackUrl=callback))
    await client.post("/_sandbox/clock/advance", json={"by": "6h"})
    await simulate(client, "pay", order=order_no)
    request = rec.requests[0]
    ts = request["headers"]["timestamp"]
    wall = int(world.clock.wall_now().timestamp() * 1000)
    assert abs(wall - int(ts)) < 5 * 60 * 1000                  # a handler's 5-minute window passes
    payload = json.loads(request["body"])
    assert payload["payTime"] == "2025-01-15 16:00:00"          # the story stays on the virtual clock
    # newSignature: the header's timestamp, the callback path only (no query string) [D]
    assert request["path"] == "/webhook?shop=7&x="
    assert payload["newSignature"] == webhook_new_signature(payload, ts, "/webhook")


async def test_webhook_clock_virtual_for_replay_exact_journals(client, world, receiver):
    rec = await receiver([SUCCESS])
    await simulate(client, "settings", webhook_clock="virtual")
    await simulate(client, "settings", expect=400, webhook_clock="sundial")
    order_no = await created(client, world, buy_body(callbackUrl=rec.url))
    await client.post("/_sandbox/clock/advance", json={"by": "6h"})
    await simulate(client, "pay", order=order_no)
    ts = rec.requests[0]["headers"]["timestamp"]
    assert int(ts) == int(world.clock.now().timestamp() * 1000)
    payload = json.loads(rec.requests[0]["body"])
    assert payload["newSignature"] == webhook_new_signature(payload, ts, "/webhook")


# ---- item 12: strict acknowledgement ------------------------------------------------------------------
@pytest.mark.parametrize("status,body,ack", [
    (200, b"success", True), (200, b"SUCCESS\n", True), (200, b'"success"', True),
    (200, b'{"success":true}', True), (200, b'{"code":"success"}', True), (200, b'{"result":"Success"}', True),
    (200, b'{"success":false}', False), (200, b'{"message":"not success"}', False), (200, b"not success", False),
    (200, b"OK", False), (200, b"", False), (201, b"success", False), (204, b"", False), (500, b"success", False),
    (200, b'{"success":"true"}', False), (200, b"[\"success\"]", False), (200, b"\xff\xfe", False),
])
def test_ack_rule(status, body, ack):
    assert ack_success(status, body) is ack


async def test_false_success_keeps_retrying(client, world, receiver):
    await simulate(client, "settings", webhook_retries=True)
    rec = await receiver([(200, '{"success":false}'), (200, '{"message":"not success"}'), (200, "success")])
    order_no = await created(client, world, buy_body(callbackUrl=rec.url))
    await simulate(client, "pay", order=order_no)
    await client.post("/_sandbox/clock/run", json={})
    [delivery] = await (await client.get("/_sandbox/deliveries", params={"provider": "alchemypay"})).json()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 3


# ---- item 13: statuses, rawRampFee, quote, crypto and fiat queries --------------------------------------
async def test_interim_pay_fail_then_paid_and_invalid_address(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await created(client, world, buy_body(callbackUrl=rec.url))
    assert (await simulate(client, "interim_pay_fail", order=order_no))["status"] == "INTERIM_PAY_FAIL"
    query = await (await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})).json()
    assert query["data"]["status"] == "INTERIM_PAY_FAIL" and rec.requests == []     # no webhook [D]
    assert (await simulate(client, "pay", order=order_no))["status"] == "PAY_SUCCESS"
    paid = json.loads(rec.requests[0]["body"])
    assert paid["rawRampFee"] == "3.990000" and paid["rampFee"] == "3.99000000"
    assert (await simulate(client, "invalid_address", order=order_no))["status"] == "INVALID_ADDRESS"
    detail = await (await get(client, world, f"{V4}/order/detail", {"orderNo": order_no})).json()
    assert detail["data"]["status"] == "INVALID_ADDRESS" and len(rec.requests) == 1
    await simulate(client, "transfer", expect=409, order=order_no)
    assert (await simulate(client, "refund", order=order_no))["status"] == "REFUNDED"


async def signed_post(client, world, path, body):
    headers = v4_headers(ms(world), "POST", path, body=body)
    return await client.post("/alchemypay" + path, data=sorted_body(body),
                             headers={**headers, "Content-Type": "application/json"})


async def test_quote_predicts_the_order(client, world, receiver):
    for path in (f"{V4}/quotes", f"{V4}/order/quote"):
        resp = await signed_post(client, world, path, {"crypto": "USDT", "network": "TRX", "fiat": "USD",
                                                       "amount": "100", "side": "BUY"})
        data = (await resp.json())["data"]
        assert resp.status == 200
        assert data == {"crypto": "USDT", "network": "TRX", "fiat": "USD", "cryptoPrice": "1.00000000",
                        "rampFee": "3.99000000", "networkFee": "1.00000000", "cryptoQuantity": "95.01000000",
                        "payWayCode": "10001"}
    sell = await signed_post(client, world, f"{V4}/quotes", {"crypto": "ETH", "network": "ETH", "fiat": "USD",
                                                             "amount": "0.5", "side": "SELL"})
    data = (await sell.json())["data"]
    assert data["cryptoQuantity"] is None and Decimal(data["fiatQuantity"]) == Decimal("1750")
    assert Decimal(data["rampFee"]) == Decimal("1750") * Decimal("0.0175")
    rec = await receiver([SUCCESS])
    order_no = await created(client, world, buy_body(callbackUrl=rec.url))
    await simulate(client, "pay", order=order_no)
    assert json.loads(rec.requests[0]["body"])["cryptoQuantity"] == "95.01000000"
    for body, code, status in (({"crypto": "USDT", "network": "BTC", "fiat": "USD", "amount": "100", "side": "BUY"},
                                "10002", 400),
                               ({"crypto": "USDT", "network": "TRX", "fiat": "USD", "amount": "5", "side": "BUY"},
                                "10005", 400),
                               ({"crypto": "USDT", "network": "TRX", "fiat": "USD", "amount": "100"}, "10005", 422)):
        await refused(await signed_post(client, world, f"{V4}/quotes", body), status, code)


async def test_crypto_and_fiat_queries(client, world):
    resp = await get(client, world, f"{V4}/crypto/list", {"fiat": "EUR"})
    rows = (await resp.json())["data"]
    usdt_trx = next(r for r in rows if r["crypto"] == "USDT" and r["network"] == "TRX")
    assert usdt_trx["buyEnable"] == 1 and usdt_trx["minPurchaseAmount"] == 9.2 and usdt_trx["maxPurchaseAmount"] == 9200
    assert usdt_trx["minSellAmount"] == 10 and usdt_trx["address"] is None
    # what the list offers is what orders accept, and the reverse
    await refused(await post(client, world, f"{V4}/trade/create", buy_body(network="BTC")), 400, "10002")
    await refused(await post(client, world, f"{V4}/trade/create", buy_body(fiatCurrency="EUR", amount="9")),
                  400, "10005")
    fiat = (await (await get(client, world, f"{V4}/fiat/list", {"type": "SELL"})).json())["data"]
    usd = [r for r in fiat if r["currency"] == "USD"]
    assert usd == [{"currency": "USD", "country": "US", "countryName": "United States", "payWayCode": "10001",
                    "payWayName": "Bank transfer", "fixedFee": 0, "feeRate": 0.0175, "payMin": 10, "payMax": 10000}]
    buy = (await (await get(client, world, f"{V4}/fiat/list", {})).json())["data"]
    assert {r["payWayCode"] for r in buy} == {"10001", "701"}
    await refused(await get(client, world, f"{V4}/fiat/list", {"type": "HOLD"}), 422, "10005")
    await refused(await get(client, world, f"{V4}/crypto/list", {"fiat": "XXX"}), 400, "10002")
    headers = {"appId": APP_ID, "timestamp": ms(world), "sign": hmac_b64(SECRET, "wrong")}
    await refused(await client.get(f"/alchemypay{V4}/crypto/list", headers=headers), 401, "81003")
