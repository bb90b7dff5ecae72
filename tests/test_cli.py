"""The command line as a user runs it: a real process, a real port, a real config file."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

CONFIG = """
seed: 99
clock: virtual
start: 2025-03-01T12:00:00Z
providers:
  cryptopayment:
    merchants:
      - api_key: pk_from_config
        api_secret: sk_from_config
        webhook_url: http://127.0.0.1:9/hook
"""


def _start(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:  # the banner ends with the admin API line
        lines.append(line.rstrip())
        if "Admin API" in line:
            break
    return proc, lines


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:  # loopback only
        return json.loads(resp.read())


def test_serve_port_zero_with_config_prints_base_urls_and_credentials(tmp_path: Path):
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text(CONFIG)
    proc, lines = _start("--port", "0", "--config", str(cfg))
    try:
        banner = "\n".join(lines)
        assert "seed 99" in banner and "2025-03-01T12:00:00+00:00" in banner
        origin = banner.split(" on ", 1)[1].split()[0]
        assert origin.startswith("http://127.0.0.1:") and not origin.endswith(":0")
        assert f"{origin}/cryptopayment/api/v1" in banner
        assert "Bearer pk_from_config:sk_from_config" in banner
        assert f"  Dashboard                    {origin}/_sandbox/ui/" in lines
        with urllib.request.urlopen(origin + "/_sandbox/ui/", timeout=5) as resp:  # loopback only
            assert resp.status == 200 and b"<html" in resp.read().lower()
        health = _get(origin + "/_sandbox/health")
        assert health["seed"] == 99 and health["clock"]["mode"] == "virtual"
        merchants = _get(origin + "/_sandbox/providers")["cryptopayment"]["merchants"]
        assert merchants[0]["webhook_url"] == "http://127.0.0.1:9/hook"
        assert merchants[0]["app_key"]  # filled in from the provider's default merchant
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_seed_flag_overrides_config_and_makes_ids_deterministic(tmp_path: Path):
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text(CONFIG)
    proc, lines = _start("--port", "0", "--config", str(cfg), "--seed", "7")
    try:
        assert "seed 7" in lines[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("text, message", [
    ("colour: blue\n", "bad.yaml:1: unknown key 'colour'"),
    ("clock: sideways\n", "bad.yaml:1: clock: unknown value 'sideways'"),
    ("port: 1\nstart: yesterday\n", "bad.yaml:2: start is not an ISO 8601 instant"),
    ("- just\n- a list\n", "bad.yaml:1: the config is a mapping"),
])
def test_bad_config_is_a_clear_error_not_a_traceback(tmp_path: Path, text: str, message: str, capsys):
    """Each error through `main` (a process's start is most of the time here); a real process
    below exits the same way."""
    from mockserver.cli import main
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    assert main(["serve", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_real_process_with_a_bad_config_exits_2_with_one_line(tmp_path: Path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("clock: sideways\n")
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"{cfg}:1: clock: unknown value 'sideways' (known: realtime, virtual)\n"


def test_contracts_command_validates_documents(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"network": "trc20", "amount_usd": 50.00, "order_id": "ORD-1"}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"network": "doge", "amount_usd": 0.5}))
    run = lambda *a: subprocess.run([sys.executable, "-m", "mockserver.cli", "contracts", *a],
                                    capture_output=True, text=True, timeout=30)
    listed = run("cryptopayment")
    assert listed.returncode == 0 and "invoice-create.request" in listed.stdout.split()
    ok = run("cryptopayment", "invoice-create.request", str(good))
    assert ok.returncode == 0 and "ok" in ok.stdout
    failed = run("cryptopayment", "invoice-create.request", str(bad))
    assert failed.returncode == 1
    assert "/network" in failed.stdout and "#/properties/network/enum" in failed.stdout
    assert run("nosuchprovider").returncode == 2


def test_without_a_seed_the_banner_says_it_was_drawn():
    proc, lines = _start("--port", "0")
    try:
        assert "drawn: a fresh one on each reset and tenant unless --seed" in lines[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("argv", [
    ["deliveries", "--json"], ["deliveries"], ["advance", "1m"], ["trigger", "cryptopayment", "expire"],
    ["contracts", "cryptopayment"], ["run", "--schema"], ["openapi", "alppay"], ["--help"]])
def test_a_reader_that_stops_early_ends_every_verb_quietly(argv, running):
    """`mockserver deliveries --json | head -1`: the pipe is closed before the verb writes (as
    after head's first line), so every write meets EPIPE."""
    if argv[0] in ("deliveries", "advance", "trigger"):
        argv = [*argv, "--server", running]
    proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 141), err.decode()
    assert err.decode() == ""     # no BrokenPipeError, no "Exception ignored"


def test_contracts_knows_the_providers_by_their_folders():
    """`contracts` checks the provider's name against the folders of mockserver/providers without
    importing them: each folder is named as the provider it holds."""
    from mockserver.providers.registry import provider_names
    from mockserver.providers.registry import load_providers
    assert provider_names() == set(load_providers())
