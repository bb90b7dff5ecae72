"""The live console of `mockserver serve`: a real process, real calls, its stdout read line by line."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import urllib.request
from datetime import datetime, timezone

import pytest

from mockserver.core.http.console import Console, mask_path, text_line
from mockserver.core.state.journal import Journal

KEY, SECRET = "pk_sandbox_4f3c2a1b9d8e7f60", "sk_sandbox_9a8b7c6d5e4f3a2b1c0d"
APP_KEY = "c2FuZGJveC1hcHAta2V5LWZvci13ZWJob29rcy0wMDE="
AUTH = {"Authorization": f"Bearer {KEY}:{SECRET}", "Content-Type": "application/json"}
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy


class Served:
    """`mockserver serve --port 0` with its stdout lines in a queue (a reader thread never blocks us)."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, predicate, timeout: float = 15.0) -> list[str]:
        """Lines read until one satisfies `predicate` (included)."""
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if predicate(line):
                return seen

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> int:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.origin + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with OPENER.open(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _story(served: Served) -> None:
    """A signed create, a call with a secret in its query, a payment whose webhook goes to the inbox."""
    served.call("PATCH", "/_sandbox/providers/cryptopayment/merchant",
                {"webhook_url": served.origin + "/_sandbox/inbox/console"})
    status, created = served.call("POST", "/cryptopayment/api/v1/invoices",
                                  {"network": "trc20", "amount_usd": 50, "order_id": "ORD-C1"}, AUTH)
    assert status == 201
    served.call("GET", f"/cryptopayment/api/v1/invoices?api_secret={SECRET}&limit=5", headers=AUTH)
    served.call("POST", "/_sandbox/simulate/cryptopayment/pay", {"invoice": created["invoice"]["id"]})


def test_text_console_prints_one_line_per_call_and_attempt_and_never_a_secret():
    served = Served()
    try:
        banner = served.until(lambda line: "Admin API" in line)
        served.origin = banner[0].split(" on ", 1)[1].split()[0]
        _story(served)
        lines = served.until(lambda line: " webhook " in line)
        create = next(line for line in lines if "POST /cryptopayment/api/v1/invoices" in line)
        time, provider, method, path, status, latency = create.split()
        assert provider == "cryptopayment" and method == "POST" and status == "201"
        assert datetime.strptime(time, "%H:%M:%S.%f") and latency.endswith("ms")
        assert any("GET /cryptopayment/api/v1/invoices?api_secret=***&limit=5 " in line for line in lines)
        attempt = lines[-1]
        assert " webhook dlv_000001 #1 cryptopayment payment.detected -> 200 " in attempt
        assert attempt.endswith(" delivered")
        # the banner shows the fake credentials on purpose (to copy); the console lines never do
        assert SECRET not in "\n".join(lines) and APP_KEY not in "\n".join(lines)
    finally:
        served.stop()


def test_json_console_is_json_lines_and_quiet_prints_nothing_per_call():
    served = Served("--log-format", "json")
    try:
        first = json.loads(served.until(lambda line: True)[0])
        assert first["kind"] == "listening"
        served.origin = first["url"]
        _story(served)
        lines = served.until(lambda line: '"webhook.attempt"' in line)
        entries = [json.loads(line) for line in lines]          # every line parses
        api = [e for e in entries if e["kind"] == "api"]
        assert {"at", "provider", "method", "path", "status", "latency_ms"} <= set(api[0])
        assert entries[-1]["delivery"] == "dlv_000001" and entries[-1]["acknowledged"] is True
        assert SECRET not in "\n".join(lines)
    finally:
        served.stop()
    quiet = Served("-q")
    try:
        banner = quiet.until(lambda line: "Admin API" in line)
        quiet.origin = banner[0].split(" on ", 1)[1].split()[0]
        _story(quiet)
        with pytest.raises(queue.Empty):
            quiet.lines.get(timeout=0.5)
    finally:
        quiet.stop()


def _entry(**fields) -> dict:
    journal = Journal(lambda: datetime(2025, 1, 15, 10, 1, tzinfo=timezone.utc))
    return journal.record(fields.pop("kind"), fields.pop("provider", "cryptopayment"), **fields)


def test_webhook_line_says_what_came_of_the_attempt():
    retry = _entry(kind="webhook.attempt", delivery="dlv_000001", attempt=2, event="payment.detected",
                   status=500, acknowledged=False, latency_ms=3.14, retry_at="2025-01-15T10:06:00+00:00")
    assert text_line(retry) == ("10:01:00.000 webhook dlv_000001 #2 cryptopayment payment.detected "
                                "-> 500 3.1ms (retry at 10:06:00)")
    last = _entry(kind="webhook.attempt", delivery="dlv_000002", attempt=11, event="x", error="timeout",
                  acknowledged=False)
    assert text_line(last).endswith("-> timeout (no more retries)")


def test_verbose_adds_other_kinds_masked_and_normal_skips_them():
    import io
    out = io.StringIO()
    Console(out, level=2)(_entry(kind="simulate", action="pay", api_key="pk_live"))
    assert "simulate" in out.getvalue() and "pk_live" not in out.getvalue()
    normal = io.StringIO()
    Console(normal)(_entry(kind="simulate", action="pay"))
    assert normal.getvalue() == ""
    assert mask_path("/a?sign=abc&x=1&accessToken=t") == "/a?sign=***&x=1&accessToken=***"


HANGING = """
scenario: the receiver never answers
provider: cryptopayment
webhook_url: builtin
webhook_timeout: 60s
receiver: {replies: [timeout]}
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 50, order_id: ORD-1}
    save: {invoice: invoice.id}
  - pay: "{invoice}"
"""


def test_run_streams_each_step_as_it_ends_and_ctrl_c_exits_130_without_a_traceback(tmp_path):
    import signal
    scenario = tmp_path / "hang.yaml"
    scenario.write_text(HANGING)
    # A job started in the background of a non-interactive shell (as CI may start the suite)
    # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler: give the
    # child the default disposition, as a terminal would.
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "run", str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        seen = []
        for line in proc.stdout:  # the step lines arrive while the scenario is still running
            seen.append(line.rstrip())
            if "call POST" in line:
                break
        assert seen[0].startswith("RUN   the receiver never answers")
        assert seen[1].startswith("  ok    1 call POST /invoices") and seen[1].endswith("-> 201")
        assert proc.poll() is None  # `pay` waits on the silent receiver (60 s)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err + out


def test_json_line_keeps_where_a_violation_is_but_not_its_message():
    from mockserver.core.http.console import json_line
    entry = _entry(kind="api", method="POST", path="/x", status=400,
                   violation={"contract": "c/req", "message": "'sk_live_123' is too long",
                              "schema_path": "/properties/k", "instance_path": "/k"})
    line = json.loads(json_line(entry))
    assert line["violation"] == {"contract": "c/req", "schema_path": "/properties/k", "instance_path": "/k"}
    assert "sk_live_123" not in json_line(entry)
