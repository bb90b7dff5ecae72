"""Settings and verbs are input too: merchant settings are typed and bounded (a refused PATCH
changes nothing and an accepted one never breaks a later call), a create that is refused leaves
nothing behind, and simulate verbs refuse amounts no chain carries without drawing from the
seeded generator."""
from __future__ import annotations

import pytest


def _snapshot(world):
    backend = world.backend("alppay")
    return (world.rng.getstate(), dict(backend.balances), len(backend.payments), len(backend.wallets),
            len(backend.withdrawals), len(world.outbox.list()), world.chain._transfers.copy())


@pytest.mark.parametrize("settings, words", [
    ({"payment_timeout": 1e12}, "payment_timeout"),
    ({"payment_timeout": -5}, "payment_timeout: must be at least 1"),
    ({"payment_timeout": 0.5}, "payment_timeout"),
    ({"payment_timeout": "9000"}, "payment_timeout"),
    ({"profile": {"name": None}}, "name"),
    ({"profile": {"colour": "red"}}, "colour"),
    ({"fee_percent": "101"}, "fee_percent"),
    ({"fee_percent": "-1"}, "fee_percent"),
    ({"fee_fixed": 1e300}, "fee_fixed"),
    ({"aml_threshold": "lots"}, "aml_threshold"),
    ({"balances": {"DOGE_doge": "1"}}, "DOGE_doge"),
    ({"signed_body": "loose"}, "signed_body"),
    ({"strict": "yes"}, "strict"),
])
async def test_a_bad_setting_is_400_and_changes_nothing(ap, client, world, settings, words):
    before = dict(world.backend("alppay").merchants[0])
    resp = await client.patch("/_sandbox/providers/alppay/merchant", json=settings)
    message = (await resp.json())["error"]["message"]
    assert resp.status == 400 and words in message and "Decimal(" not in message, message
    assert world.backend("alppay").merchants[0] == before
    await ap.create()                                       # the merchant still works


async def test_the_largest_timeout_still_creates_and_lists(ap, client):
    await ap.set_merchant(payment_timeout=31_536_000)
    created = await ap.create()
    assert created["timeout"] == 31_536_000
    _, listed = await ap.call("GET", "/payment?statuses=NEW", expect=200)
    assert [p["id"] for p in listed["results"]] == [created["id"]]
    assert (await client.get("/_sandbox/ui/p/alppay")).status == 200


async def test_a_refused_create_leaves_no_payment_and_no_client_wallet(ap, world):
    before = _snapshot(world)
    status, out = await ap.call("POST", "/payment", {"amount": "5.00", "asset": {"short": "BTC", "network": "tron"},
                                                     "customer": {"id": 1, "name": "a", "email": "a@b.example"},
                                                     "clientId": "new-client"})
    assert (status, out["field"]) == (422, "asset")
    assert _snapshot(world) == before and not world.backend("alppay").client_addresses


@pytest.mark.parametrize("params", [
    {"amount": "1e30"}, {"amount": 9223372036854775808}, {"amount": "1e-30"}, {"fraction": "1e15"},
    {"fraction": "1e-30"}, {"amount": "0.000000000000000000001"}, {"kind": {}}, {"amount": [1]},
])
async def test_pay_with_an_amount_no_chain_carries_is_400_and_draws_nothing(ap, world, params):
    created = await ap.create()
    before = _snapshot(world)
    await ap.simulate("pay", expect=400, payment=created["id"], **params)
    assert _snapshot(world) == before


@pytest.mark.parametrize("amount", ["1e30", 9223372036854775808, "NaN", "-1", "0"])
async def test_fund_beyond_the_bounds_is_400_and_credits_nothing(ap, world, amount):
    before = _snapshot(world)
    await ap.simulate("fund", expect=400, method="USDT_tron", amount=amount)
    assert _snapshot(world) == before
    assert (await ap.balances())["USDT_tron"] == "0.00"


async def test_the_aml_verb_applies_to_an_open_payment_only(ap):
    created = await ap.create(amount="10.00")
    await ap.simulate("expire", payment=created["id"])
    await ap.pay(created["id"])                              # late: recorded, not counted
    await ap.simulate("aml", expect=409, payment=created["id"])
    partial = await ap.create(amount="10.00")
    await ap.pay(partial["id"], kind="partial")
    await ap.simulate("aml", payment=partial["id"])
    await ap.simulate("aml", expect=409, payment=partial["id"])    # flagged already
