"""Bounded memory (retention.objects = 3): COMPLETED/EXPIRED payments (every transfer confirmed),
COMPLETE/CANCELLED withdrawals and idle clientId addresses are forgotten oldest first; OPEN ones
and addresses holding money stay; balances do not move; a forgotten id answers ALPPAY's 404."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mockserver.config import SandboxConfig
from mockserver.core.basics.retention import Retention

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
CAP = 3


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=1234, start=START, self_check=True, retention=Retention(objects=CAP))


async def test_finished_payments_go_and_open_ones_stay(ap, world):
    backend = world.backend("alppay")
    live = await ap.create(amount="5.00")                            # never paid: OPEN for 2.5 h
    done = []
    for _ in range(5):
        created = await ap.create(amount="10.00")
        await ap.pay(created["id"])
        await ap.advance("1m")                                       # confirmed: COMPLETED, credited
        done.append(created)
    assert (await ap.balances())["USDT_tron"] == "49.75"            # 0.5 % fee each
    await ap.create(amount="1.00")
    assert len(backend.payments) == CAP and live["id"] in backend.payments
    status, out = await ap.call("GET", f"/payment/{done[0]['id']}")
    assert status == 404 and "not found" in str(out).lower()
    assert done[0]["addressTo"] not in world.chain._watchers and done[0]["addressTo"] not in backend.address_payments
    assert (await ap.payment(live["id"]))["status"] == "OPEN"
    _, listed = await ap.call("GET", "/payment", expect=200)
    assert listed["total"] == CAP
    assert (await ap.balances())["USDT_tron"] == "49.75"             # the ledger kept the money


async def test_withdrawals_go_once_complete_or_cancelled(ap, world):
    backend = world.backend("alppay")
    await ap.simulate("fund", method="USDT_tron", amount="100")
    made = [await ap.withdraw(amount="5") for _ in range(5)]
    assert len(backend.withdrawals) == 5                             # all OPEN: none may go
    for w in made[:2]:
        await ap.simulate("approve_withdrawal", withdrawal=w["id"])
        await ap.simulate("complete_withdrawal", withdrawal=w["id"])
    await ap.simulate("cancel_withdrawal", withdrawal=made[2]["id"])
    await ap.withdraw(amount="5")
    assert len(backend.withdrawals) == CAP                            # the 3 finished went; 3 OPEN left
    assert all(w["id"] not in backend.withdrawals for w in made[:3])
    status, _ = await ap.call("GET", f"/withdrawal/{made[0]['id']}")
    assert status == 404
    assert (await ap.balances())["USDT_tron"] == "75.00"            # 2 sent, 1 given back, 3 held


async def test_client_addresses_are_kept_while_they_hold_money_or_an_open_payment(ap, world):
    backend = world.backend("alppay")
    funded = await ap.create(amount="10.00", clientId="rich")
    await ap.pay(funded["id"])
    await ap.advance("1m")                                           # 10 on the clientId address
    first = [await ap.create(amount="10.00", clientId=f"c-{i}") for i in range(4)]
    assert len(backend.client_addresses) == 5                         # each has an OPEN payment
    await ap.advance("3h")                                           # they expire
    again = await ap.create(amount="10.00", clientId="c-3")
    assert again["addressTo"] == first[3]["addressTo"]                   # persistent: reused
    for i in range(5, 9):
        await ap.create(amount="10.00", clientId=f"c-{i}")
    # idle ones went (c-0, c-1, c-2, c-4); money (rich) and OPEN payments (c-3 again, c-5..c-8) kept
    assert {key[1] for key in backend.client_addresses} == {"rich", "c-3", "c-5", "c-6", "c-7", "c-8"}
    assert backend.address_balances[funded["addressTo"]] > 0
    renewed = await ap.create(amount="10.00", clientId="c-0")        # a forgotten clientId: a new address
    assert renewed["addressTo"] != first[0]["addressTo"]
