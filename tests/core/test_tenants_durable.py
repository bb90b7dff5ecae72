"""Tenants with --state (each tenant kept in its own SQLite file) and with --store (each kept in
the PostgreSQL database, under its name), replayed on restart; the default world's history never
holds a tenant's inputs; a deleted tenant does not come back."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from aiohttp.test_utils import TestClient, TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
API = "/cryptopayment/api/v1"


async def started(durable: dict) -> TestClient:
    config = SandboxConfig.from_mapping({"seed": 1234, "start": START, **durable["config"]})
    client = TestClient(TestServer(build_app(config)))
    await client.start_server()
    return client


async def invoice(client, prefix: str) -> dict:
    resp = await client.post(prefix + API + "/invoices", headers=AUTH, json={"network": "trc20", "amount_usd": 5})
    assert resp.status == 201
    return (await resp.json())["invoice"]


async def kept_tenants(durable: dict, tmp_path) -> list[str]:
    """What the store holds, read beside the sandbox: SQLite files, or the database's rows."""
    if durable["kind"] == "sqlite":
        return sorted(p.stem for p in (tmp_path / "world.db.tenants").glob("*.db"))
    import asyncpg
    conn = await asyncpg.connect(durable["config"]["store"])
    try:
        return [r["name"] for r in await conn.fetch("SELECT name FROM sandbox_tenants WHERE name <> 'default' "
                                                    "ORDER BY name")]
    finally:
        await conn.close()


async def test_each_tenant_is_kept_and_replayed_in_its_own_store(durable, tmp_path):
    db = durable
    first = await started(db)
    assert (await first.post("/_sandbox/tenants", json={"name": "b", "seed": 77})).status == 201
    a = await invoice(first, "/t/a")
    await first.post("/t/a/_sandbox/clock/advance", json={"by": "1h"})
    b = await invoice(first, "/t/b")
    assert (await first.post("/_sandbox/tenants/b/reset")).status == 200     # kept as b's input
    b_after_reset = await invoice(first, "/t/b")
    assert b_after_reset["id"] == b["id"]                                     # same seed replays the same id
    await first.post("/t/gone/_sandbox/clock/advance", json={"by": "5m"})
    assert (await first.delete("/_sandbox/tenants/gone")).status == 200
    clock_a = await (await first.get("/t/a/_sandbox/clock")).json()
    await first.close()
    assert await kept_tenants(durable, tmp_path) == ["a", "b"]

    second = await started(db)
    journal = await (await second.get("/_sandbox/journal")).json()
    assert not [e for e in journal if e["kind"] in ("api", "clock.advance")]   # the default kept none of it
    names = [t["name"] for t in (await (await second.get("/_sandbox/tenants")).json())["tenants"]]
    assert names == ["a", "b"]                                                # "gone" stayed gone
    assert (await (await second.get("/t/a/_sandbox/clock")).json())["now"] == clock_a["now"]
    got = await second.get(f"/t/a{API}/invoices/{a['id']}", headers=AUTH)
    assert got.status == 200
    listed = await (await second.get(f"/t/b{API}/invoices", headers=AUTH)).json()
    assert [i["id"] for i in listed["invoices"]] == [b["id"]]                 # the reset replayed too
    assert (await (await second.get("/_sandbox/tenants/b")).json())["seed"] == 77
    assert (await second.get(f"{API}/invoices/{a['id']}", headers=AUTH)).status == 404   # not the default's
    assert (await invoice(second, "/t/a"))["id"] != a["id"]                  # generators continue
    await second.close()


async def test_a_restart_replays_faults_without_their_waits(durable):
    import time
    db = durable
    first = await started(db)
    rule = {"provider": "cryptopayment", "route": "GET /balances", "latency_ms": 1500, "status": 503,
            "times": 1}
    assert (await first.post("/_sandbox/faults", json=rule)).status == 201
    assert (await first.get(f"{API}/balances", headers=AUTH)).status == 503
    await first.close()
    began = time.perf_counter()
    second = await started(db)
    assert time.perf_counter() - began < 1.2          # the 1.5 s latency was not waited again
    (spent,) = (await (await second.get("/_sandbox/faults")).json())["faults"]     # spent, as before
    assert (spent["times_left"], spent["fired"]) == (0, 1)
    assert [e["effect"] for e in await (await second.get("/_sandbox/journal?kind=fault")).json()
            if e["kind"] == "fault"] == ["status"]
    await second.close()


async def test_a_tenant_whose_state_file_is_unreadable_is_refused_not_a_500(tmp_path):
    """A corrupt file under PATH.tenants/ for a tenant first used at run time: a 409 naming the
    cause, nothing created, and the other tenants and the default world unaffected."""
    client = await started({"config": {"state": str(tmp_path / "world.db")}})
    try:
        folder = tmp_path / "world.db.tenants"
        folder.mkdir(exist_ok=True)
        (folder / "broken.db").write_bytes(b"this is not a database" * 100)
        resp = await client.post("/t/broken" + API + "/invoices", headers=AUTH,
                                 json={"network": "trc20", "amount_usd": 5})
        assert resp.status == 409
        assert "cannot be loaded" in (await resp.text())
        listing = await (await client.get("/_sandbox/tenants")).json()
        assert "broken" not in json.dumps(listing)
        assert (await invoice(client, "/t/fine"))["status"] == "pending"
        assert (await invoice(client, ""))["status"] == "pending"
    finally:
        await client.close()
