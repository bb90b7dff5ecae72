"""examples/shop, the runnable example merchant: its own suite runs green, as its CI would run it."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("WEBHOOK_URL", "PYTEST_ADDOPTS")}


def test_the_example_shop_suite_passes():
    # its own pyproject is its rootdir and config; a subprocess keeps its `shop` package and
    # conftest apart from this suite's
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=SHOP,
                            env=_clean_env(), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 10, result.stdout[-2000:]
    assert not re.search(r"\d+ (failed|errors?)\b", result.stdout), result.stdout[-2000:]


def test_the_merchant_scenario_catches_a_handler_with_the_wrong_key(monkeypatch):
    """The scenario really reaches the shop's handler: one verifying with the wrong APP_KEY fails it."""
    monkeypatch.syspath_prepend(str(SHOP))
    from shop import Settings, Shop, ShopServer
    server = ShopServer(Shop(Settings(app_key="d3Jvbmcta2V5"))).start()
    try:
        env = {**_clean_env(), "WEBHOOK_URL": f"{server.url}/webhooks/cryptopayment"}
        result = subprocess.run([sys.executable, "-m", "mockserver.cli", "run", "scenarios/"],
                                cwd=SHOP, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout and "a partial payment is acknowledged at once" in result.stdout


def test_the_ci_workflow_installs_the_sandbox_and_runs_both_suites():
    workflow = yaml.safe_load((SHOP / ".github" / "workflows" / "ci.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    assert any("pip install" in r and "provider-sandbox" in r for r in runs)
    assert any(r.startswith("pytest") for r in runs)
    assert any("python -m shop" in r and "mockserver run --tag merchant" in r for r in runs)


def test_the_root_suite_does_not_collect_the_example(pytestconfig):
    assert not any(p.startswith("examples") for p in pytestconfig.getini("testpaths"))
