"""Issue 21: Alchemy Pay as strict as production. One test (or more) per row of the table "What
production refuses -> what the sandbox does" in docs/providers/alchemypay.md; signatures are
computed here from the published recipe, never with the server's code."""
from __future__ import annotations

import json

import pytest
from alchemypay_helpers import (TRX_ADDRESS, V4, buy_body, get, get_token, ms, open_page, post, post_wire,
                                ramp_query, sell_body, sorted_body)

CREATE = f"{V4}/trade/create"


async def refused(resp, status: int, code: str) -> dict:
    data = await resp.json()
    assert resp.status == status, data
    assert data["success"] is False and data["returnCode"] == code and data["data"] is None, data
    return data


async def strict(client, on: bool = True) -> None:
    resp = await client.patch("/_sandbox/providers/alchemypay/merchant", json={"strict": on})
    assert resp.status == 200, await resp.text()


def orders(world) -> dict:
    return dict(world.backend("alchemypay").orders)


# ---- the bytes on the wire are the bytes signed --------------------------------------------------------
async def test_unsorted_wire_body_signed_in_sorted_form_is_81003(client, world):
    """A public client documents it: production answers 81003 when the wire's key order is not the
    order signed. The sandbox used to re-sort the body before checking and let it pass."""
    token = await get_token(client, world)
    body = buy_body(redirectUrl=None)
    wire = json.dumps(body, separators=(",", ":")).encode()          # insertion order, compact
    assert wire.decode() != sorted_body(body)
    await refused(await post_wire(client, world, CREATE, wire, sorted_body(body), token), 401, "81003")
    assert orders(world) == {}
    # the same body sent as signed passes, and so does the merchantOrderNo (nothing was used up)
    ok = await post_wire(client, world, CREATE, sorted_body(body).encode(), sorted_body(body), token)
    assert ok.status == 200, await ok.text()


async def test_empty_values_on_the_wire_but_not_in_the_sign_is_81003(client, world):
    token = await get_token(client, world)
    body = buy_body(memo="")                                         # sorted, but "" on the wire
    wire = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    await refused(await post_wire(client, world, CREATE, wire, sorted_body(body), token), 401, "81003")
    assert orders(world) == {}


async def test_unsorted_wire_signed_over_its_own_bytes_is_81003(client, world):
    """The docs' recipe signs the body sorted: an unsorted bodyString is not what production signs."""
    token = await get_token(client, world)
    wire = json.dumps(buy_body(redirectUrl=None), separators=(",", ":"))
    await refused(await post_wire(client, world, CREATE, wire.encode(), wire, token), 401, "81003")


async def test_whitespace_or_escapes_signed_as_sent_pass_by_default_and_not_under_strict(client, world):
    """[A] The docs do not say how the sorted body is spaced or escaped: a sorted, empty-free body
    signed over exactly the bytes sent passes, whatever its spacing or escapes (PHP's \\/); strict
    wants the compact, unescaped form only."""
    token = await get_token(client, world)
    spaced = json.dumps(buy_body(merchantOrderNo="SP-1", redirectUrl=None), sort_keys=True, separators=(", ", ": "))
    resp = await post_wire(client, world, CREATE, spaced.encode(), spaced, token)
    assert resp.status == 200, await resp.text()
    php = sorted_body(buy_body(merchantOrderNo="PHP-1")).replace("/", "\\/")
    resp = await post_wire(client, world, CREATE, php.encode(), php, token)
    assert resp.status == 200, await resp.text()

    await strict(client)
    spaced = spaced.replace("SP-1", "SP-2")
    await refused(await post_wire(client, world, CREATE, spaced.encode(), spaced, token), 401, "81003")
    php = php.replace("PHP-1", "PHP-2")
    await refused(await post_wire(client, world, CREATE, php.encode(), php, token), 401, "81003")
    compact = sorted_body(buy_body(merchantOrderNo="C-1"))
    assert (await post_wire(client, world, CREATE, compact.encode(), compact, token)).status == 200


@pytest.mark.parametrize("strict_on", [False, True])
async def test_get_token_with_an_empty_object_answers_the_same_whatever_was_signed(client, world, strict_on):
    """Issue 23: `{}` signed over "{}" was a sign error, signed over "" a parameter error. The docs'
    recipe drops empty values (an empty object is one), so bodyString is ""; the wire's "{}" is the
    same request. Both are the missing-email parameter error."""
    await strict(client, strict_on)
    path = f"{V4}/getToken"
    for signed in ("{}", ""):
        await refused(await post_wire(client, world, path, b"{}", signed), 422, "10005")


