"""Issue 21, Alchemy Pay leftovers: the Estimate Price Query, `type: ALL` on the price query, 48-hour
sell orders, a fresh traceId per request, errors answered with HTTP 200 when a merchant asks for it."""
from __future__ import annotations

import json

from alchemypay_helpers import APP_ID, SECRET, V4, buy_body, get, hmac_b64, ms, post, sell_on_page, sell_body, \
    sorted_body, v4_headers

from mockserver.app import build_app
from mockserver.config import SandboxConfig

ESTIMATE = f"{V4}/order/quoted/result"


async def signed_post(client, world, path, body):
    headers = v4_headers(ms(world), "POST", path, body=body)
    return await client.post("/alchemypay" + path, data=sorted_body(body),
                             headers={**headers, "Content-Type": "application/json"})


async def answer(resp, status: int = 200) -> dict:
    data = await resp.json()
    assert resp.status == status, data
    return data


# ---- Estimate Price Query ------------------------------------------------------------------------------
async def test_estimate_price_query_buy_from_fiat_and_from_crypto(client, world):
    data = await answer(await signed_post(client, world, ESTIMATE, {
        "side": "BUY", "fiatAmount": "100", "fiatCurrency": "USD", "cryptoCurrency": "USDT", "network": "TRX"}))
    assert data["success"] is True and data["returnCode"] == "0000"
    [quote] = data["data"]
    # the docs' sample: its keys in its order, fiat figures with 2 decimals, crypto with 8
    assert list(quote) == ["cryptoPrice", "side", "fiatAmount", "cryptoQuantity", "rampFee", "networkFee",
                           "fiat", "crypto", "payWayCode"]
    assert quote == {"cryptoPrice": "1.00", "side": "BUY", "fiatAmount": "100.00", "cryptoQuantity": "95.01000000",
                     "rampFee": "3.99", "networkFee": "1.00", "fiat": "USD", "crypto": "USDT", "payWayCode": "10001"}
    # the other way round: how much fiat buys 95.01 USDT
    [back] = (await answer(await signed_post(client, world, ESTIMATE, {
        "side": "BUY", "cryptoQuantity": "95.01", "fiatCurrency": "USD", "cryptoCurrency": "USDT",
        "network": "TRX"})))["data"]
    assert back["fiatAmount"] == "100.00" and back["cryptoQuantity"] == "95.01000000"


async def test_estimate_price_query_sell_and_refusals(client, world):
    [sell] = (await answer(await signed_post(client, world, ESTIMATE, {
        "side": "SELL", "cryptoQuantity": "0.5", "fiatCurrency": "USD", "cryptoCurrency": "ETH",
        "network": "ETH"})))["data"]
    assert sell["side"] == "SELL" and sell["fiatAmount"] == "1750.00" and sell["rampFee"] == "30.63"
    out = await answer(await signed_post(client, world, ESTIMATE, {
        "side": "BUY", "fiatAmount": "5", "fiatCurrency": "USD", "cryptoCurrency": "USDT", "network": "TRX"}), 400)
    assert out["success"] is False and out["returnCode"] == "3102" and out["data"] is None
    assert out["returnMsg"].startswith("Quote amount is out of the range, The Min purchase amount is 10")
    for body, status, code in (
            ({"side": "BUY", "fiatAmount": "100.5", "fiatCurrency": "JPY", "cryptoCurrency": "USDT",
              "network": "TRX"}, 400, "10005"),                       # JPY takes no decimals [D]
            ({"side": "BUY", "fiatCurrency": "USD", "cryptoCurrency": "USDT", "network": "TRX"}, 400, "10005"),
            ({"fiatAmount": "100"}, 422, "10005"),
            ({"side": "BUY", "fiatAmount": "100", "fiatCurrency": "USD", "cryptoCurrency": "USDT",
              "network": "BTC"}, 400, "10002")):
        out = await answer(await signed_post(client, world, ESTIMATE, body), status)
        assert out["returnCode"] == code, out


