"""The shared store (`serve --store postgresql://...`): several processes on one PostgreSQL database.

A PostgreSQL server is started for the run (initdb into a temporary folder, durable settings:
fsync and synchronous_commit on, as a real deployment has them), and measured against the
in-memory sandbox of this same run:

- create-invoice throughput (CryptoPayment POST /invoices) of one process on the store, and of
  two processes each serving its own tenant (a load balancer routing by tenant), as ratios to one
  in-memory process; p99 of each; and one process answering for a tenant the other owns (every
  request forwarded), to price the forward;
- failover: two processes, the owner of a tenant killed with SIGKILL, the time until the
  survivor answers for that tenant (default lease, 10 s);
- memory per idle tenant: one process, N tenants each with an invoice, then idle; RSS.

Each line printed is kept in bench/RESULTS.md by bench/run.py (section `store`); alone:
python bench/shared_store.py [--seconds 4] [--rounds 3] [--tenants 1000]   (make bench-store)
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
import pools  # noqa: E402
import run  # noqa: E402

DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
CP_CREATE = "/cryptopayment/api/v1/invoices"
LOGS = os.environ.get("BENCH_SERVE_LOGS")   # a folder: each server's stderr kept there


def database() -> dict:
    """A PostgreSQL server for this run (each measure takes a fresh database on it)."""
    import pg_support   # tests/pg_support.py: initdb + postgres on a free port
    try:
        return pg_support.start_server(DURABLE)
    except BaseException as exc:   # its skip (no PostgreSQL here) is a plain exit for a bench
        raise SystemExit(f"shared store bench: {exc}") from None


def serve(port: int, store: str | None, *extra: str, cpu: str | None = run.SERVER_CPU):
    argv = [run.PY, "-m", "mockserver.cli", "serve", "-q", "--port", str(port), "--seed", "1", *extra]
    if store:
        argv += ["--store", store]
    log = open(os.path.join(LOGS, f"serve-{port}.log"), "ab") if LOGS else subprocess.DEVNULL
    proc = subprocess.Popen(run.pinned(cpu, argv) if cpu else argv, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 90   # a busy shared machine can take long to start one
    while not run.answered(f"http://127.0.0.1:{port}/_sandbox/health"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {argv}")
        time.sleep(0.02)
    return proc


def call(origin: str, method: str, path: str, headers: dict, body: str) -> dict:
    """pools._call with room for a busy shared machine (a minute, not ten seconds)."""
    req = urllib.request.Request(origin + path, data=body.encode() if body else None, method=method,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


pools._call = call   # pools' own set-up calls too (merchants, the first invoice)


def _create_pool(origin: str, tenant: str | None) -> list:
    merchant = pools.merchants(origin)["cryptopayment"]
    creates, _gets = pools.cryptopayment(origin, merchant, 1)
    method, path, headers, body = creates[0]
    prefix = f"/t/{tenant}" if tenant else ""
    if tenant:
        call(origin, method, prefix + path, headers, body)   # the tenant exists, owned here
    return [(method, prefix + path, headers, body)]


def _load(targets: list[tuple[int, list]], seconds: float, connections: int = 50) -> list[dict]:
    """wrk against each (port, pool) at once; two targets split the connections."""
    out: list[dict] = [{}] * len(targets)

    def one(i: int, port: int, pool: list) -> None:
        out[i] = wrk(port, pool, seconds, connections // len(targets), None if len(targets) > 1 else run.LOAD_CPU)
    threads = [threading.Thread(target=one, args=(i, *t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def wrk(port: int, pool: list, seconds: float, connections: int, cpu: str | None) -> dict:
    import re
    with tempfile.TemporaryDirectory() as tmp:
        script, data = Path(tmp, "pool.lua"), Path(tmp, "pool.txt")
        script.write_text(pools.LUA_SCRIPT)
        data.write_text(pools.pool_file(pool), encoding="utf-8")
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script),
                f"http://127.0.0.1:{port}", "--", str(data)]
        done = subprocess.run(run.pinned(cpu, argv) if cpu else argv, capture_output=True, text=True, check=True)
    text = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
            "p99": run._ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)),
            "bad": int(bad.group(1)) if bad else 0}


def throughput(server: dict, args) -> dict:
    """Alternating rounds: in memory, the store with one process, with two, forwarded; each
    round on a fresh database (no round starts by taking over the last one's tenants)."""
    import pg_support
    rounds = []
    for number in range(args.rounds):
        url = pg_support.new_database(server)
        one_round = {}
        port = run.free_port()
        proc = serve(port, None)
        try:
            pool = _create_pool(f"http://127.0.0.1:{port}", None)
            _load([(port, pool)], args.warmup)
            one_round["memory"] = _load([(port, pool)], args.seconds)[0]
        finally:
            run.stop(proc)
        pa, pb = run.free_port(), run.free_port()
        a = serve(pa, url, cpu=run.SERVER_CPU)
        b = serve(pb, url, cpu=run.LOAD_CPU)
        try:
            pool_a = _create_pool(f"http://127.0.0.1:{pa}", f"a{number}")
            pool_b = _create_pool(f"http://127.0.0.1:{pb}", f"b{number}")
            _load([(pa, pool_a)], args.warmup)
            one_round["store, 1 process"] = _load([(pa, pool_a)], args.seconds)[0]
            _load([(pa, pool_a), (pb, pool_b)], args.warmup)
            both = _load([(pa, pool_a), (pb, pool_b)], args.seconds)
            one_round["store, 2 processes"] = {"rps": sum(r["rps"] for r in both),
                                               "p99": max(r["p99"] for r in both),
                                               "bad": sum(r["bad"] for r in both)}
            one_round["store, forwarded"] = _load([(pb, pool_a)], args.seconds)[0]
        finally:
            run.stop(a)
            run.stop(b)
        rounds.append(one_round)
        print("  round " + "; ".join(f"{k} {v['rps']:.0f} req/s p99 {v['p99']:.1f} ms" for k, v in one_round.items()),
              flush=True)
    out = {}
    for key in rounds[0]:
        out[key] = {"rps": statistics.median(r[key]["rps"] for r in rounds),
                    "p99": statistics.median(r[key]["p99"] for r in rounds),
                    "ratio": statistics.median(r[key]["rps"] / r["memory"]["rps"] for r in rounds),
                    "bad": sum(r[key]["bad"] for r in rounds)}
    for key, row in out.items():
        print(f"store create   {key:<20} {row['rps']:7.0f} req/s ({row['ratio']:.2f}x in memory) "
              f"p99 {row['p99']:.1f} ms" + (f"  refused {row['bad']}" if row["bad"] else ""), flush=True)
    return out


def _get(url: str, headers: dict) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=15) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def failover(url: str, rounds: int) -> dict:
    """kill -9 of a tenant's owner, to the survivor's first answer for it (default lease)."""
    samples = []
    for number in range(rounds):
        pa, pb = run.free_port(), run.free_port()
        a, b = serve(pa, url, cpu=None), serve(pb, url, cpu=None)
        try:
            origin_a = f"http://127.0.0.1:{pa}"
            merchant = pools.merchants(origin_a)["cryptopayment"]
            auth = {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}",
                    "Content-Type": "application/json"}
            tenant = f"f{number}"
            created = call(origin_a, "POST", f"/t/{tenant}{CP_CREATE}", auth,
                                  json.dumps({"network": "trc20", "amount_usd": 5}))["invoice"]["id"]
            path = f"http://127.0.0.1:{pb}/t/{tenant}{CP_CREATE}/{created}"
            assert _get(path, auth) == 200           # forwarded to the owner while it lives
            killed = time.perf_counter()
            a.send_signal(signal.SIGKILL)
            while _get(path, auth) != 200:
                if time.perf_counter() - killed > 30:
                    raise SystemExit("failover: no answer 30 s after the kill")
            samples.append(time.perf_counter() - killed)
        finally:
            a.kill()
            a.wait()
            run.stop(b)
    out = {"median_s": statistics.median(samples), "max_s": max(samples), "samples": samples}
    print(f"store failover kill -9 to the survivor's first answer: median {out['median_s']:.3f} s, "
          f"max {out['max_s']:.3f} s ({rounds} rounds; lease 10 s)", flush=True)
    return out


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def idle_tenants(url: str, count: int) -> dict:
    """One process; `count` tenants, each with an invoice; RSS once they are all idle."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "sandbox.yaml")
        config.write_text(f"tenants:\n  max: {count + 10}\n", encoding="utf-8")
        port = run.free_port()
        proc = serve(port, url, "--config", str(config), cpu=None)
        try:
            origin = f"http://127.0.0.1:{port}"
            merchant = pools.merchants(origin)["cryptopayment"]
            auth = {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}",
                    "Content-Type": "application/json"}
            body = json.dumps({"network": "trc20", "amount_usd": 5})
            before = rss_mib(proc.pid)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: call(origin, "POST", f"/t/idle-{i}{CP_CREATE}", auth, body),
                              range(count)))
            time.sleep(1.0)   # idle: nothing in flight
            after = rss_mib(proc.pid)
        finally:
            run.stop(proc)
    out = {"tenants": count, "rss_before_mib": before, "rss_mib": after,
           "per_tenant_kib": (after - before) * 1024 / count}
    print(f"store idle     {count} tenants (each with an invoice) in one process: RSS {after:.0f} MiB "
          f"(started at {before:.0f} MiB; {out['per_tenant_kib']:.0f} KiB per tenant; target < 150 MiB)",
          flush=True)
    return out


def markdown(r: dict) -> str:
    """The section bench/run.py adds to bench/RESULTS.md."""
    out = ["## The shared store (`--store`, PostgreSQL; bench/shared_store.py)", "",
           "A PostgreSQL server started for the run with durable settings (fsync, synchronous_commit on); "
           "every create committed to it before its answer. On this 2-core machine the database, both "
           "sandbox processes and the load generators share the two cores.", ""]
    if "load" in r:
        out += ["| create-invoice (CryptoPayment) | req/s | × one in-memory process | p99 ms |",
                "|---|---:|---:|---:|"]
        for key, row in r["load"].items():
            out.append(f"| {key} | {row['rps']:.0f} | {row['ratio']:.2f} | {row['p99']:.1f} |")
        out += ["", "Two processes: each serves its own tenant, as behind a load balancer routing by tenant "
                "(wrk on each, 25 connections apiece). Forwarded: every request sent to the process that "
                "does not own the tenant.", ""]
    if "failover" in r:
        f = r["failover"]
        out += [f"Failover (kill -9 of a tenant's owner to the survivor's first answer for it, lease 10 s): "
                f"median {f['median_s']:.3f} s, max {f['max_s']:.3f} s over {len(f['samples'])} rounds. "
                f"Target: within the lease: {'met' if f['max_s'] < 10 else '**missed**'}.", ""]
    if "memory" in r:
        m = r["memory"]
        out += [f"Idle tenants: {m['tenants']} in one process, each with an invoice: RSS {m['rss_mib']:.0f} MiB "
                f"({m['per_tenant_kib']:.0f} KiB per tenant over the {m['rss_before_mib']:.0f} MiB at start). "
                f"Target < 150 MB: {'met' if m['rss_mib'] * 1.048576 < 150 else '**missed**'}.", ""]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--skip", type=lambda s: s.split(","), default=[], help="load,failover,memory")
    args, _ = parser.parse_known_args()   # run.py passes its own flags too
    server = database()
    results: dict = {}
    try:
        import pg_support
        if "load" not in args.skip:
            results["load"] = throughput(server, args)
        if "failover" not in args.skip:
            results["failover"] = failover(pg_support.new_database(server), args.rounds)
        if "memory" not in args.skip:
            results["memory"] = idle_tenants(pg_support.new_database(server), args.tenants)
    finally:
        import pg_support
        pg_support.stop_server(server)
    print("store json " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
