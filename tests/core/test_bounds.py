"""Bounded memory (issue 9, defect 8): the journal clips long strings and streams its export, the
inbox caps names, deliveries per name and bytes per body, the chain caps its transfers, and
BoundedStore forgets finished objects oldest first. Each test fails on the unbounded code."""
from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from mockserver.app import build_app
from mockserver.config import ConfigError, SandboxConfig
from mockserver.core.chain.transfers import Chain
from mockserver.core.time.clock import Clock
from mockserver.core.state.journal import Journal
from mockserver.core.basics.retention import BoundedStore, Retention
from mockserver.core.time.scheduler import Scheduler

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


@pytest.fixture
async def small(aiohttp_client):
    async def make(**retention):
        cfg = SandboxConfig(seed=1234, start=START, self_check=True, retention=Retention(**retention))
        return await aiohttp_client(build_app(cfg))
    return make


# -- journal ----------------------------------------------------------------------------------------

def test_journal_clips_every_long_string_and_keeps_numbers():
    journal = Journal(lambda: START, size=3, field_chars=50)
    entry = journal.record("api", "p", path="/x?" + "q" * 8000, status=404,
                           violation={"message": "m" * 400, "path": ["a" * 90]})
    assert len(entry["path"]) < 80 and entry["path"].endswith("[7953 more chars]")
    assert entry["status"] == 404
    assert len(entry["violation"]["message"]) < 80 and len(entry["violation"]["path"][0]) < 80
    for i in range(10):
        journal.record("k", n=i)
    assert len(journal) == 3 and [e["n"] for e in journal.query()] == [7, 8, 9]


async def test_a_huge_query_string_costs_the_journal_512_chars(client, world):
    resp = await client.get("/cryptopayment/api/v1/invoices/x?junk=" + "a" * 7000, headers=AUTH)
    assert resp.status < 500
    entry = world.journal.query(kind="api")[-1]
    assert len(entry["path"]) <= 512 + 40 and "more chars]" in entry["path"]


async def test_the_export_streams_in_chunks_and_matches_the_journal(client, world):
    for i in range(3000):
        world.journal.record("filler", None, ref=f"r{i}", note="x" * 100)
    resp = await client.get("/_sandbox/journal/export")
    assert resp.status == 200
    assert resp.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in resp.headers
    assert resp.content_type == "application/x-ndjson"
    text = await resp.text()
    assert text == world.journal.export() and text.count("\n") == len(world.journal) >= 3000


async def test_an_empty_export_is_empty(client):
    await client.post("/_sandbox/reset")
    resp = await client.get("/_sandbox/journal/export")
    assert resp.status == 200 and await resp.text() == ""


# -- inbox ------------------------------------------------------------------------------------------

async def test_the_inbox_keeps_at_most_n_names_least_recently_posted_go_first(small):
    client = await small(inbox_names=5)
    for i in range(8):
        assert (await client.post(f"/_sandbox/inbox/n{i}", data=b"{}")).status == 200
        if i == 5:
            await client.post("/_sandbox/inbox/n1", data=b"{}")   # n1 used again: kept
    kept = [i for i in range(8) if await (await client.get(f"/_sandbox/inbox/n{i}")).json()]
    assert kept == [1, 4, 5, 6, 7]


async def test_the_inbox_keeps_the_newest_deliveries_per_name_and_still_counts_failures(small):
    client = await small(inbox_per_name=4)
    answers = []
    for i in range(12):
        resp = await client.post("/_sandbox/inbox/shop?fail=9", data=b'{"n": %d}' % i)
        answers.append(resp.status)
    assert answers == [500] * 9 + [200] * 3   # ?fail counts every delivery, not the kept ones
    got = await (await client.get("/_sandbox/inbox/shop")).json()
    assert [g["body"] for g in got] == ['{"n": 8}', '{"n": 9}', '{"n": 10}', '{"n": 11}']


async def test_a_big_inbox_body_is_kept_in_part_with_its_real_size(small):
    client = await small(inbox_body_bytes=1024)
    big = b"x" * (1024 * 1024 - 10)
    assert (await client.post("/_sandbox/inbox/big", data=big)).status == 200
    got = (await (await client.get("/_sandbox/inbox/big")).json())[0]
    assert len(got["body"]) == 1024 and got["size"] == len(big) and got["truncated"] is True
    assert (await client.post("/_sandbox/inbox/small", data=b"{}")).status == 200
    got = (await (await client.get("/_sandbox/inbox/small")).json())[0]
    assert got["body"] == "{}" and got["size"] == 2 and "truncated" not in got


