"""examples/shop, the runnable example merchant: its own suite runs green, as its CI would run it."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def _free_ports(count: int) -> list[int]:
    import socket
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.slow(reason="the CI recipe as CI runs it: a served sandbox and the shop in their own processes, "
                        "then two certify runs (each drives an order and sends 11-12 checks): 6 s alone, more under load")
def test_the_ci_recipe_certifies_both_of_the_shops_handlers(tmp_path):
    """The README's "Certify your handler" recipe, as the shop's CI runs it: a served sandbox, the
    shop against it, an order of the shop's own per provider, `mockserver certify --junit`."""
    import shutil
    import xml.etree.ElementTree as ET
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("the recipe needs bash and curl")
    workflow = yaml.safe_load((SHOP / ".github" / "workflows" / "ci.yml").read_text())
    [script] = [s["run"] for s in workflow["jobs"]["test"]["steps"] if "mockserver certify" in s.get("run", "")]
    sandbox_port, shop_port = _free_ports(2)   # the recipe's fixed ports, made free ones here
    assert "SANDBOX_PORT=8080 SHOP_PORT=8000" in script
    script = script.replace("SANDBOX_PORT=8080 SHOP_PORT=8000", f"SANDBOX_PORT={sandbox_port} SHOP_PORT={shop_port}")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "mockserver").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mockserver.cli "$@"\n')
    (tools / "mockserver").chmod(0o755)
    for name in ("python", "python3"):
        (tools / name).symlink_to(sys.executable)
    env = {**_clean_env(), "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(SHOP)}
    env = {k: v for k, v in env.items() if not k.startswith("SANDBOX_")}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "score 11/11" in result.stdout and "score 12/12" in result.stdout, result.stdout[-4000:]
    for provider, checks in (("cryptopayment", 11), ("alchemypay", 12)):
        suite = ET.parse(tmp_path / "reports" / f"certify-{provider}.xml").getroot().find("testsuite")
        cases = suite.findall("testcase")
        assert len(cases) == checks and suite.get("failures") == "0"
        assert {c.get("name") for c in cases} >= {"refuses-bad-signature", "once-on-retry", "acknowledges-genuine"}


def test_on_a_running_sandbox_the_merchant_scenario_uses_the_shops_own_order(sandbox, monkeypatch):
    """`await: create`: the runner asks the shop for an order (CHECKOUT_URL) and waits for its invoice."""
    monkeypatch.syspath_prepend(str(SHOP))
    from shop import Settings, Shop, ShopServer
    tenant = f"{sandbox.base_url}/t/shop-ci"
    server = ShopServer(Shop(Settings(base_url=f"{tenant}/cryptopayment/api/v1"))).start()
    try:
        env = {**_clean_env(), "WEBHOOK_URL": f"{server.url}/webhooks/cryptopayment",
               "CHECKOUT_URL": f"{server.url}/orders"}
        result = subprocess.run([sys.executable, "-m", "mockserver.cli", "run", "--server", sandbox.base_url,
                                 "--tenant", "shop-ci", "scenarios/"], cwd=SHOP, env=env, capture_output=True,
                                text=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created by your app (triggered by POST" in result.stdout
    [order] = server.shop.orders.values()
    assert order.status == "paid" and order.events == ["payment.detected", "payment.detected", "payment.confirmed"]
