"""payment.detected / payment.confirmed as a merchant's endpoint receives them."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

from cp_support import CP, dec, expected_signature, instant

FIELDS = {"event", "invoice_id", "order_id", "status", "network", "coin", "amount_usd", "amount_crypto",
          "paid_amount", "txid", "confirmations", "address", "timestamp", "signature"}


def verify_like_the_docs(app_key_b64: str, raw: bytes) -> bool:
    """The documented PHP handler, in Python: recompute and compare in constant time."""
    data = json.loads(raw)
    expected = expected_signature(app_key_b64, data.get("invoice_id", ""), data.get("event", ""))
    return hmac.compare_digest(expected, data.get("signature", ""))


async def test_detected_then_confirmed_bodies_and_signatures(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50, order_id="ORD-7")
    t0 = await cp.now()
    paid = await cp.pay(inv["id"])
    txid = paid["transfer"]["txid"]

    assert len(rec.requests) == 1  # detected at once, with the pay simulation
    detected = rec.json(0)
    assert set(detected) == FIELDS
    assert detected["event"] == "payment.detected"
    assert detected["status"] == "confirming"
    assert detected["invoice_id"] == inv["id"] and detected["order_id"] == "ORD-7"
    assert (detected["network"], detected["coin"], detected["address"]) == ("trc20", "USDT", inv["address"])
    assert dec(detected["amount_usd"]) == 50 and dec(detected["amount_crypto"]) == 50
    assert dec(detected["paid_amount"]) == 50
    assert detected["txid"] == txid
    assert detected["confirmations"] == 0
    assert instant(detected["timestamp"]) == t0
    assert detected["signature"] == expected_signature(cp.merchant["app_key"], inv["id"], "payment.detected")
    assert rec.requests[0]["headers"]["Content-Type"].startswith("application/json")

    # Tron: first block 3 s after broadcast, 19 confirmations 18 blocks later = 57 s.
    await cp.advance("56s")
    assert len(rec.requests) == 1
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"
    await cp.advance("1s")
    assert len(rec.requests) == 2
    confirmed = rec.json(1)
    assert confirmed["event"] == "payment.confirmed"
    assert confirmed["status"] == "confirmed"
    assert confirmed["confirmations"] == 19
    assert dec(confirmed["paid_amount"]) == 50
    assert instant(confirmed["timestamp"]) == t0 + timedelta(seconds=57)
    assert confirmed["signature"] == expected_signature(cp.merchant["app_key"], inv["id"], "payment.confirmed")
    assert confirmed["signature"] != detected["signature"]
    for request in rec.requests:
        assert verify_like_the_docs(cp.merchant["app_key"], request["body"])

    # nothing more, ever: both delivered on the first attempt
    await cp.run()
    assert len(rec.requests) == 2
    deliveries = await cp.deliveries(ref=inv["id"])
    assert [(d["event"], d["status"], d["attempt_count"]) for d in deliveries] == [
        ("payment.detected", "delivered", 1), ("payment.confirmed", "delivered", 1)]


async def test_signature_uses_the_decoded_app_key(hooked):
    """A handler that forgets to base64-decode APP_KEY (the docs warn about it) must fail."""
    cp, rec = hooked
    inv = await cp.create("bep20", 20)
    await cp.pay(inv["id"])
    body = rec.json(0)
    wrong = hmac.new(cp.merchant["app_key"].encode(), f"{inv['id']}.payment.detected".encode(),
                     hashlib.sha256).hexdigest()
    assert body["signature"] != wrong
    assert body["signature"] == expected_signature(cp.merchant["app_key"], inv["id"], "payment.detected")


async def test_a_new_app_key_signs_new_webhooks(hooked):
    cp, rec = hooked
    new_key = "bmV3LWFwcC1rZXktZm9yLXRlc3Rz"  # base64 of "new-app-key-for-tests"
    await cp.set_merchant(app_key=new_key)
    inv = await cp.create("trc20", 5)
    await cp.pay(inv["id"])
    assert rec.json(0)["signature"] == expected_signature(new_key, inv["id"], "payment.detected")
    assert not verify_like_the_docs(cp.merchant["app_key"], rec.requests[0]["body"])


async def test_each_network_confirms_at_its_own_pace(hooked):
    """Confirmations required x block time: btc 2 x 10 min, ltc 6 x 150 s, eth 12 x 12 s, bep20 15 x 3 s."""
    cp, rec = hooked
    due = {"btc": timedelta(minutes=20), "ltc": timedelta(minutes=15), "eth": timedelta(seconds=144),
           "bep20": timedelta(seconds=45), "trc20": timedelta(seconds=57)}
    invoices = {net: await cp.create(net, 100) for net in due}
    t0 = await cp.now()
    for inv in invoices.values():
        await cp.pay(inv["id"])
    await cp.advance("30m")
    confirmed = {r["network"]: r for r in map(json.loads, (q["body"] for q in rec.requests))
                 if r["event"] == "payment.confirmed"}
    assert set(confirmed) == set(due)
    for net, delay in due.items():
        assert instant(confirmed[net]["timestamp"]) == t0 + delay, net
        assert confirmed[net]["confirmations"] == invoices[net]["confirmations"]["required"]


async def test_confirmations_grow_with_blocks(cp):
    inv = await cp.create("btc", 60)
    await cp.pay(inv["id"])
    assert (await cp.invoice(inv["id"]))["confirmations"]["received"] == 0
    await cp.advance("10m")
    got = await cp.invoice(inv["id"])
    assert (got["confirmations"]["received"], got["status"]) == (1, "confirming")
    await cp.advance("9m59s")
    assert (await cp.invoice(inv["id"]))["confirmations"]["received"] == 1
    await cp.advance("1s")
    got = await cp.invoice(inv["id"])
    assert (got["confirmations"], got["status"]) == ({"received": 2, "required": 2}, "confirmed")
    await cp.advance("1h")  # received is capped at required
    assert (await cp.invoice(inv["id"]))["confirmations"]["received"] == 2


async def test_no_webhook_url_means_deliveries_fail_but_state_moves(cp):
    inv = await cp.create("trc20", 5)
    await cp.pay(inv["id"])
    await cp.advance("2m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    (first, *_rest) = await cp.deliveries(ref=inv["id"])
    assert first["status"] == "failed" and first["reason"] == "no webhook URL configured"
    assert [a["error"] for a in first["attempts"]] == ["no webhook URL configured"]


async def test_each_api_key_has_its_own_webhook_url(aiohttp_client, receiver):
    second = {"api_key": "pk_sandbox_second_0000000001", "api_secret": "sk_sandbox_second_secret_01"}
    config = SandboxConfig(seed=5, providers={"cryptopayment": {"merchants": [{}, second]}})
    app = build_app(config)
    client = await aiohttp_client(app)
    merchants = (await (await client.get("/_sandbox/providers")).json())["cryptopayment"]["merchants"]
    one, two = CP(client, merchants[0]), CP(client, merchants[1])
    rec_one, rec_two = await receiver([200]), await receiver([200])
    await one.set_merchant(webhook_url=rec_one.url)
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant?index=1",
                              json={"webhook_url": rec_two.url})
    assert resp.status == 200
    inv_one, inv_two = await one.create("trc20", 5), await two.create("trc20", 6)
    await one.pay(inv_one["id"])
    await one.pay(inv_two["id"])
    assert [r["invoice_id"] for r in map(json.loads, (q["body"] for q in rec_one.requests))] == [inv_one["id"]]
    assert [r["invoice_id"] for r in map(json.loads, (q["body"] for q in rec_two.requests))] == [inv_two["id"]]
    # one merchant cannot see the other's invoices
    resp, text = await one.call("GET", f"/invoices/{inv_two['id']}")
    assert resp.status == 404 and json.loads(text) == {"success": False, "error": "Invoice not found"}
    _, text = await two.call("GET", "/invoices", expect=200)
    assert [i["id"] for i in json.loads(text)["invoices"]] == [inv_two["id"]]
    assert app[WORLD].self_violations == []
