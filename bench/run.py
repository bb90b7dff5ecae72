"""`make bench`: the sandbox against reference servers started in this same run; ratios, not
absolute numbers (those drift by +-40% between runs on shared machines).

- create / get for every provider with its real auth, driven by wrk (a compiled load generator:
  2 threads, 50 connections), the server pinned to one core and wrk to another; req/s, p50, p99
  as ratios to a constant-body aiohttp handler (and p99 to a naive parse-validate-store handler);
- cold start to the first answered request, against `python -c pass` and a bare aiohttp app;
- signed webhook deliveries per second, the 10,000-address ALT 5 Pay retry run, and resident
  memory per stored invoice (bench/inproc.py, each in a fresh process);
- the cost of --state (bench/durability.py), the shared PostgreSQL store (bench/shared_store.py:
  one and two processes, failover, idle tenants) and a long-running server's memory curve
  (bench/soak.py), their output kept in the table.

Writes bench/RESULTS.md. Usage: python bench/run.py [--seconds 4] [--rounds 3] [--warmup 2]
[--only cryptopayment,alppay,...] [--skip load,start,...] [--soak-rounds 30000]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pools  # noqa: E402

HERE = Path(__file__).resolve().parent
PY = sys.executable
SERVER_CPU, LOAD_CPU = "0", "1"
TARGETS = {"create": 0.6, "get": 0.8, "p99": 2.0, "start": 0.3, "deliveries": 3000, "retry": 5.0, "bytes": 2048}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if os.cpu_count() and os.cpu_count() > 1 else argv


def answered(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def start(argv: list[str], port: int, health: str = "/_sandbox/health") -> subprocess.Popen:
    proc = subprocess.Popen(pinned(SERVER_CPU, argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not answered(f"http://127.0.0.1:{port}{health}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {argv}")
        time.sleep(0.02)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def sandbox(port: int) -> subprocess.Popen:
    return start([PY, "-m", "mockserver.cli", "serve", "-q", "--port", str(port)], port)


def baseline(kind: str, port: int) -> subprocess.Popen:
    return start([PY, str(HERE / "baselines.py"), kind, str(port)], port, "/cryptopayment/api/v1/invoices/none")


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, pool: list, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script, data = Path(tmp, "pool.lua"), Path(tmp, "pool.txt")
        script.write_text(pools.LUA_SCRIPT)
        data.write_text(pools.pool_file(pool), encoding="utf-8")
        done = subprocess.run(pinned(LOAD_CPU, ["wrk", "-t2", "-c50", f"-d{max(1, round(seconds))}s", "--latency",
                                                "-s", str(script), f"http://127.0.0.1:{port}", "--", str(data)]),
                              capture_output=True, text=True, check=True)
    out = done.stdout
    if done.stderr.strip() or "Requests/sec" not in out:
        raise SystemExit(f"wrk failed: {done.stderr}{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)), "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "bad": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


def _slices(pool: list, count: int) -> list[list]:
    """`count` disjoint parts of a pre-signed pool (a replayed nonce would be refused); a pool of
    one request (no per-request signature) is reused as is."""
    if len(pool) <= count:
        return [pool] * count
    size = len(pool) // count
    return [pool[i * size:(i + 1) * size] for i in range(count)]


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def throughput(args) -> list[dict]:
    """Per provider and call: the constant handler and the sandbox in alternating rounds, each
    round's ratio taken between runs a few seconds apart, and the median of those ratios kept (a
    shared machine slows both sides of a round alike). CryptoPayment's rounds also run the naive
    handler: its p99 is the latency yardstick, measured in the same minutes."""
    rows = []
    const_port, naive_port, sbx_port = free_port(), free_port(), free_port()
    const, naive = baseline("constant", const_port), baseline("naive", naive_port)
    procs = [const, naive]
    try:
        sbx = sandbox(sbx_port)
        procs.append(sbx)
        origin = f"http://127.0.0.1:{sbx_port}"
        merchants = pools.merchants(origin)
        naive_pools = dict(zip(("create", "get"),
                               pools.cryptopayment(f"http://127.0.0.1:{naive_port}", merchants["cryptopayment"], 1)))
        # distinct signed requests for the warm-up and every round, more than can be sent
        per_run = int(pools.MAX_RATE * args.seconds)
        for name, build in pools.PROVIDERS.items():
            if args.only and name not in args.only:
                continue
            # a fresh sandbox per provider: stored state from the previous provider does not count
            stop(sbx)
            procs.remove(sbx)
            sbx = sandbox(sbx_port)
            procs.append(sbx)
            create_pool, get_pool = build(origin, merchants[name], per_run * (args.rounds + 1))
            calls = [("create", create_pool), ("get", get_pool)]
            if name == "cryptopayment":
                # the floor of the stack: refused at authentication, before any state is touched
                # (routing, guard, the two middlewares, the journal entry, the provider's error)
                calls.append(("refused 401", [("GET", "/cryptopayment/api/v1/invoices/none",
                                               {"Authorization": "Bearer none:none"}, "")]))
            for op, pool in calls:
                parts = _slices(pool, args.rounds + 1)
                wrk(const_port, pool[:1], args.warmup)
                wrk(sbx_port, parts[0], args.warmup)
                rounds = []
                for part in parts[1:]:
                    one = {"constant": wrk(const_port, pool[:1], args.seconds), "sandbox": wrk(sbx_port, part, args.seconds)}
                    if op in naive_pools and name == "cryptopayment":
                        one["naive"] = wrk(naive_port, naive_pools[op], args.seconds)
                    rounds.append(one)
                row = {"provider": name, "op": op, "rounds": rounds,
                       "ratio": statistics.median(r["sandbox"]["rps"] / r["constant"]["rps"] for r in rounds),
                       "sandbox": {k: _median([r["sandbox"] for r in rounds], k) for k in ("rps", "p50", "p99")},
                       "constant": {k: _median([r["constant"] for r in rounds], k) for k in ("rps", "p50", "p99")},
                       "refused": sum(r["sandbox"]["bad"] for r in rounds), "naive": None}
                row["sandbox"]["bad"] = row["refused"]
                if op in naive_pools and name == "cryptopayment":
                    row["naive"] = {k: _median([r["naive"] for r in rounds], k) for k in ("rps", "p50", "p99")}
                    row["p99_ratio"] = statistics.median(r["sandbox"]["p99"] / r["naive"]["p99"] for r in rounds)
                rows.append(row)
                res, ref = row["sandbox"], row["constant"]
                each = ", ".join(f"{r['sandbox']['rps'] / r['constant']['rps']:.2f}" for r in rounds)
                print(f"{name:<14} {op:<6} {res['rps']:7.0f} req/s ({row['ratio']:.2f}x constant "
                      f"{ref['rps']:.0f}, rounds {each}); "
                      f"p50 {res['p50']:.1f} ms, p99 {res['p99']:.1f} ms"
                      + (f" ({row['p99_ratio']:.1f}x naive {row['naive']['p99']:.1f})" if row["naive"] else "")
                      + (f"; refused {row['refused']}" if row["refused"] else ""), flush=True)
    finally:
        for proc in procs:
            stop(proc)
    return rows


def cold_start(runs: int) -> dict:
    def first_answer(argv: list[str], port: int) -> float:
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            proc = start(argv, port)
            samples.append(time.perf_counter() - began)
            stop(proc)
        return statistics.median(samples)
    passes = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(pinned(SERVER_CPU, [PY, "-c", "pass"]), check=True)
        passes.append(time.perf_counter() - began)
    port = free_port()
    out = {"python": statistics.median(passes),
           "bare": first_answer([PY, str(HERE / "baselines.py"), "bare", str(port)], port),
           "sandbox": first_answer([PY, "-m", "mockserver.cli", "serve", "-q", "--port", str(port)], port)}
    print(f"cold start     python -c pass {out['python']:.3f} s; bare aiohttp {out['bare']:.3f} s; "
          f"mockserver serve {out['sandbox']:.3f} s (median of {runs})", flush=True)
    return out


def inproc(what: str, *extra: str) -> dict:
    out = subprocess.run(pinned(SERVER_CPU, [PY, str(HERE / "inproc.py"), what, *extra]),
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(f"{what:<14} {result['summary']}", flush=True)
    return result


def script(name: str, *argv: str) -> list[str]:
    """Another bench script of this folder, its output shown as it is and kept for the table."""
    done = subprocess.run([PY, str(HERE / name), *argv], capture_output=True, text=True, check=True)
    print(done.stdout, end="", flush=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating constant/sandbox rounds per call")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="providers to load-test")
    parser.add_argument("--skip", type=lambda s: s.split(","), default=[],
                        help="sections to leave out: load,start,deliveries,retry,memory,state,store,soak")
    parser.add_argument("--soak-rounds", type=int, default=30_000, help="rounds of bench/soak.py")
    parser.add_argument("--addresses", type=int, default=10_000, help="ALT 5 Pay addresses in the retry run")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode:
        raise SystemExit("wrk is needed (make bench installs it)")
    results: dict = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "machine": machine(), "seconds": args.seconds, "rounds": args.rounds}
    # measured as installed: a wheel install has bytecode (pip compiles it); a checkout on a
    # machine with PYTHONDONTWRITEBYTECODE would compile every module at every start
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "mockserver")], check=True)
    if "load" not in args.skip:
        results["load"] = throughput(args)
    if "start" not in args.skip:
        results["start"] = cold_start(5)
    if "deliveries" not in args.skip:
        results["deliveries"] = inproc("deliveries")
    if "retry" not in args.skip:
        results["retry"] = inproc("retry", str(args.addresses))
    if "memory" not in args.skip:
        results["memory"] = inproc("memory")
    if "state" not in args.skip:   # the cost of --state: in memory and durable, alternating rounds
        lines = script("durability.py", "--seconds", str(args.seconds), "--rounds", str(args.rounds))
        results["state"] = {"summary": lines[-1]}
    if "store" not in args.skip:   # the shared store: several processes on PostgreSQL (make bench-store alone)
        lines = script("shared_store.py", "--seconds", str(args.seconds), "--rounds", str(args.rounds))
        results["store"] = json.loads(lines[-1].split("store json ", 1)[1])
    if "soak" not in args.skip:    # a long-running server's memory: flat once the caps are reached
        lines = script("soak.py", "--rounds", str(args.soak_rounds), "--every", str(max(1, args.soak_rounds // 6)))
        results["soak"] = {"lines": lines}
    import report  # noqa: E402 - the table writer, beside this file
    # kept (not in git) so the table can be written again: python bench/report.py bench/.last-run.json
    (HERE / ".last-run.json").write_text(json.dumps({"results": results, "targets": TARGETS}), encoding="utf-8")
    text = report.markdown(results, TARGETS)
    if "store" in results:
        import shared_store  # noqa: E402 - its own section, beside this file
        text += "\n" + shared_store.markdown(results["store"])
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"\nwritten: {args.output}")


if __name__ == "__main__":
    main()
