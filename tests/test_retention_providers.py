"""Bounded memory per provider (issue 9, defect 8): finished objects beyond `retention.objects`
are forgotten oldest first, with every index that pointed at them; live ones are kept."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.basics.retention import Retention

sys.path.insert(0, str(Path(__file__).parent / "providers" / "alchemypay"))
import alchemypay_helpers as alc  # noqa: E402

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


@pytest.fixture
async def capped(aiohttp_client):
    async def make(objects: int):
        app = build_app(SandboxConfig(seed=1234, start=START, self_check=True,
                                      retention=Retention(objects=objects)))
        client = await aiohttp_client(app)
        return client, app[WORLD]
    return make


async def _invoice(client) -> str:
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH, json={"network": "trc20", "amount_usd": 5})
    assert resp.status == 201
    return (await resp.json())["invoice"]["id"]


async def test_cryptopayment_forgets_the_oldest_finished_invoices(capped):
    client, world = await capped(5)
    backend = world.backend("cryptopayment")
    old = [await _invoice(client) for _ in range(12)]
    assert len(backend.invoices) == 12                     # all live: none may go
    await client.post("/_sandbox/clock/advance", json={"by": "31m"})   # all expired now
    paid = await _invoice(client)
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": paid})
    assert len(backend.invoices) == 5
    assert list(backend.invoices)[-1] == paid and old[-1] in backend.invoices and old[0] not in backend.invoices
    resp = await client.get(f"/cryptopayment/api/v1/invoices/{old[0]}", headers=AUTH)
    assert resp.status == 404
    listed = await (await client.get("/cryptopayment/api/v1/invoices", headers=AUTH)).json()
    assert listed["pagination"]["total"] == 5 and len(backend.invoices_by_merchant[next(iter(backend.invoices_by_merchant))]) == 5
    assert len(world.chain._watchers) <= 5 + 1


async def test_live_invoices_are_never_forgotten(capped):
    client, world = await capped(3)
    live = [await _invoice(client) for _ in range(10)]
    for invoice in live:
        assert (await client.get(f"/cryptopayment/api/v1/invoices/{invoice}", headers=AUTH)).status == 200


async def test_alchemypay_forgets_finished_orders_and_their_merchant_order_numbers(capped):
    client, world = await capped(3)
    backend = world.backend("alchemypay")
    for i in range(8):
        resp = await alc.post(client, world, f"{alc.V4}/trade/create", alc.buy_body(merchantOrderNo=f"R-{i}"))
        assert resp.status == 200, await resp.text()
    assert len(backend.orders) == 8
    await client.post("/_sandbox/clock/advance", json={"by": "25h"})   # the pay URLs lapse: CANCEL
    resp = await alc.post(client, world, f"{alc.V4}/trade/create", alc.buy_body(merchantOrderNo="R-new"))
    assert resp.status == 200
    assert len(backend.orders) == 3 and len(backend._merchant_orders) == 3
    assert backend.existing(alc.APP_ID, "BUY", "R-0") is None
    resp = await alc.get(client, world, f"{alc.V4}/query/trade", {"merchantOrderNo": "R-0", "side": "BUY"})
    assert resp.status < 500
