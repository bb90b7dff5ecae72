"""A durable World (core/state/durability.py, core/state/store.py) in process: a second app on the same SQLite
file, or the same PostgreSQL database (core/state/pgstore.py, where the default World is the
tenant "default"), resumes where the first one stopped, with the same objects, deliveries,
attempts, journal, pending retries at their times and generators that never repeat an id."""
from __future__ import annotations

import importlib.util
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
API = "/cryptopayment/api/v1"


async def started(durable: dict) -> TestClient:
    config = SandboxConfig.from_mapping({"seed": 1234, "start": START, **durable["config"]})
    client = TestClient(TestServer(build_app(config)))
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


async def test_a_restart_resumes_the_world(durable, receiver):
    rec = await receiver([500])
    db = durable
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


async def test_a_replayed_request_is_judged_fresh_by_the_wall_time_it_arrived_at(durable, monkeypatch):
    """ALT 5 Pay refuses a request signed more than 300 s from real time. Replayed an hour later,
    the request that created an address must still pass: it is judged at its recorded wall time."""
    spec = importlib.util.spec_from_file_location(
        "alt5_signing", Path(__file__).parents[1] / "providers/alt5pay/alt5pay_helpers.py")
    alt5 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(alt5)
    db = durable
    first = await started(db)
    # the default World's merchants (a shared store's default World is a tenant, built like it)
    signer = alt5.Signer(first.server.app[WORLD])
    headers, raw = signer.request({"ref_id": "fresh-1"}, alt5.M1)
    resp = await first.post("/alt5pay/usr/wallet/btc/create", data=raw, headers=headers)
    assert resp.status == 200, await resp.text()
    address = (await resp.json())["data"]["address"]
    await first.close()

    class AnHourLater(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(hours=1)

    monkeypatch.setattr("mockserver.core.time.clock.datetime", AnHourLater)
    second = await started(db)
    state = await second.post("/_sandbox/simulate/alt5pay/state", json={"address": address})
    assert state.status == 200, await state.text()
    # and live requests are judged by real time again: the old signature is stale now
    resp = await second.post("/alt5pay/usr/wallet/btc/create", data=raw, headers=headers)
    assert resp.status == 401 or resp.status >= 400
    await second.close()


def test_config_rejects_an_empty_state_path():
    from mockserver.config import ConfigError
    with pytest.raises(ConfigError):
        SandboxConfig.from_mapping({"state": ""})


async def test_refused_requests_and_resets_in_the_history_replay_too(durable, receiver):
    """Refusals (bad credentials, a body over the limit) are kept and change nothing when replayed;
    after a reset delivery ids start again, and each generation's answers stay its own."""
    rec = await receiver([500, 200])
    db = durable
    first = await started(db)
    auth = await merchant_auth(first)
    await client_patch(first, rec.url)
    bad = await first.post(f"{API}/invoices", json={"network": "btc", "amount_usd": 5},
                           headers={"Authorization": "Bearer pk_nobody:sk_nobody"})
    assert bad.status == 401
    huge = await first.post(f"{API}/invoices", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                            headers={**auth, "Content-Type": "application/json"})
    assert huge.status == 413 and "error" in await huge.json()   # still the provider's shape
    inv = (await post(first, f"{API}/invoices", {"network": "btc", "amount_usd": 60}, auth, 201))["invoice"]
    await post(first, "/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})   # 500
    await post(first, "/_sandbox/reset", {})
    await client_patch(first, rec.url)
    inv2 = (await post(first, f"{API}/invoices", {"network": "btc", "amount_usd": 60}, auth, 201))["invoice"]
    await post(first, "/_sandbox/simulate/cryptopayment/pay", {"invoice": inv2["id"]})  # 200
    assert inv2["id"] == inv["id"]          # a reset replays the seed: the same first id again
    before = await deliveries(first, inv2["id"])
    assert [a["status"] for a in before[0]["attempts"]] == [200]
    await first.close()

    second = await started(db)
    assert await deliveries(second, inv2["id"]) == before
    assert len(rec.requests) == 2
    await second.close()


async def test_one_store_per_state_file_at_a_time(tmp_path):
    from mockserver.core.state.store import SQLiteStore, StateInUse
    db = tmp_path / "world.db"
    first = SQLiteStore(db)
    with pytest.raises(StateInUse, match=rf"in use by another sandbox \(pid {os.getpid()}\)"):
        SQLiteStore(db)
    await first.close()
    again = SQLiteStore(db)      # closed: free again
    await again.close()
