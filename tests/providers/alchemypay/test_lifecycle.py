"""Ramp stories end to end: simulations, virtual time, real webhook receivers on 127.0.0.1."""
from __future__ import annotations

import json
from datetime import datetime

from alchemypay_helpers import (APP_ID, V4, buy_body, get, post, sell_body, sell_on_page, webhook_new_signature,
                                webhook_signature)

SUCCESS = (200, '{"code":"success"}')
FINISHED_ONLY = {"fiatInUSD", "rampFeeInUSD", "cryptoNetworkFee", "networkFeeInUSD", "cryptoAmountInUSDT"}


async def new_order(client, world, body) -> str:
    """BUY through trade/create (with an access-token); SELL through the hosted off-ramp page."""
    if body["side"] == "SELL":
        return await sell_on_page(client, world, body)
    resp = await post(client, world, f"{V4}/trade/create", body)
    data = await resp.json()
    assert resp.status == 200, data
    return data["data"]["orderNo"]


async def simulate(client, verb, expect=200, **params):
    resp = await client.post(f"/_sandbox/simulate/alchemypay/{verb}", json=params)
    data = await resp.json()
    assert resp.status == expect, data
    return data


async def advance(client, by):
    resp = await client.post("/_sandbox/clock/advance", json={"by": by})
    assert resp.status == 200


async def deliveries(client, **filters):
    resp = await client.get("/_sandbox/deliveries", params={"provider": "alchemypay", **filters})
    return await resp.json()


def check_signed(request: dict, path: str = "/webhook") -> dict:
    """What a careful merchant does: both documented signatures, computed from the formulas."""
    payload = json.loads(request["body"])
    ts = request["headers"]["timestamp"]
    assert ts.isdigit() and len(ts) == 13
    assert payload["signature"] == webhook_signature(payload)
    assert payload["newSignature"] == webhook_new_signature(payload, ts, path)
    return payload


async def test_buy_to_finished(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, buy_body(callbackUrl=rec.url))
    assert rec.requests == []                                    # PENDING sends nothing

    state = await simulate(client, "pay", order=order_no)
    assert state["status"] == "PAY_SUCCESS"
    paid = check_signed(rec.requests[0])
    assert paid["status"] == "PAY_SUCCESS" and paid["appId"] == APP_ID and paid["orderNo"] == order_no
    assert paid["merchantOrderNo"] == "ORD-1" and paid["message"] == ""
    assert not FINISHED_ONLY & set(paid) and "returnCode" not in paid
    assert paid["payTime"] == "2025-01-15 10:00:00"

    await advance(client, "10m")
    state = await simulate(client, "transfer", order=order_no)
    assert state["status"] == "TRANSFER" and len(rec.requests) == 1    # TRANSFER sends nothing
    await advance(client, "1m")                                  # one TRON block
    assert len(rec.requests) == 2
    done = check_signed(rec.requests[1])
    assert done["status"] == "FINISHED" and FINISHED_ONLY <= set(done)
    assert done["fiatInUSD"] == "100.00" and done["rampFeeInUSD"] == "3.99" and done["networkFeeInUSD"] == "1.00"
    assert done["txHash"] and done["txTime"] == "2025-01-15 10:10:00"
    # 100 - 3.99 fee - 1.00 network fee, at 1 USDT = 1 USD
    assert done["cryptoQuantity"] == "95.01000000" and done["cryptoAmountInUSDT"] == "95.01000"

    query = await (await get(client, world, f"{V4}/query/trade", {"orderNo": order_no, "side": "BUY"})).json()
    assert query["data"]["status"] == "FINISHED" and query["data"]["txHash"] == done["txHash"]
    sent = await deliveries(client)
    assert [d["event"] for d in sent] == ["on-ramp.PAY_SUCCESS", "on-ramp.FINISHED"]
    assert all(d["status"] == "delivered" and d["attempt_count"] == 1 for d in sent)


async def test_pay_failed_carries_return_code_not_message(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, buy_body(callbackUrl=rec.url))
    state = await simulate(client, "pay_fail", order=order_no, returnCode="30001", returnMsg="Insufficient funds")
    assert state["status"] == "PAY_FAIL"
    failed = check_signed(rec.requests[0])
    assert failed["status"] == "PAY_FAIL" and failed["returnCode"] == "30001"
    assert failed["returnMsg"] == "Insufficient funds" and "message" not in failed
    await simulate(client, "transfer", expect=409, order=order_no)    # nothing moves after a failure
    assert len(rec.requests) == 1


