"""Alchemy Pay API: create/query through the real HTTP app, signed the way clients sign."""
from __future__ import annotations

import json
from datetime import timedelta

from alchemypay_helpers import (APP_ID, SECRET, V4, buy_body, get, get_token, hmac_b64, legacy_headers, ms, post,
                                sell_body, sell_on_page, sorted_body, v4_headers)


async def create(client, world, body, path=f"{V4}/trade/create"):
    resp = await post(client, world, path, body)
    data = await resp.json()
    assert resp.status == 200, data
    return data


async def test_buy_order_created_and_queried_by_both_numbers(client, world):
    data = await create(client, world, buy_body())
    assert data["success"] is True and data["returnCode"] == "0000" and data["returnMsg"] == "SUCCESS"
    assert set(data) == {"success", "returnCode", "returnMsg", "extend", "data", "traceId"}
    order_no = data["data"]["orderNo"]
    assert order_no.isdigit() and len(order_no) == 19
    assert data["data"]["payUrl"].endswith(f"/alchemypay/pay/{order_no}")

    by_no = await (await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})).json()
    by_merchant = await (await get(client, world, f"{V4}/query/trade",
                                   {"merchantOrderNo": "ORD-1", "side": "BUY"})).json()
    assert by_no["data"]["orderNo"] == by_merchant["data"]["orderNo"] == order_no
    order = by_no["data"]
    assert order["status"] == "PENDING" and order["side"] == "BUY"
    assert order["amount"] == "100.00000000" and order["fiat"] == "USD" and order["network"] == "TRX"
    assert order["address"] == "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8"

    page = await client.get(f"/alchemypay/pay/{order_no}")
    assert page.status == 200 and order_no in await page.text()


async def test_sell_order_gets_a_deposit_address(client, world):
    order_no = await sell_on_page(client, world, sell_body())
    resp = await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "SELL"})
    order = (await resp.json())["data"]
    assert order["status"] == "1" and order["side"] == "SELL"
    assert order["address"].startswith("T") and len(order["address"]) == 34    # a TRON address
    assert order["cryptoAmount"] == "100.0000000000"


async def test_order_create_and_detail_use_order_type_and_legacy_words(client, world):
    body = buy_body(orderType="4", side=None, depositType=None, address=None,
                    extendParams={"cookie": "abc", "channelCookie": ""})
    data = await create(client, world, body, path=f"{V4}/order/create")
    order_no = data["data"]["orderNo"]
    detail = await (await get(client, world, f"{V4}/order/detail", {"orderNo": order_no})).json()
    assert detail["data"]["status"] == "NEW" and detail["data"]["side"] == "BUY"
    assert detail["data"]["address"]                              # a made-up wallet
    trade = await (await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})).json()
    assert trade["data"]["status"] == "PENDING"

    sell = await create(client, world, sell_body(orderType=6, side=None, merchantOrderNo="S-9"),
                        path=f"{V4}/order/create")
    detail = await (await get(client, world, f"{V4}/order/detail", {"orderNo": sell["data"]["orderNo"]})).json()
    assert detail["data"]["side"] == "SELL" and detail["data"]["status"] == "1"


async def test_unsorted_body_signed_sorted_is_refused(client, world):
    """The bytes on the wire are the bytes signed (issue 21): a body sent as built (unsorted, spaced,
    with empty values) while the sorted form was signed is 81003, as production answers."""
    body = buy_body(merchantOrderNo="ORD-PHP", memo="")
    raw = json.dumps(body, separators=(", ", ": ")).encode()
    resp = await post(client, world, f"{V4}/trade/create", body, raw=raw)
    assert resp.status == 401 and (await resp.json())["returnCode"] == "81003"


