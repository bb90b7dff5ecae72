"""Deposit addresses for every documented asset, prices, balances and address lookups."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from alt5pay_helpers import M2

SANDBOX_ASSETS = {
    "btc": ("BTC", r"^tb1[02-9ac-hj-np-z]{39}$"),
    "bch": ("BCH", r"^bchtest:q[02-9ac-hj-np-z]{41}$"),
    "eth": ("ETH", r"^0x[0-9a-f]{40}$"),
    "ltc": ("LTC", r"^tltc1[02-9ac-hj-np-z]{39}$"),
    "doge": ("DOGE", r"^n[1-9A-HJ-NP-Za-km-z]{33}$"),
    "xrp": ("XRP", r"^r[1-9A-HJ-NP-Za-km-z]{24,34}$"),
    "sol": ("SOL", r"^[1-9A-HJ-NP-Za-km-z]{43,44}$"),
    "bnb": ("BNB", r"^0x[0-9a-f]{40}$"),
    "dash": ("DASH", r"^y[1-9A-HJ-NP-Za-km-z]{33}$"),
    "ada": ("ADA", r"^addr_test1[02-9ac-hj-np-z]+$"),
    "avax": ("AVAX", r"^0x[0-9a-f]{40}$"),
    "matic_poly": ("MATIC", r"^0x[0-9a-f]{40}$"),
    "usdt_tron": ("USDT", r"^T[1-9A-HJ-NP-Za-km-z]{33}$"),
    "erc20/usdc": ("USDC", r"^0x[0-9a-f]{40}$"),
}


@pytest.mark.parametrize("asset", sorted(SANDBOX_ASSETS))
async def test_create_address_for_every_sandbox_asset(api, world, asset):
    coin, shape = SANDBOX_ASSETS[asset]
    status, body = await api(f"/usr/wallet/{asset}/create", {"ref_id": f"ref-{asset}"})
    assert status == 200, body
    data = body["data"]
    assert data["coin"] == coin and data["ref_id"] == f"ref-{asset}"
    assert re.match(shape, data["address"]), data["address"]
    assert isinstance(data["price"], (int, float)) and data["price"] > 0
    expires = datetime.strptime(data["expires"], "%Y-%m-%d %H:%M:%S.%f")
    assert expires == world.clock.now().replace(tzinfo=None) + timedelta(minutes=60)
    assert ("tag" in data) == (asset == "xrp")


@pytest.mark.parametrize("asset,status", [("erc20/usdt", 400), ("erc20/shib", 400), ("zzz", 404),
                                          ("erc20/zzz", 404)])
async def test_assets_without_sandbox_could_not_create_address(api, world, asset, status):
    got, body = await api(f"/usr/wallet/{asset}/create", {"ref_id": "x"})
    assert (got, body) == (status, {"status": "error", "message": "Could Not Create Address"})
    assert world.backend("alt5pay").wallets == {}


async def test_currency_changes_price_and_defaults_to_usd(api):
    _, usd = await api("/usr/wallet/btc/create", {"ref_id": "a"})
    _, cad = await api("/usr/wallet/btc/create", {"ref_id": "a", "currency": "CAD"})
    _, eur = await api("/usr/wallet/btc/create", {"ref_id": "a", "currency": "EUR"})
    assert cad["data"]["price"] > usd["data"]["price"] > eur["data"]["price"]


async def test_address_by_ref_lists_every_address_of_the_ref(api):
    _, a = await api("/usr/wallet/btc/create", {"ref_id": "order-9"})
    _, b = await api("/usr/wallet/eth/create", {"ref_id": "order-9"})
    status, body = await api("/usr/wallet/addressbyref", {"ref_id": "order-9"})
    assert status == 200
    assert [(d["address"], d["coin"], d["tag"]) for d in body["data"]] == [
        (a["data"]["address"], "BTC", ""), (b["data"]["address"], "ETH", "")]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["data"][0]["date"])
    # ref_ids are the merchant's own: another merchant sees nothing.
    status, body = await api("/usr/wallet/addressbyref", {"ref_id": "order-9"}, merchant=M2)
    assert (status, body["status"]) == (404, "error")


async def test_price_is_a_string_with_date_time(api, world):
    status, body = await api("/usr/price", {"coin": "BTC", "currency": "USD"})
    assert status == 200
    data = body["data"]
    assert re.match(r"^\d+\.\d{2}$", data["price"]) and data["coin"] == "BTC" and data["currency"] == "USD"
    assert data["date_time"] == world.clock.now().strftime("%Y-%m-%d %H:%M:%S.000")
    status, body = await api("/usr/price", {"coin": "NOPE", "currency": "USD"})
    assert (status, body["status"]) == (400, "error")


async def test_price_is_deterministic_and_moves_with_the_clock(api, world):
    _, first = await api("/usr/price", {"coin": "ETH", "currency": "EUR"})
    _, again = await api("/usr/price", {"coin": "ETH", "currency": "EUR"})
    assert first["data"]["price"] == again["data"]["price"]
    await world.scheduler.run_until(world.clock.now() + timedelta(hours=6))
    _, later = await api("/usr/price", {"coin": "ETH", "currency": "EUR"})
    assert later["data"]["price"] != first["data"]["price"]


async def test_balances_list_every_coin_with_the_docs_key(api):
    status, body = await api("/usr/balances", {})
    assert status == 200
    coins = {d["coin"]: d["blalance"] for d in body["data"]}
    assert {"BTC", "ETH", "USDT", "USDC", "BCH"} <= set(coins) and set(coins.values()) == {0}


async def test_invoice_create_returns_urls_and_widget(api, client):
    body = {"contact": {"email": "a@b.c"}, "ref_id": "INV-1", "items": [{"item": "x", "cost": "5", "quantity": "2"}],
            "total_amount": "10", "currency": "USD", "due_date": "2025-01-20", "sendemail": False}
    status, out = await api("/usr/invoice/create", body)
    assert status == 200 and "widget_url" not in out["data"]
    invoice_id = out["data"]["invoice_id"]
    assert out["data"]["invoice_url"].endswith(f"/alt5pay/payinvoice/?inv={invoice_id}")
    page = await client.get("/alt5pay" + out["data"]["invoice_url"].split("/alt5pay", 1)[1])
    assert page.status == 200 and "INV-1" in await page.text()
    status, out = await api("/usr/invoice/create", {**body, "ref_id": "INV-2", "type": "widget"})
    assert status == 200 and "/alt5pay/widget/?inv=" in out["data"]["widget_url"]


async def test_invoice_status_call_needs_no_auth(api, client):
    _, out = await api("/usr/invoice/create", {"ref_id": "INV-3", "total_amount": 25.5, "currency": "CAD"})
    resp = await client.post(f"/alt5pay/invoice/{out['data']['invoice_id']}", headers={"Content-type": "application/json"})
    assert resp.status == 200
    assert (await resp.json())["data"] == {"invoice_id": out["data"]["invoice_id"], "ref_id": "INV-3",
                                           "payment_status": "Unpaid", "paid_amount": 0,
                                           "total_amount": 25.5, "currency": "CAD"}
    resp = await client.post("/alt5pay/invoice/nope")
    assert resp.status == 404 and (await resp.json()) == {"status": "error", "message": "Invoice Not Found"}


@pytest.mark.parametrize("total", ["0", "-3", "abc", 0, "99999999999999"])
async def test_invoice_bad_total_is_refused(api, world, total):
    status, body = await api("/usr/invoice/create", {"ref_id": "bad", "total_amount": total})
    assert 400 <= status < 500 and body["status"] == "error"
    assert world.backend("alt5pay").invoices == {}
