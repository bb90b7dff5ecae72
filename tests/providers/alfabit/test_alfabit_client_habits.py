"""What the public AlfaBit integrations do with the reference data, written from their habits (the
audit's C1-C7), run against the sandbox: an exchanger module filtering currencies on COIN, a
payout module keeping reserves by balance `code`, a backend looking rates up by `usdPrice`, a fiat
payout class reading the v2 list's `data` as the list of orders, a gateway building its "Convert
to" options from the exchange rates, a front-end reading the merchant's balanceUsd and equal, and
a typed client parsing every timestamp."""
from __future__ import annotations

import json
import math
from datetime import datetime

from alfabit_support import BASE

V1 = BASE + "/api/v1/integration"


def js_parse_float(value) -> float:
    """JavaScript's parseFloat on whatever the JSON held: NaN when it is not a number string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else math.nan
    except ValueError:
        return math.nan


async def _data(ab, path: str):
    _, answer = await ab.call("GET", V1 + path, expect=200)
    assert answer["message"] == "ok"
    return answer["data"]


async def test_exchanger_keeps_public_coins_and_the_payout_module_accepts_them(ab):
    items = await _data(ab, "/assets/currencies")
    coins = sorted((c for c in items if not c["isInternal"] and c["currencyType"] == "COIN"),
                   key=lambda c: c["publicName"])
    allowed = [c["publicCode"] for c in coins]
    assert {"USDTTRC20", "USDTTON", "TON", "BTC"} <= set(allowed)          # not empty: every payout has a code
    assert not any(code.endswith("-INTERNAL") for code in allowed)
    convert_from = sorted(a["code"] for a in await _data(ab, "/assets") if a["type"] == "COIN")
    assert "USDT" in convert_from


async def test_rate_lookup_by_usd_price_is_a_number(ab):
    items = await _data(ab, "/assets/currencies")

    def rate(asset: str) -> float:
        found = next((c for c in items if c["assetCode"] == asset), None)
        return 1.0 if found is None else js_parse_float(found.get("usdPrice"))

    assert rate("TON") == 5.2 and rate("BTC") == 60000.0 and rate("USDT") == 1.0
    assert all(not math.isnan(js_parse_float(c.get("usdPrice"))) for c in items)
    assert all(isinstance(c["assetName"], str) and c["assetName"] for c in items)


async def test_payout_reserves_are_found_by_balance_code(ab):
    await ab.simulate("credit", amount="123.45")
    purses = sorted(b["code"] for b in await _data(ab, "/merchant/balances"))
    assert "USDT" in purses

    def reserve(purse: str) -> str:
        for item in balances:
            if item["code"].upper() == purse:
                return item["balance"]
        return "0"

    balances = await _data(ab, "/merchant/balances")
    assert reserve("USDT") == "123.45"
    usd = {b["assetCode"]: js_parse_float(b["balanceUsd"]) for b in balances}
    assert usd["USDT"] == 123.45 and not any(math.isnan(v) for v in usd.values())
    assert [b for b in balances if b["type"] == "FIAT"] == []               # no fiat: the fiat class sees none


async def test_fiat_payout_reads_the_v2_list_data_as_a_list_of_orders(ab):
    made = [await ab.create() for _ in range(3)]
    _, answer = await ab.call("GET", BASE + "/api/v2/integration/orders?limit=100&types[]=invoice", expect=200)
    by_uid = {o["uid"]: o for o in answer["data"]}                        # array_column(data, null, 'uid')
    assert set(by_uid) == {o["uid"] for o in made}


async def test_convert_to_options_come_from_rates_that_are_not_turned(ab):
    options = sorted({r["toAssetCode"] for r in await _data(ab, "/assets/exchange-rate") if not r["isTurnRate"]})
    assert {"USDT", "TON"} <= set(options)
    order = await ab.create("TRX", amount=None, invoiceAssetCode=options[-1])
    assert order["invoiceCurrencyCode"] == options[-1]


async def test_front_end_reads_balance_usd_and_equal(ab):
    await ab.simulate("credit", amount="10")
    merchant = await _data(ab, "/merchant")
    assert js_parse_float(merchant["balanceUsd"]) == 10.0 and js_parse_float(merchant["equal"]) == 10.0


TYPED = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_typed(order: dict) -> dict:
    """A typed client's DTO: each instant a datetime, null only where the sample has null."""
    out = {}
    for key in ("createdAt", "updatedAt"):
        out[key] = datetime.strptime(order[key], TYPED)
    for key in ("expirationTime", "deletedAt"):
        out[key] = None if order[key] is None else datetime.strptime(order[key], TYPED)
    return out


async def test_every_timestamp_parses_as_a_typed_instant(hooked):
    ab, rec = hooked
    order = await ab.create()
    await ab.simulate("pay", order=order["uid"])
    await ab.advance("3m")
    await ab.simulate("credit", amount="50")
    await ab.call("POST", V1 + "/orders/withdraw", json_body={
        "amount": "5", "toCurrencyCode": "USDTTRC20", "recipient": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}, expect=201)
    seen = [json.loads(r["body"]) for r in rec.requests]
    _, listed = await ab.call("GET", V1 + "/orders?limit=100", expect=200)
    seen += listed["data"] + [await ab.order(order["uid"])]
    for item in seen:
        parsed = parse_typed(item)
        assert parsed["updatedAt"] >= parsed["createdAt"]
        if parsed["expirationTime"] is not None:
            assert parsed["expirationTime"] > parsed["createdAt"]
