"""`mockserver serve` off loopback: a warning, a generated admin token, and the token enforced."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request


def _start(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if "/_sandbox/login?token=" in line:  # the banner's last line when there is a token
            break
    return proc, lines


def _status(url: str, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:  # loopback only
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_binding_every_interface_warns_and_generates_a_token():
    proc, lines = _start("--host", "0.0.0.0")
    try:
        banner = "\n".join(lines)
        assert "WARNING: listening on 0.0.0.0" in banner
        assert "admin token (generated for this run)" in banner
        token = banner.split("Authorization: Bearer ")[-1].split("'")[0]
        assert len(token) >= 24
        port = banner.split(" on ", 1)[1].split()[0].rsplit(":", 1)[1]
        base = f"http://127.0.0.1:{port}"
        assert "0.0.0.0:" not in banner        # links a browser can open, not the wildcard bind
        assert f"Dashboard                    {base}/_sandbox/ui/" in banner
        assert f"open {base}/_sandbox/login?token=" in banner
        status, body = _status(base + "/_sandbox/providers")
        assert status == 401 and "sk_sandbox" not in json.dumps(body)
        status, body = _status(base + "/_sandbox/health", {"Authorization": f"Bearer {token}"})
        assert status == 200 and body["status"] == "ok"
        status, _ = _status(base + "/_sandbox/health", {"Host": "rebound.example", "X-Sandbox-Token": token})
        assert status == 421
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_given_token_is_used_and_loopback_prints_no_warning():
    proc, lines = _start("--admin-token", "let-me-in")
    try:
        banner = "\n".join(lines)
        assert "WARNING: listening" not in banner and "let-me-in" in banner
        port = banner.split(" on ", 1)[1].split()[0].rsplit(":", 1)[1]
        assert _status(f"http://127.0.0.1:{port}/_sandbox/clock")[0] == 401
        assert _status(f"http://127.0.0.1:{port}/_sandbox/clock", {"X-Sandbox-Token": "let-me-in"})[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_banner_links_use_the_public_url():
    proc, lines = _start("--host", "0.0.0.0", "--public-url", "https://sandbox.example.com")
    try:
        banner = "\n".join(lines)
        assert lines[0].startswith("provider-sandbox on http://127.0.0.1:")   # where this machine reaches it
        assert "Dashboard                    https://sandbox.example.com/_sandbox/ui/" in banner
        assert "https://sandbox.example.com/cryptopayment/api/v1" in banner
        assert "0.0.0.0:" not in banner
    finally:
        proc.terminate()
        proc.wait(timeout=10)
