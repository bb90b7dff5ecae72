"""Tenants: isolated worlds under /t/{tenant}/, their registry, and the admin API around it."""
from __future__ import annotations

import pytest

from mockserver.app import build_app
from mockserver.config import ConfigError, SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.http.tenants import TENANTS

INVOICE = {"network": "trc20", "amount_usd": 50.0, "order_id": "ORD-F1"}


async def call(client, world, method, path, body=None, provider="cryptopayment", prefix=""):
    p = world.providers[provider]
    headers, raw = p.client_request(world.backend(provider).merchants[0], method, path, body)
    return await client.request(method, prefix + p.api_base + path, headers=headers, data=raw or None)


async def test_provider_api_under_a_prefix_works_on_the_tenant_world_only(client, app, world):
    resp = await call(client, world, "POST", "/invoices", INVOICE, prefix="/t/shop-a")
    assert resp.status == 201
    created = await resp.json()
    tenant = await app[TENANTS].get("shop-a")
    assert tenant is not world and created["invoice"]["id"] in tenant.backend("cryptopayment").invoices
    assert not world.backend("cryptopayment").invoices           # the default world saw nothing
    assert created["checkout_url"].startswith(str(client.make_url("/t/shop-a/cryptopayment/")))
    page = await client.get(created["checkout_url"].split(str(client.make_url("")), 1)[1])
    assert page.status == 200
    slot = f'data-sandbox-panel="/t/shop-a/_sandbox/ui/panel/cryptopayment/invoice/{created["invoice"]["id"]}"'
    assert slot in await page.text()    # the page's simulate panel is the tenant's ...
    panel = await client.get(f"/t/shop-a/_sandbox/ui/panel/cryptopayment/invoice/{created['invoice']['id']}")
    assert '"/t/shop-a/_sandbox/simulate/cryptopayment/' in await panel.text()  # ... and so are its buttons
    missing = await client.get(f"/_sandbox/ui/panel/cryptopayment/invoice/{created['invoice']['id']}")
    assert missing.status == 404        # the default world has no such invoice
    # another tenant, and the default world, do not see it
    got = await call(client, world, "GET", f"/invoices/{created['invoice']['id']}", prefix="/t/shop-b")
    assert got.status == 404
    assert (await call(client, world, "GET", f"/invoices/{created['invoice']['id']}")).status == 404
    assert [e["method"] for e in tenant.journal.query(kind="api")] == ["POST", "GET"]  # create, page
    assert [(e["method"], e["status"]) for e in world.journal.query(kind="api")] == [("GET", 404)]


async def test_admin_api_clock_reset_faults_and_inbox_are_per_tenant(client, world):
    before = world.clock.now()
    resp = await client.post("/t/a/_sandbox/clock/advance", json={"by": "2h"})
    assert resp.status == 200
    assert (await (await client.get("/t/a/_sandbox/clock")).json())["elapsed"] == "2h"
    assert world.clock.now() == before
    await client.post("/t/a/_sandbox/faults", json={"provider": "cryptopayment", "status": 503})
    assert (await call(client, world, "GET", "/balances", prefix="/t/a")).status == 503
    assert (await call(client, world, "GET", "/balances", prefix="/t/b")).status == 200
    assert (await call(client, world, "GET", "/balances")).status == 200
    await client.post("/t/a/_sandbox/inbox/hook", data=b"{}", headers={"Content-Type": "application/json"})
    assert len(await (await client.get("/t/a/_sandbox/inbox/hook")).json()) == 1
    assert await (await client.get("/_sandbox/inbox/hook")).json() == []
    resp = await client.post("/t/a/_sandbox/reset", json={"seed": 9})
    assert (await resp.json())["seed"] == 9
    assert (await (await client.get("/t/a/_sandbox/faults")).json())["faults"] == []
    assert (await (await client.get("/_sandbox/health")).json())["seed"] == 1234


