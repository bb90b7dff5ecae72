"""Merchant mode: the runner delivers real signed webhooks to a merchant's own handler and checks
its answers (acknowledged in time, forgery rejected, duplicate acknowledged)."""
import asyncio
from pathlib import Path

from aiohttp import web

from mockserver.scenarios.runner import load_all, run_all

from scenario_helpers import signature_ok

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "cryptopayment" / "merchant_webhook_handler.yaml"


class Merchant:
    """A merchant's webhook endpoint, written as the provider's docs tell merchants to."""

    def __init__(self, check_signature=True, delay=0.0):
        self.check_signature, self.delay = check_signature, delay
        self.events: list[tuple[str, str]] = []
        self.processed: set[tuple[str, str]] = set()
        self.answers: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow handler, measured against the webhook timeout
        if self.check_signature and not signature_ok(body):
            self.answers.append(400)
            return web.Response(status=400, text="Invalid signature")
        data = await request.json()
        key = (data["invoice_id"], data["event"])
        self.events.append(key)
        self.processed.add(key)  # idempotent: a duplicate changes nothing and is acknowledged
        self.answers.append(200)
        return web.Response(text="OK")


async def _run(merchant: Merchant, monkeypatch, timeout="2s", paths=(SCENARIO,), tags=("merchant",)):
    app = web.Application()
    app.router.add_post("/webhooks/cryptopayment", merchant.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setenv("WEBHOOK_URL", f"http://127.0.0.1:{port}/webhooks/cryptopayment")
    monkeypatch.setenv("WEBHOOK_TIMEOUT", timeout)
    try:
        scenarios, broken = load_all(paths, tags=tags)
        assert not broken
        results = await run_all(scenarios)
    finally:
        await runner.cleanup()
    return results[0] if len(results) == 1 else results


async def test_correct_handler_passes(monkeypatch):
    merchant = Merchant()
    result = await _run(merchant, monkeypatch)
    assert result.ok, result.text(verbose=True)
    assert merchant.answers == [200, 200, 400, 200]  # detected, confirmed, forged copy, duplicate
    assert [event for _, event in merchant.events] == ["payment.detected", "payment.confirmed", "payment.confirmed"]


async def test_handler_that_skips_signature_check_is_caught(monkeypatch):
    result = await _run(Merchant(check_signature=False), monkeypatch)
    assert not result.ok
    step = result.failed_step
    assert step.label == "resend a copy with a forged signature is rejected"
    assert "was acknowledged" in step.problem and "body field signature" in step.problem


async def test_handler_slower_than_the_timeout_is_caught(monkeypatch):
    result = await _run(Merchant(delay=0.3), monkeypatch, timeout="100ms")
    assert not result.ok
    step = result.failed_step
    assert step.index == 3 and "delivery is pending, expected delivered" in step.problem
    assert "'answers': ['timeout']" in step.got


async def test_whole_merchant_library_against_a_real_handler(monkeypatch):
    """Every story that delivers to ${WEBHOOK_URL} (the handler story is the one tagged merchant)."""
    merchant = Merchant()
    results = await _run(merchant, monkeypatch, paths=(SCENARIO.parent,), tags=())
    assert len(results) >= 7 and all(r.ok for r in results), "\n".join(r.text() for r in results)
    assert 400 in merchant.answers and merchant.answers.count(200) >= 10