async def test_risk_control_refund_cancel_and_timeout_send_no_webhook(client, world, receiver):
    rec = await receiver([SUCCESS])
    risky = await new_order(client, world, buy_body(callbackUrl=rec.url, merchantOrderNo="R"))
    await simulate(client, "pay", order=risky)
    assert (await simulate(client, "risk_control", order=risky))["status"] == "RISK_CONTROL"
    assert (await simulate(client, "refund", order=risky))["status"] == "REFUNDED"

    cancelled = await new_order(client, world, buy_body(callbackUrl=rec.url, merchantOrderNo="C"))
    assert (await simulate(client, "cancel", order=cancelled))["legacyStatus"] == "CANCEL"

    lapsed = await new_order(client, world, buy_body(callbackUrl=rec.url, merchantOrderNo="L"))
    forced = await new_order(client, world, buy_body(callbackUrl=rec.url, merchantOrderNo="F"))
    forced_state = await simulate(client, "timeout", order=forced)
    assert forced_state["status"] == "CANCEL" and forced_state["legacyStatus"] == "TIMEOUT"
    await advance(client, "23h59m")
    detail = await (await get(client, world, f"{V4}/order/detail", {"orderNo": lapsed})).json()
    assert detail["data"]["status"] == "NEW"
    await advance(client, "1m")                                  # the payUrl's 24 hours are over
    detail = await (await get(client, world, f"{V4}/order/detail", {"orderNo": lapsed})).json()
    trade = await (await get(client, world, f"{V4}/query/trade", {"orderNo": lapsed, "side": "BUY"})).json()
    assert detail["data"]["status"] == "TIMEOUT" and trade["data"]["status"] == "CANCEL"
    await simulate(client, "pay", expect=409, order=lapsed)
    assert [json.loads(r["body"])["status"] for r in rec.requests] == ["PAY_SUCCESS"]


async def test_sell_to_payout_success_one_webhook_per_status(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, sell_body(callbackUrl=rec.url))
    await simulate(client, "deposit", order=order_no)
    await simulate(client, "payout", order=order_no)
    await advance(client, "2m")
    state = await simulate(client, "payout_success", order=order_no)
    assert state["status"] == "4"
    bodies = [check_signed(r) for r in rec.requests]
    assert [b["status"] for b in bodies] == ["1", "2", "3", "4"]
    last = bodies[-1]
    assert last["cryptoAmount"] == last["cryptoActualAmount"] == "100.0000000000"   # 10 decimals, as the sample
    assert last["fiatAmount"] == "100.0000000000" and last["rampFee"] == "1.7500000000"
    assert last["txHash"] and last["receiptTime"] == "2025-01-15 10:02:00" and last["name"]
    assert last["orderAddress"].endswith(order_no)


async def test_sell_payout_failed_then_refunded_and_expiry(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, sell_body(callbackUrl=rec.url))
    # coin arrives through the generic chain API, as any wallet would send it
    address = (await simulate(client, "state", order=order_no))["address"]
    resp = await client.post("/_sandbox/chain/transfers", json={"network": "tron", "address": address, "amount": "99.5"})
    assert resp.status == 201
    await simulate(client, "payout", order=order_no)
    failed = await simulate(client, "payout_fail", order=order_no, reason="Account closed")
    assert failed["status"] == "5" and failed["failReason"] == "Account closed"
    assert (await simulate(client, "refund", order=order_no))["status"] == "6"
    statuses = [check_signed(r)["status"] for r in rec.requests]
    assert statuses == ["1", "2", "3", "5", "6"]
    assert json.loads(rec.requests[1]["body"])["cryptoActualAmount"] == "99.5000000000"

    expiring = await new_order(client, world, sell_body(callbackUrl=rec.url, merchantOrderNo="SELL-2"))
    await advance(client, "47h59m")
    assert json.loads(rec.requests[-1]["body"])["status"] == "1"
    await advance(client, "1m")                                  # "Order timeout in 48 hours"
    assert [json.loads(r["body"])["status"] for r in rec.requests[-2:]] == ["1", "7"]
    await simulate(client, "deposit", expect=409, order=expiring)


