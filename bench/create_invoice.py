"""Requests per second of authenticated create-invoice (contract validation on) vs bare aiohttp.

Both servers run in their own process, started and measured in this same run, one after the
other, with the same client load; the ratio is what matters (the absolute numbers depend on
the machine). Usage: python bench/create_invoice.py [--seconds 5] [--concurrency 32]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import aiohttp

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
BODY = {"network": "trc20", "amount_usd": 50.00, "order_id": "ORD-BENCH", "metadata": {"customer_id": "usr_001"}}
PATHS = {"sandbox": "/cryptopayment/api/v1/invoices", "baseline": "/api/v1/invoices"}
FIXED = json.dumps({"success": True, "invoice": {"id": "550e8400-e29b-41d4-a716-446655440000", "status": "pending"},
                    "checkout_url": "https://cryptopayment.center/pay/550e8400"})


def serve(kind: str) -> None:
    from aiohttp import web
    if kind == "sandbox":
        from mockserver.app import build_app
        from mockserver.config import SandboxConfig
        app = build_app(SandboxConfig(seed=1, journal_size=1000))
    else:
        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(text=FIXED, status=201, content_type="application/json")
        app = web.Application()
        app.router.add_post(PATHS["baseline"], handler)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())


async def load(url: str, seconds: float, concurrency: int) -> tuple[int, int]:
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


def measure(kind: str, seconds: float, concurrency: int) -> float:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        url = f"http://127.0.0.1:{port}{PATHS[kind]}"
        asyncio.run(load(url, min(1.0, seconds / 4), concurrency))  # warm-up
        started = time.perf_counter()
        done, errors = asyncio.run(load(url, seconds, concurrency))
        rps = done / (time.perf_counter() - started)
        print(f"{kind:<9} {rps:9.0f} req/s  ({done} ok, {errors} errors, {concurrency} concurrent, {seconds:g} s)")
        if errors:
            raise SystemExit(f"{kind}: {errors} requests failed")
        return rps
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--serve", choices=sorted(PATHS))
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    baseline = measure("baseline", args.seconds, args.concurrency)
    sandbox = measure("sandbox", args.seconds, args.concurrency)
    print(f"ratio     sandbox/baseline = {sandbox / baseline:.2f}  "
          f"(authenticated POST /invoices with contract validation, vs a bare handler with a fixed body)")


if __name__ == "__main__":
    main()
