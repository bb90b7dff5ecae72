"""`mockserver serve --state FILE` (or `--store postgresql://...`) killed with SIGKILL mid-story, then
started again on the same file (database):
nothing accepted is lost, ids do not repeat, pending retries fire at their documented virtual times
and the story ends as the same story ends on a sandbox that was never killed. And SIGTERM lets a
webhook POST in flight finish and keeps its answer."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("alt5_signing", HERE / "providers/alt5pay/alt5pay_helpers.py")
alt5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(alt5)   # ALT 5 Pay's published signature formula, written out in the tests

CP_API = "/cryptopayment/api/v1"
START = "2025-01-15T10:00:00Z"


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_sandbox_left_behind():
    yield
    while STARTED:   # a failed test must not leave a server running
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


class Sandbox:
    """`mockserver serve` in a subprocess, spoken to over HTTP only."""

    def __init__(self, state: Path | list[str] | None, log: Path, *extra: str):
        """`state`: a SQLite file, or the flags of a durable store (the `durable` fixture's)."""
        self.state, self.log, self.extra = state, log, extra
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> "Sandbox":
        with open(self.log, "a") as err:
            args = ["--port", "0", "--seed", "7", "--start", START, "-q", "--log-format", "json", *self.extra]
            if isinstance(self.state, list):
                args += self.state
            elif self.state is not None:
                args += ["--state", str(self.state)]
            self.proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", *args],
                                         stdout=subprocess.PIPE, stderr=err, text=True)
        STARTED.append(self.proc)
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
        assert line, self.log.read_text()
        self.url = json.loads(line)["url"]
        self.http = aiohttp.ClientSession()
        return self

    async def call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None,
                   expect: int = 200):
        async with self.http.request(method, self.url + path, json=body if raw is None else None,
                                     data=raw, headers=headers or {},
                                     timeout=aiohttp.ClientTimeout(total=30)) as resp:
            out = await resp.json()
            assert resp.status == expect, (method, path, resp.status, out)
            return out

    async def stop(self, sig: int) -> int:
        await self.http.close()
        self.proc.send_signal(sig)
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 60)


async def _cp_auth(box: Sandbox) -> dict:
    merchant = (await box.call("GET", "/_sandbox/providers"))["cryptopayment"]["merchants"][0]
    return {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}"}


async def _alt5_address(box: Sandbox, signer) -> str:
    headers, raw = signer.request({"ref_id": "ord-kill9"}, alt5.M1)
    created = await box.call("POST", "/alt5pay/usr/wallet/btc/create", raw=raw, headers=headers)
    return created["data"]["address"]


