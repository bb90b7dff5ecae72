"""The IP whitelist [D: "API usage is impossible without IP address configuration"], over real
sockets: the app serves on 127.0.0.1 and a second caller binds 127.0.0.3 (all of 127.0.0.0/8 is
local on Linux). Loopback 127.0.0.1 / ::1 is whitelisted by default."""
from __future__ import annotations

import aiohttp
import pytest

from ap_support import payment_body


@pytest.fixture
async def from_127_0_0_3(client):
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.3", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session, str(client.server.make_url("")).rstrip("/")


async def test_a_caller_not_on_the_whitelist_gets_403_and_nothing_changes(ap, world, from_127_0_0_3):
    session, base = from_127_0_0_3
    state = world.rng.getstate()
    status, out = await ap.call("POST", "/payment", payment_body(), session=session, base=base)
    assert status == 403
    assert out == {"code": 403, "message": "Access denied: IP address 127.0.0.3 is not in the whitelist"}
    assert world.rng.getstate() == state and not world.backend("alppay").payments
    status, _ = await ap.call("GET", "/payment", session=session, base=base)
    assert status == 403
    await ap.call("POST", "/payment", payment_body(), expect=200)  # 127.0.0.1 is fine


async def test_whitelisting_the_address_or_a_network_lets_it_in(ap, from_127_0_0_3):
    session, base = from_127_0_0_3
    await ap.set_merchant(ip_whitelist=["127.0.0.1", "127.0.0.3"])
    assert (await ap.call("POST", "/payment", payment_body(), session=session, base=base))[0] == 200
    await ap.set_merchant(ip_whitelist=["127.0.0.0/30"])
    assert (await ap.call("GET", "/payment", session=session, base=base))[0] == 200
    await ap.set_merchant(ip_whitelist=["10.0.0.0/8"])
    assert (await ap.call("GET", "/payment"))[0] == 403   # even loopback, once it is not listed


async def test_an_empty_whitelist_refuses_everyone(ap):
    await ap.set_merchant(ip_whitelist=[])
    status, out = await ap.call("GET", "/payment")
    assert status == 403 and "127.0.0.1" in out["message"]


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(ap):
    spoof = {"X-Forwarded-For": "203.0.113.7"}
    assert (await ap.call("GET", "/payment", headers=spoof))[0] == 200  # not trusted: peer counts
    await ap.set_merchant(trusted_proxies=["127.0.0.1"])
    status, out = await ap.call("GET", "/payment", headers=spoof)
    assert status == 403 and "203.0.113.7" in out["message"]
    await ap.set_merchant(ip_whitelist=["203.0.113.0/24"])
    assert (await ap.call("GET", "/payment", headers=spoof))[0] == 200
    status, out = await ap.call("GET", "/payment", headers={"X-Forwarded-For": "not an address"})
    assert status == 400 and out["code"] == 400


@pytest.mark.parametrize("setting", [{"ip_whitelist": "127.0.0.1"}, {"ip_whitelist": ["localhost"]},
                                     {"ip_whitelist": [7]}, {"trusted_proxies": ["1.2.3.4/40"]}])
async def test_a_bad_whitelist_setting_is_refused_when_set_naming_it(ap, setting):
    """Refused by the admin API with a 400 naming the field; the whitelist stays as it was, so
    calls keep working. (A bad list from a config file still answers 403 naming it per call.)"""
    out = await ap.admin("PATCH", "/providers/alppay/merchant", setting, expect=400)
    assert next(iter(setting)) in out["error"]["message"]
    status, _ = await ap.call("GET", "/payment")
    assert status == 200


async def test_the_key_is_checked_before_the_address(ap, from_127_0_0_3):
    session, base = from_127_0_0_3
    status, _ = await ap.call("GET", "/payment", headers={"API-KEY": "nope"}, session=session, base=base)
    assert status == 401