async def test_lowercase_appid_header_and_legacy_sha1_sign(client, world):
    path = f"{V4}/trade/create"
    body = buy_body(merchantOrderNo="ORD-LOW")
    token = await get_token(client, world)
    headers = v4_headers(ms(world), "POST", path, body=body, header_name="appid")
    resp = await client.post("/alchemypay" + path, data=sorted_body(body), headers={**headers, "access-token": token})
    assert resp.status == 200, await resp.text()

    headers = {**legacy_headers(ms(world)), "access-token": token}
    resp = await client.post("/alchemypay" + path, data=sorted_body(buy_body(merchantOrderNo="ORD-SHA1")),
                             headers=headers)
    assert resp.status == 200, await resp.text()


async def test_strict_setting_refuses_the_legacy_sign(client, world):
    resp = await client.patch("/_sandbox/providers/alchemypay/merchant", json={"strict_sign": True})
    assert resp.status == 200
    headers = legacy_headers(ms(world))
    resp = await client.post(f"/alchemypay{V4}/trade/create", data=sorted_body(buy_body()), headers=headers)
    data = await resp.json()
    assert resp.status == 401 and data["returnCode"] == "81003" and data["success"] is False
    ok = await post(client, world, f"{V4}/trade/create", buy_body())      # v4 still works
    assert ok.status == 200


def other_char_at(text: str, i: int) -> str:
    """The text with character i replaced by a different one: a tampered sign, whatever the sign was."""
    return text[:i] + ("B" if text[i] == "A" else "A") + text[i + 1:]


async def assert_refused(resp, status: int, code: str):
    data = await resp.json()
    assert resp.status == status, data
    assert data["success"] is False and data["returnCode"] == code and data["data"] is None
    assert data["returnMsg"] and "traceId" in data
    return data


async def test_auth_failures_in_the_provider_shape_and_nothing_created(client, world):
    path, body = f"{V4}/trade/create", buy_body()
    url = "/alchemypay" + path
    good = v4_headers(ms(world), "POST", path, body=body)
    await assert_refused(await client.post(url, data=sorted_body(body), headers={**good, "appId": "nosuchapp0000000"}),
                         401, "81001")
    await assert_refused(await client.post(url, data=sorted_body(body), headers={**good, "sign": other_char_at(good["sign"], 5)}),
                         401, "81003")
    wrong_secret = v4_headers(ms(world), "POST", path, body=body, secret="x" * 16)
    await assert_refused(await client.post(url, data=sorted_body(body), headers=wrong_secret), 401, "81003")
    stale_ts = str(int(world.clock.wall_now().timestamp() * 1000) - 5 * 60 * 1000 - 1)
    stale = v4_headers(stale_ts, "POST", path, body=body)
    await assert_refused(await client.post(url, data=sorted_body(body), headers=stale), 401, "81002")
    await assert_refused(await client.post(url, data=sorted_body(body), headers={**good, "timestamp": "12345"}),
                         401, "81002")
    no_sign = {k: v for k, v in good.items() if k != "sign"}
    await assert_refused(await client.post(url, data=sorted_body(body), headers=no_sign), 401, "81003")
    # a body changed after signing
    await assert_refused(await client.post(url, data=sorted_body({**body, "amount": "1000"}), headers=good),
                         401, "81003")
    assert world.backend("alchemypay").orders == {}


async def test_timestamp_just_inside_the_window_is_accepted(client, world):
    # real time moves between signing and checking, so "just inside" keeps a 2-second margin
    ts = str(int(world.clock.wall_now().timestamp() * 1000) - 5 * 60 * 1000 + 2000)
    path, body = f"{V4}/trade/create", buy_body()
    headers = {**v4_headers(ts, "POST", path, body=body), "access-token": await get_token(client, world)}
    resp = await client.post("/alchemypay" + path, data=sorted_body(body), headers=headers)
    assert resp.status == 200