async def test_dashboard_pages_under_a_prefix_link_inside_the_tenant(client, world):
    await call(client, world, "POST", "/invoices", INVOICE, prefix="/t/ui")
    for path in ("/t/ui/_sandbox/ui/", "/t/ui/_sandbox/ui/p/cryptopayment", "/t/ui/_sandbox/ui/deliveries",
                 "/t/ui/_sandbox/ui/journal"):
        resp = await client.get(path)
        assert resp.status == 200, path
        html = await resp.text()
        assert 'href="/_sandbox/' not in html and '"/t/ui/_sandbox/ui/' in html, path
    resp = await client.get("/t/ui/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/t/ui/_sandbox/ui/"
    objects = await (await client.get("/t/ui/_sandbox/ui/p/cryptopayment")).text()
    assert "ORD-F1" in objects or "50" in objects
    assert "ORD-F1" not in await (await client.get("/_sandbox/ui/p/cryptopayment")).text()


async def test_registry_create_list_get_reset_delete(client, app):
    resp = await client.post("/_sandbox/tenants", json={"name": "acme", "seed": 5,
                                                        "start": "2025-03-01T00:00:00Z"})
    assert resp.status == 201
    view = await resp.json()
    assert view["name"] == "acme" and view["seed"] == 5 and view["clock"].startswith("2025-03-01T00:00:00")
    assert (await client.post("/_sandbox/tenants", json={"name": "acme"})).status == 409
    await client.post("/t/acme/_sandbox/clock/advance", json={"by": "1d"})
    listed = await (await client.get("/_sandbox/tenants")).json()
    assert [t["name"] for t in listed["tenants"]] == ["acme"] and listed["max"] == 50
    assert (await (await client.get("/_sandbox/tenants/acme")).json())["clock"].startswith("2025-03-02")
    resp = await client.post("/_sandbox/tenants/acme/reset")
    assert resp.status == 200 and (await resp.json())["clock"]["now"].startswith("2025-03-01T00:00:00")
    assert (await client.delete("/_sandbox/tenants/acme")).status == 200
    assert (await client.delete("/_sandbox/tenants/acme")).status == 404
    assert (await client.post("/_sandbox/tenants/acme/reset")).status == 404
    assert len(app[TENANTS]) == 0


@pytest.mark.parametrize("path", ["/t/Shop/_sandbox/health", "/t/-a/_sandbox/health",
                                  "/t/a_b/_sandbox/health", "/t/" + "a" * 41 + "/_sandbox/health"])
async def test_bad_tenant_names_are_refused_and_nothing_is_created(client, app, path):
    resp = await client.get(path)
    assert resp.status == 400 and "tenant name" in (await resp.json())["error"]["message"]
    assert len(app[TENANTS]) == 0


@pytest.mark.parametrize("body", [{}, {"name": "UP"}, {"name": "ok", "seed": "1"}, {"name": "ok", "x": 1},
                                  {"name": "ok", "start": "soon"}, []])
async def test_bad_create_bodies(client, app, body):
    resp = await client.post("/_sandbox/tenants", json=body)
    assert resp.status == 400
    assert len(app[TENANTS]) == 0


async def test_tenants_do_not_nest(client):
    assert (await client.get("/t/a/_sandbox/tenants")).status == 404
    assert (await client.get("/t/a/t/b/_sandbox/health")).status == 404


async def test_cap_and_idle_expiry(aiohttp_client):
    app = build_app(SandboxConfig.from_mapping({"seed": 1, "tenants": {"max": 2, "idle": "1h"}}))
    client = await aiohttp_client(app)
    registry = app[TENANTS]
    now = [1000.0]
    registry._now = lambda: now[0]
    for name in ("one", "two"):   # a write: each holds something, so each counts against the cap
        assert (await client.post(f"/t/{name}/_sandbox/clock/advance", json={"by": "1m"})).status == 200
    resp = await client.post("/t/three/_sandbox/clock/advance", json={"by": "1m"})
    assert resp.status == 429 and "tenants.max" in (await resp.json())["error"]["message"]
    now[0] += 1800
    await client.post("/t/one/_sandbox/clock/advance", json={"by": "1h"})   # "one" is used, "two" not
    now[0] += 1801
    assert (await client.get("/t/three/_sandbox/health")).status == 200     # "two" expired: room again
    names = [t["name"] for t in (await (await client.get("/_sandbox/tenants")).json())["tenants"]]
    assert names == ["one", "three"]
    now[0] += 3601
    clock = await (await client.get("/t/one/_sandbox/clock")).json()
    assert clock["elapsed"] == "0s"                                          # idle too long: a new world


def test_tenant_settings_are_checked():
    for bad in ({"max": 0}, {"max": "5"}, {"idle": "soon"}, {"idle": 0}, {"other": 1}, "x"):
        with pytest.raises(ConfigError):
            SandboxConfig.from_mapping({"tenants": bad})
    assert SandboxConfig.from_mapping({"tenants": {"idle": "2h"}}).tenant_limits() == (50, 7200.0)


async def test_admin_token_guards_tenant_admin_routes(aiohttp_client):
    app = build_app(SandboxConfig(seed=1, admin_token="t0ken"))
    client = await aiohttp_client(app)
    assert (await client.get("/t/a/_sandbox/health")).status == 401
    assert (await client.get("/t/a/_sandbox/health", headers={"X-Sandbox-Token": "t0ken"})).status == 200
    assert (await client.get("/_sandbox/tenants")).status == 401
    world = app[WORLD]
    assert (await call(client, world, "GET", "/balances", prefix="/t/a")).status == 200  # provider APIs: no token


async def test_an_inbox_target_inside_a_tenant_is_the_tenants_inbox(client, world):
    resp = await client.patch("/t/a/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_url": "inbox:shop"})
    assert resp.status == 200
    created = await (await call(client, world, "POST", "/invoices", INVOICE, prefix="/t/a")).json()
    await client.post("/t/a/_sandbox/simulate/cryptopayment/pay", json={"invoice": created["invoice"]["id"]})
    delivery = (await (await client.get("/t/a/_sandbox/deliveries")).json())[0]
    assert delivery["url"] == str(client.make_url("/t/a/_sandbox/inbox/shop?provider=cryptopayment"))
    assert delivery["status"] == "delivered"
    assert len(await (await client.get("/t/a/_sandbox/inbox/shop")).json()) == 1
    assert await (await client.get("/_sandbox/inbox/shop")).json() == []


