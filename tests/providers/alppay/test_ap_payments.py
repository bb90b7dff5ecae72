"""Payments end to end on the virtual clock: exact, partial, over, expiry, AML danger, the
persistent clientId address, balances, and the webhooks each step sends (the guide's test list:
payment, partial payment, overpayment)."""
from __future__ import annotations

import json

from ap_support import x_hmac


def _bodies(rec) -> list[dict]:
    return [json.loads(r["body"]) for r in rec.requests]


def _statuses(rec) -> list[tuple[str, str]]:
    return [(b["status"], b["displayStatus"]) for b in _bodies(rec)]


async def test_exact_payment_new_open_completed_with_a_webhook_each(hooked):
    ap, rec = hooked
    created = await ap.create(amount="250.00", invoice="INV-1")
    await ap.advance("0s")
    paid = await ap.pay(created["id"])
    assert paid["payment"]["displayStatus"] == "OPEN" and paid["payment"]["totalReceivedAmount"] == "250.00"
    await ap.advance("59s")
    assert (await ap.payment(created["id"]))["status"] == "OPEN"   # 19 of 20 confirmations
    await ap.advance("1s")
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"]) == ("COMPLETED", "COMPLETED")
    assert payment["updatedAt"] == "2025-01-15T10:01:00Z"
    [tx] = payment["transactions"]
    assert tx["paymentId"] == created["id"] and tx["receivedAmount"] == "250.00"
    assert tx["txnId"] == paid["txnId"] and tx["addressTo"] == created["addressTo"]
    assert {"fixedFee", "percentFee", "riskScore", "isDanger"} <= set(tx) and tx["isDanger"] is False
    # [D] webhookSequence: deposit detected (AML fields empty), AML completed, then the status change
    assert _statuses(rec) == [("OPEN", "NEW"), ("OPEN", "OPEN"), ("OPEN", "OPEN"), ("COMPLETED", "COMPLETED")]
    detected, checked = (_bodies(rec)[i]["transactions"][0] for i in (1, 2))
    assert (detected["riskScore"], detected["riskCheckedAt"], detected["amlPriceUsd"]) == (0, None, "0")
    assert checked["riskCheckedAt"] == "2025-01-15T10:00:03Z" and checked["amlPriceUsd"] == "250.00"
    for got in rec.requests:
        assert got["headers"]["X-HMAC"] == x_hmac(ap.key, got["body"])
    assert (await ap.balances())["USDT_tron"] == "248.75"    # [D] the standard 0.5 % fee


async def test_partial_payment_is_underpaid_then_expires_keeping_the_fact(hooked):
    ap, rec = hooked
    created = await ap.create(amount="100.00")
    await ap.pay(created["id"], kind="partial")
    await ap.advance("1m")
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"], payment["totalReceivedAmount"]) == ("OPEN", "UNDERPAID", "50.00")
    await ap.advance("2h30m")    # timeout 9000 s
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"]) == ("EXPIRED", "UNDERPAID")
    assert _statuses(rec)[-2:] == [("OPEN", "UNDERPAID"), ("EXPIRED", "UNDERPAID")]
    assert (await ap.balances())["USDT_tron"] == "49.75"   # what arrived is the merchant's, less 0.5 %


async def test_partial_then_top_up_completes(hooked):
    ap, rec = hooked
    created = await ap.create(amount="100.00")
    await ap.pay(created["id"], amount="40")
    await ap.advance("5m")
    await ap.pay(created["id"], fraction="0.6")
    await ap.advance("5m")
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"], len(payment["transactions"])) == ("COMPLETED", "COMPLETED", 2)


async def test_overpayment_completes_as_overpaid(hooked):
    ap, rec = hooked
    created = await ap.create(amount="100.00")
    await ap.pay(created["id"], kind="over")
    await ap.advance("1m")
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"], payment["totalReceivedAmount"]) == ("COMPLETED", "OVERPAID", "150.00")
    assert _statuses(rec)[-1] == ("COMPLETED", "OVERPAID")


async def test_no_payment_expires_at_the_timeout(hooked):
    ap, rec = hooked
    created = await ap.create()
    assert created["timeout"] == 9000
    await ap.advance("2h29m59s")
    assert (await ap.payment(created["id"]))["status"] == "OPEN"
    await ap.advance("1s")
    payment = await ap.payment(created["id"])
    assert (payment["status"], payment["displayStatus"]) == ("EXPIRED", "EXPIRED")
    assert _statuses(rec) == [("OPEN", "NEW"), ("EXPIRED", "EXPIRED")]
    late = await ap.pay(created["id"])   # after expiry: recorded, not counted
    assert late["payment"]["totalReceivedAmount"] == "0.00"


async def test_paid_in_time_waits_for_confirmations_past_the_deadline(ap):
    await ap.set_merchant(payment_timeout=30)
    created = await ap.create()
    await ap.pay(created["id"])
    await ap.advance("40s")
    assert (await ap.payment(created["id"]))["status"] == "OPEN"
    await ap.advance("30s")
    assert (await ap.payment(created["id"]))["status"] == "COMPLETED"


