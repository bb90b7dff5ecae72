"""Chain events: a reorg undoes confirmations (re-mined a block later) or drops a transfer, a
double spend replaces a pending one, a stuck transfer waits for its release; whoever took a
transfer hears of each through when_changed, and thresholds fire again only when reached anew.
The admin routes (/_sandbox/chain/*) refuse what does not apply with a 4xx that changes nothing."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from mockserver.core.basics.errors import Conflict
from mockserver.core.chain.transfers import Chain
from mockserver.core.time.clock import Clock
from mockserver.core.time.scheduler import Scheduler

from test_chain_blocks import START


def make():
    clock = Clock(START)
    scheduler = Scheduler(clock)
    return clock, scheduler, Chain(scheduler, random.Random(3))


async def test_reorg_undoes_confirmations_and_thresholds_fire_again_when_reached_anew():
    clock, scheduler, chain = make()
    tx = chain.send("tron", "T-addr", Decimal("50"))
    fired, changes = [], []
    chain.when_confirmed(tx, 19, lambda t: fired.append(clock.now()))
    chain.when_changed(tx, lambda t, change: changes.append((change, clock.now())))
    await scheduler.advance(timedelta(seconds=30))        # 10 confirmations
    assert tx.confirmations(clock.now()) == 10
    chain.reorg(tx)
    await scheduler.advance(timedelta(0))
    assert tx.confirmations(clock.now()) == 0 and tx.status(clock.now()) == "pending"
    assert changes == [("reorged", START + timedelta(seconds=30))]
    await scheduler.advance(timedelta(seconds=27))        # the old 19th-confirmation instant
    assert fired == [] and tx.confirmations(clock.now()) == 9
    await scheduler.advance(timedelta(seconds=30))
    assert fired == [START + timedelta(seconds=30 + 57)]


async def test_a_reorg_after_the_threshold_fires_it_a_second_time():
    clock, scheduler, chain = make()
    tx = chain.send("btc", "tb1-addr", Decimal("1"))
    fired = []
    chain.when_confirmed(tx, 2, lambda t: fired.append(clock.now()))
    await scheduler.advance(timedelta(minutes=25))
    chain.reorg(tx, after=timedelta(minutes=1))
    await scheduler.advance(timedelta(minutes=30))
    assert fired == [START + timedelta(minutes=20), START + timedelta(minutes=25 + 1 + 10)]
    assert tx.reorgs == 1


async def test_dropped_and_replaced_transfers_never_confirm():
    clock, scheduler, chain = make()
    dropped = chain.send("eth", "0xabc", Decimal("1"))
    pending = chain.send("eth", "0xabc", Decimal("2"))
    seen_elsewhere, fired, changes = [], [], []
    chain.watch("0xother", seen_elsewhere.append)
    for tx in (dropped, pending):
        chain.when_confirmed(tx, 1, fired.append)
        chain.when_changed(tx, lambda t, change: changes.append((t.txid, change)))
    await scheduler.advance(timedelta(seconds=12))
    chain.reorg(dropped, drop=True)
    with pytest.raises(Conflict):
        chain.double_spend(dropped)            # gone already
    with pytest.raises(Conflict):
        chain.double_spend(pending)            # mined: not pending any more
    third = chain.send("eth", "0xabc", Decimal("3"))
    replacement = chain.double_spend(third, "0xother")
    await scheduler.advance(timedelta(minutes=5))
    assert dropped.confirmations(clock.now()) == 0 and dropped.status(clock.now()) == "dropped"
    assert third.status(clock.now()) == "replaced" and third.replaced_by == replacement.txid
    assert replacement.replaces == third.txid and replacement.amount == Decimal("3")
    assert replacement.source_address == third.source_address
    assert seen_elsewhere == [replacement]
    assert changes == [(dropped.txid, "dropped")]          # `third` had no when_changed watcher
    assert [t.txid for t in fired] == [dropped.txid, pending.txid]   # both first mined at 12 s
    chain.confirm_now(dropped, 5)
    assert dropped.confirmations(clock.now()) == 0


async def test_a_stuck_transfer_confirms_only_once_released():
    clock, scheduler, chain = make()
    tx = chain.send("tron", "T-addr", Decimal("5"), stuck=True, memo="123", token="TRX")
    fired = []
    chain.when_confirmed(tx, 3, lambda t: fired.append(clock.now()))
    await scheduler.advance(timedelta(hours=5))
    assert tx.status(clock.now()) == "stuck" and tx.confirmations(clock.now()) == 0 and fired == []
    chain.release(tx)
    with pytest.raises(Conflict):
        chain.release(tx)
    await scheduler.advance(timedelta(seconds=9))
    assert fired == [START + timedelta(hours=5, seconds=9)]
    assert tx.to_dict(clock.now())["memo"] == "123" and tx.mismatch("tron", "USDT") == "wrong token: TRX, not USDT"
    assert tx.mismatch("bsc", "USDT").startswith("wrong network")


async def test_depth_reorg_takes_the_transfers_of_the_last_blocks_only():
    clock, scheduler, chain = make()
    old = chain.send("tron", "a", Decimal("1"))
    await scheduler.advance(timedelta(seconds=30))      # old: 10 confirmations
    young = chain.send("tron", "b", Decimal("1"))
    other = chain.send("bsc", "c", Decimal("1"))
    await scheduler.advance(timedelta(seconds=6))       # young: 2
    hit = chain.reorg_blocks("trc20", 3)
    assert hit == [young] and young.confirmations(clock.now()) == 0
    assert old.confirmations(clock.now()) == 12 and other.confirmations(clock.now()) == 2


async def test_admin_routes(client):
    async def post(path, body, status=200):
        resp = await client.post(f"/_sandbox/chain/{path}", json=body)
        assert resp.status == status, await resp.text()
        return await resp.json()

    tx = await post("transfers", {"network": "tron", "address": "TAddr", "amount": "5", "token": "TRX",
                                  "memo": 42, "confirmations_stuck": True}, 201)
    assert (tx["status"], tx["token"], tx["memo"], tx["confirmations"]) == ("stuck", "TRX", "42", 0)
    for bad in ({"network": "tron", "address": "a", "amount": 1, "token": "no spaces"},
                {"network": "tron", "address": "a", "amount": 1, "confirmations_stuck": "yes"},
                {"network": "tron", "address": "a", "amount": 1, "memo": ""},
                {"network": "tron", "address": "a", "amount": 1, "confirmation_stuck": True}):
        await post("transfers", bad, 400)
    await post("reorg", {"txid": tx["txid"]}, 409)                 # nothing to undo yet
    await post("reorg", {"txid": "nope"}, 404)
    await post("reorg", {"network": "tron"}, 400)
    await post("reorg", {"network": "tron", "depth": 0}, 400)
    await post("reorg", {"txid": tx["txid"], "after": "soon"}, 400)
    released = await post("release", {"txid": tx["txid"]})
    assert released["transfer"]["status"] == "pending"
    await post("release", {"txid": tx["txid"]}, 409)
    await client.post("/_sandbox/clock/advance", json={"by": "30s"})
    done = await post("reorg", {"network": "tron", "depth": 20})
    assert [(t["txid"], t["confirmations"]) for t in done["reorged"]] == [(tx["txid"], 0)]
    second = await post("transfers", {"network": "tron", "address": "TAddr", "amount": "7"}, 201)
    spent = await post("double_spend", {"txid": second["txid"], "to": "TElsewhere"})
    assert spent["replaced"]["status"] == "replaced" and spent["transfer"]["address"] == "TElsewhere"
    await post("double_spend", {"txid": second["txid"]}, 409)
    dropped = await post("reorg", {"txid": tx["txid"], "drop": True})
    assert dropped["outcome"] == "dropped" and dropped["reorged"][0]["status"] == "dropped"
    kinds = [e["kind"] for e in await (await client.get("/_sandbox/journal?kind=chain")).json()]
    assert kinds == ["chain.transfer", "chain.release", "chain.reorg", "chain.transfer",
                     "chain.double_spend", "chain.reorg"]


async def test_confirm_now_on_a_stuck_transfer_mines_it_and_keeps_the_higher_thresholds():
    clock, scheduler, chain = make()
    tx = chain.send("tron", "T-addr", Decimal("5"), stuck=True)
    fired = []
    chain.when_confirmed(tx, 1, lambda t: fired.append((1, clock.now())))
    chain.when_confirmed(tx, 5, lambda t: fired.append((5, clock.now())))
    await scheduler.advance(timedelta(minutes=1))
    chain.confirm_now(tx, 1)
    await scheduler.advance(timedelta(seconds=12))
    at = START + timedelta(minutes=1)
    assert fired == [(1, at), (5, at + timedelta(seconds=12))]
