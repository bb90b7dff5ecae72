"""Ids that never collide by accident: without a fixed seed every reset and every tenant draws a
fresh one (shown in /_sandbox/clock and the reset's answer); with --seed, a reset's seed or a
tenant's seed everything replays exactly, per tenant; a durable World keeps what it drew."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from aiohttp.test_utils import TestClient, TestServer

from mockserver.app import build_app, tenant_seed
from mockserver.config import SandboxConfig
from mockserver.core.http.console import Console
from mockserver.core.http.context import WORLD

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
API = "/cryptopayment/api/v1"


async def started(**config) -> TestClient:
    client = TestClient(TestServer(build_app(SandboxConfig(start=START, **config))))
    await client.start_server()
    return client


async def first_invoice(client, prefix: str = "") -> str:
    resp = await client.post(prefix + API + "/invoices", headers=AUTH, json={"network": "trc20", "amount_usd": 5})
    assert resp.status == 201, await resp.text()
    return (await resp.json())["invoice"]["id"]


async def reset(client, prefix: str = "", **body) -> dict:
    resp = await client.post(prefix + "/_sandbox/reset", json=body)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def clock(client, prefix: str = "") -> dict:
    return await (await client.get(prefix + "/_sandbox/clock")).json()


async def test_without_a_seed_every_reset_draws_a_fresh_one_and_ids_do_not_repeat():
    client = await started()
    try:
        ids, seeds = [await first_invoice(client)], [(await clock(client))["seed"]]
        assert (await clock(client))["seed_fixed"] is False
        for _ in range(3):
            out = await reset(client)
            assert out["seed_fixed"] is False
            assert out["seed"] == (await clock(client))["seed"]
            seeds.append(out["seed"])
            ids.append(await first_invoice(client))
        assert len(set(seeds)) == 4 and len(set(ids)) == 4
        # a scenario's seed replays exactly, and does not stick: the next plain reset draws again
        given = [(await reset(client, seed=21))["seed"], await first_invoice(client)]
        again = [(await reset(client, seed=21))["seed"], await first_invoice(client)]
        assert given == again and given[0] == 21
        assert (await reset(client))["seed"] not in (21, *seeds)
    finally:
        await client.close()


async def test_without_a_seed_two_tenants_never_share_ids():
    client = await started()
    try:
        made = [(await client.post("/_sandbox/tenants", json={"name": name})) for name in ("shop-a", "fresh1")]
        assert [r.status for r in made] == [201, 201]
        views = [await r.json() for r in made]
        assert all(v["seed_fixed"] is False for v in views) and views[0]["seed"] != views[1]["seed"]
        ids = {await first_invoice(client, "/t/shop-a"), await first_invoice(client, "/t/fresh1"),
               await first_invoice(client, "/t/auto"), await first_invoice(client)}   # auto: made on first use
        assert len(ids) == 4
    finally:
        await client.close()


async def test_with_a_seed_resets_and_tenants_replay_exactly():
    first, second = await started(seed=99), await started(seed=99)
    try:
        for client in (first, second):
            assert (await clock(client))["seed"] == 99 and (await clock(client))["seed_fixed"] is True
        story = []
        for client in (first, second):
            ids = [await first_invoice(client)]
            out = await reset(client)
            assert (out["seed"], out["seed_fixed"]) == (99, True)
            ids.append(await first_invoice(client))
            await reset(client, seed=5)
            await reset(client)                          # back to --seed, not to the scenario's 5
            ids.append(await first_invoice(client))
            ids.append(await first_invoice(client, "/t/shop-a"))    # derived from 99 and the name
            ids.append(await first_invoice(client, "/t/shop-b"))
            story.append(ids)
        assert story[0] == story[1]
        ids = story[0]
        assert ids[0] == ids[1] == ids[2]
        assert len({ids[0], ids[3], ids[4]}) == 3           # reproducible yet distinct per tenant
        tenant = await (await first.get("/_sandbox/tenants/shop-a")).json()
        assert (tenant["seed"], tenant["seed_fixed"]) == (tenant_seed(99, "shop-a"), True)
        assert (await reset(first, "/t/shop-a"))["seed"] == tenant_seed(99, "shop-a")
        assert await first_invoice(first, "/t/shop-a") == ids[3]
        # a tenant given a seed keeps it on its resets
        await first.post("/_sandbox/tenants", json={"name": "given", "seed": 7})
        assert (await reset(first, "/t/given"))["seed"] == 7
    finally:
        await first.close()
        await second.close()


async def test_the_console_shows_the_seed_a_reset_or_a_tenant_chose():
    client = await started()
    try:
        out = io.StringIO()
        world = client.server.app[WORLD]
        world.journal.subscribe(Console(stream=out))
        seed = (await reset(client))["seed"]
        await client.post("/_sandbox/tenants", json={"name": "qa"})
        tenant_seed_drawn = (await clock(client, "/t/qa"))["seed"]
        lines = out.getvalue().splitlines()
        assert any(f"reset seed={seed} seed_source=fresh" in line for line in lines), lines
        assert any(f"t/qa tenant.created seed={tenant_seed_drawn} seed_source=fresh" in line
                   for line in lines), lines
        assert await (await client.get("/_sandbox/journal")).json() == []   # news, not history
    finally:
        await client.close()


async def test_a_durable_world_keeps_the_seeds_it_drew(tmp_path):
    db = tmp_path / "world.db"
    first = await started(state=str(db))
    ids = [await first_invoice(first)]
    seeds = [(await clock(first))["seed"]]
    for _ in range(2):
        seeds.append((await reset(first))["seed"])
        ids.append(await first_invoice(first))
    await first.post("/_sandbox/tenants", json={"name": "kept"})
    tenant = [(await clock(first, "/t/kept"))["seed"], await first_invoice(first, "/t/kept")]
    tenant.append((await reset(first, "/t/kept"))["seed"])
    assert len(set(seeds)) == 3 and len(set(ids)) == 3 and tenant[2] != tenant[0]
    await first.close()

    second = await started(state=str(db), seed=5)   # the file's seeds win over this run's flag
    try:
        view = await clock(second)
        assert (view["seed"], view["seed_fixed"]) == (seeds[-1], False)
        assert (await clock(second, "/t/kept"))["seed"] == tenant[2]
        # the replayed resets drew the same seeds, so nothing made before is handed out again,
        # and the next reset draws a seed none of the earlier ones was
        newer = await first_invoice(second)
        assert newer not in ids
        assert (await reset(second))["seed"] not in seeds
    finally:
        await second.close()
