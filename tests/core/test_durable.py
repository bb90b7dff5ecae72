"""A durable World (core/durable.py, core/store.py) in process: a second app on the same SQLite
file resumes where the first one stopped, with the same objects, deliveries, attempts, journal,
pending retries at their times and generators that never repeat an id."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http import WORLD
from mockserver.core.store import SQLiteStore

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
API = "/cryptopayment/api/v1"


async def started(path) -> TestClient:
    client = TestClient(TestServer(build_app(SandboxConfig(seed=1234, start=START, state=str(path)))))
    await client.start_server()
    return client


async def merchant_auth(client) -> dict:
    merchant = (await (await client.get("/_sandbox/providers")).json())["cryptopayment"]["merchants"][0]
    return {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}"}


async def post(client, path, body, headers=None, expect=200) -> dict:
    resp = await client.post(path, json=body, headers=headers or {})
    out = await resp.json()
    assert resp.status == expect, out
    return out


async def deliveries(client, ref) -> list[dict]:
    listed = await (await client.get(f"/_sandbox/deliveries?ref={ref}")).json()
    listed = listed["deliveries"] if isinstance(listed, dict) else listed
    return [await (await client.get(f"/_sandbox/deliveries/{d['id']}")).json() for d in listed]


async def test_a_restart_resumes_the_world(tmp_path, receiver):
    rec = await receiver([500])
    db = tmp_path / "world.db"
    first = await started(db)
    auth = await merchant_auth(first)
    await client_patch(first, rec.url)
    inv = (await post(first, f"{API}/invoices", {"network": "btc", "amount_usd": 60}, auth, 201))["invoice"]
    await post(first, "/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})
    await post(first, "/_sandbox/clock/advance", {"by": "2m"})   # attempts at +0 and +1m failed
    before = await deliveries(first, inv["id"])
    journal_before = await (await first.get("/_sandbox/journal?kind=webhook")).text()
    clock_before = await (await first.get("/_sandbox/clock")).json()
    arrived = len(rec.requests)
    await first.close()

    second = await started(db)
    assert len(rec.requests) == arrived          # a replay answers POSTs from the store
    assert await deliveries(second, inv["id"]) == before
    assert await (await second.get("/_sandbox/journal?kind=webhook")).text() == journal_before
    clock_after = await (await second.get("/_sandbox/clock")).json()
    assert clock_after["now"] == clock_before["now"]
    assert clock_after["pending_events"] == clock_before["pending_events"]
    again = (await (await second.get(f"{API}/invoices/{inv['id']}", headers=auth)).json())["invoice"]
    assert again["status"] == inv["status"] or again["id"] == inv["id"]
    newer = (await post(second, f"{API}/invoices", {"network": "btc", "amount_usd": 60}, auth, 201))["invoice"]
    assert newer["id"] != inv["id"] and newer["address"] != inv["address"]

    # the pending retry (+6m after the first attempt) fires at its documented time, once
    await post(second, "/_sandbox/clock/advance", {"by": "3m59s"})
    assert len(rec.requests) == arrived
    await post(second, "/_sandbox/clock/advance", {"by": "1s"})
    await rec.wait_for_requests(arrived + 1)
    (detected,) = [d for d in await deliveries(second, inv["id"]) if d["event"] == "payment.detected"]
    first_at = datetime.fromisoformat(detected["attempts"][0]["at"])
    assert [datetime.fromisoformat(a["at"]) - first_at for a in detected["attempts"]] == [
        timedelta(0), timedelta(minutes=1), timedelta(minutes=6)]
    await second.close()


async def client_patch(client, url) -> None:
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": url})
    assert resp.status == 200, await resp.text()


async def test_freshness_windows_pass_on_replay_as_they_did(tmp_path):
    """A request signed with the wall clock is replayed with the wall time it arrived at."""
    db = tmp_path / "world.db"
    store = SQLiteStore(db)
    first = await started(db)
    auth = await merchant_auth(first)
    await post(first, f"{API}/invoices", {"network": "trc20", "amount_usd": 5}, auth, 201)
    await first.close()
    await store.close()
    # the recorded wall time is what the replay uses, so moving it far away must not matter
    from mockserver.core.clock import Clock
    assert Clock.replay_wall is None
    second = await started(db)
    assert len(second.server.app[WORLD].backend("cryptopayment").invoices) == 1
    await second.close()


def test_config_rejects_an_empty_state_path():
    from mockserver.config import ConfigError
    with pytest.raises(ConfigError):
        SandboxConfig.from_mapping({"state": ""})