# ---- type ALL ------------------------------------------------------------------------------------------
async def test_price_query_type_all_answers_every_payment_method(client, world):
    body = {"crypto": "USDT", "network": "TRX", "fiat": "USD", "amount": "100", "side": "BUY", "type": "ALL"}
    data = (await answer(await signed_post(client, world, f"{V4}/order/quote", body)))["data"]
    assert isinstance(data, list) and [q["payWayCode"] for q in data] == ["10001", "701"]
    assert all(q["cryptoQuantity"] == "95.01000000" and q["crypto"] == "USDT" for q in data)
    one = (await answer(await signed_post(client, world, f"{V4}/order/quote", {**body, "type": "ONE"})))["data"]
    assert isinstance(one, dict) and one["payWayCode"] == "10001"
    out = await answer(await signed_post(client, world, f"{V4}/order/quote",
                                         {**body, "side": "SELL", "crypto": "USDT"}), 400)   # ALL: BUY only
    assert out["returnCode"] == "10005"


# ---- sell orders live 48 hours ---------------------------------------------------------------------------
async def test_sell_orders_expire_after_48_hours_unless_set(client, world):
    order_no = await sell_on_page(client, world, sell_body())
    state = lambda no: client.post("/_sandbox/simulate/alchemypay/state", json={"order": no})  # noqa: E731
    await client.post("/_sandbox/clock/advance", json={"by": "47h59m"})
    assert (await (await state(order_no)).json())["status"] == "1"
    await client.post("/_sandbox/clock/advance", json={"by": "1m"})
    assert (await (await state(order_no)).json())["status"] == "7"
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"sell_expiry": "30m"})
    short = await sell_on_page(client, world, sell_body(merchantOrderNo="SELL-30"))
    await client.post("/_sandbox/clock/advance", json={"by": "30m"})
    assert (await (await state(short)).json())["status"] == "7"


# ---- traceId -------------------------------------------------------------------------------------------
async def _three_traces(client, world) -> list[str]:
    bad = {"appId": APP_ID, "timestamp": ms(world), "sign": hmac_b64(SECRET, "wrong")}
    traces = []
    rng = world.rng.getstate()
    for _ in range(2):      # the same refused request twice
        traces.append((await (await client.get(f"/alchemypay{V4}/fiat/list", headers=bad)).json())["traceId"])
    assert world.rng.getstate() == rng                 # a refusal draws nothing from the story's generator
    traces.append((await (await get(client, world, f"{V4}/fiat/list", {})).json())["traceId"])
    return traces


async def test_every_request_gets_its_own_trace_id_reproducibly(client, world, aiohttp_client):
    first = await _three_traces(client, world)
    assert len(set(first)) == 3 and all(len(t) == 32 for t in first)
    twin = await aiohttp_client(build_app(SandboxConfig(seed=1234, start=world.start)))
    from mockserver.core.http.context import WORLD
    assert await _three_traces(twin, twin.app[WORLD]) == first     # same seed, same ids


# ---- errors with HTTP 200 ------------------------------------------------------------------------------
async def test_error_status_200_setting_catches_a_client_that_trusts_the_status(client, world):
    """[A] The docs show error bodies, never their HTTP status; a public client's mocks answer errors
    with 200. With `error_status: "200"` a client reading only the status takes an error for success."""
    first = await post(client, world, f"{V4}/trade/create", buy_body())
    assert first.status == 200
    dup = await post(client, world, f"{V4}/trade/create", buy_body())
    assert dup.status == 409
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"error_status": "200"})
    dup = await post(client, world, f"{V4}/trade/create", buy_body())
    body = await dup.json()
    assert dup.status == 200 and body["success"] is False and body["returnCode"] == "10006"
    bad = {"appId": APP_ID, "timestamp": ms(world), "sign": hmac_b64(SECRET, "wrong")}
    resp = await client.get(f"/alchemypay{V4}/fiat/list", headers=bad)
    assert resp.status == 200 and json.loads(await resp.text())["returnCode"] == "81003"
