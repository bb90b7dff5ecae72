"""A short soak (600 rounds) (issue 9, "memory stays flat"): a steady stream of invoice creates, payments,
confirmations and webhooks against the in-process app with small retention caps. The retained
counts stay at the caps and the live Python objects / allocated blocks stop growing once the
caps are reached. Unbounded, the same run grows by ~24 objects and ~90 blocks per round.
`make bench` runs the long version against a real server and prints its RSS curve. The same
for ALT 5 Pay (its payments, addresses, invoices and payouts), whose balances are a ledger."""
from __future__ import annotations

import gc
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.basics.retention import Retention

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
ROUNDS, CHECKPOINTS = 600, (200, 400, 600)
# recording: past its cap the inputs since the reset are no longer kept (the recording says it is incomplete)
CAPS = Retention(objects=100, deliveries=100, transfers=200, inbox_names=10, inbox_per_name=20, recording=100)


def _footprint() -> tuple[int, int]:
    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks()


async def test_memory_is_flat_under_a_steady_load():
    app = build_app(SandboxConfig(seed=5, start=START, retention=CAPS, journal_size=300))
    world = app[WORLD]
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    # a plain session: the test client keeps every response it ever returned
    async with aiohttp.ClientSession() as session:
        async def call(method: str, path: str, **kw):
            async with session.request(method, server.make_url(path), **kw) as resp:
                assert resp.status < 300, (path, resp.status, await resp.text())
                return await resp.json() if resp.content_type == "application/json" else None

        await call("PATCH", "/_sandbox/providers/cryptopayment/merchant",
                   json={"webhook_url": str(server.make_url("/_sandbox/inbox/soak"))})
        samples = {}
        for i in range(1, ROUNDS + 1):
            created = await call("POST", "/cryptopayment/api/v1/invoices", headers=AUTH,
                                 json={"network": "trc20", "amount_usd": 5})
            await call("POST", "/_sandbox/simulate/cryptopayment/pay", json={"invoice": created["invoice"]["id"]})
            if i % 25 == 0:  # confirmations arrive: payment.confirmed for the last 25
                await call("POST", "/_sandbox/clock/advance", json={"by": "5m"})
            if i in CHECKPOINTS:
                samples[i] = _footprint()
    await server.close()

    backend = world.backend("cryptopayment")
    assert len(backend.invoices) == CAPS.objects
    assert sum(map(len, backend.invoices_by_merchant.values())) == CAPS.objects
    assert len(world.outbox.list()) <= CAPS.deliveries
    assert len(world.chain._transfers) <= CAPS.transfers and len(world.chain._watchers) <= CAPS.objects
    assert len(world.journal) == 300
    assert len(world.inboxes.get("soak")) == CAPS.inbox_per_name
    assert len(world.scheduler) <= 150  # only what is still due: expiries of the last 30 virtual minutes
    (objs_a, blocks_a), (objs_b, blocks_b), (objs_c, blocks_c) = (samples[c] for c in CHECKPOINTS)
    # 400 rounds after the caps filled: unbounded this is ~9,600 objects and ~36,000 blocks more
    assert objs_c - objs_a < 300, samples
    assert blocks_c - blocks_a < 3000, samples


async def test_alt5pay_stores_stay_at_the_caps_under_a_steady_load():
    """ALT 5 Pay: each round an invoice (signed API) paid in full; every 5 rounds the clock moves
    5 minutes (USDT on Tron confirms: Paid, into the ledger) and the merchant takes a payout."""
    sys.path.insert(0, str(Path(__file__).parent / "providers" / "alt5pay"))
    from alt5pay_helpers import Signer  # noqa: PLC0415 (the provider's test helpers)

    app = build_app(SandboxConfig(seed=5, start=START, retention=CAPS, journal_size=300))
    world = app[WORLD]
    signer = Signer(world)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        async def call(path: str, body: dict, signed: bool = True) -> dict:
            if signed:
                headers, raw = signer.request(body)
                kw = {"data": raw, "headers": headers}
            else:
                kw = {"json": body}
            async with session.post(server.make_url(path), **kw) as resp:
                assert resp.status < 300, (path, resp.status, await resp.text())
                return await resp.json()

        paid_out = Decimal(0)
        samples = {}
        for i in range(1, ROUNDS + 1):
            created = await call("/alt5pay/usr/invoice/create", {"ref_id": f"S-{i}", "total_amount": 20,
                                                                  "currency": "USD", "sendemail": False})
            await call("/_sandbox/simulate/alt5pay/pay", {"invoice": created["data"]["invoice_id"],
                                                          "asset": "usdt_tron"}, signed=False)
            if i % 5 == 0:
                await call("/_sandbox/clock/advance", {"by": "5m"}, signed=False)
                payout = await call("/alt5pay/usr/request_payment", {"currency": "USD", "type": "Wire"})
                paid_out += Decimal(str(payout["data"]["amount"]))
            if i in CHECKPOINTS:
                samples[i] = _footprint()
        balances = await call("/alt5pay/usr/balances", {})
    await server.close()

    backend = world.backend("alt5pay")
    assert len(backend.invoices) == CAPS.objects and len(backend.settlements) == CAPS.objects
    assert len(backend.wallets) <= CAPS.objects and len(backend.payments) <= CAPS.objects
    assert len(world.chain._watchers) <= CAPS.objects
    usdt = Decimal(str(next(b["blalance"] for b in balances["data"] if b["coin"] == "USDT")))
    assert usdt > 0 and paid_out > 0 and not backend.settled     # every payout took the whole balance
    (objs_a, blocks_a), _, (objs_c, blocks_c) = (samples[c] for c in CHECKPOINTS)
    assert objs_c - objs_a < 300, samples
    assert blocks_c - blocks_a < 3000, samples