async def test_default_inbox_bounds(world):
    assert (world.inboxes.max_names, world.inboxes.per_name, world.inboxes.body_bytes) == (100, 100, 65536)


# -- chain ------------------------------------------------------------------------------------------

def _chain(cap: int) -> Chain:
    return Chain(Scheduler(Clock(START, "virtual")), random.Random(1), max_transfers=cap)


def test_the_chain_keeps_the_newest_transfers_and_their_index():
    chain = _chain(10)
    sent = [chain.send("tron", f"addr{i % 3}", 1) for i in range(25)]
    assert len(chain._transfers) == 10
    assert chain.transfer(sent[0].txid) is None and chain.transfer(sent[-1].txid) is sent[-1]
    assert sum(len(chain.transfers_to(f"addr{i}")) for i in range(3)) == 10
    assert not chain._thresholds.keys() - chain._transfers.keys()


def test_forgetting_an_address_drops_its_watchers_and_transfers():
    chain = _chain(100)
    chain.watch("a", lambda tx: None)
    tx = chain.send("tron", "a", 1)
    chain.when_confirmed(tx, 1, lambda _tx: None)
    chain.forget("a")
    assert chain.transfers_to("a") == [] and chain.transfer(tx.txid) is None
    assert "a" not in chain._watchers and tx.txid not in chain._thresholds


# -- BoundedStore -----------------------------------------------------------------------------------

def test_bounded_store_forgets_finished_entries_oldest_first_never_live_ones():
    live = {3, 4}
    evicted = []
    store = BoundedStore(5, finished=lambda v: v not in live, on_evict=lambda k, v: evicted.append(k))
    for i in range(12):
        store[i] = i
    assert len(store) == 5 and 3 in store and 4 in store
    assert evicted == [0, 1, 2, 5, 6, 7, 8] and list(store) == [3, 4, 9, 10, 11]


def test_bounded_store_with_only_live_entries_grows_but_each_insert_looks_at_few():
    calls = []
    store = BoundedStore(100, finished=lambda v: calls.append(v) or False, max_skip=8)
    for i in range(5000):
        store[i] = i
    assert len(store) == 5000
    assert len(calls) <= 4900 * 9  # never a full scan per insert: at most max_skip + 1 looks
    # ... and a sweep stopped by the live head waits max_skip inserts: about one look per insert
    assert len(calls) <= 2 * 4900


def test_bounded_store_behind_a_live_head_still_evicts_once_it_finishes():
    done: set[int] = set()
    store = BoundedStore(10, finished=lambda v: v in done, max_skip=8)
    for i in range(200):
        store[i] = i
    done.update(range(200))
    for i in range(200, 220):   # within max_skip inserts the sweeps resume and catch up
        store[i] = i
    assert list(store) == list(range(200, 220))   # every finished one gone; the new, live ones kept


def test_bounded_store_catches_up_once_a_live_crowd_finishes():
    done = set()
    store = BoundedStore(3, finished=lambda v: v in done)
    for i in range(9):
        store[i] = i
    done.update(range(9))
    store[9] = 9
    assert list(store) == [7, 8, 9]


def test_retention_settings_are_validated():
    assert SandboxConfig.from_mapping({"retention": {"objects": 5}}).retention.objects == 5
    assert SandboxConfig.from_mapping({}).retention == Retention()
    for bad, message in [({"objects": 0}, "positive"), ({"objects": "many"}, "positive"),
                         ({"colour": 1}, "unknown retention keys"), ([1], "mapping")]:
        with pytest.raises(ConfigError, match=message):
            SandboxConfig.from_mapping({"retention": bad})


async def test_the_issue_case_many_one_mib_posts_keep_a_few_mib(client, world):
    """Issue 9: 300 x 1 MiB posts to the inbox kept +354 MiB. With the defaults (100 names, 64 KiB
    of each body) 150 such posts keep at most 100 x 64 KiB."""
    import gc
    import tracemalloc
    body = b"{" + b" " * (1024 * 1024 - 2) + b"}"
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(150):
            async with client.session.post(client.make_url(f"/_sandbox/inbox/big{i}"), data=body) as resp:
                assert resp.status == 200
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(world.inboxes) == 100
    assert grown < 100 * 64 * 1024 + 4 * 1024 * 1024, grown   # unbounded: ~150 MiB