async def test_bad_input_is_a_4xx_in_the_provider_shape_and_changes_nothing(client, world):
    path = f"{V4}/trade/create"
    url = "/alchemypay" + path
    ts = ms(world)
    # malformed JSON (signed over the raw text, so only the JSON is wrong)
    raw = '{"side": "BUY",'
    headers = {"appId": APP_ID, "timestamp": ts, "sign": hmac_b64(SECRET, ts + "POST" + path + raw)}
    await assert_refused(await client.post(url, data=raw, headers=headers), 400, "10005")
    # a JSON array
    await assert_refused(await client.post(url, data="[1]", headers=headers), 400, "10005")
    # a body nested absurdly deep (refused before any recursive work)
    deep = '{"side":"BUY","x":' + "[" * 900 + "]" * 900 + "}"
    headers = {"appId": APP_ID, "timestamp": ts, "sign": hmac_b64(SECRET, ts + "POST" + path + deep)}
    await assert_refused(await client.post(url, data=deep, headers=headers), 400, "10005")
    # an absurd amount
    await assert_refused(await post(client, world, path, buy_body(amount="1" * 40)), 400, "10005")
    # contract: missing address on BUY, bad side, bad amount, bad callbackUrl
    for body in (buy_body(address=None), buy_body(side="HOLD"), buy_body(amount="-5"),
                 buy_body(amount="ten"), buy_body(callbackUrl="ftp://x"), buy_body(fiatCurrency=12)):
        resp = await post(client, world, path, body)
        data = await assert_refused(resp, 422, "10005")
        assert "X-Sandbox-Contract-Violation" in resp.headers, data
    # unsupported crypto / network / fiat
    for body in (buy_body(cryptoCurrency="NOPE"), buy_body(network="NOWHERE"), buy_body(fiatCurrency="XXX")):
        await assert_refused(await post(client, world, path, body), 400, "10002")
    # amount that does not cover the fees
    await assert_refused(await post(client, world, path, buy_body(amount="0.5")), 400, "10005")
    # order/create: side contradicting orderType
    await assert_refused(await post(client, world, f"{V4}/order/create", buy_body(orderType="6")), 400, "10005")
    assert world.backend("alchemypay").orders == {}
    # duplicate merchantOrderNo
    await create(client, world, buy_body())
    await assert_refused(await post(client, world, path, buy_body()), 409, "10006")
    assert len(world.backend("alchemypay").orders) == 1


async def test_query_errors(client, world):
    q = f"{V4}/query/trade"
    await assert_refused(await get(client, world, q, {"orderNo": "1234567890123456789", "side": "BUY"}), 404, "10004")
    await assert_refused(await get(client, world, q, {"side": "BUY"}), 422, "10005")
    await assert_refused(await get(client, world, q, {"orderNo": "1", "side": "MAYBE"}), 422, "10005")
    await assert_refused(await get(client, world, f"{V4}/order/detail", {}), 422, "10005")
    order_no = (await create(client, world, buy_body()))["data"]["orderNo"]
    # the right order, the wrong side
    await assert_refused(await get(client, world, q, {"orderNo": order_no, "side": "SELL"}), 404, "10004")
    # unknown route and wrong method keep the shape
    resp = await client.get("/alchemypay/open/api/v4/merchant/nothing")
    await assert_refused(resp, 404, "10004")
    resp = await client.get(f"/alchemypay{V4}/trade/create")
    assert resp.status == 405 and (await resp.json())["success"] is False


async def test_timestamp_window_can_be_turned_off(client, world):
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"timestamp_window": "off"})
    await client.post("/_sandbox/clock/advance", json={"by": "6h"})
    ts = str(int((world.clock.wall_now() - timedelta(hours=6)).timestamp() * 1000))
    path, body = f"{V4}/trade/create", buy_body()
    headers = {**v4_headers(ts, "POST", path, body=body), "access-token": await get_token(client, world)}
    resp = await client.post("/alchemypay" + path, data=sorted_body(body), headers=headers)
    assert resp.status == 200


async def test_superscript_digit_timestamp_is_refused_not_a_crash(client):
    # raw bytes: "²" (U+00B2) passes str.isdigit() but not int(); clients can send any header bytes
    import asyncio
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    stamp = ("\u00b2" * 13).encode()
    writer.write(b"GET /alchemypay/open/api/v4/merchant/query/trade?orderNo=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"appId: " + APP_ID.encode() + b"\r\ntimestamp: " + stamp + b"\r\nsign: x\r\n"
                 b"Connection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
    assert b'"returnCode": "81002"' in answer
