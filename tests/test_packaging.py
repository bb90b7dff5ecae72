"""What a merchant team installs: the wheel carries its data, an installed sandbox serves every
provider, a missing contract set stops start-up, the server needs no test tools.

The full install into a fresh venv (dependencies as a user gets them) is tests/wheel_smoke.py,
run by .ci/run after the suite; here the same wheel is unpacked onto PYTHONPATH, which takes seconds.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from wheel_smoke import REPO, build_wheel, drive

from mockserver.cli import main

pytestmark = pytest.mark.slow(reason="builds the wheel and installs it in a fresh venv outside the repository")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"), isolated=False)


def _shipped(folder: str) -> set[str]:
    return {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_carries_contracts_scenarios_and_page_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("contracts", "scenarios"):
        expected = {f"mockserver/_data/{name}" for name in _shipped(folder)}
        assert expected and expected <= names, sorted(expected - names)[:5]
    data_beside_code = {name for name in _shipped("mockserver") if not name.endswith((".py", ".pyc"))}
    assert data_beside_code <= names, sorted(data_beside_code - names)  # templates, pages, anything
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_server_install_needs_no_test_tools(wheel):
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}"
                                           ".dist-info/METADATA").decode()
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not [r for r in runtime if r.lower().startswith(("pytest", "freezegun", "requests"))], runtime
    plugin = [r for r in requires if 'extra == "pytest"' in r]
    assert any(r.startswith("pytest>=") for r in plugin) and any(r.startswith("pytest-asyncio") for r in plugin)
    assert "License-Expression: MIT" in metadata


def test_installed_wheel_serves_every_provider_from_its_own_data(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    away = tmp_path / "elsewhere"  # not the checkout: nothing beside the package to fall back on
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_CONTRACTS"}
    env["PYTHONPATH"] = str(site)  # ahead of the editable install of the checkout
    problems = drive(sys.executable, [sys.executable, "-m", "mockserver.cli"], away, env)
    assert not problems, "\n".join(problems)


def test_serve_without_contracts_stops_with_a_clear_message(tmp_path):
    env = {**os.environ, "SANDBOX_CONTRACTS": str(tmp_path / "missing")}
    proc = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("cannot start: no contracts for ")
    assert str(tmp_path / "missing") in proc.stderr and "SANDBOX_CONTRACTS" in proc.stderr
    assert "provider-sandbox on" not in proc.stdout


def test_unreadable_contract_stops_start_up(tmp_path):
    broken = tmp_path / "contracts"
    for provider in (REPO / "contracts").iterdir():
        (broken / provider.name).mkdir(parents=True)
        for path in provider.glob("*.json"):
            (broken / provider.name / path.name).write_bytes(path.read_bytes())
    (broken / "alppay" / "error.json").write_text("{ not json")
    env = {**os.environ, "SANDBOX_CONTRACTS": str(broken)}
    proc = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert f"cannot read contract {broken / 'alppay' / 'error.json'}" in proc.stderr


def test_contracts_command_without_contracts_is_an_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "cryptopayment").mkdir()  # there, but empty
    monkeypatch.setenv("SANDBOX_CONTRACTS", str(tmp_path))
    assert main(["contracts", "cryptopayment"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"no contracts for cryptopayment: {tmp_path / 'cryptopayment'} has no *.json" in err


async def test_health_says_which_contracts_are_loaded(client):
    body = await (await client.get("/_sandbox/health")).json()
    assert set(body["contracts"]) == set(body["providers"])
    for provider, info in body["contracts"].items():
        folder = REPO / "contracts" / provider
        assert info == {"directory": str(folder), "count": len(list(folder.glob("*.json")))}


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"provider-sandbox {version('provider-sandbox')}"


def test_license_file_matches_the_declared_license():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "2026 provider-sandbox contributors" in text
    assert 'license = "MIT"' in (REPO / "pyproject.toml").read_text()


def test_run_library_runs_the_shipped_stories(capsys):
    assert main(["run", "-q", "--library", "cryptopayment", "--tag", "payment"]) == 0
    out = capsys.readouterr().out
    assert "exact payment is detected, then confirmed" in out and "0 failed" in out
    assert str(REPO / "scenarios" / "cryptopayment") in out  # a checkout reads its own library


def test_run_library_names_the_providers_it_has(capsys):
    assert main(["run", "--library", "paypal"]) == 2
    err = capsys.readouterr().err
    assert "no library stories for paypal" in err and "cryptopayment" in err


def test_run_in_process_without_contracts_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SANDBOX_CONTRACTS", str(tmp_path))
    assert main(["run", "-q", "--library", "cryptopayment"]) == 2
    assert "cannot start the sandbox: no contracts for " in capsys.readouterr().err
