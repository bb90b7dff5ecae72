"""Where the time goes: cProfile of the served sandbox under wrk, or of an in-process section.

  python bench/where_time_goes.py cryptopayment create [--seconds 5]   # any provider; create | get
  python bench/where_time_goes.py retry [--addresses 2000]              # the ALT 5 Pay retry run
  python bench/where_time_goes.py connect                              # one refused POST, three ways

Prints the share of profiled time by layer (the sandbox's core, its providers, aiohttp, asyncio
and the kernel calls, the rest) and the functions with the most own time. The profiler slows
everything about 2x, evenly enough for shares, not for rates.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pools  # noqa: E402
import run  # noqa: E402

LAYERS = (("mockserver/core/", "sandbox core"), ("mockserver/providers/", "sandbox providers"),
          ("mockserver/", "sandbox (other)"), ("aiohttp/", "aiohttp"), ("yarl/", "aiohttp"),
          ("multidict/", "aiohttp"), ("asyncio/", "asyncio"), ("json/", "json"),
          ("fastjsonschema", "contracts (compiled)"), ("<string>", "contracts (compiled)"))

SERVE = """import cProfile, sys
from mockserver.cli import main
prof = cProfile.Profile()
prof.enable()
try:
    main(sys.argv[2:])
finally:
    prof.disable()
    prof.dump_stats(sys.argv[1])
"""


def layer(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("{"):
        return "builtins and kernel calls"
    return next((name for needle, name in LAYERS if needle in filename), "other")


def report(stats_file: str, top: int) -> None:
    stats = pstats.Stats(stats_file)
    shares: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        shares[layer(filename)] = shares.get(layer(filename), 0.0) + tottime
        total += tottime
    print(f"\nown time by layer ({total:.2f} s profiled):")
    for name, spent in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28} {spent:7.2f} s  {100 * spent / total:5.1f}%")
    print()
    stats.sort_stats("tottime").print_stats(top)


def served(provider: str, op: str, seconds: float, top: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        script, out = Path(tmp, "serve.py"), Path(tmp, "serve.prof")
        script.write_text(SERVE)
        port = run.free_port()
        proc = run.start([run.PY, str(script), str(out), "serve", "-q", "--port", str(port)], port)
        try:
            origin = f"http://127.0.0.1:{port}"
            create, get = pools.PROVIDERS[provider](origin, pools.merchants(origin)[provider],
                                                    int(pools.MAX_RATE * seconds))
            result = run.wrk(port, create if op == "create" else get, seconds)
            print(f"{provider} {op} under the profiler: {result['rps']:.0f} req/s, refused {result['bad']}")
        finally:
            run.stop(proc)
        report(str(out), top)


def retry(addresses: int, top: int) -> None:
    import inproc
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "retry.prof")
        prof = cProfile.Profile()
        prof.enable()
        result = asyncio.run(inproc.retry(addresses))
        prof.disable()
        prof.dump_stats(out)
        print(f"retry under the profiler: {result['summary']}")
        report(out, top)


async def _refused_post_costs(n: int = 5000) -> None:
    """CPU per POST to a closed port: the socket work alone, aiohttp's client, the sandbox's sender."""
    import time

    import aiohttp

    from mockserver.core.webhooks import sender
    port = run.free_port()   # closed again once returned: every connect is refused
    url = f"http://127.0.0.1:{port}/hook"
    loop = asyncio.get_running_loop()

    async def bare() -> None:
        try:
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        except OSError:
            pass
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True), trust_env=False)

    async def client() -> None:
        try:
            async with session.post(url, data=b"{}", headers={"Content-Type": "application/json"},
                                    timeout=aiohttp.ClientTimeout(total=10), allow_redirects=False):
                pass
        except aiohttp.ClientConnectorError:
            pass

    async def lean() -> None:
        try:
            await sender.post(url, b"{}", {"Content-Type": "application/json"})
        except sender.ConnectFailed:
            pass
    for label, one in (("create_connection alone", bare), ("aiohttp client", client), ("core/webhooks/sender.py", lean)):
        began = time.perf_counter()
        for _ in range(n):
            await one()
        print(f"  {label:<26} {(time.perf_counter() - began) / n * 1e6:6.1f} us per refused POST")
    await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", help="a provider name, or retry")
    parser.add_argument("op", nargs="?", default="create", choices=("create", "get"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--addresses", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.what == "retry":
        retry(args.addresses, args.top)
    elif args.what == "connect":
        asyncio.run(_refused_post_costs())
    else:
        served(args.what, args.op, args.seconds, args.top)


if __name__ == "__main__":
    main()
