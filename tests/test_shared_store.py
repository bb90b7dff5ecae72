"""Several `mockserver serve --store postgresql://...` processes on one real PostgreSQL database
(core/state/cluster.py): they share the tenants, each tenant owned by one process at a time,
a request reaching the other process forwarded to the owner byte for byte (signatures hold),
the owner alone sending a tenant's webhooks; a rolling restart of both loses nothing; a kill -9
of the owner loses nothing accepted and the survivor takes over within the lease.

Spoken to over HTTP only, as a load balancer's clients would.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("alt5_signing", HERE / "providers/alt5pay/alt5pay_helpers.py")
alt5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(alt5)   # ALT 5 Pay's published signature formula, written out in the tests

CP = "/cryptopayment/api/v1"
CP_AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
START = "2025-01-15T10:00:00Z"
LEASE = "2"        # seconds: a process silent this long loses its tenants (default 10)
STARTED: list[subprocess.Popen] = []
SESSIONS: list[aiohttp.ClientSession] = []


@pytest.fixture(autouse=True)
async def _no_process_left_behind():
    yield
    while SESSIONS:
        await SESSIONS.pop().close()
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


class Node:
    """One `serve` process on the shared store."""

    def __init__(self, store: str, log: Path, *extra: str):
        self.store, self.log, self.extra = store, log, extra
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.ports: dict[str, str] = {}
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> "Node":
        with open(self.log, "a") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", "--seed", "7", "--start", START,
                 "-q", "--log-format", "json", "--store", self.store, "--lease", LEASE, *self.extra],
                stdout=subprocess.PIPE, stderr=err, text=True)
        STARTED.append(self.proc)
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
        assert line, self.log.read_text()
        listening = json.loads(line)
        self.url, self.ports = listening["url"], listening.get("providers", {})
        self.http = aiohttp.ClientSession()
        SESSIONS.append(self.http)
        return self

    async def call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None,
                   expect: int | None = 200, origin: str | None = None):
        async with self.http.request(method, (origin or self.url) + path, json=body if raw is None else None,
                                     data=raw, headers=headers or {},
                                     timeout=aiohttp.ClientTimeout(total=30)) as resp:
            out = await resp.json()
            assert expect is None or resp.status == expect, (method, path, resp.status, out)
            return out

    async def tenants(self) -> list[str]:
        return (await self.call("GET", "/_sandbox/cluster"))["tenants"]

    async def stop(self, sig: int) -> int:
        await self.http.close()
        self.proc.send_signal(sig)
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 60)


async def both(store: str, tmp_path: Path, *extra: str) -> tuple[Node, Node]:
    return await asyncio.gather(Node(store, tmp_path / "a.log", *extra).start(),
                                Node(store, tmp_path / "b.log", *extra).start())


async def invoice(node: Node, tenant: str, amount: float = 5) -> dict:
    out = await node.call("POST", f"/t/{tenant}{CP}/invoices", {"network": "trc20", "amount_usd": amount},
                          CP_AUTH, expect=201)
    return out["invoice"]


class _Signer(alt5.Signer):
    """Stamps with real time, as a client in another process does."""

    def __init__(self):
        super().__init__(None)

    def stamp(self, body: dict) -> dict:
        self.nonce += 1
        return {**body, "timestamp": int(time.time()), "nonce": self.nonce}


@pytest.mark.slow(reason="two serve processes on PostgreSQL, twelve tenants, then a rolling restart of both")
async def test_two_processes_share_many_tenants_forward_exactly_and_survive_a_rolling_restart(
        pg_url, tmp_path, receiver):
    a, b = await both(pg_url, tmp_path, "--provider-ports")
    names = [f"team-{i}" for i in range(12)]
    first = {}
    for i, name in enumerate(names):           # first use decides the owner: half on each
        first[name] = await invoice(a if i % 2 else b, name)
    owned_a, owned_b = set(await a.tenants()), set(await b.tenants())
    assert owned_a.isdisjoint(owned_b) and owned_a | owned_b == set(names)
    assert owned_a == set(names[1::2])

    # any process answers for any tenant: the other one forwards to the owner, as sent
    for i, name in enumerate(names):
        other = b if i % 2 else a
        got = await other.call("GET", f"/t/{name}{CP}/invoices/{first[name]['id']}", headers=CP_AUTH)
        assert got["invoice"]["id"] == first[name]["id"]
        again = await invoice(other, name, 6)   # a write through the other process: kept by the owner
        assert again["id"] != first[name]["id"]
    listed = await a.call("GET", "/_sandbox/tenants")
    assert {t["name"]: t["owner"] for t in listed["tenants"]} == {
        n: (a.url if n in owned_a else b.url) for n in names}
    assert set(await a.tenants()) == owned_a and set(await b.tenants()) == owned_b   # nothing moved

    # a signed request through the process that does not own the tenant: the signature holds
    signer = _Signer()
    headers, raw = signer.request({"ref_id": "fwd-1"}, alt5.M1)
    made = await a.call("POST", "/t/team-0/alt5pay/usr/wallet/btc/create", raw=raw, headers=headers)
    assert made["status"] == "success" and "team-0" in owned_b
    headers, raw = signer.request({"ref_id": "fwd-1"}, alt5.M1)   # and a tampered body is refused, by the owner
    assert (await a.call("POST", "/t/team-0/alt5pay/usr/wallet/btc/create", raw=raw.replace(b"fwd-1", b"fwd-2"),
                         headers=headers, expect=None))["status"] == "error"

    # the other ways in keep working: the provider's own port, and {tenant}.{provider}.localhost
    port_b = b.ports["cryptopayment"]
    via_port = await b.call("GET", f"/t/team-1/api/v1/invoices/{first['team-1']['id']}", headers=CP_AUTH,
                            origin=port_b)
    assert via_port["invoice"]["id"] == first["team-1"]["id"] and "team-1" in owned_a
    host = f"team-1.cryptopayment.localhost:{b.url.rsplit(':', 1)[1]}"
    via_host = await b.call("POST", "/api/v1/invoices", {"network": "trc20", "amount_usd": 7},
                            {**CP_AUTH, "Host": host}, expect=201)
    assert via_host["checkout_url"].startswith(f"http://{host}/pay/")    # links for the way the client came

    # the default World (no tenant) is one World for both processes
    plain = (await a.call("POST", f"{CP}/invoices", {"network": "trc20", "amount_usd": 9}, CP_AUTH, expect=201))
    assert (await b.call("GET", f"{CP}/invoices/{plain['invoice']['id']}", headers=CP_AUTH))["invoice"]["amount_usd"] == 9

    # webhooks: only the owner sends them, once per attempt, whichever process was asked
    rec = await receiver([200])
    await a.call("PATCH", "/t/team-0/_sandbox/providers/cryptopayment/merchant", {"webhook_url": rec.url})
    await a.call("POST", "/t/team-0/_sandbox/simulate/cryptopayment/pay", {"invoice": first["team-0"]["id"]})
    await a.call("POST", "/t/team-0/_sandbox/clock/advance", {"by": "1h"})
    attempts = sum(len(d["attempts"]) for d in await _deliveries(a, "team-0"))
    assert attempts >= 2 and len(rec.requests) == attempts

    # a rolling restart of both processes, requests going on meanwhile: nothing is lost
    made = {n: [first[n]["id"]] for n in names}
    for n in names:   # the invoices made through the other process above
        listed = await a.call("GET", f"/t/{n}{CP}/invoices", headers=CP_AUTH)
        made[n] = [i["id"] for i in listed["invoices"]]

    async def round_of_writes(node: Node) -> None:
        for n in names[:6]:
            made[n].append((await invoice(node, n, 8))["id"])

    assert await a.stop(signal.SIGTERM) == 0        # a's tenants go to b, at once
    await round_of_writes(b)
    a = await Node(pg_url, tmp_path / "a2.log").start()
    await round_of_writes(a)                        # forwarded to b, which holds them all now
    assert await b.stop(signal.SIGTERM) == 0
    await round_of_writes(a)
    b = await Node(pg_url, tmp_path / "b2.log").start()
    await round_of_writes(b)
    for n in names:
        listed = await b.call("GET", f"/t/{n}{CP}/invoices", headers=CP_AUTH)
        ids = [i["id"] for i in listed["invoices"]]
        assert sorted(ids) == sorted(made[n]) and len(set(ids)) == len(ids) >= (6 if n in names[:6] else 2)
    # every tenant held by exactly one of them: a's lease sweep or b's start-up sweep, whichever
    # ran first, adopted the ones nobody asked for after b's stop (core/state/cluster.py)
    held_a, held_b = set(await a.tenants()), set(await b.tenants())
    assert not held_a & held_b and held_a | held_b >= set(names) | {"default"}
    await asyncio.gather(a.stop(signal.SIGTERM), b.stop(signal.SIGTERM))


def _shape(deliveries: list[dict]) -> list:
    return sorted((d["id"], d["event"], d["status"], d["next_attempt_at"],
                   tuple((x["at"], x["status"]) for x in d["attempts"])) for d in deliveries)


async def _deliveries(node: Node, tenant: str) -> list[dict]:
    listed = await node.call("GET", f"/t/{tenant}/_sandbox/deliveries")
    listed = listed["deliveries"] if isinstance(listed, dict) else listed
    return [await node.call("GET", f"/t/{tenant}/_sandbox/deliveries/{d['id']}") for d in listed]


async def test_kill_9_of_the_owner_the_survivor_takes_over_and_keeps_every_schedule(pg_url, tmp_path, receiver):
    rec = await receiver([500])
    a, b = await both(pg_url, tmp_path)
    await a.call("PATCH", "/t/shop/_sandbox/providers/cryptopayment/merchant", {"webhook_url": rec.url})
    invoices = [await invoice(a, "shop", 60 + i) for i in range(3)]
    for inv in invoices[:2]:
        await b.call("POST", "/t/shop/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})
    await b.call("POST", "/t/shop/_sandbox/clock/advance", {"by": "2m"})    # attempts at +0 and +1m failed
    assert await a.tenants() == ["shop"]
    before = await _deliveries(b, "shop")
    arrived = len(rec.requests)
    assert arrived and all(d["status"] == "pending" for d in before)

    killed = time.monotonic()
    a.proc.kill()                                   # SIGKILL: no goodbye, its lease and lock remain
    a.proc.wait(timeout=10)
    while True:   # a client of a shared sandbox honours 503's Retry-After (bounded by the test below)
        async with b.http.get(b.url + f"/t/shop{CP}/invoices/{invoices[0]['id']}", headers=CP_AUTH) as resp:
            got = await resp.json()
            if resp.status != 503 or time.monotonic() - killed > 10:
                assert resp.status == 200, got
                break
            await asyncio.sleep(float(resp.headers["Retry-After"]))
    answered = time.monotonic()
    assert got["invoice"]["id"] == invoices[0]["id"]
    assert await b.tenants() == ["shop"]
    assert _shape(await _deliveries(b, "shop")) == _shape(before)          # nothing accepted was lost
    assert len(rec.requests) == arrived                                     # and nothing re-sent
    # the pending retries (+1m, +5m, +15m after each failure) land at +6m on the survivor, not before
    await b.call("POST", "/t/shop/_sandbox/clock/advance", {"by": "3m59s"})
    assert len(rec.requests) == arrived
    await b.call("POST", "/t/shop/_sandbox/clock/advance", {"by": "1s"})
    await rec.wait_for_requests(arrived + 2)
    retried = time.monotonic()
    for d in [d for d in await _deliveries(b, "shop") if d["event"] == "payment.detected"]:
        at = [datetime.fromisoformat(x["at"]) for x in d["attempts"]]
        assert [t - at[0] for t in at] == [timedelta(0), timedelta(minutes=1), timedelta(minutes=6)]
    newer = await invoice(b, "shop", 99)
    assert newer["id"] not in {i["id"] for i in invoices}
    print(f"\nfailover timeline (lease {LEASE} s): kill -9 at 0.000 s; tenant taken over and first "
          f"answer from the survivor at {answered - killed:.3f} s; the retries due at +6m delivered "
          f"at {retried - killed:.3f} s (after the clock advance), on their virtual schedule")
    assert answered - killed < 10    # within the default lease (a kill is seen at once: the lock goes)
    await b.stop(signal.SIGTERM)


async def test_an_attempt_in_flight_at_the_kill_is_sent_again_once_by_the_survivor_and_journaled(
        pg_url, tmp_path):
    """Realtime at 600x: the retry 1 min after the first failure goes out 0.1 s later, on its own;
    the receiver holds it; the owner is killed. With no request at all, the survivor adopts the
    tenant (its next lease renewal finds the owner gone), replays it and sends that POST again:
    the one duplicate, journaled as a resend."""
    detected: list[bytes] = []
    arrived = asyncio.Condition()

    async def endpoint(request: web.Request) -> web.Response:
        body = await request.read()
        if b'"payment.detected"' not in body:
            return web.Response(text="OK")
        detected.append(body)
        async with arrived:
            arrived.notify_all()
        if len(detected) == 2:              # the retry: held past the kill
            await asyncio.sleep(3)
        return web.Response(status=500 if len(detected) == 1 else 200, text="OK")

    async def until(count: int, timeout: float) -> None:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: len(detected) >= count), timeout)

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(shutdown_timeout=0.5)
    a, b = await both(pg_url, tmp_path, "--clock", "realtime", "--speed", "600")
    await a.call("PATCH", "/t/live/_sandbox/providers/cryptopayment/merchant",
                 {"webhook_url": str(server.make_url("/hook"))})
    inv = await invoice(a, "live")
    await a.call("POST", "/t/live/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})
    await until(2, 10)                      # the retry is at the receiver, unanswered
    killed = time.monotonic()
    a.proc.kill()
    a.proc.wait(timeout=10)
    await until(3, 20)                      # bounded: adopted at the survivor's next renewal (lease/3)
    resent = time.monotonic()
    # the in-flight one, again (stamped and signed when sent, as each attempt is). On a loaded
    # machine at 600x the original's scheduler can run an event a block late, so a count read
    # off the realtime clock (confirmations) may differ from the replay's exact instant
    unstamped = [{k: v for k, v in json.loads(body).items() if k not in ("timestamp", "signature", "confirmations")}
                 for body in detected]
    assert len(detected) == 3 and unstamped[1] == unstamped[2] == unstamped[0]
    (dlv,) = [d for d in await _deliveries(b, "live") if d["event"] == "payment.detected"]
    assert dlv["status"] == "delivered" and [x["status"] for x in dlv["attempts"]] == [500, 200]
    journal = await b.call("GET", "/t/live/_sandbox/journal?kind=webhook.resent")
    assert [e["delivery"] for e in journal if e["kind"] == "webhook.resent"] == [dlv["id"]]
    print(f"\nin-flight attempt: kill -9 at 0.000 s; the survivor adopted the tenant and sent the "
          f"attempt again at {resent - killed:.3f} s (no request needed)")
    await b.stop(signal.SIGTERM)
    await server.close()


async def test_a_paused_owner_loses_its_tenant_at_the_lease_and_cannot_write_after(pg_url, tmp_path):
    """SIGSTOP keeps the owner's connection (and its lock) open: only the lease tells. Once it
    has run out the other process takes the tenant; the paused one, woken, serves nothing from
    its stale World (its own lease is over, its writes carry an old epoch) and hands over."""
    a, b = await both(pg_url, tmp_path)
    made = [(await invoice(a, "paused"))["id"]]
    a.proc.send_signal(signal.SIGSTOP)
    try:
        async def lease_over() -> None:
            while True:
                view = await b.call("GET", "/_sandbox/cluster")
                mine = [p for p in view["processes"] if p["pid"] == a.proc.pid]
                if not mine or datetime.fromisoformat(mine[0]["lease_until"]) < datetime.now(timezone.utc):
                    return
                await asyncio.sleep(0.1)   # polling the database's view, bounded below
        await asyncio.wait_for(lease_over(), float(LEASE) + 10)
        made.append((await invoice(b, "paused", 6))["id"])       # taken over: b serves it now
        assert await b.tenants() == ["paused"]
    finally:
        a.proc.send_signal(signal.SIGCONT)
    for _ in range(200):  # woken: 503 (Retry-After) until it has handed over, then forwarded to b
        async with a.http.post(a.url + f"/t/paused{CP}/invoices", json={"network": "trc20", "amount_usd": 7},
                               headers=CP_AUTH) as resp:
            if resp.status == 201:
                made.append((await resp.json())["invoice"]["id"])
                break
            assert resp.status == 503 and resp.headers["Retry-After"], await resp.text()
        await asyncio.sleep(0.1)
    listed = await b.call("GET", f"/t/paused{CP}/invoices", headers=CP_AUTH)
    assert sorted(i["id"] for i in listed["invoices"]) == sorted(made) and len(set(made)) == 3
    assert await a.tenants() == [] and await b.tenants() == ["paused"]
    await asyncio.gather(a.stop(signal.SIGTERM), b.stop(signal.SIGTERM))


async def test_an_owner_whose_address_is_another_process_now_is_treated_as_gone_and_refusals_make_no_tenant(
        pg_url):
    """A process killed, its port given to another sandbox process before its row was swept: a
    forward to that address reaches the wrong process, which says so (421), and the tenant is
    taken over instead of bouncing between processes."""
    import asyncpg
    from aiohttp.test_utils import TestClient

    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    client = TestClient(TestServer(build_app(SandboxConfig.from_mapping({"seed": 7, "store": pg_url}))))
    await client.start_server()
    try:
        assert (await client.get("/_sandbox/health")).status == 200   # this process knows its address
        own = str(client.make_url("")).rstrip("/")
        conn = await asyncpg.connect(pg_url)
        try:   # a dead process's row (no lock held), still in its lease, at this process's address
            await conn.execute("INSERT INTO sandbox_nodes (id, url, expires) VALUES ('gone-1', $1, now() + "
                               "interval '1 minute')", own)
            await conn.execute("INSERT INTO sandbox_tenants (name, owner, epoch) VALUES ('ghost', 'gone-1', 3)")
        finally:
            await conn.close()
        resp = await client.post(f"/t/ghost{CP}/invoices", json={"network": "trc20", "amount_usd": 5},
                                 headers=CP_AUTH)
        assert resp.status == 201, await resp.text()
        view = await (await client.get("/_sandbox/tenants")).json()
        assert [(t["name"], t["owner"]) for t in view["tenants"]] == [("ghost", own)]
        # a refused request makes no tenant, in the database either
        refused = await client.post(f"/t/nobody{CP}/invoices", json={"network": "trc20", "amount_usd": 5},
                                    headers={"Authorization": "Bearer pk_no:sk_no"})
        assert refused.status == 401
        conn = await asyncpg.connect(pg_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM sandbox_tenants WHERE name = 'nobody'") == 0
        finally:
            await conn.close()
    finally:
        await client.close()


def test_an_unreachable_store_stops_serve_with_the_reason(capsys):
    from mockserver.cli import main
    assert main(["serve", "--port", "0", "-q", "--store", "postgresql://nobody:secret@127.0.0.1:1/none"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cannot start: store postgresql://nobody:***@") and "secret" not in err
    assert "Traceback" not in err
