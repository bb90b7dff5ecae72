"""The caller's address and IP allow-lists (mockserver/core/http/callers.py), over real loopback sockets
where it matters: 127.0.0.0/8 is all local on Linux, so 127.0.0.3 is a second caller."""
from __future__ import annotations

import ipaddress

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request

from mockserver.core.http import callers


class _Transport:
    def __init__(self, peer):
        self.peer = peer

    def get_extra_info(self, name, default=None):
        return self.peer if name == "peername" else default

    def is_closing(self):
        return False


def _request(peer, headers=None):
    return make_mocked_request("GET", "/", headers=headers or {}, transport=_Transport(peer))


def test_parse_networks_accepts_ips_and_cidrs():
    nets = callers.parse_networks(["127.0.0.1", "10.0.0.0/8", "::1", "192.168.1.7/24", "::ffff:10.9.0.0/112"])
    assert ipaddress.ip_address("10.200.3.4") in nets[1]
    assert nets[3] == ipaddress.ip_network("192.168.1.0/24")
    assert nets[4] == ipaddress.ip_network("10.9.0.0/16")  # IPv4-mapped written as IPv4


@pytest.mark.parametrize("bad", ["127.0.0.1", [1], ["nope"], ["10.0.0.0/33"], ["é.0.0.1"], {"a": 1},
                                 ["127.0.0.1\n"] * 1 + ["::1/129"], ["1.2.3.4"] * 1001])
def test_parse_networks_names_a_bad_entry(bad):
    with pytest.raises(ValueError):
        callers.parse_networks(bad, "ip_whitelist")


def test_none_is_an_empty_list_and_allows_nobody():
    assert callers.parse_networks(None) == ()
    assert not callers.allowed(ipaddress.ip_address("127.0.0.1"), ())
    assert not callers.allowed(None, callers.parse_networks(["0.0.0.0/0"]))


def test_allowed_compares_ipv4_mapped_as_ipv4_and_never_across_versions():
    nets = callers.parse_networks(["127.0.0.1"])
    assert callers.allowed(ipaddress.ip_address("::ffff:127.0.0.1"), nets)
    assert not callers.allowed(ipaddress.ip_address("127.0.0.2"), nets)
    assert not callers.allowed(ipaddress.ip_address("::1"), nets)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy():
    request = _request(("127.0.0.1", 5000), {"X-Forwarded-For": "203.0.113.9"})
    assert str(callers.caller_address(request)) == "127.0.0.1"
    untrusted = callers.parse_networks(["10.0.0.1"])
    assert str(callers.caller_address(request, untrusted)) == "127.0.0.1"
    trusted = callers.parse_networks(["127.0.0.0/8"])
    assert str(callers.caller_address(request, trusted)) == "203.0.113.9"


def test_forwarded_for_takes_the_rightmost_untrusted_hop():
    trusted = callers.parse_networks(["127.0.0.1", "10.0.0.0/8"])
    request = _request(("127.0.0.1", 1), {"X-Forwarded-For": "1.1.1.1, 198.51.100.4, 10.0.0.5"})
    assert str(callers.caller_address(request, trusted)) == "198.51.100.4"  # 1.1.1.1 is client-written


@pytest.mark.parametrize("header", ["not-an-ip", "1.2.3.4,,", "ünicode", ", ".join(["1.2.3.4"] * 40)])
def test_malformed_forwarded_for_from_a_trusted_proxy_is_an_error(header):
    trusted = callers.parse_networks(["127.0.0.1"])
    with pytest.raises(ValueError):
        callers.caller_address(_request(("127.0.0.1", 1), {"X-Forwarded-For": header}), trusted)


def test_unknown_peer_is_none():
    assert callers.peer_address(_request(None)) is None
    assert callers.peer_address(_request("/tmp/socket")) is None
    assert str(callers.peer_address(_request(("fe80::1%eth0", 1, 0, 0)))) == "fe80::1"


async def test_real_sockets_see_the_local_source_address():
    async def who(request):
        return web.json_response({"caller": str(callers.caller_address(request))})

    app = web.Application()
    app.router.add_get("/", who)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        seen = []
        for source in ("127.0.0.1", "127.0.0.3"):
            connector = aiohttp.TCPConnector(local_addr=(source, 0))
            async with aiohttp.ClientSession(connector=connector) as session:
                async with session.get(server.make_url("/")) as resp:
                    seen.append((await resp.json())["caller"])
        assert seen == ["127.0.0.1", "127.0.0.3"]
    finally:
        await server.close()
