"""Memory under a steady load: the sandbox's RSS, sampled every N rounds, printed as a curve.

One round = create an invoice (CryptoPayment API, real auth) + pay it (admin simulate), which
sends payment.detected to the built-in inbox; every 25 rounds the clock moves 5 minutes, so
blocks confirm and payment.confirmed goes out too. The sandbox runs as `mockserver serve` in its
own process with the default retention settings (or --objects/--deliveries/... to change them;
--unbounded sets every cap to 10^9 for comparison). The curve should rise while the stores fill
to their caps (10,000 invoices, 10,000 deliveries, 10,000 journal entries) and then stay flat.

Usage: python bench/soak.py [--rounds 30000] [--every 3000] [--concurrency 8] [--unbounded]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import aiohttp
import yaml

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_server(config: dict) -> tuple[subprocess.Popen, str]:
    path = os.path.join(tempfile.mkdtemp(prefix="soak-"), "sandbox.yaml")
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f)
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", "--quiet", "--port", "0", "--config", path],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith("provider-sandbox on "):
            origin = line.split(" on ", 1)[1].split()[0]
        if "Admin API" in line:
            return proc, origin
    raise SystemExit("the sandbox did not start")


async def run(args: argparse.Namespace) -> None:
    caps = ({k: 10**9 for k in ("objects", "deliveries", "transfers")} if args.unbounded else
            {"objects": args.objects, "deliveries": args.deliveries, "transfers": args.transfers})
    config = {"seed": 1, "start": "2025-01-15T10:00:00Z", "retention": caps,
              "journal_size": 10**9 if args.unbounded else args.journal}
    proc, origin = start_server(config)
    try:
        async with aiohttp.ClientSession() as session:
            async def call(method: str, path: str, **kw):
                async with session.request(method, origin + path, **kw) as resp:
                    body = await resp.json()
                    if resp.status >= 300:
                        raise SystemExit(f"{method} {path} -> {resp.status}: {body}")
                    return body

            await call("PATCH", "/_sandbox/providers/cryptopayment/merchant",
                       json={"webhook_url": origin + "/_sandbox/inbox/soak"})

            async def round_() -> None:
                created = await call("POST", "/cryptopayment/api/v1/invoices", headers=AUTH,
                                     json={"network": "trc20", "amount_usd": 5, "order_id": "SOAK"})
                await call("POST", "/_sandbox/simulate/cryptopayment/pay",
                           json={"invoice": created["invoice"]["id"]})

            print(f"soak: {args.rounds} rounds, concurrency {args.concurrency}, "
                  f"{'UNBOUNDED' if args.unbounded else f'retention {caps}, journal {args.journal}'}")
            print(f"{'rounds':>8} {'RSS MiB':>9} {'delta':>8} {'rounds/s':>9}")
            first = rss_mib(proc.pid)
            print(f"{0:>8} {first:>9.1f} {0:>8.1f} {'':>9}", flush=True)
            done, began, curve = 0, time.perf_counter(), []
            while done < args.rounds:
                batch_end = min(done + args.every, args.rounds)
                mark = time.perf_counter()
                while done < batch_end:
                    step = min(args.concurrency, batch_end - done)
                    await asyncio.gather(*(round_() for _ in range(step)))
                    before, done = done, done + step
                    if done // 25 != before // 25:   # every 25 rounds: 5 virtual minutes pass
                        await call("POST", "/_sandbox/clock/advance", json={"by": "5m"})
                rss = rss_mib(proc.pid)
                curve.append(rss)
                rate = args.every / (time.perf_counter() - mark)
                print(f"{done:>8} {rss:>9.1f} {rss - first:>+8.1f} {rate:>9.0f}", flush=True)
            half = curve[len(curve) // 2]
            print(f"\nsecond half growth: {curve[-1] - half:+.1f} MiB over {args.rounds - args.rounds // 2} rounds "
                  f"({(time.perf_counter() - began):.0f} s in all)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30_000)
    parser.add_argument("--every", type=int, default=3_000, help="sample RSS every N rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="rounds in flight at once")
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--transfers", type=int, default=50_000)
    parser.add_argument("--journal", type=int, default=10_000)
    parser.add_argument("--unbounded", action="store_true", help="every cap 10^9: what the curve was before")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
