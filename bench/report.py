"""bench/RESULTS.md from one run's results: each measure, its target, met or not."""
from __future__ import annotations

from pathlib import Path

# what the profile shows for targets a run misses: kept by hand, appended to every table
NOTES = Path(__file__).resolve().parent / "NOTES.md"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(r: dict, targets: dict) -> str:
    out = ["# Bench results", "",
           f"Written by `make bench` (bench/run.py) on {r['date']}.", "",
           f"Machine: {r['machine']}. Server pinned to CPU 0, wrk (2 threads, 50 connections, "
           f"{r['seconds']:g} s runs after a warm-up) to CPU 1. Ratios compare servers measured in this run.", ""]
    if "load" in r:
        out += ["## Requests (ratios to a constant-body aiohttp handler on the same path)", "",
                "| provider | call | req/s | × constant | p50 ms | p99 ms | p99 × naive | target | refused |",
                "|---|---|---:|---:|---:|---:|---:|---|---:|"]
        for row in r["load"]:
            s, c, n = row["sandbox"], row["constant"], row["naive"]
            ratio = s["rps"] / c["rps"]
            target = targets[row["op"]]
            p99x = f"{s['p99'] / n['p99']:.1f}" if n else ""
            ok = ratio >= target and (not n or s["p99"] / n["p99"] <= targets["p99"])
            out.append(f"| {row['provider']} | {row['op']} | {s['rps']:.0f} | {ratio:.2f} | {s['p50']:.1f} | "
                       f"{s['p99']:.1f} | {p99x} | ≥ {target}× {_mark(ok)} | {s['bad']} |")
        naive = next((row["naive"] for row in r["load"] if row["naive"]), None)
        if naive:
            out += ["", f"Naive handler (parse, jsonschema, dict, answer) on CryptoPayment's create: "
                        f"{naive['rps']:.0f} req/s, p99 {naive['p99']:.1f} ms."]
        out.append("")
    if "start" in r:
        st = r["start"]
        out += ["## Cold start to the first answered request (median of 5)", "",
                "| python -c pass | bare aiohttp app | mockserver serve | target |", "|---:|---:|---:|---|",
                f"| {st['python']:.3f} s | {st['bare']:.3f} s | {st['sandbox']:.3f} s | "
                f"< {targets['start']} s {_mark(st['sandbox'] < targets['start'])} |", ""]
    rows = [("deliveries", "signed webhook deliveries per second", f"≥ {targets['deliveries']}/s",
             lambda v: v >= targets["deliveries"]),
            ("retry", f"{r.get('retry', {}).get('addresses', 10_000):,} ALT 5 Pay addresses, every IPN through its whole "
                      f"retry schedule (wall s)",
             f"< {targets['retry']} s", lambda v: v < targets["retry"]),
            ("memory", "resident bytes per stored invoice (20,000)", f"≤ {targets['bytes']} B",
             lambda v: v <= targets["bytes"])]
    present = [row for row in rows if row[0] in r]
    if present:
        out += ["## In-process measures", "", "| measure | result | target |", "|---|---|---|"]
        for key, label, target, ok in present:
            out.append(f"| {label} | {r[key]['summary']} | {target} {_mark(ok(r[key]['value']))} |")
        out.append("")
    if NOTES.exists():
        out += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(out) + "\n"