async def test_default_is_one_send_and_needs_success_in_the_body(client, world, receiver):
    rec = await receiver([(200, "OK")])                          # 200 but no "success"
    order_no = await new_order(client, world, buy_body(callbackUrl=rec.url))
    await simulate(client, "pay", order=order_no)
    await client.post("/_sandbox/clock/run", json={})
    [delivery] = await deliveries(client)
    assert delivery["status"] == "exhausted" and delivery["attempt_count"] == 1 and len(rec.requests) == 1


async def test_retries_on_follow_the_documented_schedule_for_on_ramp_only(client, world, receiver):
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"webhook_retries": True})
    rec = await receiver([500, (200, "ok"), (200, "SUCCESS")])
    order_no = await new_order(client, world, buy_body(callbackUrl=rec.url))
    await simulate(client, "pay", order=order_no)
    await client.post("/_sandbox/clock/run", json={})
    [delivery] = await deliveries(client)
    assert delivery["status"] == "delivered"
    times = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert [int((b - a).total_seconds() // 60) for a, b in zip(times, times[1:])] == [5, 15]
    assert len({r["headers"]["timestamp"] for r in rec.requests}) == 1      # same body, same timestamp

    never = await receiver([(200, "nope")])
    order_no = await new_order(client, world, buy_body(callbackUrl=never.url, merchantOrderNo="ORD-2"))
    await simulate(client, "pay", order=order_no)
    await client.post("/_sandbox/clock/run", json={})
    [delivery] = await deliveries(client, ref=order_no)
    times = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    gaps = [int((b - a).total_seconds() // 60) for a, b in zip(times, times[1:])]
    assert delivery["status"] == "exhausted" and gaps == [5, 15, 30, 60, 120, 240, 480]

    off = await receiver([500])
    sell_no = await new_order(client, world, sell_body(callbackUrl=off.url))
    await client.post("/_sandbox/clock/run", json={})
    sent = await deliveries(client, ref=sell_no)                # "1", then "7" when it expires
    assert [d["event"] for d in sent] == ["off-ramp.1", "off-ramp.7"]
    assert all(d["status"] == "exhausted" and d["attempt_count"] == 1 for d in sent)


async def test_merchant_webhook_url_when_the_order_has_no_callback(client, world, receiver):
    rec = await receiver([SUCCESS])
    await client.patch("/_sandbox/providers/alchemypay/merchant", json={"webhook_url": rec.url + "?shop=1"})
    order_no = await new_order(client, world, buy_body(callbackUrl=None))
    await simulate(client, "pay", order=order_no)
    assert rec.requests[0]["path"] == "/webhook?shop=1"
    check_signed(rec.requests[0], path="/webhook")           # newSignature covers the path only [D]
    merchant = world.backend("alchemypay").merchants[0]
    provider = world.providers["alchemypay"]
    request = rec.requests[0]
    assert provider.verify_webhook(merchant, request["headers"], request["body"])
    assert not provider.verify_webhook(merchant, request["headers"], request["body"].replace(b"100.0", b"900.0"))


async def test_simulation_refusals(client, world):
    await simulate(client, "pay", expect=404, order="1234567890123456789")
    await simulate(client, "pay", expect=400)
    order_no = await new_order(client, world, sell_body())
    await simulate(client, "pay", expect=409, order=order_no)        # a BUY verb on a SELL order
    await simulate(client, "deposit", expect=400, order=order_no, amount="lots")
    assert (await simulate(client, "state", order=order_no))["status"] == "1"


async def test_settings_verb_changes_only_known_merchant_settings(client, world):
    changed = await simulate(client, "settings", webhook_retries=True, strict_sign=True)
    assert changed["webhook_retries"] is True and "app_secret" not in changed
    await simulate(client, "settings", expect=400, app_secret="stolen")
    await simulate(client, "settings", expect=400, webhook_retries="yes")
    await simulate(client, "settings", expect=400, index=5, strict_sign=False)
    await simulate(client, "settings", expect=400)
    assert world.backend("alchemypay").merchants[0]["app_secret"] == "T5wQ8nY2rK4hS6jD"
    await client.post("/_sandbox/reset", json={})
    assert world.backend("alchemypay").merchants[0].get("webhook_retries") is False   # reset restores config
