"""Start time of each `mockserver` verb: `--help`, and one real call against a running sandbox.

    PYTHONDONTWRITEBYTECODE= .venv/bin/python bench/verb_start.py [RUNS]   # default 10 runs each

prints the median wall time of each. The sandbox is started once (`serve --port 0`); every
measured run is a fresh process, as a user's shell or a test's subprocess starts it, after one
run that is not counted (it writes the bytecode, as `make test` keeps it).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "mockserver.cli"]


def median_ms(argv: list[str], runs: int) -> float:
    times = []
    subprocess.run([*CLI, *argv], capture_output=True)
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([*CLI, *argv], capture_output=True)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0,):
            sys.exit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-400:]}")
    return statistics.median(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    server = subprocess.Popen([*CLI, "serve", "--port", "0", "--seed", "1", "-q"],
                              stdout=subprocess.PIPE, text=True)
    try:
        origin = server.stdout.readline().split(" on ", 1)[1].split()[0]
        with tempfile.TemporaryDirectory() as tmp:
            doc = Path(tmp, "doc.json")
            doc.write_text(json.dumps({"network": "trc20", "amount_usd": 50.0, "order_id": "ORD-1"}))
            rows = [
                ("python -c pass", None),
                ("--help", ["--help"]),
                ("--version", ["--version"]),
                *[(f"{verb} --help", [verb, "--help"]) for verb in
                  ("serve", "trigger", "deliveries", "advance", "record", "contracts", "openapi", "run", "certify")],
                ("advance 1m", ["advance", "1m", "--server", origin]),
                ("deliveries", ["deliveries", "--server", origin]),
                ("deliveries --json --limit 1", ["deliveries", "--json", "--limit", "1", "--server", origin]),
                ("record", ["record", "--server", origin]),
                ("trigger cryptopayment exact", ["trigger", "cryptopayment", "exact", "--server", origin]),
                ("contracts cryptopayment", ["contracts", "cryptopayment"]),
                ("contracts ... FILE", ["contracts", "cryptopayment", "invoice-create.request", str(doc)]),
                ("openapi alppay", ["openapi", "alppay"]),
                ("run --schema", ["run", "--schema"]),
            ]
            print(f"median of {runs} runs, ms")
            for label, argv in rows:
                ms = (statistics.median(
                    [_timed([sys.executable, "-c", "pass"]) for _ in range(runs)]) * 1000
                      if argv is None else median_ms(argv, runs))
                print(f"{ms:8.0f}  {label}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
