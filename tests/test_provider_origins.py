"""Each provider at the root of its own origin: a client whose base URL is a host root and which
builds absolute paths works unchanged (issue 21, item 1).

The sandbox is served on a real socket with a site per provider (as `serve --provider-ports`
does); clients are a Node script written like public SDKs (tests/clients/dropin.mjs), aiohttp with
a `*.localhost` Host, and curl, which resolves `*.localhost` to loopback by itself.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.core.http.context import WORLD
from mockserver.core.http.origins import ORIGINS, Origins, install, origin_middleware, serve_provider_ports

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")
CURL = shutil.which("curl")
PROVIDERS = ["alchemypay", "alfabit", "alppay", "alt5pay", "cryptopayment"]
START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
CP_AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


def _needs(tool: str | None, name: str) -> None:
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI installs it (.ci/run)")
        pytest.skip(f"{name} is not installed")


@pytest.fixture
async def served(app):
    """(main origin, {provider: its own origin}) on real sockets."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(shutdown_timeout=0.5)
    app[ORIGINS].main_port = server.port
    own = await serve_provider_ports(server.runner, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}", own
    await server.close()


async def _node(*args: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        NODE, str(HERE / "clients" / "dropin.mjs"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_client_with_only_the_provider_origin_runs_create_pay_status_webhook(provider, served, receiver):
    _needs(NODE, "node")
    _main, own = served
    rec = await receiver([(200, "success")])      # "success" also acknowledges Alchemy Pay
    result = await _node(provider, own[provider], rec.url)
    assert result["status"] in ("confirmed", "Paid", "FINISHED", "success", "COMPLETED"), result
    await rec.wait_for_requests(1)
    mark = result.get("mark", result["id"])
    assert any(mark in r["body"].decode() for r in rec.requests), "a webhook names the object"
    async with aiohttp.ClientSession() as http:
        for link in result["links"]:   # handed out at the origin the client used, and served there
            assert link.startswith(own[provider] + "/"), link
            assert not link.startswith(f"{own[provider]}/{provider}/"), link
            async with http.get(link) as page:
                assert page.status == 200, link


async def _cp_create(http: aiohttp.ClientSession, origin: str, host: str | None = None, path: str = "") -> dict:
    headers = {**CP_AUTH, **({"Host": host} if host else {})}
    async with http.post(f"{origin}{path}/api/v1/invoices", headers=headers,
                         json={"network": "trc20", "amount_usd": 50}) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def test_host_names_the_provider_and_the_tenant_on_the_main_port(app, served):
    main, _own = served
    port = main.rsplit(":", 1)[1]
    world = app[WORLD]
    async with aiohttp.ClientSession() as http:
        created = await _cp_create(http, main, f"cryptopayment.localhost:{port}")
        assert created["checkout_url"] == f"http://cryptopayment.localhost:{port}/pay/{created['invoice']['id']}"
        assert created["invoice"]["id"] in world.backend("cryptopayment").invoices
        in_tenant = await _cp_create(http, main, f"shop-a.cryptopayment.localhost:{port}")
        assert in_tenant["checkout_url"].startswith(f"http://shop-a.cryptopayment.localhost:{port}/pay/")
        assert len(world.backend("cryptopayment").invoices) == 1      # the tenant's is not the default world's
        page_path = in_tenant["checkout_url"].split(port, 1)[1]
        async with http.get(main + page_path, headers={"Host": f"shop-a.cryptopayment.localhost:{port}"}) as page:
            html = await page.text()
        slot = f'data-sandbox-panel="/_sandbox/ui/panel/cryptopayment/invoice/{in_tenant["invoice"]["id"]}"'
        assert slot in html                         # the Host carries the tenant: no /t/ prefix
        async with http.get(f"{main}/_sandbox/ui/panel/cryptopayment/invoice/{in_tenant['invoice']['id']}",
                            headers={"Host": f"shop-a.cryptopayment.localhost:{port}"}) as panel:
            assert panel.status == 200 and "/_sandbox/simulate/cryptopayment/pay" in await panel.text()
        # the prefixed way in still works beside it
        prefixed = await _cp_create(http, main, path="/cryptopayment")
        assert prefixed["checkout_url"] == f"{main}/cryptopayment/pay/{prefixed['invoice']['id']}"


async def test_tenants_on_a_provider_port(app, served):
    _main, own = served
    async with aiohttp.ClientSession() as http:
        created = await _cp_create(http, own["cryptopayment"], path="/t/shop-b")
        invoice = created["invoice"]["id"]
        assert created["checkout_url"] == f"{own['cryptopayment']}/t/shop-b/pay/{invoice}"
        assert invoice not in app[WORLD].backend("cryptopayment").invoices
        async with http.get(created["checkout_url"]) as page:
            assert f'"/t/shop-b/_sandbox/ui/panel/cryptopayment/invoice/{invoice}"' in await page.text()
        async with http.get(f"{own['cryptopayment']}/t/shop-b/_sandbox/clock") as clock:
            assert clock.status == 200       # the tenant's admin API on the provider's port too


async def test_the_admin_api_lists_every_origin_and_is_itself_on_each(served):
    main, own = served
    async with aiohttp.ClientSession() as http:
        for origin in (main, own["alppay"]):
            async with http.get(f"{origin}/_sandbox/providers") as resp:
                listed = (await resp.json())["alppay"]
            assert listed["base_url"] == f"{main}/alppay/v2"      # the main origin, whoever asks
            assert listed["origins"] == [own["alppay"], f"http://alppay.localhost:{main.rsplit(':', 1)[1]}"]
            assert listed["origin_base_urls"][0] == own["alppay"] + "/v2"


async def test_a_clients_own_via_header_is_dropped(served):
    main, own = served
    async with aiohttp.ClientSession() as http:
        # on the main origin a made-up Via changes nothing: the prefixed path still routes
        async with http.get(f"{main}/cryptopayment/api/v1/invoices", headers={**CP_AUTH, "X-Sandbox-Via": "provider=alppay"}) as resp:
            assert resp.status == 200 and (await resp.json())["success"] is True
        created = await _cp_create(http, own["cryptopayment"])
        async with http.post(f"{own['cryptopayment']}/api/v1/invoices", headers={**CP_AUTH, "X-Sandbox-Via": "provider=x"},
                             json={"network": "trc20", "amount_usd": 50}) as resp:
            again = await resp.json()
        assert again["checkout_url"].startswith(own["cryptopayment"] + "/pay/")
        assert created["checkout_url"].startswith(own["cryptopayment"] + "/pay/")


async def test_curl_resolves_localhost_names_and_reaches_each_provider(served):
    _needs(CURL, "curl")
    main, _own = served
    port = main.rsplit(":", 1)[1]
    for provider, path in [("cryptopayment", "/api/v1/balances"), ("alppay", "/v2/payment"),
                           ("alfabit", "/api/v1/integration/merchant")]:
        process = await asyncio.create_subprocess_exec(
            CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{provider}.localhost:{port}{path}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        # no credentials: the provider's own refusal (401/403), proof the request reached it
        assert out.decode() in ("401", "403"), (provider, out, err)


def test_canonical_paths():
    origins = Origins({"cryptopayment": "/cryptopayment", "alppay": "/alppay"})
    assert origins.canonical_path("/api/v1/x?a=1", "cryptopayment", None) == "/cryptopayment/api/v1/x?a=1"
    assert origins.canonical_path("/_sandbox/clock", "cryptopayment", None) == "/_sandbox/clock"
    assert origins.canonical_path("/_sandbox", "cryptopayment", None) == "/_sandbox"
    assert origins.canonical_path("/_sandboxes", "cryptopayment", None) == "/cryptopayment/_sandboxes"
    assert origins.canonical_path("/t/a/v2/payment", "alppay", None) == "/t/a/alppay/v2/payment"
    assert origins.canonical_path("/t/a/_sandbox/clock", "alppay", None) == "/t/a/_sandbox/clock"
    assert origins.canonical_path("/t/a", "alppay", None) == "/t/a"
    assert origins.canonical_path("/v2/payment", "alppay", "shop") == "/t/shop/alppay/v2/payment"
    assert origins.canonical_path("/_sandbox/ui/", "alppay", "shop") == "/t/shop/_sandbox/ui/"
    assert origins.addressed_by("alppay.localhost:8080", None) == ("alppay", None)
    assert origins.addressed_by("Shop.ALPPAY.localhost.", None) == ("alppay", "shop")
    assert origins.addressed_by("other.localhost:8080", None) == (None, None)
    assert origins.addressed_by("a.b.alppay.localhost", None) == (None, None)
    origins.ports[9001] = "cryptopayment"
    assert origins.addressed_by("127.0.0.1:9001", 9001) == ("cryptopayment", None)
    assert origins.addressed_by("alppay.localhost:9001", 9001) == ("alppay", None)   # the Host decides


async def test_redirects_and_html_links_lose_the_prefix_on_the_providers_origin():
    app = web.Application(middlewares=[origin_middleware])
    install(app, Origins({"shop": "/shop"}))

    async def moved(request):
        raise web.HTTPFound("/shop/there?x=1")

    async def page(request):
        return web.Response(text='<a href="/shop/pay/1">pay</a> <a href="/_sandbox/ui/">ui</a>', content_type="text/html")

    sub = web.Application()
    sub.router.add_get("/moved", moved)
    sub.router.add_get("/page", page)
    app.add_subapp("/shop", sub)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            host = {"Host": f"shop.localhost:{server.port}"}
            async with http.get(server.make_url("/moved"), headers=host, allow_redirects=False) as resp:
                assert resp.status == 302 and resp.headers["Location"] == "/there?x=1"
            async with http.get(server.make_url("/page"), headers=host) as resp:
                assert await resp.text() == '<a href="/pay/1">pay</a> <a href="/_sandbox/ui/">ui</a>'
            async with http.get(server.make_url("/shop/moved"), allow_redirects=False) as resp:
                assert resp.headers["Location"] == "/shop/there?x=1"   # the main origin: unchanged
    finally:
        await server.close()


def test_serve_provider_ports_prints_each_origin_and_they_answer(tmp_path):
    command = [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", "--provider-ports",
               "--log-format", "json", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        listening = json.loads(process.stdout.readline())
        assert listening["kind"] == "listening" and set(listening["providers"]) == set(PROVIDERS)
        banner = ""
        while "CryptoPayment" not in banner or "replaces https://cryptopayment" not in banner:
            banner += process.stderr.readline()
        assert f"also {listening['providers']['cryptopayment']}/api/v1" in banner
        done = subprocess.run([sys.executable, "-c", (
            "import json, sys, urllib.request as u\n"
            "r = u.Request(sys.argv[1] + '/api/v1/invoices', data=b'{\"network\":\"btc\",\"amount_usd\":5}',"
            " headers={'Authorization': 'Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d',"
            " 'Content-Type': 'application/json'})\n"
            "print(json.load(u.urlopen(r))['checkout_url'])"), listening["providers"]["cryptopayment"]],
            capture_output=True, text=True, timeout=30)
        assert done.stdout.startswith(listening["providers"]["cryptopayment"] + "/pay/"), done.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("value, ok", [(True, True), (9100, True), (False, True), ("yes", False), (0, False),
                                       (70000, False)])
def test_provider_ports_config_key(tmp_path, value, ok):
    from mockserver.config import ConfigError, SandboxConfig
    path = tmp_path / "sandbox.yaml"
    path.write_text(f"provider_ports: {json.dumps(value)}\n")
    if ok:
        config = SandboxConfig.load(path)
        assert config.first_provider_port(8080) == (None if value is False else 8081 if value is True else value)
        assert SandboxConfig.load(path).first_provider_port(0) in (None, 0, 9100)
    else:
        with pytest.raises(ConfigError, match="provider_ports"):
            SandboxConfig.load(path)


async def test_a_durable_world_replays_what_came_by_a_providers_origin(tmp_path):
    """The canonical path and the Via header are what is kept: a restart rebuilds the order with
    the links it had (AlfaBit stores its public links' base on the order)."""
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    config = dict(seed=77, start=START, state=str(tmp_path / "world.db"))
    key = {"x-api-key": "afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2"}
    first = build_app(SandboxConfig(**config))
    server = TestServer(first, host="127.0.0.1")
    await server.start_server(shutdown_timeout=0.5)
    port = server.port
    async with aiohttp.ClientSession() as http:
        async with http.post(f"http://127.0.0.1:{port}/api/v1/integration/orders/invoice",
                             headers={**key, "Host": f"alfabit.localhost:{port}"},
                             json={"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25",
                                   "comment": "ORD-1", "isAwaitRequisites": True}) as resp:
            order = (await resp.json())["data"]
    await server.close()
    assert order["invoicePublicUrl"] == f"http://alfabit.localhost:{port}/invoice/{order['uid']}"

    second = build_app(SandboxConfig(**config))
    server = TestServer(second, host="127.0.0.1")
    await server.start_server(shutdown_timeout=0.5)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url(f"/alfabit/api/v1/integration/orders/{order['uid']}"), headers=key) as resp:
                again = (await resp.json())["data"]
        assert again["invoicePublicUrl"] == order["invoicePublicUrl"]
    finally:
        await server.close()