async def test_aml_danger_holds_the_funds(hooked):
    ap, rec = hooked
    created = await ap.create()
    await ap.pay(created["id"], risk="danger")
    await ap.advance("1m")
    payment = await ap.payment(created["id"])
    assert payment["displayStatus"] == "AML_CHECK_DANGER" and payment["status"] == "OPEN"
    assert payment["transactions"][0]["isDanger"] is True and payment["transactions"][0]["riskScore"] == 85
    assert (await ap.balances())["USDT_tron"] == "0.00"
    assert _statuses(rec)[-1] == ("OPEN", "AML_CHECK_DANGER")


async def test_aml_flag_after_crediting_takes_the_funds_back(ap):
    created = await ap.create()
    await ap.pay(created["id"], kind="partial")
    await ap.advance("1m")
    assert (await ap.balances())["USDT_tron"] == "49.75"        # an OPEN, underpaid payment
    out = await ap.simulate("aml", payment=created["id"])
    assert out["payment"]["displayStatus"] == "AML_CHECK_DANGER"
    assert (await ap.balances())["USDT_tron"] == "0.00"


async def test_aml_on_a_completed_payment_is_409_and_changes_nothing(hooked, world):
    ap, rec = hooked
    created = await ap.create()
    await ap.pay(created["id"])
    await ap.advance("1m")
    before = (await ap.payment(created["id"]), await ap.balances(), len(rec.requests), world.rng.getstate())
    out = await ap.simulate("aml", expect=409, payment=created["id"])
    assert "OPEN payment only" in out["error"]["message"]
    await ap.advance("0s")
    after = (await ap.payment(created["id"]), await ap.balances(), len(rec.requests), world.rng.getstate())
    assert after == before and before[0]["status"] == "COMPLETED"


async def test_fees_are_taken_before_the_balance(ap):
    await ap.set_merchant(fee_fixed="1.00", fee_percent="2")
    created = await ap.create(amount="115.00")
    await ap.pay(created["id"])
    await ap.advance("1m")
    [tx] = (await ap.payment(created["id"]))["transactions"]
    assert (tx["fixedFee"], tx["percentFee"]) == ("1.00", "2.30")
    assert (await ap.balances())["USDT_tron"] == "111.70"


async def test_client_id_keeps_one_address_and_expires_the_older_open_payment(hooked):
    ap, rec = hooked
    first = await ap.create(clientId="client-42")
    second = await ap.create(clientId="client-42", amount="20.00")
    other = await ap.create(clientId="client-43")
    eth = await ap.create(clientId="client-42", network="ethereum")
    assert first["addressTo"] == second["addressTo"] != other["addressTo"]
    assert eth["addressTo"].startswith("0x")
    assert (await ap.payment(first["id"]))["status"] == "EXPIRED"
    await ap.pay(second["id"])
    await ap.advance("1m")
    assert (await ap.payment(second["id"]))["status"] == "COMPLETED"
    assert (await ap.payment(first["id"]))["totalReceivedAmount"] == "0.00"
    third = await ap.create(clientId="client-42")
    assert third["addressTo"] == first["addressTo"] and third["clientId"] == "client-42"


async def test_merchant_confirms_an_underpaid_invoice(hooked):
    ap, rec = hooked
    created = await ap.create(amount="100.00")
    status, out = await ap.call("POST", f"/payment/{created['id']}/confirm")
    assert status == 422 and out["field"] == "totalReceivedAmount"
    await ap.pay(created["id"], amount="90")
    await ap.advance("1m")
    _, out = await ap.call("POST", f"/payment/{created['id']}/confirm", {}, expect=200)
    assert (out["status"], out["displayStatus"]) == ("COMPLETED", "UNDERPAID")
    await ap.advance("0s")
    assert _statuses(rec)[-1] == ("COMPLETED", "UNDERPAID")
    status, out = await ap.call("POST", f"/payment/{created['id']}/cancel")
    assert status == 422 and "COMPLETED" in out["message"]


async def test_merchant_cancels_an_open_invoice(hooked):
    ap, rec = hooked
    created = await ap.create()
    _, out = await ap.call("POST", f"/payment/{created['id']}/cancel", expect=200)
    assert (out["status"], out["displayStatus"]) == ("EXPIRED", "EXPIRED")
    await ap.advance("0s")
    assert _statuses(rec) == [("OPEN", "NEW"), ("EXPIRED", "EXPIRED")]
    await ap.pay(created["id"])
    assert (await ap.payment(created["id"]))["totalReceivedAmount"] == "0.00"


async def test_another_merchants_or_an_unknown_payment_is_404(ap, world):
    created = await ap.create()
    world.backend("alppay").merchants.append({**ap.merchant, "api_key": "ak_other", "profile": {}})
    ap.merchant = {**ap.merchant, "api_key": "ak_other"}
    status, out = await ap.call("GET", f"/payment/{created['id']}")
    assert (status, out) == (404, {"code": 404, "message": "Payment not found"})
    assert (await ap.call("GET", "/payment/not-a-uuid"))[0] == 404


async def test_the_hosted_page_shows_the_payment(ap, client):
    created = await ap.create(checkoutUrl="https://shop.example/o/1?a=1&b=2")
    url = created["paymentRedirectUrl"]
    assert "/alppay/payment-invoice?id=" in url
    resp = await client.get(url[url.index("/alppay"):])
    page = await resp.text()
    assert resp.status == 200 and created["addressTo"] in page and "a=1&amp;b=2" in page
    assert (await client.get("/alppay/payment-invoice?id=nope")).status == 404
