"""GET /balances and POST /withdrawals: funds move with confirmations and withdrawals."""
from __future__ import annotations

import json

import pytest

from cp_support import dec, instant

# coin -> (network, USD to fund with, minimum, fee, block time, a well-shaped destination)
COINS = {
    "BTC": ("btc", 60, "0.0005", "0.00005", "10m", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
    "LTC": ("ltc", 2, "0.01", "0.001", "150s", "tltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9"),
    "ETH": ("eth", 30, "0.005", "0.001", "12s", "0x52908400098527886E0F7030069857D2E4169EE7"),
    "USDT-TRC20": ("trc20", 20, "5", "1", "3s", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
    "USDT-BEP20": ("bep20", 20, "5", "0.5", "3s", "0x8894E0a0c962CB723c1976a4421c95949bE2D4E3"),
}
ALL_KEYS = set(COINS)


async def fund(cp, network: str, usd) -> dict:
    inv = await cp.create(network, usd)
    await cp.pay(inv["id"])
    await cp.simulate("confirm", invoice=inv["id"])
    return inv


async def test_balances_shape_for_a_new_merchant(cp):
    _, text = await cp.call("GET", "/balances", expect=200)
    data = json.loads(text)
    assert data["success"] is True
    assert set(data["balances"]) == ALL_KEYS
    assert all(v == {"available": 0, "pending": 0} for v in data["balances"].values())


async def test_pending_while_confirming_then_available(cp):
    inv = await cp.create("trc20", 50)
    await cp.pay(inv["id"])
    assert (await cp.balances())["USDT-TRC20"] == {"available": 0, "pending": 50}
    await cp.advance("57s")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    assert (await cp.balances())["USDT-TRC20"] == {"available": 50, "pending": 0}
    # other coins untouched
    assert (await cp.balances())["USDT-BEP20"] == {"available": 0, "pending": 0}


async def test_balances_add_up_per_coin(cp):
    await fund(cp, "btc", 60)
    await fund(cp, "btc", 120)
    await fund(cp, "bep20", 7)
    balances = await cp.balances()
    assert dec(balances["BTC"]["available"]) == dec("0.003")
    assert dec(balances["USDT-BEP20"]["available"]) == 7


@pytest.mark.parametrize("coin", sorted(COINS))
async def test_minimum_fee_and_completion_per_coin(cp, coin):
    network, usd, minimum, fee, block, address = COINS[coin]
    await fund(cp, network, usd)
    funded = dec((await cp.balances())[coin]["available"])
    below = dec(minimum) - dec(minimum) / 10

    resp, text = await cp.call("POST", "/withdrawals",
                               json_body={"coin": coin, "amount": float(below), "address": address})
    assert resp.status == 422
    assert json.loads(text) == {"success": False, "error": f"Minimum withdrawal for {coin} is {minimum}"}
    assert dec((await cp.balances())[coin]["available"]) == funded

    t0 = await cp.now()
    out = await cp.withdraw(coin, float(minimum), address)
    w = out["withdrawal"]
    assert out["success"] is True
    assert (w["coin"], w["status"], w["requires_review"], w["txid"]) == (coin, "processing", False, None)
    assert dec(w["amount"]) == dec(minimum) and dec(w["fee"]) == dec(fee)
    assert dec(w["net_amount"]) == dec(minimum) - dec(fee)
    assert w["address"] == address and instant(w["created_at"]) == t0 and w["completed_at"] is None
    assert dec((await cp.balances())[coin]["available"]) == funded - dec(minimum)

    # one block later it has gone out on its chain
    seconds = {"10m": 600, "150s": 150, "12s": 12, "3s": 3}[block]
    await cp.advance(f"{seconds - 1}s")
    assert (await cp.withdrawal(w["id"]))["status"] == "processing"
    await cp.advance("1s")
    done = await cp.withdrawal(w["id"])
    assert done["status"] == "completed" and done["txid"]
    assert (instant(done["completed_at"]) - t0).total_seconds() == seconds
    sent = await cp.admin("GET", f"/chain/transfers?address={address}")
    assert [(t["txid"], dec(t["amount"])) for t in sent] == [(done["txid"], dec(minimum) - dec(fee))]
    assert dec((await cp.balances())[coin]["available"]) == funded - dec(minimum)


async def test_over_500_usd_waits_for_review_then_approved(cp):
    await fund(cp, "trc20", 700)
    out = await cp.withdraw("USDT-TRC20", 501, COINS["USDT-TRC20"][5])
    w = out["withdrawal"]
    assert (w["status"], w["requires_review"]) == ("pending_review", True)
    assert (await cp.balances())["USDT-TRC20"]["available"] == 199  # held at once
    await cp.advance("1h")
    assert (await cp.withdrawal(w["id"]))["status"] == "pending_review"
    approved = await cp.simulate("approve_withdrawal", withdrawal=w["id"])
    assert approved["withdrawal"]["status"] == "processing"
    await cp.advance("3s")
    done = await cp.withdrawal(w["id"])
    assert done["status"] == "completed" and done["txid"]
    assert (await cp.balances())["USDT-TRC20"]["available"] == 199
    await cp.simulate("approve_withdrawal", withdrawal=w["id"], expect=409)


async def test_over_500_usd_rejected_releases_funds(cp):
    await fund(cp, "btc", 1200)  # 0.02 BTC
    out = await cp.withdraw("BTC", 0.01, COINS["BTC"][5])  # $600
    w = out["withdrawal"]
    assert w["status"] == "pending_review"
    assert dec((await cp.balances())["BTC"]["available"]) == dec("0.01")
    rejected = await cp.simulate("reject_withdrawal", withdrawal=w["id"])
    assert rejected["withdrawal"]["status"] == "rejected"
    assert dec((await cp.balances())["BTC"]["available"]) == dec("0.02")
    await cp.run()
    got = await cp.withdrawal(w["id"])
    assert got["status"] == "rejected" and got["txid"] is None
    await cp.simulate("reject_withdrawal", withdrawal=w["id"], expect=409)
    await cp.simulate("approve_withdrawal", withdrawal="nope", expect=404)


async def test_exactly_500_usd_needs_no_review(cp):
    await fund(cp, "trc20", 600)
    w = (await cp.withdraw("USDT-TRC20", 500, COINS["USDT-TRC20"][5]))["withdrawal"]
    assert (w["status"], w["requires_review"]) == ("processing", False)


async def test_insufficient_balance_is_422_and_changes_nothing(cp):
    await fund(cp, "trc20", 20)
    before = await cp.balances()
    resp, text = await cp.call("POST", "/withdrawals", json_body={
        "coin": "USDT-TRC20", "amount": 20.01, "address": COINS["USDT-TRC20"][5]})
    assert resp.status == 422
    assert json.loads(text) == {"success": False, "error": "Insufficient USDT-TRC20 balance"}
    assert await cp.balances() == before
    # the whole balance is fine
    await cp.withdraw("USDT-TRC20", 20, COINS["USDT-TRC20"][5])
    assert (await cp.balances())["USDT-TRC20"]["available"] == 0


@pytest.mark.parametrize("coin,address", [
    ("USDT-TRC20", "0x52908400098527886E0F7030069857D2E4169EE7"),   # another network's shape
    ("USDT-TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6"),            # one character short
    ("ETH", "0x52908400098527886E0F7030069857D2E4169EZZ"),          # not hex
    ("ETH", "0x52908400098527886E0F7030069857D2E4169EE7\n"),        # trailing newline
    ("BTC", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
    ("LTC", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
    ("USDT-BEP20", "not an address at all, really"),
])
async def test_bad_address_is_422_and_changes_nothing(cp, coin, address):
    network, usd = COINS[coin][0], COINS[coin][1]
    await fund(cp, network, usd)
    before = await cp.balances()
    resp, text = await cp.call("POST", "/withdrawals", json_body={
        "coin": coin, "amount": float(COINS[coin][2]), "address": address})
    assert resp.status == 422, text
    assert json.loads(text)["success"] is False
    assert await cp.balances() == before


async def test_unknown_withdrawal_is_404(cp):
    resp, text = await cp.call("GET", "/withdrawals/00000000-0000-4000-8000-000000000000")
    assert resp.status == 404
    assert json.loads(text) == {"success": False, "error": "Withdrawal not found"}
