"""`call: ... source: <local address>`: a scenario calls from a chosen loopback address (all of
127.0.0.0/8 is local on Linux), so IP allow-list stories need no second machine."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.loader import ScenarioLoadError, load_text

TEXT = """\
scenario: from another address
provider: cryptopayment
steps:
  - call: GET /invoices
    source: {source}
"""


async def test_send_goes_out_from_the_source_address():
    async def peer(request):
        return web.Response(text=request.transport.get_extra_info("peername")[0])

    app = web.Application()
    app.router.add_get("/", peer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            client = SandboxClient(str(server.make_url("")), session)
            url = str(server.make_url("/"))
            assert (await client.send("GET", url, source="127.0.0.3")).body == b"127.0.0.3"
            assert (await client.send("GET", url)).body == b"127.0.0.1"
            assert not session.closed
    finally:
        await server.close()


def test_the_loader_takes_a_source_address_and_refuses_other_types():
    load_text(TEXT.replace("{source}", "127.0.0.3"), "s.yaml")
    with pytest.raises(ScenarioLoadError):
        load_text(TEXT.replace("{source}", "[1]"), "s.yaml")
