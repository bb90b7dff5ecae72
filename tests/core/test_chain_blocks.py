"""Simulated chains: confirmations grow one per block time from the first block; thresholds fire
at the exact virtual instant; confirm_now mines at once."""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from mockserver.core.chain.transfers import Chain, network
from mockserver.core.time.clock import Clock
from mockserver.core.time.scheduler import Scheduler

START = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)
BLOCK_TIMES = {"btc": timedelta(minutes=10), "ltc": timedelta(seconds=150), "eth": timedelta(seconds=12),
               "bsc": timedelta(seconds=3), "tron": timedelta(seconds=3), "doge": timedelta(minutes=1)}


def make(seed: int = 1):
    clock = Clock(START)
    scheduler = Scheduler(clock)
    return clock, scheduler, Chain(scheduler, random.Random(seed))


@pytest.mark.parametrize("name", sorted(BLOCK_TIMES))
def test_confirmations_grow_per_block_time(name):
    clock, _scheduler, chain = make()
    block = BLOCK_TIMES[name]
    assert network(name).block_time == block
    tx = chain.send(name, "addr", Decimal("1"))
    assert tx.confirmations(START) == 0
    assert tx.confirmations(START + block - timedelta(microseconds=1)) == 0
    for n in range(1, 25):
        at = START + block * n        # the first block comes one block time after broadcast
        assert tx.confirmations(at) == n
        assert tx.confirmations(at - timedelta(microseconds=1)) == n - 1
        assert tx.time_of_confirmation(n) == at


async def test_when_confirmed_fires_at_the_exact_instant():
    clock, scheduler, chain = make()
    tx = chain.send("tron", "T-address", Decimal("50"))
    fired = []
    chain.when_confirmed(tx, 19, lambda t: fired.append((t.txid, clock.now())))
    await scheduler.advance(timedelta(seconds=56))
    assert fired == []
    await scheduler.advance(timedelta(seconds=1))
    assert fired == [(tx.txid, START + timedelta(seconds=57))]
    assert tx.confirmations(clock.now()) == 19


async def test_confirm_now_mines_at_once_and_fires_reached_thresholds():
    clock, scheduler, chain = make()
    tx = chain.send("btc", "tb1q-something", Decimal("0.1"))
    fired = []
    chain.when_confirmed(tx, 2, lambda t: fired.append(("two", clock.now())))
    chain.when_confirmed(tx, 6, lambda t: fired.append(("six", clock.now())))
    chain.confirm_now(tx, 2)
    await scheduler.settle()
    assert tx.confirmations(clock.now()) == 2 and fired == [("two", START)]
    # blocks keep coming on top of the forced ones
    await scheduler.advance(timedelta(minutes=10))
    assert tx.confirmations(clock.now()) == 3


async def test_watchers_hear_of_transfers_when_the_scheduler_runs():
    clock, scheduler, chain = make()
    heard = []
    chain.watch("watched", lambda t: heard.append((t.amount, clock.now())))
    tx = chain.send("eth", "watched", Decimal("0.5"))
    chain.send("eth", "elsewhere", Decimal("1"))
    assert heard == []  # nothing runs inside send()
    await scheduler.settle()
    assert heard == [(Decimal("0.5"), START)]
    assert chain.transfers_to("watched") == [tx] and chain.transfer(tx.txid) is tx
    assert chain.transfers_to("nobody") == []


def test_txids_and_addresses_have_the_network_shape():
    _clock, _scheduler, chain = make()
    assert re.fullmatch(r"0x[0-9a-f]{64}", chain.send("eth", "a", Decimal(1)).txid)
    assert re.fullmatch(r"[0-9a-f]{64}", chain.send("btc", "a", Decimal(1)).txid)
    assert re.fullmatch(r"0x[0-9a-f]{40}", chain.new_address("bsc"))
    assert chain.new_address("btc").startswith("tb1q")
    assert chain.new_address("ltc").startswith("tltc1q")
    assert re.fullmatch(r"T[1-9A-HJ-NP-Za-km-z]{33}", chain.new_address("tron"))


def test_seeded_chains_replay_exactly():
    one, two = make(7)[2], make(7)[2]
    assert [one.new_address(n) for n in BLOCK_TIMES] == [two.new_address(n) for n in BLOCK_TIMES]
    assert make(8)[2].new_address("btc") != make(7)[2].new_address("btc")


def test_aliases_and_bad_input():
    assert network("trc20") is network("tron") and network("BEP20") is network("bsc")
    with pytest.raises(ValueError):
        network("nochain")
    _clock, _scheduler, chain = make()
    for amount in (Decimal(0), Decimal(-1)):
        with pytest.raises(ValueError):
            chain.send("btc", "a", amount)
    assert chain.blocks_needed("btc", timedelta(minutes=25)) == 3
