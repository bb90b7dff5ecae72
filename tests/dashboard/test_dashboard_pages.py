"""The dashboard without a browser: routes, partial refresh, the event stream's version, the
tampered copy, and every provider's dashboard hooks (verbs, objects, views)."""
from __future__ import annotations

import json

import pytest

from mockserver.providers.registry import load_providers

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
PROVIDERS = load_providers()


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_simulation_verb_is_offered_with_its_parameters(name):
    provider = PROVIDERS[name]
    offered = set(provider.simulation_params)
    assert offered <= set(provider.simulations), offered - set(provider.simulations)
    assert set(provider.simulations) - {"state"} <= offered, set(provider.simulations) - {"state"} - offered
    for verb, spec in provider.simulation_params.items():
        assert spec.get("presets") or spec.get("fields"), f"{name}.{verb} offers no button"


async def _invoice(client, amount_usd=50):
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                             json={"network": "trc20", "amount_usd": amount_usd, "order_id": "ORD-9"})
    assert resp.status == 201
    return (await resp.json())["invoice"]


async def test_root_leads_to_the_dashboard(client):
    resp = await client.get("/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/_sandbox/ui/"
    resp = await client.get("/_sandbox/ui/")
    assert resp.status == 200 and resp.content_type == "text/html"
    text = await resp.text()
    assert "CryptoPayment.center" in text and "dashboard.js" in text
    assert "http://" not in text.replace(str(client.make_url("")).rstrip("/"), "")  # nothing external


async def test_object_page_and_its_live_block_show_the_api_numbers(client):
    invoice = await _invoice(client)
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice["id"], "kind": "partial"})
    url = f"/_sandbox/ui/p/cryptopayment/invoice/{invoice['id']}"
    whole = await (await client.get(url)).text()
    live = await (await client.get(url, headers={"X-Dashboard-Partial": "1"})).text()
    assert "<html" in whole and "<html" not in live
    assert 'id="amount-paid">25.00 USDT' in live and 'id="amount-under">25.00 USDT' in live
    assert "chain.transfer" in live and "Pay the remainder" in whole
    missing = await client.get("/_sandbox/ui/p/cryptopayment/invoice/nope")
    assert missing.status == 404


async def test_pay_remainder_pays_what_is_owed_and_nothing_after(client):
    invoice = await _invoice(client, amount_usd=30)
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice["id"], "amount": "10"})
    resp = await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice["id"], "kind": "remainder"})
    body = await resp.json()
    assert body["transfer"]["amount"] == "20.00" and body["invoice"]["status"] == "confirming"
    again = await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice["id"], "kind": "remainder"})
    assert again.status == 409


async def test_event_version_changes_when_the_world_does(client):
    first = (await (await client.get("/_sandbox/ui/events")).json())["version"]
    await client.post("/_sandbox/clock/advance", json={"by": "1m"})
    second = (await (await client.get("/_sandbox/ui/events")).json())["version"]
    assert first != second


async def test_tampered_copy_reaches_the_merchant_and_fails_verification(client, world, receiver):
    rx = await receiver([200])
    await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": rx.url})
    invoice = await _invoice(client)
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice["id"]})
    await rx.wait_for_requests(1)
    delivery = (await (await client.get("/_sandbox/deliveries")).json())[0]
    page = await (await client.get(f"/_sandbox/ui/deliveries/{delivery['id']}")).text()
    assert "verifies with merchant 0" in page and "&#34;invoice_id&#34;: " in page   # pretty, not escaped JSON
    resp = await client.post(f"/_sandbox/ui/deliveries/{delivery['id']}/tampered")
    answer = await resp.json()
    assert resp.status == 200 and answer["status"] == 200 and answer["changed"]
    assert len(rx.requests) == 2
    provider, merchant = PROVIDERS["cryptopayment"], world.backend("cryptopayment").merchants[0]
    assert provider.verify_webhook(merchant, rx.requests[0]["headers"], rx.requests[0]["body"])
    assert not provider.verify_webhook(merchant, rx.requests[1]["headers"], rx.requests[1]["body"])
    assert json.loads(rx.requests[1]["body"])["invoice_id"] == invoice["id"]


@pytest.mark.parametrize("page", ["/_sandbox/ui/deliveries", "/_sandbox/ui/journal", "/_sandbox/ui/inbox",
                                  "/_sandbox/ui/p/alt5pay", "/_sandbox/ui/p/alchemypay",
                                  "/_sandbox/ui/p/alfabit", "/_sandbox/ui/p/alppay"])
async def test_every_page_renders(client, page):
    resp = await client.get(page)
    assert resp.status == 200 and "</html>" in await resp.text()


async def test_the_dashboard_is_under_the_admin_guard(aiohttp_client):
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    client = await aiohttp_client(build_app(SandboxConfig(seed=1, admin_token="t0ken")))
    assert (await client.get("/_sandbox/ui/")).status == 401
    assert (await client.get("/_sandbox/ui/deliveries")).status == 401
    assert (await client.get("/_sandbox/ui/events")).status == 401
    page = await client.get("/_sandbox/ui/", headers={"Authorization": "Bearer t0ken"})
    assert page.status == 200
    assert "c2FuZGJveC1hcHAta2V5LWZvci13ZWJob29rcy0wMDE=" in await page.text()   # secrets to the token holder
    # the page's own writes are JSON: a form-encoded (cross-site-able) post is refused
    form = await client.post("/_sandbox/ui/deliveries/x/tampered", data="a=1",
                             headers={"Authorization": "Bearer t0ken",
                                      "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 415
    cross = await client.post("/_sandbox/clock/advance", json={"by": "1m"},
                              headers={"Authorization": "Bearer t0ken", "Origin": "http://evil.example"})
    assert cross.status == 403


async def test_on_loopback_without_a_token_the_credentials_are_shown_for_copying(client):
    page = await client.get("/_sandbox/ui/")
    assert page.status == 200
    assert "sk_sandbox_9a8b7c6d5e4f3a2b1c0d" in await page.text()


def test_without_chromium_browser_tests_skip_locally_and_fail_in_ci(monkeypatch, tmp_path):
    from browser_support import chromium_path, need_browser
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert chromium_path() is None
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        need_browser("Chromium not found")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="mandatory in CI"):
        need_browser("Chromium not found")
