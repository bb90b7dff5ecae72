"""The cost of --state: create-invoice requests per second with the World kept in SQLite, against
the same sandbox in memory, both measured in this run with the same client load (the ratio is what
matters). Each durable request is committed to the file before it is answered.

Usage: python bench/durability.py [--seconds 5] [--rounds 3] [--concurrency 32] [--synchronous NORMAL|FULL]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
BODY = {"network": "trc20", "amount_usd": 50.00, "order_id": "ORD-BENCH", "metadata": {"customer_id": "usr_001"}}
PATH = "/cryptopayment/api/v1/invoices"


async def load(url: str, seconds: float, concurrency: int) -> tuple[int, int]:
    """`concurrency` clients creating invoices back to back for `seconds`: (created, failed)."""
    done = errors = 0
    deadline = time.perf_counter() + seconds
    payload = json.dumps(BODY).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                async with session.post(url, data=payload, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 201:
                        done += 1
                    else:
                        errors += 1
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors


def serve(state: str | None, synchronous: str) -> None:
    from aiohttp import web

    from mockserver.app import build_app, build_world
    from mockserver.config import SandboxConfig
    from mockserver.core.store import SQLiteStore
    config = SandboxConfig(seed=1, journal_size=1000)
    store = SQLiteStore(state, synchronous=synchronous) if state else None
    app = build_app(config, world=build_world(config, store=store))

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())


def measure(label: str, args: list[str], seconds: float, concurrency: int) -> float:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", *args], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        url = f"http://127.0.0.1:{port}{PATH}"
        asyncio.run(load(url, min(1.0, seconds / 4), concurrency))  # warm-up
        started = time.perf_counter()
        done, errors = asyncio.run(load(url, seconds, concurrency))
        rps = done / (time.perf_counter() - started)
        print(f"{label:<16} {rps:9.0f} req/s  ({done} ok, {errors} errors, {concurrency} concurrent, {seconds:g} s)")
        if errors:
            raise SystemExit(f"{label}: {errors} requests failed")
        return rps
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs="*")
    args, _ = parser.parse_known_args()   # make bench passes run.py's flags (--warmup, --only) too
    if args.serve is not None:
        state = args.serve[0] if args.serve and args.serve[0] != "-" else None
        serve(state, args.synchronous)
        return
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        # alternating rounds, the median ratio: a busy machine slows both sides of a round alike
        for number in range(args.rounds):
            memory = measure("in memory", ["-"], args.seconds, args.concurrency)
            db = str(Path(tmp) / f"world-{number}.db")
            durable = measure(f"--state ({args.synchronous})", [db, "--synchronous", args.synchronous],
                              args.seconds, args.concurrency)
            ratios.append(durable / memory)
    print(f"ratio     state/memory = {statistics.median(ratios):.2f}  (median of {args.rounds} rounds; "
          f"authenticated POST /invoices, each committed to SQLite before its answer)")

if __name__ == "__main__":
    main()
