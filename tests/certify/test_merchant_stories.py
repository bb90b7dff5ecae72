"""Merchant mode on the merchant's own objects (`await: create`), `--tag merchant` selecting the
handler stories only, and `run --server` in a tenant of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from certify_handlers import Faults, Merchant
from mockserver.providers.registry import load_providers
from mockserver.scenarios.client import SandboxClient, tenant_url
from mockserver.scenarios.runner import InProcessSandbox, client_session, load_all, run_all

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
PROVIDERS = sorted(load_providers())


def test_tag_merchant_selects_exactly_the_handler_stories():
    scenarios, broken = load_all([LIBRARY], tags=["merchant"])
    assert not broken
    assert sorted(Path(s.file).relative_to(LIBRARY).as_posix() for s in scenarios) == [
        f"{p}/merchant_webhook_handler.yaml" for p in PROVIDERS]


async def _served():
    sandbox = InProcessSandbox()
    return sandbox, await sandbox.start()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_handler_story_passes_for_a_handler_that_answers_404_to_orders_it_does_not_know(
        provider, monkeypatch):
    """The app creates the object itself (asked through CHECKOUT_URL), in the tenant the run uses."""
    sandbox, base = await _served()
    try:
        async with client_session() as session:
            credentials = (await SandboxClient(base, session).providers())[provider]["merchants"][0]
            merchant = await Merchant(load_providers()[provider], credentials, Faults(unknown_is_404=True)).start()
            merchant.sandbox = SandboxClient(tenant_url(base, "shop"), session)
            monkeypatch.setenv("WEBHOOK_URL", merchant.url)
            monkeypatch.setenv("CHECKOUT_URL", merchant.checkout_url)
            try:
                scenarios, _ = load_all([LIBRARY / provider], tags=["merchant"])
                notes = []
                [result] = await run_all(scenarios, server=base, tenant="shop",
                                         on_note=lambda scenario, text: notes.append(text))
                assert result.ok, result.text(verbose=True)
                assert "created by your app" in result.steps[[s.label for s in result.steps].index(
                    next(s.label for s in result.steps if s.label.startswith("await")))].summary
                assert notes and "waiting up to 60s for your app" in notes[0]
                # in-process, no app can reach the sandbox: the runner makes the order, the handler 404s it
                monkeypatch.delenv("CHECKOUT_URL")
                merchant.known.clear()    # the same seed makes the same ids: forget the app's own
                [alone] = await run_all(scenarios)
                assert not alone.ok and "created by the runner" in alone.steps[0 if provider != "alchemypay" else 1].summary
            finally:
                await merchant.close()
    finally:
        await sandbox.close()


async def test_an_app_that_never_creates_the_object_fails_the_wait_saying_where(monkeypatch):
    sandbox, base = await _served()
    try:
        monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:9/webhooks")
        monkeypatch.setenv("CREATE_TIMEOUT", "0.3s")
        scenarios, _ = load_all([LIBRARY / "cryptopayment" / "merchant_webhook_handler.yaml"])
        [result] = await run_all(scenarios, server=base, tenant="idle")
        step = result.failed_step
        assert step.index == 1 and "your app created no invoice within 0.3s" in step.problem
        assert f"{base}/t/idle/cryptopayment/api/v1" in step.expected
    finally:
        await sandbox.close()


async def test_run_against_a_server_without_a_tenant_leaves_every_other_world_alone():
    sandbox, base = await _served()
    events = []
    try:
        async with client_session() as session:
            root = SandboxClient(base, session)
            provider = load_providers()["cryptopayment"]
            merchant = (await root.providers())["cryptopayment"]["merchants"][0]
            await root.call(provider, merchant, "POST", "/invoices", json_body={"network": "trc20", "amount_usd": 5})
            await root.advance("7m")
            before = (await root.clock())["now"], await root.admin("GET", "/objects")
            passing, _ = load_all([LIBRARY / "cryptopayment" / "exact_payment.yaml"])
            results = await run_all(passing, server=base, on_tenant=lambda name, event: events.append((name, event)))
            assert results[0].ok, results[0].text(verbose=True)
            name = events[0][0]
            assert name.startswith("run-") and events == [(name, "created"), (name, "deleted")]
            after = (await root.clock())["now"], await root.admin("GET", "/objects")
            assert before[0] == after[0] and before[1].json() == after[1].json()
            tenants = (await root.admin("GET", "/tenants")).json()["tenants"]
            assert name not in [t["name"] for t in tenants]
            # a failing run keeps its tenant, for a look at what happened
            failing, _ = load_all([LIBRARY / "cryptopayment" / "exact_payment.yaml"])
            failing[0].steps[-1].arg = {"event": "never.sent"}
            failing[0].steps[-1].verb = "expect_webhook"
            events.clear()
            [bad] = await run_all(failing, server=base, on_tenant=lambda name, event: events.append((name, event)))
            assert not bad.ok and events[-1][1] == "kept"
            assert events[-1][0] in [t["name"] for t in (await root.admin("GET", "/tenants")).json()["tenants"]]
    finally:
        await sandbox.close()