# ---- trade/create parameters ------------------------------------------------------------------------
async def test_pay_way_code_must_come_from_the_fiat_list(client, world):
    await refused(await post(client, world, CREATE, buy_body(payWayCode="999")), 400, "10005")
    assert orders(world) == {}
    assert (await post(client, world, CREATE, buy_body(payWayCode="701"))).status == 200   # Google Pay, BUY
    # order/create SELL: the SELL list has bank transfer (10001) only
    sell = sell_body(orderType="6", side=None, payWayCode="701")
    await refused(await post(client, world, f"{V4}/order/create", sell), 400, "10005")


@pytest.mark.parametrize("network,crypto,address", [
    ("TRX", "USDT", "not-an-address"),
    ("TRX", "USDT", "TKBSr2wessawfsBra9p7opSyRGfuXrrT"),           # 32 characters: the sample's
    ("TRX", "USDT", "0x52908400098527886E0F7030069857D2E4169EE7"),  # an ETH address on TRX
    ("ETH", "USDT", TRX_ADDRESS),
    ("BTC", "BTC", "0x52908400098527886E0F7030069857D2E4169EE7"),
    ("SOL", "SOL", "0OOOIIIlll0OOOIIIlll0OOOIIIlll00"),             # not base58
])
async def test_address_must_be_shaped_for_its_network(client, world, network, crypto, address):
    body = buy_body(network=network, cryptoCurrency=crypto, address=address)
    await refused(await post(client, world, CREATE, body), 400, "10005")
    assert orders(world) == {}


