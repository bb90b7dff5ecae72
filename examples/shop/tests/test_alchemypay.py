"""Card payments through Alchemy Pay: a paid order, the acknowledgement word, a replayed webhook."""
from __future__ import annotations

import json
import urllib.error
import urllib.request


def _pay(sandbox, order_no: str) -> None:
    sandbox.simulate("alchemypay", "pay", order=order_no)         # the card is charged: PAY_SUCCESS
    sandbox.advance("5m")
    sandbox.simulate("alchemypay", "transfer", order=order_no)    # the USDT is sent: FINISHED
    sandbox.advance("1m")


def test_a_card_paid_order_is_marked_paid_and_every_webhook_acknowledged(sandbox, shop):
    status, order = shop.request("POST", "/orders", {"amount_usd": "100", "provider": "alchemypay"})
    assert status == 201 and order["provider"] == "alchemypay" and "/pay/" in order["checkout_url"]
    _pay(sandbox, order["invoice_id"])
    paid = shop.order(order["id"])
    assert paid["status"] == "paid" and paid["events"] == ["PAY_SUCCESS", "FINISHED"]
    deliveries = sandbox.deliveries("alchemypay", ref=order["invoice_id"])
    # Alchemy Pay stops only on 200 with a success message: the shop answers `success`
    assert [(d["status"], d["attempts"][0]["response_excerpt"]) for d in deliveries] == [
        ("delivered", "success"), ("delivered", "success")]


def _post(shop, delivery: dict) -> int:
    request = urllib.request.Request(shop.url + "/webhooks/alchemypay", data=delivery["body"].encode(),
                                     headers=delivery["headers"], method="POST")
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_webhook_replayed_six_minutes_later_is_refused(sandbox, sandbox_clock, shop):
    """sandbox_clock: the shop's clock is the sandbox's, so its 5-minute window runs on virtual time."""
    _, order = shop.request("POST", "/orders", {"amount_usd": "100", "provider": "alchemypay"})
    _pay(sandbox, order["invoice_id"])
    [finished] = sandbox.deliveries("alchemypay", event="on-ramp.FINISHED")
    assert _post(shop, finished) == 200          # the same bytes at once: a duplicate, acknowledged
    sandbox.advance("6m")                         # six minutes later for the sandbox and the shop
    assert _post(shop, finished) == 401          # the same bytes now: a replay, refused
    assert json.loads(finished["body"])["status"] == "FINISHED"
