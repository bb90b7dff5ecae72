"""Signed webhook deliveries per second, end to end over HTTP.

A served sandbox (`mockserver serve`, pinned to the server's CPU) and a real receiver in another
process (bench/baselines.py receiver: HTTP/1.1 on raw asyncio, or `--receiver receiver-aiohttp`;
either checks every signature; on the load CPU). Each
round, through the sandbox's own HTTP API: 2,000 CryptoPayment invoices created and paid (their
payment.detected webhooks delivered as each payment is simulated), then ONE clock advance brings
their 2,000 payment.confirmed webhooks due at one instant. Measured: from sending the advance to
the receiver's last arrival (and to the advance's answer, which waits for every attempt).

The yardsticks in the same rounds: bare asyncio streams POSTing 2,000 signed bodies of the same
shape to the same receiver, each on its own connection, 256 at a time (baselines.py sender,
pinned like the sandbox), and the same bodies through aiohttp's client (sender-aiohttp). Each
ratio is the median of the rounds' ratios.

Usage: python bench/deliveries_http.py [--count 2000] [--rounds 3]   (prints one JSON line last)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

HERE = Path(__file__).resolve().parent
RECEIVERS = {"receiver": "raw asyncio receiver", "receiver-aiohttp": "aiohttp receiver"}


def start_receiver(port: int, app_key: str, kind: str = "receiver") -> subprocess.Popen:
    proc = subprocess.Popen(run.pinned(run.LOAD_CPU, [run.PY, str(HERE / "baselines.py"), kind, str(port), app_key]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not run.answered(f"http://127.0.0.1:{port}/stats"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the receiver did not start")
        time.sleep(0.02)
    return proc


async def _call(session: aiohttp.ClientSession, method: str, url: str, **kw) -> dict:
    async with session.request(method, url, **kw) as resp:
        if resp.status >= 300:
            raise SystemExit(f"{method} {url}: {resp.status} {await resp.text()}")
        return await resp.json()


cpu_seconds = run.cpu_seconds


async def sandbox_round(origin: str, hook: str, merchant: dict, count: int, pid: int) -> dict:
    auth = {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}"}
    async with aiohttp.ClientSession() as session:
        slots = asyncio.Semaphore(16)

        async def invoice_paid(i: int) -> None:
            async with slots:
                made = await _call(session, "POST", f"{origin}/cryptopayment/api/v1/invoices", headers=auth,
                                   json={"network": "trc20", "amount_usd": 50, "order_id": f"ORD-{i}"})
                await _call(session, "POST", f"{origin}/_sandbox/simulate/cryptopayment/pay",
                            json={"invoice": made["invoice"]["id"]})
        await asyncio.gather(*(invoice_paid(i) for i in range(count)))
        await _call(session, "POST", f"{hook}/stats/reset")
        cpu = cpu_seconds(pid)
        began = time.monotonic()
        advanced = await _call(session, "POST", f"{origin}/_sandbox/clock/advance", json={"by": "5m"})
        answered = time.monotonic()
        cpu = cpu_seconds(pid) - cpu
        stats = await _call(session, "GET", f"{hook}/stats")
    confirmed = stats["events"].get("payment.confirmed", 0)
    if confirmed != count or stats["bad"] or stats["good"] != count:
        raise SystemExit(f"the receiver saw {stats}, not {count} good payment.confirmed")
    return {"seconds": stats["last"] - began, "answer_seconds": answered - began,
            "events_run": advanced["events_run"], "cpu_seconds": cpu}


def bare_round(hook: str, app_key: str, count: int, kind: str = "sender") -> float:
    asyncio.run(_post(f"{hook}/stats/reset"))
    out = subprocess.run(run.pinned(run.SERVER_CPU, [run.PY, str(HERE / "baselines.py"), kind, f"{hook}/hook",
                                                     str(count), app_key]),
                         capture_output=True, text=True, check=True).stdout
    began = json.loads(out.strip().splitlines()[-1])["began"]
    stats = asyncio.run(_get(f"{hook}/stats"))
    if stats["good"] != count or stats["bad"]:
        raise SystemExit(f"the receiver saw {stats} from the bare sender")
    return stats["last"] - began


async def _post(url: str) -> dict:
    async with aiohttp.ClientSession() as session:
        return await _call(session, "POST", url)


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as session:
        return await _call(session, "GET", url)


def measure(count: int = 2000, rounds: int = 3, receiver: str = "receiver", loop: str = "asyncio") -> dict:
    sbx_port, hook_port = run.free_port(), run.free_port()
    sbx = run.start([run.PY, "-m", "mockserver.cli", "serve", "-q", "--port", str(sbx_port), "--loop", loop], sbx_port)
    origin, hook = f"http://127.0.0.1:{sbx_port}", f"http://127.0.0.1:{hook_port}"
    procs = [sbx]
    try:
        merchant = asyncio.run(_get(f"{origin}/_sandbox/providers"))["cryptopayment"]["merchants"][0]
        procs.append(start_receiver(hook_port, merchant["app_key"], receiver))
        done = subprocess.run([run.PY, "-c", "import sys, json, urllib.request as u; u.urlopen(u.Request("
                               "sys.argv[1], data=json.dumps({'webhook_url': sys.argv[2]}).encode(), method='PATCH',"
                               " headers={'Content-Type': 'application/json'}))",
                               f"{origin}/_sandbox/providers/cryptopayment/merchant", f"{hook}/hook"])
        if done.returncode:
            raise SystemExit("could not point the merchant's webhook_url at the receiver")
        samples = []
        for _ in range(rounds):
            bare = bare_round(hook, merchant["app_key"], count)
            client = bare_round(hook, merchant["app_key"], count, "sender-aiohttp")
            mine = asyncio.run(sandbox_round(origin, hook, merchant, count, sbx.pid))
            samples.append({"bare": bare, "aiohttp": client, **mine})
    finally:
        for proc in procs:
            run.stop(proc)
    seconds = statistics.median(s["seconds"] for s in samples)
    bare = statistics.median(s["bare"] for s in samples)
    ratio = statistics.median(s["bare"] / s["seconds"] for s in samples)
    aiohttp_ratio = statistics.median(s["aiohttp"] / s["seconds"] for s in samples)
    client = statistics.median(s["aiohttp"] for s in samples)
    rate = count / seconds
    cpu = statistics.median(s["cpu_seconds"] for s in samples)
    return {"cpu_seconds": cpu, "loop": loop, "value": rate, "count": count, "seconds": seconds, "ratio": ratio, "bare_rate": count / bare,
            "aiohttp_ratio": aiohttp_ratio, "aiohttp_rate": count / client,
            "answer_seconds": statistics.median(s["answer_seconds"] for s in samples), "rounds": samples,
            "summary": f"{count} signed payment.confirmed from one clock advance to a {RECEIVERS[receiver]} in "
                       f"{seconds:.2f} s: {rate:.0f}/s, sandbox on {loop} ({ratio:.2f}x bare asyncio streams' {count / bare:.0f}/s "
                       f"to the same receiver, {aiohttp_ratio:.2f}x aiohttp's client's {count / client:.0f}/s); the sandbox's CPU {cpu:.2f} s ({count / cpu if cpu else 0:.0f} per CPU-second); "
                       f"median of {rounds} rounds"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--receiver", choices=sorted(RECEIVERS), default="receiver",
                        help="raw asyncio (default) or an aiohttp app; both check every signature")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="the served sandbox's event loop (uvloop: the [fast] extra)")
    args = parser.parse_args()
    result = measure(args.count, args.rounds, args.receiver, args.loop)
    for i, s in enumerate(result["rounds"], 1):
        print(f"round {i}: sandbox {s['seconds']:.3f} s to the last arrival (answer {s['answer_seconds']:.3f} s, "
              f"{s['events_run']} events, {s['cpu_seconds']:.2f} s of the sandbox's CPU); bare sender {s['bare']:.3f} s, "
              f"aiohttp client {s['aiohttp']:.3f} s",
              flush=True)
    print(json.dumps(result))