async def test_the_live_console_shows_tenant_traffic_tagged(client, world):
    import io

    from mockserver.core.http.console import Console
    out = io.StringIO()
    world.journal.subscribe(Console(out))
    await call(client, world, "POST", "/invoices", INVOICE, prefix="/t/shop-a")
    await call(client, world, "GET", "/balances")
    lines = out.getvalue().splitlines()
    assert " t/shop-a tenant.created seed=" in lines[0]     # made on first use: its seed is shown
    assert " t/shop-a cryptopayment POST /cryptopayment/api/v1/invoices 201" in lines[1]
    assert " t/" not in lines[2] and " cryptopayment GET /cryptopayment/api/v1/balances 200" in lines[2]


async def test_refused_requests_never_make_a_tenant_and_the_cap_counts_what_holds_something(aiohttp_client, tmp_path):
    """Issue 23: fifty unauthenticated calls under /t/NAME/ used to fill the cap (and leave a
    SQLite file each with --state); now a tenant is made on purpose."""
    from mockserver.app import build_app, tenant_states
    from mockserver.config import SandboxConfig
    config = SandboxConfig(seed=3, state=str(tmp_path / "world.db"), tenants={"max": 3})
    client = await aiohttp_client(build_app(config))
    for i in range(50):
        resp = await client.post(f"/t/spam-{i}/cryptopayment/api/v1/invoices", json={"network": "trc20", "amount_usd": 5})
        assert resp.status == 401
        assert (await client.get(f"/t/nope-{i}/cryptopayment/api/v1/invoices/x")).status == 401
    listed = await (await client.get("/_sandbox/tenants")).json()
    assert listed["tenants"] == []
    states = tenant_states(config)
    assert not states.exists() or not any(states.iterdir()), "no file left by a refused request"
    # an accepted read makes an empty tenant: listed, but it does not count against the cap
    for name in ("r1", "r2", "r3", "r4"):
        assert (await client.get(f"/t/{name}/_sandbox/clock")).status == 200
    auth = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
    for name in ("w1", "w2", "w3"):   # writes: these hold something; empty ones make room
        resp = await client.post(f"/t/{name}/cryptopayment/api/v1/invoices", headers=auth,
                                 json={"network": "trc20", "amount_usd": 5})
        assert resp.status == 201, await resp.text()
    resp = await client.post("/t/w4/cryptopayment/api/v1/invoices", headers=auth, json={"network": "trc20", "amount_usd": 5})
    assert resp.status == 429                      # three hold something: the cap is reached
    names = {t["name"] for t in (await (await client.get("/_sandbox/tenants")).json())["tenants"]}
    assert {"w1", "w2", "w3"} <= names and "w4" not in names
