"""Two scenario suites at once on one shared sandbox, each in its own tenant: neither sees the other."""
import asyncio
import json
import urllib.request
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.scenarios.runner import load_all, run_all

pytest_plugins = ["pytester"]
LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str):
    with NO_PROXY.open(url, timeout=30) as resp:
        return json.loads(resp.read())


async def test_two_suites_concurrently_in_two_tenants(running):
    # the same seed in both libraries' files: without tenants the two would reset each other
    suite_a, broken_a = load_all([str(LIBRARY / "cryptopayment")])
    suite_b, broken_b = load_all([str(LIBRARY / "alt5pay")])
    assert not broken_a and not broken_b and len(suite_a) >= 10 and len(suite_b) >= 10
    results_a, results_b = await asyncio.gather(run_all(suite_a, server=running, tenant="a"),
                                                run_all(suite_b, server=running, tenant="b"))
    failed = [r.text(verbose=True) for r in results_a + results_b if not r.ok]
    assert not failed, "\n".join(failed)
    print(f"\ntenant a: {len(results_a)} cryptopayment scenarios passed; "
          f"tenant b: {len(results_b)} alt5pay scenarios passed, concurrently")
    for tenant, own in (("a", "cryptopayment"), ("b", "alt5pay")):
        deliveries = _get(f"{running}/t/{tenant}/_sandbox/deliveries")
        journal = _get(f"{running}/t/{tenant}/_sandbox/journal")
        assert deliveries and {d["provider"] for d in deliveries} == {own}
        assert {e["provider"] for e in journal if e["kind"] == "api"} == {own}
    assert not [e for e in _get(f"{running}/_sandbox/journal") if e["kind"] == "api"]  # default untouched
    names = {t["name"] for t in _get(f"{running}/_sandbox/tenants")["tenants"]}
    assert {"a", "b"} <= names


@pytest.mark.parametrize("provider", ["alchemypay", "alfabit", "alppay"])
def test_every_other_provider_library_passes_inside_a_tenant(running, provider):
    assert main(["run", "-q", "--server", running, "--tenant", f"lib-{provider}",
                 str(LIBRARY / provider)]) == 0


def test_plugin_runs_scenarios_and_fixture_in_a_tenant(pytester, running):
    pytester.makefile(".yaml", **{"scenarios/story": """\
scenario: an invoice in my tenant
provider: cryptopayment
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 5}
    expect: {status: 201, json: {checkout_url: {$regex: "/t/plug/cryptopayment/pay/"}}}
"""})
    pytester.makepyfile(test_fixture="""
def test_fixture_is_in_the_tenant(sandbox):
    assert "/t/plug/cryptopayment/" in sandbox.url("cryptopayment")
""")
    result = pytester.runpytest("-p", "no:randomly", "--sandbox-server", running, "--sandbox-tenant", "plug")
    result.assert_outcomes(passed=2)
    assert "plug" in {t["name"] for t in _get(f"{running}/_sandbox/tenants")["tenants"]}