@pytest.mark.parametrize("network,crypto,address", [
    ("TRX", "USDT", TRX_ADDRESS),
    ("ETH", "USDT", "0x52908400098527886E0F7030069857D2E4169EE7"),
    ("BSC", "USDT", "0x52908400098527886e0f7030069857d2e4169ee7"),
    ("BTC", "BTC", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    ("BTC", "BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("SOL", "SOL", "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"),
    ("XRP", "XRP", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"),
])
async def test_documented_address_shapes_pass(client, world, network, crypto, address):
    await strict(client)          # the documented shapes pass even under strict
    resp = await post(client, world, CREATE, buy_body(network=network, cryptoCurrency=crypto, address=address))
    assert resp.status == 200, await resp.text()


async def test_testnet_addresses_pass_by_default_and_not_under_strict(client, world):
    """[A] Alchemy's regex is mainnet's; the sandbox also takes the testnet shapes its own chains use."""
    body = buy_body(network="BTC", cryptoCurrency="BTC", address="tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")
    assert (await post(client, world, CREATE, body)).status == 200
    avax = buy_body(network="AVAX", cryptoCurrency="AVAX", merchantOrderNo="AV-1",
                    address="0x52908400098527886E0F7030069857D2E4169EE7")
    assert (await post(client, world, CREATE, avax)).status == 200
    await strict(client)
    await refused(await post(client, world, CREATE, {**body, "merchantOrderNo": "T-2"}), 400, "10005")
    await refused(await post(client, world, CREATE, {**avax, "merchantOrderNo": "AV-2"}), 400, "10005")


@pytest.mark.parametrize("fiat,amount,ok", [
    ("USD", "100.123456789", False), ("USD", "100.125", False), ("USD", "100.12", True),
    ("JPY", "1500.5", False), ("JPY", "1500", True), ("INR", "1000.50", False), ("INR", "1000", True),
])
async def test_amount_within_the_fiats_decimals(client, world, fiat, amount, ok):
    resp = await post(client, world, CREATE, buy_body(fiatCurrency=fiat, amount=amount))
    if ok:
        assert resp.status == 200, await resp.text()
    else:
        await refused(resp, 400, "10005")
        assert orders(world) == {}


async def test_deposit_type_as_a_string_only_without_strict(client, world):
    """[A] The docs fix depositType to the int 2; the sandbox also takes "2" unless strict."""
    assert (await post(client, world, CREATE, buy_body(depositType="2"))).status == 200
    await strict(client)
    await refused(await post(client, world, CREATE, buy_body(depositType="2", merchantOrderNo="D-2")), 422, "10005")


# ---- off-ramp links ----------------------------------------------------------------------------------
SELL = {"crypto": "USDT", "network": "TRX", "cryptoAmount": "100", "type": "sell", "showTable": "sell",
        "merchantOrderNo": "SELL-LINK-1"}


@pytest.mark.parametrize("path", [None, "/ramp"])
@pytest.mark.parametrize("change", [
    {"type": None}, {"type": "buy"}, {"merchantOrderNo": None}, {"fiat": "USD"}, {"cryptoAmount": None},
])
async def test_off_ramp_link_without_a_mandatory_parameter_opens_nothing(client, world, path, change):
    params = {k: v for k, v in {**SELL, **change}.items() if v is not None}
    resp = await open_page(client, world, "sell", path, **params)
    await refused(resp, 422, "10005")
    assert orders(world) == {}


async def test_off_ramp_link_with_fiat_and_country_opens_the_order(client, world):
    resp = await open_page(client, world, "sell", **{**SELL, "fiat": "EUR", "country": "DE"})
    assert resp.status == 200, await resp.text()
    [order] = orders(world).values()
    assert order.fiat == "EUR" and order.alpha2 == "DE"


async def test_off_ramp_merchant_order_no_cannot_be_duplicated(client, world):
    ts = ms(world)
    first = ramp_query("sell", SELL, ts)
    assert (await client.get("/alchemypay/index/rampPageSell", params=first)).status == 200
    # [A] the same link opened again (a reload) shows the same order
    again = await client.get("/alchemypay/index/rampPageSell", params=first)
    assert again.status == 200 and len(orders(world)) == 1
    # another link with the same merchantOrderNo: refused
    other = ramp_query("sell", {**SELL, "cryptoAmount": "50"}, ts)
    await refused(await client.get("/alchemypay/index/rampPageSell", params=other), 409, "10006")
    await strict(client)
    await refused(await client.get("/alchemypay/index/rampPageSell", params=first), 409, "10006")
    assert len(orders(world)) == 1


# ---- the on-ramp page: fiatAmount is optional --------------------------------------------------------
BUY = {"crypto": "USDT", "network": "TRX", "fiat": "USD", "showTable": "buy", "address": TRX_ADDRESS,
       "merchantOrderNo": "BUY-LINK-1"}


async def test_on_ramp_page_opens_without_fiat_amount_and_takes_it_from_the_form(client, world):
    query = ramp_query("buy", BUY, ms(world))
    page = await client.get("/alchemypay/index/rampPageBuy", params=query)
    text = await page.text()
    assert page.status == 200, text
    assert 'name="fiatAmount"' in text and orders(world) == {}
    bad = await client.post("/alchemypay/index/rampPageBuy", params=query, data={"fiatAmount": "1.5"})
    await refused(bad, 400, "10005")                                 # below the limits
    assert orders(world) == {}
    done = await client.post("/alchemypay/index/rampPageBuy", params=query, data={"fiatAmount": "120"})
    assert done.status == 200, await done.text()
    [order] = orders(world).values()
    assert str(order.amount) == "120" and order.merchant_order_no == "BUY-LINK-1"
    found = await get(client, world, f"{V4}/query/trade", {"merchantOrderNo": "BUY-LINK-1", "side": "BUY"})
    assert (await found.json())["data"]["status"] == "PENDING"


async def test_on_ramp_form_needs_the_signed_link(client, world):
    query = ramp_query("buy", BUY, ms(world))
    tampered = {**query, "address": "TZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}
    await refused(await client.post("/alchemypay/index/rampPageBuy", params=tampered, data={"fiatAmount": "50"}),
                  401, "81003")
    assert orders(world) == {}



async def test_on_ramp_link_without_merchant_order_no_only_without_strict(client, world):
    """[A] One version of the on-ramp page marks merchantOrderNo mandatory, its example link has none:
    the sandbox makes one up; strict refuses the link."""
    params = {k: v for k, v in {**BUY, "fiatAmount": "100"}.items() if k != "merchantOrderNo"}
    assert (await open_page(client, world, "buy", **params)).status == 200
    await strict(client)
    await refused(await open_page(client, world, "buy", **params), 400, "10005")
    assert len(orders(world)) == 1
