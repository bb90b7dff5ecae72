"""The cost of --state: CryptoPayment create-invoice requests per second with the World kept in
SQLite, against the same `mockserver serve` in memory, both measured in this run with the same
load (wrk, server and load pinned to separate cores, as bench/run.py does); the ratio is what
matters. Each durable request is committed to the file before it is answered.

Alternating rounds, median ratio: a shared machine slows both sides of a round alike.
Usage: python bench/durability.py [--seconds 5] [--warmup 1] [--rounds 3] [--synchronous NORMAL|FULL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pools  # noqa: E402
import run  # noqa: E402


def serve(port: int, state: str | None, synchronous: str):
    argv = [run.PY, "-m", "mockserver.cli", "serve", "-q", "--port", str(port), "--seed", "1"]
    if state:
        argv += ["--state", state]
    env_sync = ["env", f"SANDBOX_STATE_SYNCHRONOUS={synchronous}"] if state else []
    return run.start([*env_sync, *argv], port)


def measure(state: str | None, args) -> float:
    port = run.free_port()
    proc = serve(port, state, args.synchronous)
    try:
        origin = f"http://127.0.0.1:{port}"
        merchant = pools.merchants(origin)["cryptopayment"]
        create_pool, _ = pools.cryptopayment(origin, merchant, int(4000 * (args.seconds + args.warmup)))
        run.wrk(port, create_pool[: len(create_pool) // 5 or 1], args.warmup)
        result = run.wrk(port, create_pool[len(create_pool) // 5:] or create_pool, args.seconds)
    finally:
        run.stop(proc)
    label = f"--state ({args.synchronous})" if state else "in memory"
    print(f"{label:<16} {result['rps']:7.0f} req/s  p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms"
          + (f"  refused {result['bad']}" if result["bad"] else ""), flush=True)
    if result["bad"]:
        raise SystemExit(f"{label}: {result['bad']} requests refused")
    return result["rps"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    args, _ = parser.parse_known_args()   # make bench passes run.py's flags (--only) too
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.rounds):
            memory = measure(None, args)
            durable = measure(str(Path(tmp) / f"world-{number}.db"), args)
            ratios.append(durable / memory)
    print(f"durability: state/memory = {statistics.median(ratios):.2f} (median of {args.rounds} rounds; "
          f"CryptoPayment POST /invoices, each committed to SQLite before its answer)")


if __name__ == "__main__":
    main()
