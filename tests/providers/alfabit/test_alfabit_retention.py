"""Bounded memory (retention.objects = 3): done orders (`isDone`) are forgotten oldest first, with
their place in the merchant's list and their address watcher; live ones stay; the balance ledger
does not move; a forgotten uid answers AlfaBit Pay's 404."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alfabit_support import ORDER, ORDERS

from mockserver.config import SandboxConfig
from mockserver.core.basics.retention import Retention

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
CAP = 3


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=1234, start=START, self_check=True, retention=Retention(objects=CAP))


async def test_done_orders_go_past_the_cap_and_live_ones_stay(ab, world):
    backend = world.backend("alfabit")
    paid = await ab.create()
    await ab.simulate("pay", order=paid["uid"])
    await ab.advance("3m")                # confirmations, the AML check, the conversion
    assert (await ab.order(paid["uid"]))["status"] == "success"
    balance = await ab.balance()
    assert balance > 0
    lapsing = [await ab.create() for _ in range(4)]
    assert len(backend.orders) == 4 and paid["uid"] not in backend.orders   # done: gone; waiting: live
    await ab.advance("81m")          # they expire (invoiceNotPayed), then the late-payment window ends: done
    fresh = [await ab.create() for _ in range(4)]
    assert len(backend.orders) == CAP + 1 and all(o["uid"] in backend.orders for o in fresh)
    gone = [paid, *lapsing]
    status, out = await ab.call("GET", ORDER + paid["uid"])
    assert status == 404 and out["message"] == "Order not found"
    assert all(o["uid"] not in backend.orders for o in gone)
    assert all(o["requisites"] not in world.chain._watchers for o in gone)
    assert len(backend.by_merchant[ab.merchant["api_key"]]) == len(backend.orders)
    _, listed = await ab.call("GET", ORDERS + "?limit=100", expect=200)
    assert len(listed["data"]) == len(backend.orders)
    assert await ab.balance() == balance                           # the ledger kept the money


async def test_waiting_orders_are_never_forgotten(ab, world):
    made = [await ab.create() for _ in range(CAP * 3)]
    for order in made:
        assert (await ab.order(order["uid"]))["status"] == "created"
