"""Bench sections measured inside one sandbox process (a fresh one each, run by bench/run.py).

deliveries: signed webhook deliveries per second through the Outbox to a loopback receiver (a
            constant-answer aiohttp server in another process).
retry:      10,000 ALT 5 Pay addresses, each paid, each IPN refused (connection refused) through
            the whole retry schedule, to its last post (~21 h of virtual time): wall seconds.
memory:     resident memory per stored CryptoPayment invoice (20,000 of them); that a long run
            stays bounded (journal, deliveries, inbox at their caps) is bench/soak.py's curve.

Each prints one JSON line, with the CPU seconds the process spent in it (the wall clock of a
shared machine measures the neighbours too). Usage:
python bench/inproc.py deliveries|retry|memory [COUNT] [--loop asyncio|uvloop]
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world():
    """A World as `mockserver serve` runs it, collector settings included (core/http/runtime.py)."""
    from mockserver.app import build_world
    from mockserver.config import SandboxConfig
    from mockserver.core.http.runtime import tune_collector
    built = build_world(SandboxConfig(seed=1))
    tune_collector()
    return built


async def deliveries(n: int = 5000) -> dict:
    from mockserver.core.webhooks.outbox import RetryPolicy
    port = free_port()
    receiver = subprocess.Popen(["taskset", "-c", "1", sys.executable, str(HERE / "baselines.py"), "constant",
                                 str(port)], stdout=subprocess.PIPE, text=True)
    try:
        receiver.stdout.readline()
        w = world()
        secret = b"bench-secret"

        def signer(body: bytes, at) -> dict:   # what the providers do: HMAC over timestamp + body
            stamp = str(int(at.timestamp()))
            return {"X-Timestamp": stamp,
                    "X-Signature": hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()}
        url = f"http://127.0.0.1:{port}/hook"
        await w.scheduler.settle()   # the session and the connection pool, before the clock starts
        began = time.perf_counter()
        for i in range(n):
            body = json.dumps({"event": "invoice.paid", "id": f"inv_{i}", "amount": "50.00"}).encode()
            w.outbox.enqueue(provider="cryptopayment", event="invoice.paid", url=url, body=body,
                             policy=RetryPolicy(), signer=signer, ref=f"inv_{i}")
        await w.scheduler.settle()
        elapsed = time.perf_counter() - began
        delivered = sum(1 for d in w.outbox.list() if d.status == "delivered")
        await w.close()
    finally:
        receiver.terminate()
        receiver.wait()
    rate = delivered / elapsed
    return {"value": rate, "delivered": delivered, "seconds": elapsed,
            "summary": f"{delivered} signed deliveries in {elapsed:.2f} s: {rate:.0f}/s"}


async def retry(n: int = 10_000) -> dict:
    from mockserver.providers.alt5pay.assets import ASSETS
    from mockserver.providers.alt5pay.simulate import pay
    w = world()
    backend = w.backend("alt5pay")
    merchant = backend.merchants[0]
    dead = f"http://127.0.0.1:{free_port()}/ipn"   # nothing listens: every post is refused
    began = time.perf_counter()
    for i in range(n):
        wallet = backend.create_wallet(merchant, ASSETS["btc"], f"R{i}", "USD", dead)
        await pay(w, backend, {"address": wallet.address, "amount": "0.001"})
    paid = time.perf_counter() - began
    await w.scheduler.advance(timedelta(hours=22))
    await w.scheduler.run_until_quiet(timedelta(days=3))
    elapsed = time.perf_counter() - began
    attempts = sum(len(d.attempts) for d in w.outbox.list(provider="alt5pay"))
    exhausted = sum(1 for d in w.outbox.list(provider="alt5pay") if d.status == "exhausted")
    await w.close()
    return {"value": elapsed, "attempts": attempts, "exhausted": exhausted, "paid_seconds": paid,
            "addresses": n, "summary": f"{n} addresses paid in {paid:.2f} s; {attempts} IPN posts, {exhausted} deliveries "
                       f"exhausted; {elapsed:.2f} s wall in all"}


async def memory(n: int = 20_000) -> dict:
    from mockserver.providers.cryptopayment.backend import open_invoice
    from mockserver.providers.cryptopayment.model import NETWORKS
    w = world()
    backend = w.backend("cryptopayment")
    merchant = backend.merchants[0]
    w.retention.objects = 10**9   # count every invoice: nothing may be dropped while we measure
    for i in range(200):          # warm: first-use allocations are not per-invoice cost
        open_invoice(w, backend, backend.new_invoice(merchant, NETWORKS["trc20"], Decimal("50"), f"W{i}", None))
    before = rss_bytes()
    for i in range(n):
        invoice = backend.new_invoice(merchant, NETWORKS["trc20"], Decimal("50"), f"ORD-{i}",
                                      {"customer_id": f"usr_{i}"})
        open_invoice(w, backend, invoice)   # its address watcher and expiry event count too
    per = (rss_bytes() - before) / n
    await w.close()
    return {"value": per, "summary": f"{per:.0f} bytes RSS per stored invoice ({n} invoices)"}


def run_on(loop: str, main):
    """asyncio's own loop, or uvloop (the `[fast]` extra `mockserver serve` runs on when installed)."""
    if loop == "uvloop":
        import uvloop
        return uvloop.run(main)
    return asyncio.run(main)


if __name__ == "__main__":
    argv = sys.argv[1:]
    loop = "asyncio"
    if "--loop" in argv:
        at = argv.index("--loop")
        loop = argv[at + 1]
        del argv[at:at + 2]
    job = {"deliveries": deliveries, "retry": retry, "memory": memory}[argv[0]]
    cpu = time.process_time()
    result = run_on(loop, job(*map(int, argv[1:])))
    result.update(loop=loop, cpu_seconds=time.process_time() - cpu)
    result["summary"] += f" ({result['cpu_seconds']:.2f} s CPU, {loop})"
    print(json.dumps(result, default=str))
