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
    assert delivery["url"] == str(client.make_url("/_sandbox/inbox/shop?fail=2"))
    assert delivery["status"] == "delivered"


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