async def _story_until_the_kill(box: Sandbox, receiver_url: str) -> dict:
    """Invoices created and paid while the merchant's endpoint answers 500: retries pending."""
    await box.call("PATCH", "/_sandbox/providers/cryptopayment/merchant", {"webhook_url": receiver_url})
    await box.call("PATCH", "/_sandbox/providers/alt5pay/merchant", {"webhook_url": receiver_url})
    auth = await _cp_auth(box)
    invoices = [(await box.call("POST", f"{CP_API}/invoices", {"network": "btc", "amount_usd": 60 + i},
                                auth, expect=201))["invoice"] for i in range(3)]
    for inv in invoices[:2]:
        await box.call("POST", "/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})
    address = await _alt5_address(box, _Signer())
    await box.call("POST", "/_sandbox/clock/advance", {"by": "2m"})   # attempts at +0 and +1m failed
    return {"auth": auth, "invoices": invoices, "address": address}


class _Signer(alt5.Signer):
    """Stamps with real time, as a Node client does (the sandbox runs in another process)."""

    def __init__(self):
        super().__init__(None)

    def stamp(self, body: dict) -> dict:
        import time
        self.nonce += 1
        return {**body, "timestamp": int(time.time()), "nonce": self.nonce}


def _shape(deliveries: list[dict]) -> list:
    """What must match between runs: ids, events, objects, status and each attempt's time and answer."""
    return sorted((d["id"], d["event"], d["ref"], d["status"], d["next_attempt_at"],
                   tuple((a["at"], a["status"], a["acknowledged"]) for a in d["attempts"]))
                  for d in deliveries)


async def _deliveries(box: Sandbox) -> list[dict]:
    listed = await box.call("GET", "/_sandbox/deliveries")
    listed = listed["deliveries"] if isinstance(listed, dict) else listed
    return [await box.call("GET", f"/_sandbox/deliveries/{d['id']}") for d in listed]


async def _finish(box: Sandbox, rec) -> list[dict]:
    """The rest of the story: the endpoint is fixed, time passes, every retry lands."""
    rec.replies[:] = [200]
    await box.call("POST", "/_sandbox/clock/advance", {"by": "1h"})
    return await _deliveries(box)


async def test_kill_9_mid_story_loses_nothing_and_the_story_ends_as_it_would_have(tmp_path, receiver, durable):
    rec = await receiver([500])
    box = await Sandbox(durable["flags"], tmp_path / "serve.log").start()
    story = await _story_until_the_kill(box, rec.url)
    before = await _deliveries(box)
    assert before and all(d["status"] == "pending" and d["next_attempt_at"] for d in before)
    arrived = len(rec.requests)
    assert await box.stop(signal.SIGKILL) == -signal.SIGKILL

    box = await Sandbox(durable["flags"], tmp_path / "serve.log").start()
    assert _shape(await _deliveries(box)) == _shape(before)            # every delivery, every attempt
    assert len(rec.requests) == arrived                                 # nothing re-sent by the restart
    for inv in story["invoices"]:
        kept = await box.call("GET", f"{CP_API}/invoices/{inv['id']}", headers=story["auth"])
        assert kept["invoice"]["address"] == inv["address"]
    newer = (await box.call("POST", f"{CP_API}/invoices", {"network": "btc", "amount_usd": 99},
                            story["auth"], expect=201))["invoice"]
    assert newer["id"] not in {i["id"] for i in story["invoices"]}
    assert newer["address"] not in {i["address"] for i in story["invoices"]}

    # the pending retries (documented: +1m, +5m, +15m after each failure) land at +6m, not before
    await box.call("POST", "/_sandbox/clock/advance", {"by": "3m59s"})
    assert len(rec.requests) == arrived
    await box.call("POST", "/_sandbox/clock/advance", {"by": "1s"})
    await rec.wait_for_requests(arrived + 2)         # one retry per paid invoice
    detected = [d for d in await _deliveries(box) if d["event"] == "payment.detected"]
    assert len(detected) == 2
    for d in detected:
        first = datetime.fromisoformat(d["attempts"][0]["at"])
        assert [datetime.fromisoformat(a["at"]) - first for a in d["attempts"]] == [
            timedelta(0), timedelta(minutes=1), timedelta(minutes=6)]
    # the ALT 5 Pay address made before the kill still takes payments
    await box.call("POST", "/_sandbox/simulate/alt5pay/pay", {"address": story["address"], "amount": "0.001"})
    after = await _finish(box, rec)
    assert all(d["status"] == "delivered" for d in after), [(d["id"], d["status"]) for d in after]
    await box.stop(signal.SIGTERM)

    # the same story on a sandbox that was never killed ends the same way
    control_rec = await receiver([500])
    control = await Sandbox(None, tmp_path / "control.log").start()
    story2 = await _story_until_the_kill(control, control_rec.url)
    await control.call("POST", f"{CP_API}/invoices", {"network": "btc", "amount_usd": 99}, story2["auth"], expect=201)
    await control.call("POST", "/_sandbox/clock/advance", {"by": "3m59s"})
    await control.call("POST", "/_sandbox/clock/advance", {"by": "1s"})
    await control.call("POST", "/_sandbox/simulate/alt5pay/pay", {"address": story2["address"], "amount": "0.001"})
    assert _shape(await _finish(control, control_rec)) == _shape(after)
    await control.stop(signal.SIGTERM)


async def test_sigterm_lets_a_webhook_in_flight_finish_and_keeps_its_answer(tmp_path, receiver, durable):
    # realtime at 600x: the retry 1 min after the first failure goes out 0.1 s later, on its own
    # (no request waits for it), and its receiver takes 1 s to answer 200
    rec = await receiver([500, "timeout"], hold_seconds=1.0)
    flags = ("--clock", "realtime", "--speed", "600")
    box = await Sandbox(durable["flags"], tmp_path / "serve.log", *flags).start()
    await box.call("PATCH", "/_sandbox/providers/cryptopayment/merchant", {"webhook_url": rec.url})
    auth = await _cp_auth(box)
    inv = (await box.call("POST", f"{CP_API}/invoices", {"network": "btc", "amount_usd": 60},
                          auth, expect=201))["invoice"]
    await box.call("POST", "/_sandbox/simulate/cryptopayment/pay", {"invoice": inv["id"]})
    await rec.wait_for_requests(2)                   # the retry is at the receiver, unanswered
    assert await box.stop(signal.SIGTERM) == 0

    box = await Sandbox(durable["flags"], tmp_path / "serve.log", *flags).start()
    (dlv,) = [d for d in await _deliveries(box) if d["ref"] == inv["id"] and d["event"] == "payment.detected"]
    assert dlv["status"] == "delivered" and [a["status"] for a in dlv["attempts"]] == [500, 200]
    detected = [r for r in rec.requests if b'"payment.detected"' in r["body"]]
    assert len(detected) == 2                        # its answer was kept: not sent again
    await box.stop(signal.SIGTERM)


def test_a_state_file_that_is_not_a_database_is_a_config_error(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database, just notes " * 100)
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", "--state", str(bogus)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("config error: state ") and "Traceback" not in done.stderr


async def test_a_second_serve_on_a_state_file_in_use_refuses_naming_the_first(tmp_path):
    db = tmp_path / "world.db"
    box = await Sandbox(db, tmp_path / "serve.log").start()
    second = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", "--state", str(db)],
        capture_output=True, text=True, timeout=60)
    assert second.returncode == 2 and second.stdout == ""
    assert second.stderr.splitlines() == [
        f"cannot start: state {db} is in use by another sandbox (pid {box.proc.pid}); stop it first, "
        f"or give another --state file"]
    assert (await box.call("GET", "/_sandbox/health"))["status"] == "ok"   # the first one serves on

    # killed with SIGKILL, the first leaves its lock file behind, but no lock: a restart works
    assert await box.stop(signal.SIGKILL) == -signal.SIGKILL
    assert (tmp_path / "world.db.lock").exists()
    box = await Sandbox(db, tmp_path / "serve.log").start()
    assert (await box.call("GET", "/_sandbox/health"))["status"] == "ok"
    assert await box.stop(signal.SIGTERM) == 0
