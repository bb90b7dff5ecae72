"""PATCH /_sandbox/providers/{p}/merchant takes only the keys the provider declares, with their types."""
from __future__ import annotations

import pytest

from mockserver.providers.registry import load_providers


async def test_an_unknown_key_is_refused_with_a_suggestion_and_nothing_changes(client, world):
    before = dict(world.backend("cryptopayment").merchants[0])
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_timeout": 3, "webhok_url": "http://127.0.0.1:9/hook"})
    assert resp.status == 400
    assert (await resp.json())["error"]["message"] == (
        "unknown merchant key 'webhok_url' for cryptopayment (did you mean 'webhook_url'?)")
    assert world.backend("cryptopayment").merchants[0] == before


async def test_a_key_far_from_any_lists_the_known_ones(client):
    resp = await client.patch("/_sandbox/providers/alppay/merchant", json={"colour": "blue"})
    message = (await resp.json())["error"]["message"]
    assert resp.status == 400 and "unknown merchant key 'colour' for alppay (known: " in message
    assert "ip_whitelist" in message


@pytest.mark.parametrize("provider, body, words", [
    ("alchemypay", {"strict_sign": "yes"}, "strict_sign: must be true or false"),
    ("alchemypay", {"webhook_clock": "virtaul"}, "webhook_clock: unknown value 'virtaul' (did you mean 'virtual'?)"),
    ("alt5pay", {"ipn_schedule": "all_delay"}, "(did you mean 'all_delays'?)"),
    ("alfabit", {"withdrawals_enabled": 1}, "withdrawals_enabled: must be true or false"),
])
async def test_a_wrong_type_or_value_is_refused_naming_the_key(client, world, provider, body, words):
    before = dict(world.backend(provider).merchants[0])
    resp = await client.patch(f"/_sandbox/providers/{provider}/merchant", json=body)
    assert resp.status == 400 and words in (await resp.json())["error"]["message"]
    assert world.backend(provider).merchants[0] == before


@pytest.mark.parametrize("provider", sorted(load_providers()))
async def test_each_default_merchant_patched_whole_is_accepted(client, provider):
    """What the pytest plugin's restore does: every key the defaults use is declared."""
    for index, merchant in enumerate(load_providers()[provider].default_merchants()):
        resp = await client.patch(f"/_sandbox/providers/{provider}/merchant?index={index}", json=merchant)
        assert resp.status == 200, await resp.text()
