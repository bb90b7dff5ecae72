"""`mockserver certify` against examples/shop, for both providers it takes payments through: the
shop scores full marks; three deliberately broken copies of it each fail the checks naming their
fault (no signature check, acting on every copy, an acknowledgement its provider does not take)."""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from mockserver.certify.report import line, score
from mockserver.certify.run import certify
from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.runner import client_session

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
ORDERS = {"cryptopayment": {"amount_usd": "50", "network": "trc20"},
          "alchemypay": {"amount_usd": "100", "provider": "alchemypay"}}
REFUSALS = {"refuses-tampered-copy", "refuses-bad-signature", "refuses-missing-signature",
            "refuses-another-merchants-key", "refuses-stale-timestamp"}
ONCE = {"once-on-retry", "once-on-two-at-once", "same-with-keys-reordered", "same-with-unknown-fields"}
ACKNOWLEDGED = ONCE | {"acknowledges-genuine", "never-moves-backwards", "acknowledges-unknown-object"}


def _variants():
    from shop import Shop

    class NoSignatureCheck(Shop):
        """Takes every webhook at its word."""

        def __init__(self, settings):
            super().__init__(settings)
            self.alchemypay.genuine = lambda timestamp, path, raw: json.loads(raw)

        def signature_ok(self, event):
            return True

    class NotIdempotent(Shop):
        """Acts on every copy: each one is recorded as a new payment event."""

        def first_time(self, order, notice, record=False):
            return True

    class WrongAcknowledgement(Shop):
        """Means "got it", says it in a shape its provider does not take: 200 "OK" to Alchemy Pay
        (which stops only on `success`), 202 to CryptoPayment.center (which stops only on 200,
        whatever the body)."""

        def acknowledgement(self, provider, status):
            if status != 200:
                return super().acknowledgement(provider, status)
            return (200, "OK") if provider == "alchemypay" else (202, {"ok": True})

    return {"shop": Shop, "no signature check": NoSignatureCheck, "not idempotent": NotIdempotent,
            "wrong acknowledgement": WrongAcknowledgement}


def _expected(variant: str, provider: str) -> set[str]:
    stale = {"refuses-stale-timestamp"} if provider == "alchemypay" else set()
    return {"shop": set(), "no signature check": (REFUSALS - {"refuses-stale-timestamp"}) | stale,
            "not idempotent": ONCE, "wrong acknowledgement": ACKNOWLEDGED}[variant]


async def _certify(base: str, provider: str, handler: str, invoice: str, state_url: str):
    async with client_session() as session:
        return await certify(SandboxClient(base, session), provider, handler, objects=[invoice],
                             state_url=state_url, say=lambda text: None)


@pytest.mark.parametrize("provider", sorted(ORDERS))
@pytest.mark.parametrize("variant", ["shop", "no signature check", "not idempotent", "wrong acknowledgement"])
def test_the_shop_scores_full_marks_and_each_broken_copy_fails_its_checks(sandbox, monkeypatch, variant, provider):
    monkeypatch.syspath_prepend(str(SHOP))
    from shop import Settings, ShopServer
    crypto, card = sandbox.merchant("cryptopayment"), sandbox.merchant("alchemypay")
    settings = Settings(base_url=sandbox.url("cryptopayment"), api_key=crypto["api_key"],
                        api_secret=crypto["api_secret"], app_key=crypto["app_key"],
                        alchemypay_base_url=sandbox.url("alchemypay"), alchemypay_app_id=card["app_id"],
                        alchemypay_app_secret=card["app_secret"])
    server = ShopServer(_variants()[variant](settings)).start()
    try:
        handler = f"{server.url}/webhooks/{provider}"
        sandbox.set_webhook(provider, handler, timeout=5)
        order = server.shop.place_order(**ORDERS[provider])          # the shop's own order
        targets, results = asyncio.run(_certify(sandbox.base_url, provider, handler, order.invoice_id,
                                                server.url + "/orders/{reference}"))
    finally:
        server.stop()
    report = "\n".join([f"# {variant}, {provider}", *(line(r) for r in results), score(results)])
    if os.environ.get("CERTIFY_REPORT_DIR"):   # the output, for whoever wants to read it whole
        Path(os.environ["CERTIFY_REPORT_DIR"], f"{provider}-{variant.replace(' ', '-')}.txt").write_text(report + "\n")
    failed = {r.name for r in results if not r.ok}
    assert targets[0].created_by == "your app" and targets[0].reference == order.id
    assert failed == _expected(variant, provider), report
    assert len(results) == (12 if provider == "alchemypay" else 11)
    if variant == "wrong acknowledgement":
        assert all("not acknowledged: the provider's rule is" in r.problem for r in results if not r.ok)
    if variant == "not idempotent":
        assert all("acted again" in r.problem and "events" in r.problem for r in results if not r.ok)
    if variant == "no signature check":
        assert all(r.problem.startswith(("acknowledged", "refused, but acted on")) for r in results if not r.ok)
