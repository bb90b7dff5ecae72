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
           f"{r['seconds']:g} s runs after a warm-up) to CPU 1. Each call: {r.get('rounds', 1)} rounds, each "
           f"running the constant handler then the sandbox (and, for CryptoPayment, the naive handler) "
           f"back to back; a ratio is the median of the rounds' ratios, req/s and latencies are medians.", ""]
    if "load" in r:
        out += ["## Requests (ratios to a constant-body aiohttp handler on the same path)", "",
                "| provider | call | req/s | × constant | p50 ms | p99 ms | p99 × naive | target | refused |",
                "|---|---|---:|---:|---:|---:|---:|---|---:|"]
        for row in r["load"]:
            s, n = row["sandbox"], row["naive"]
            ratio, target = row["ratio"], targets.get(row["op"])
            p99x = f"{row['p99_ratio']:.1f}" if n else ""
            marks = f"≥ {target}× {_mark(ratio >= target)}" if target else "(reference: no target)"
            if n:
                marks += f"; p99 ≤ {targets['p99']:g}× naive {_mark(row['p99_ratio'] <= targets['p99'])}"
            refused = row["refused"] if target else "all (by design)"
            out.append(f"| {row['provider']} | {row['op']} | {s['rps']:.0f} | {ratio:.2f} | {s['p50']:.1f} | "
                       f"{s['p99']:.1f} | {p99x} | {marks} | {refused} |")
        out.append("")
        out.append("Reference servers in the same rounds (medians): ")
        for row in r["load"]:
            c, n = row["constant"], row["naive"]
            line = f"- {row['provider']} {row['op']}: constant handler {c['rps']:.0f} req/s, p99 {c['p99']:.1f} ms"
            if n:
                line += (f"; naive handler (parse, jsonschema, dict, answer) {n['rps']:.0f} req/s "
                         f"({n['rps'] / c['rps']:.2f}× constant), p99 {n['p99']:.1f} ms")
            out.append(line)
        out.append("")
    if "start" in r:
        st = r["start"]
        uv = "sandbox_uvloop" in st
        out += ["## Cold start to the first answered request (median of 5, runs alternating)", "",
                "| python -c pass | bare aiohttp app | mockserver serve (asyncio) | × bare |"
                + (" mockserver serve (uvloop) |" if uv else "") + " target |",
                "|---:|---:|---:|---:|" + ("---:|" if uv else "") + "---|",
                f"| {st['python']:.3f} s | {st['bare']:.3f} s | {st['sandbox']:.3f} s | {st['sandbox'] / st['bare']:.2f} |"
                + (f" {st['sandbox_uvloop']:.3f} s |" if uv else "")
                + f" < {targets['start']} s {_mark(max(st['sandbox'], st.get('sandbox_uvloop', 0)) < targets['start'])} |", ""]
        if "cpu" in st:   # the process's own CPU to its first answer: what a loaded machine does not inflate
            c = st["cpu"]
            out += [f"CPU seconds to the first answer (medians): bare aiohttp app {c['bare']:.2f} s, mockserver serve "
                    f"{c['sandbox']:.2f} s" + (f", on uvloop {c['sandbox_uvloop']:.2f} s" if "sandbox_uvloop" in c else "")
                    + " (at the kernel's clock tick, 10 ms).", ""]
    retry_label = (f"{r.get('retry', {}).get('addresses', 10_000):,} ALT 5 Pay addresses, every IPN through its "
                   f"whole retry schedule (wall s)")
    rows = [("deliveries", "signed webhook deliveries per second, end to end over HTTP (one clock advance, "
                           "2,000 due; bench/deliveries_http.py)", f"≥ {targets['deliveries']}/s",
             lambda v: v >= targets["deliveries"]),
            ("deliveries_uvloop", "the same, the sandbox on uvloop", f"≥ {targets['deliveries']}/s",
             lambda v: v >= targets["deliveries"]),
            ("deliveries_inproc", "signed deliveries per second in one process (Outbox straight to a receiver; "
                                  "reference)", "(no target)", lambda v: True),
            ("retry", retry_label, f"< {targets['retry']} s", lambda v: v < targets["retry"]),
            ("retry_uvloop", "the same on uvloop", f"< {targets['retry']} s", lambda v: v < targets["retry"]),
            ("memory", "resident bytes per stored invoice (20,000)", f"≤ {targets['bytes']} B",
             lambda v: v <= targets["bytes"])]
    present = [row for row in rows if row[0] in r]
    if present:
        out += ["## Deliveries, retries, memory", "", "| measure | result | target |", "|---|---|---|"]
        for key, label, target, ok in present:
            verdict = target if target.startswith("(") else f"{target} {_mark(ok(r[key]['value']))}"
            out.append(f"| {label} | {r[key]['summary']} | {verdict} |")
        out.append("")
    if "state" in r:
        out += ["## The cost of `--state` (bench/durability.py)", "", r["state"]["summary"], ""]
    if "soak" in r:
        lines = r["soak"]["lines"]
        rows = [line.split() for line in lines if line.split()[0].isdigit()]
        samples = rows[1:]   # after the start: the halves soak.py itself reports
        mid = samples[len(samples) // 2] if samples else ["0", "0"]
        first, half, last = (float(row[1]) for row in (rows[0], mid, rows[-1])) if samples else (0, 0, 0)
        bounded = bool(samples) and (last - half) <= 0.1 * max(half - first, 1.0)
        out += ["## Memory of a long-running server (bench/soak.py)", "",
                "Each round creates an invoice and pays it, its webhooks going to the built-in inbox; the "
                "clock moves 5 minutes every 25 rounds. RSS should rise while the journal, deliveries, "
                "stores and inbox fill to their caps, then stay flat.", "", "```text", *lines, "```", "",
                f"From round {mid[0]} to the end: {last - half:+.1f} MiB, against {half - first:+.1f} MiB "
                f"up to round {mid[0]}: bounded (≤ 10% of the earlier growth) {_mark(bounded)}.", ""]
    if NOTES.exists():
        out += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(out) + "\n"


if __name__ == "__main__":   # write the table again from a run's kept results (and NOTES.md as now)
    import json
    import sys
    kept = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else NOTES.parent / "RESULTS.md"
    out.write_text(markdown(kept["results"], kept["targets"]), encoding="utf-8")
    print(f"written: {out}")
