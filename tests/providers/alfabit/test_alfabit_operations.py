"""Operations public clients use: withdraw-with-exchange (fees first, then the conversion), the
alternative withdraw body (walletId + volume) as a labelled opt-in reading, "Convert to" on an
invoice without amount, serviceCommission on orders, and the fiat endpoints' 404."""
from __future__ import annotations

from decimal import ROUND_UP, Decimal

from alfabit_support import BASE, TRON_ADDRESS, WITHDRAW, dec

EXCHANGE = WITHDRAW + "-with-exchange"
BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


async def _fees(ab) -> dict:
    _, answer = await ab.call("GET", BASE + "/api/v1/integration/assets/withdraw-fee", expect=200)
    return {f["toCurrencyCode"]: f for f in answer["data"]}


async def test_withdraw_with_exchange_adds_fees_then_converts(hooked):
    ab, rec = hooked
    await ab.simulate("credit", amount="1000")
    fee = (await _fees(ab))["BTC"]
    # what a client computes from the published figures, independently of the sandbox: amount +
    # fixFee + rate % in BTC, then BTC -> USDT at the currencies' usdPrice, rounded up to 6 decimals
    _, currencies = await ab.call("GET", BASE + "/api/v1/integration/assets/currencies", expect=200)
    price = dec(next(c for c in currencies["data"] if c["publicCode"] == "BTC")["usdPrice"])
    sent = Decimal("0.01")
    in_btc = sent + Decimal(str(fee["fixFee"])) + sent * Decimal(str(fee["rate"])) / 100
    expected_cost = (in_btc * price).quantize(Decimal("0.000001"), rounding=ROUND_UP)
    status, answer = await ab.call("POST", EXCHANGE, json_body={
        "fromAssetCode": "USDT", "amount": "0.01", "toCurrencyCode": "BTC", "recipient": BTC_ADDRESS,
        "comment": "payout 78"})
    assert status == 201 and answer["message"] == "ok"
    data = answer["data"]
    assert (data["type"], data["status"], data["currencyInCode"], data["currencyOutCode"]) == (
        "withdraw-with-exchange", "created", "USDT-INTERNAL", "BTC")
    assert dec(data["amountInExpected"]) == expected_cost and data["amountOutExpected"] == "0.01"
    assert await ab.balance() == 1000 - expected_cost
    await ab.advance("10s")
    await ab.simulate("confirm", order=data["uid"])
    done = await ab.order(data["uid"])
    assert (done["status"], done["isDone"], done["amountOutFact"]) == ("success", True, "0.01") and done["txId"]
    _, listed = await ab.call("GET", BASE + "/api/v2/integration/orders?types[]=withdraw-with-exchange", expect=200)
    assert [o["uid"] for o in listed["data"]] == [data["uid"]]


async def test_a_plain_withdrawal_spends_the_balance_of_the_asset_it_sends(ab):
    await ab.simulate("credit", amount="1000")
    status, answer = await ab.call("POST", WITHDRAW, json_body={"amount": "0.01", "toCurrencyCode": "BTC",
                                                                "recipient": BTC_ADDRESS})
    assert status == 400 and "BTC-INTERNAL" in answer["message"]           # no exchange without asking
    await ab.simulate("credit", amount="0.02", currency="BTC-INTERNAL")
    _, answer = await ab.call("POST", WITHDRAW, json_body={"amount": "0.01", "toCurrencyCode": "BTC",
                                                           "recipient": BTC_ADDRESS}, expect=201)
    assert answer["data"]["currencyInCode"] == "BTC-INTERNAL" and answer["data"]["netFeeCurrencyCode"] == "BTC-INTERNAL"


async def test_the_walletid_volume_body_is_refused_unless_the_merchant_opts_in(ab):
    await ab.simulate("credit", amount="100")
    body = {"walletId": "w-1", "toCurrencyCode": "USDTTRC20", "volume": "5", "recipient": TRON_ADDRESS,
            "comment": "iEX payout"}
    status, answer = await ab.call("POST", WITHDRAW, json_body=body)
    assert status == 400 and answer["message"] == ["amount must be a positive number string"]
    await ab.set_merchant(withdraw_volume_field=True)
    _, answer = await ab.call("POST", WITHDRAW, json_body=body, expect=201)
    assert answer["data"]["amountOutExpected"] == "5"
    await ab.set_merchant(strict=True)                   # strict wins over the opt-in reading
    status, answer = await ab.call("POST", WITHDRAW, json_body=body)
    assert status == 400 and "property walletId should not exist" in answer["message"]


async def test_convert_to_on_an_invoice_without_amount(ab):
    order = await ab.create("USDTTRC20", amount=None, invoiceAssetCode="TON")
    assert (order["invoiceCurrencyCode"], order["currencyOutCode"], order["assetOutCode"]) == (
        "TON", "TON-INTERNAL", "TON")
    await ab.simulate("pay", order=order["uid"], amount="52")
    await ab.advance("3m")
    done = await ab.order(order["uid"])
    # 52 USDT = 10 TON at 5.2, less the 0.06 % service fee
    assert (done["status"], done["amountOutFact"], done["serviceCommission"]) == ("success", "9.994", "0.006")
    _, balances = await ab.call("GET", BASE + "/api/v1/integration/merchant/balances", expect=200)
    assert next(b for b in balances["data"] if b["code"] == "TON")["balance"] == "9.994"


async def test_service_commission_is_the_fee_taken(ab):
    order = await ab.create("USDCSOL", amount=None)
    await ab.simulate("pay", order=order["uid"], amount="850")
    await ab.advance("5m")
    done = await ab.order(order["uid"])
    assert dec(done["serviceCommission"]) + dec(done["amountOutFact"]) == 850 and done["serviceCommission"] == "0.51"


async def test_fiat_endpoints_are_the_providers_404_never_a_405(ab):
    for method, path in (("GET", "/api/v1/integration/merchant/fiat-config"),
                         ("POST", "/api/v1/integration/orders/fiat-withdraw")):
        status, answer = await ab.call(method, BASE + path, json_body={} if method == "POST" else None)
        assert status == 404 and answer["error"] == "Not Found" and isinstance(answer["message"], str)
    status, _ = await ab.call("GET", BASE + "/api/v1/integration/merchant/fiat-config", headers={})
    assert status == 401
