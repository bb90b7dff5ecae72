"""Callbacks reach IPv6 receivers from the IPv6 stand-in source (::1) with the default settings:
an `http://[::1]:port` URL, and `http://localhost:port` whose only listener is on ::1 (the sandbox
tries both loopback addresses for localhost, as curl does). IPv4 receivers still see 127.0.0.2."""
from __future__ import annotations

import json
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")


class PeerRecorder:
    def __init__(self):
        self.seen: list[dict] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({"peer": request.remote, "body": await request.read()})
        return web.Response(text="OK")


@pytest.fixture
async def listener():
    servers = []

    async def start(host: str) -> tuple[PeerRecorder, int]:
        rec = PeerRecorder()
        app = web.Application()
        app.router.add_post("/cb", rec.handle)
        server = TestServer(app, host=host)
        await server.start_server(shutdown_timeout=0.5)
        servers.append(server)
        return rec, server.port

    yield start
    for server in servers:
        await server.close()


async def _one_callback(ab, url: str) -> None:
    await ab.set_merchant(webhook_url=url)
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    [delivery] = await ab.deliveries()
    assert delivery["status"] == "delivered", delivery


async def test_an_ipv6_literal_receiver_gets_callbacks_from_the_ipv6_stand_in(ab, listener):
    rec, port = await listener("::1")
    await _one_callback(ab, f"http://[::1]:{port}/cb")
    assert rec.seen[-1]["peer"] == "::1" and json.loads(rec.seen[-1]["body"])["status"] == "invoiceWaitConfirms"


async def test_localhost_listening_on_ipv6_only_is_reached(ab, listener):
    rec, port = await listener("::1")
    await _one_callback(ab, f"http://localhost:{port}/cb")
    assert rec.seen[-1]["peer"] == "::1"


async def test_localhost_listening_on_ipv4_gets_the_ipv4_stand_in(ab, listener):
    rec, port = await listener("127.0.0.1")
    await _one_callback(ab, f"http://localhost:{port}/cb")
    assert rec.seen[-1]["peer"] == "127.0.0.2"


async def test_without_an_ipv6_stand_in_an_ipv6_receiver_is_a_failed_attempt_named_so(ab, listener):
    rec, port = await listener("::1")
    await ab.set_merchant(webhook_url=f"http://[::1]:{port}/cb", callback_source_address_v6=None)
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    [delivery] = await ab.deliveries()
    assert delivery["status"] == "pending" and not rec.seen
    assert "no source address of its family" in delivery["attempts"][0]["error"]
