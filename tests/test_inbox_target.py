"""`inbox:NAME` webhook targets: this sandbox's built-in inbox, whatever port it listens on."""
from __future__ import annotations

import subprocess
import sys

import pytest

from mockserver.scenarios.loader import load_text

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


async def test_an_inbox_target_reaches_this_sandbox_on_its_own_port(client, world):
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_url": "inbox:shop?fail=2"})
    assert resp.status == 200 and (await resp.json())["webhook_url"] == "inbox:shop?fail=2"
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                             json={"network": "trc20", "amount_usd": 50.00})
    invoice = (await resp.json())["invoice"]["id"]
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice, "amount": 20})
    await client.post("/_sandbox/clock/advance", json={"by": "6m"})
    got = await (await client.get("/_sandbox/inbox/shop")).json()
    assert [g["answered"] for g in got] == [500, 500, 200]
    # the deliveries show where it really went: this test server's port, not 8080
    delivery = (await (await client.get(f"/_sandbox/deliveries?ref={invoice}")).json())[0]
    # (with the provider named, so the inbox acknowledges as that provider's rule wants)
    assert delivery["url"] == str(client.make_url("/_sandbox/inbox/shop?fail=2&provider=cryptopayment"))
    assert delivery["status"] == "delivered"


@pytest.mark.parametrize("provider", ["cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay"])
async def test_every_providers_delivery_to_the_inbox_is_acknowledged_by_its_own_rule(client, provider):
    """Alchemy Pay stops only on 200 with a `success` message: the inbox answers that to it."""
    from io import StringIO

    from mockserver.remote import trigger
    from mockserver.scenarios.client import SandboxClient
    from mockserver.scenarios.runner import client_session
    async with client_session() as session:
        sandbox = SandboxClient(str(client.make_url("")).rstrip("/"), session)
        out = StringIO()
        assert await trigger(sandbox, provider, "exact", out, webhook_url="inbox:x") == 0, out.getvalue()
    deliveries = await (await client.get(f"/_sandbox/deliveries?provider={provider}")).json()
    assert deliveries and {d["status"] for d in deliveries} == {"delivered"}, out.getvalue()
    assert all(d["url"].endswith(f"/_sandbox/inbox/x?provider={provider}") for d in deliveries)
    assert "not acknowledged" not in out.getvalue() and "delivered" in out.getvalue()
    answers = {a["response_excerpt"] for d in deliveries for a in d["attempts"]}
    assert answers == ({"success"} if provider == "alchemypay" else {"OK"})


async def test_a_url_naming_the_inbox_in_full_also_says_whose_delivery_it_is(client):
    own = str(client.make_url("/_sandbox/inbox/full"))
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"webhook_url": own})
    from mockserver.core.webhooks.targets import resolve_target
    assert resolve_target(own, str(client.make_url("")), "alchemypay") == own + "?provider=alchemypay"
    assert resolve_target(own + "?provider=x", str(client.make_url("")), "alchemypay") == own + "?provider=x"
    assert resolve_target("http://127.0.0.1:1/hook", str(client.make_url("")), "alchemypay") == "http://127.0.0.1:1/hook"


@pytest.mark.parametrize("target", ["inbox:", "inbox:a/b", "inbox:../x", "inbox:shop#x", "inbox: shop",
                                    "inbox:" + "n" * 65])
async def test_a_malformed_inbox_target_is_refused_when_set(client, world, target):
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": target})
    assert resp.status == 400
    assert "webhook_url: invalid inbox target" in (await resp.json())["error"]["message"]
    assert world.backend("cryptopayment").merchants[0]["webhook_url"] is None


async def test_before_any_request_the_own_address_is_unknown_and_the_delivery_says_so(world):
    delivery = world.outbox.enqueue(provider="cryptopayment", event="e", url="inbox:shop", body=b"{}")
    assert delivery.status == "failed" and "own address is not known" in delivery.reason


def test_a_scenario_may_send_its_webhooks_to_an_inbox(tmp_path):
    text = ("scenario: inbox\nprovider: cryptopayment\nwebhook_url: inbox:shop\nsteps:\n"
            "  - call: POST /invoices\n    json: {network: trc20, amount_usd: 50, order_id: ORD-1}\n"
            "    save: {invoice: invoice.id}\n"
            "  - pay: {invoice: \"{invoice}\", amount: 50}\n"
            "  - expect_webhook: {json: {event: payment.detected}}\n")
    assert load_text(text)[0].webhook_url == "inbox:shop"
    (tmp_path / "inbox.yaml").write_text(text)
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "run", str(tmp_path / "inbox.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "delivered after 1 attempt" in done.stdout
