"""The admin verbs refuse junk with a 4xx (never a 500), and opening balances come from config."""
from __future__ import annotations

import pytest

from mockserver.providers.alppay import PROVIDER

JUNK = [{}, {"payment": "nope"}, {"payment": None}, {"payment": ["x"]}, {"withdrawal": {"a": 1}},
        {"amount": "x"}, {"amount": "1e999999"}, {"fraction": -1}, {"kind": "late"}, {"risk": "maybe"},
        {"address": "Tnowhere", "amount": 1}, {"method": "DOGE_doge", "amount": 1}, {"merchant": 7},
        {"merchant": True, "method": "USDT_tron", "amount": 1}, {"method": "USDT_tron", "amount": "NaN"}]


@pytest.mark.parametrize("verb", sorted(PROVIDER.simulations))
async def test_junk_params_are_4xx(ap, client, verb):
    for params in JUNK:
        resp = await client.post(f"/_sandbox/simulate/alppay/{verb}", json=params)
        assert resp.status < 500, (verb, params, await resp.text())


async def test_pay_refusals_on_a_real_payment(ap):
    created = await ap.create(amount="0.01")
    await ap.simulate("pay", payment=created["id"], kind="late", expect=400)
    await ap.simulate("pay", payment=created["id"], fraction="0.1", expect=400)   # rounds to nothing
    await ap.simulate("confirm", payment=created["id"], expect=409)
    await ap.simulate("aml", payment=created["id"], expect=409)
    await ap.simulate("expire", payment=created["id"])
    await ap.simulate("expire", payment=created["id"], expect=409)


async def test_confirm_verb_adds_the_confirmations_now(ap):
    created = await ap.create()
    await ap.pay(created["id"])
    out = await ap.simulate("confirm", payment=created["id"])
    assert out["payment"]["status"] == "COMPLETED"


def test_opening_balances_from_the_config(world):
    from mockserver.providers.alppay.backend import Backend
    from mockserver.providers.alppay.assets import ASSETS
    merchant = {"api_key": "k", "balances": {"USDT_tron": "12.5", "BTC_x": "1", "USDC_ethereum": "junk",
                                             "USDT_ethereum": "-3"}}
    backend = Backend(world, [merchant], {})
    assert backend.balance(merchant, ASSETS[("USDT", "tron")]) == 12.5
    assert backend.balance(merchant, ASSETS[("USDC", "ethereum")]) == 0
    assert backend.balance(merchant, ASSETS[("USDT", "ethereum")]) == 0
