"""The journal: bounded, queryable, and a deterministic export for a seeded story."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.state.journal import Journal

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


def test_bounded_keeps_the_newest():
    journal = Journal(lambda: START, size=10)
    for i in range(25):
        journal.record("api", "p", n=i)
    assert len(journal) == 10
    entries = journal.query()
    assert [e["seq"] for e in entries] == list(range(16, 26)) and journal.last_seq == 25
    assert [e["n"] for e in entries] == list(range(15, 25))


def test_query_filters():
    now = [START]
    journal = Journal(lambda: now[0])
    journal.record("api", "alpha", ref="r1")
    now[0] += timedelta(minutes=1)
    journal.record("webhook.attempt", "alpha", ref="r1", status=500, error=None)
    journal.record("webhook.exhausted", "beta", ref="r2")
    journal.record("webhooks", "beta")
    assert [e["kind"] for e in journal.query(kind="webhook")] == ["webhook.attempt", "webhook.exhausted"]
    assert [e["seq"] for e in journal.query(provider="beta")] == [3, 4]
    assert [e["seq"] for e in journal.query(ref="r1")] == [1, 2]
    assert [e["seq"] for e in journal.query(since=2)] == [3, 4]
    assert [e["seq"] for e in journal.query(limit=2)] == [3, 4]
    assert journal.query(kind="api")[0]["at"] == START.isoformat()
    assert "error" not in journal.query(kind="webhook.attempt")[0]  # None fields are left out
    assert [e["seq"] for e in journal.around(2, before=1, after=1)] == [1, 2, 3]


def test_export_is_sorted_compact_and_drops_wall_clock_fields():
    journal = Journal(lambda: START)
    assert journal.export() == ""
    journal.record("webhook.attempt", "p", status=200, latency_ms=12.34, ref="x")
    line = journal.export()
    assert line.endswith("\n") and line.count("\n") == 1
    assert "latency_ms" not in line
    assert list(json.loads(line)) == sorted(json.loads(line))
    assert ", " not in line and ": " not in line


async def _story(aiohttp_client, receiver, seed: int) -> str:
    app = build_app(SandboxConfig(seed=seed, start=START))
    client = await aiohttp_client(app)
    rec = await receiver([500, 200])  # a fresh port each time: the journal must not show it
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": rec.url})
    assert resp.status == 200
    api = "/cryptopayment/api/v1"
    ids = []
    for network, usd in (("trc20", 50), ("btc", 120), ("eth", 30)):
        resp = await client.post(f"{api}/invoices", headers=AUTH, json={"network": network, "amount_usd": usd})
        ids.append((await resp.json())["invoice"]["id"])
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": ids[0], "amount": 20})
    await client.post("/_sandbox/clock/advance", json={"by": "2m"})
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": ids[0], "amount": 30})
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": ids[1], "kind": "over"})
    await client.post(f"{api}/invoices", headers=AUTH, json={"network": "nope", "amount_usd": 5})
    await client.post("/_sandbox/clock/advance", json={"by": "45m"})
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": ids[2], "kind": "exact"})
    await client.post(f"{api}/withdrawals", headers=AUTH,
                      json={"coin": "USDT-TRC20", "amount": 10, "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"})
    await client.post("/_sandbox/clock/run", json={})
    resp = await client.get("/_sandbox/journal/export")
    assert app[WORLD].self_violations == []
    return await resp.text()


async def test_the_same_seeded_story_twice_exports_byte_identical(aiohttp_client, receiver):
    first = await _story(aiohttp_client, receiver, seed=99)
    second = await _story(aiohttp_client, receiver, seed=99)
    assert first == second
    kinds = {json.loads(line)["kind"] for line in first.splitlines()}
    assert {"api", "simulate", "webhook.enqueued", "webhook.attempt", "payment.late",
            "withdrawal.completed", "clock.advance", "clock.run"} <= kinds
    attempts = [json.loads(line) for line in first.splitlines() if '"webhook.attempt"' in line]
    assert [a["status"] for a in attempts][:2] == [500, 200]
    other = await _story(aiohttp_client, receiver, seed=100)
    assert other != first  # the seed is what makes it replay
