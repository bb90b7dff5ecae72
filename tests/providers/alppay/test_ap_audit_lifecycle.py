"""The audit's rows C (transactions, AML fields, fees), D (get and list payments), E (payment
lifecycle) and F (withdrawals), each checked over HTTP against the running app."""
from __future__ import annotations

import json
import re

from ap_support import TRON_TO, withdrawal_body

NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


async def _paid(ap, amount="100.00", kind="exact", wait="1m", **kw) -> dict:
    created = await ap.create(amount=amount, **kw)
    await ap.pay(created["id"], kind=kind)
    await ap.advance(wait)
    return await ap.payment(created["id"])


async def _ids(ap, query: str) -> list[str]:
    _, out = await ap.call("GET", "/payment" + query, expect=200)
    return [p["id"] for p in out["results"]]


async def test_C1_both_date_and_created_at(ap):
    [tx] = (await _paid(ap))["transactions"]
    assert tx["date"] == tx["createdAt"] and {"fixedFee", "percentFee", "riskScore", "isDanger"} <= set(tx)


async def test_C2_aml_fields_empty_until_the_check(ap):
    created = await ap.create()
    seen = (await ap.pay(created["id"]))["payment"]["transactions"][0]
    assert (seen["riskScore"], seen["riskCheckedAt"], seen["amlPriceUsd"]) == (0, None, "0")
    await ap.advance("3s")
    [checked] = (await ap.payment(created["id"]))["transactions"]
    assert checked["riskCheckedAt"] == "2025-01-15T10:00:03Z" and checked["amlPriceUsd"] == "100.00"


async def test_C3_the_standard_fee_by_default(ap):
    [tx] = (await _paid(ap, amount="115.00"))["transactions"]
    assert (tx["fixedFee"], tx["percentFee"]) == ("0.00", "0.58")
    assert (await ap.balances())["USDT_tron"] == "114.42"


async def test_D1_D2_get_wrapped_and_404(ap):
    created = await ap.create()
    assert (await ap.call("GET", f"/payment/{created['id']}"))[1]["data"]["id"] == created["id"]
    for wrong in ("00000000-0000-4000-8000-000000000000", "nope", created["id"].upper()):
        assert (await ap.call("GET", f"/payment/{wrong}"))[1] == {"code": 404, "message": "Payment not found"}


async def test_D3_paging(ap):
    _, out = await ap.call("GET", "/payment", expect=200)
    assert (out["page"], out["limit"]) == (1, 20)
    for bad in ("page=0", "limit=0", "limit=101", "limit=abc", "page=1.5"):
        assert (await ap.call("GET", "/payment?" + bad))[0] == 422


async def test_D4_the_results_envelope(ap):
    await ap.create()
    _, out = await ap.call("GET", "/payment", expect=200)
    assert isinstance(out["results"], list) and out["total"] == 1 and "data" not in out
    await ap.set_merchant(payment_list="data")
    assert "data" in (await ap.call("GET", "/payment", expect=200))[1]


async def test_D5_D6_display_statuses_and_the_older_words(ap):
    exact = await _paid(ap)
    over = await _paid(ap, kind="over")
    assert await _ids(ap, "?statuses=COMPLETED") == [exact["id"]]
    assert await _ids(ap, "?statuses=OVERPAID") == [over["id"]]
    for word in ("NEW", "OPEN", "EXPIRED", "UNDERPAID", "AML_CHECK_DANGER", "CANCELLED", "AML_CHECK_FAILED"):
        assert (await ap.call("GET", "/payment?statuses=" + word))[0] == 200
    assert (await ap.call("GET", "/payment?statuses=open"))[0] == 422


async def test_D7_D8_D9_D10_filters_search_and_sort(ap):
    a = await ap.create(amount="10.00", invoice="INV-001")
    await ap.advance("1m")
    b = await ap.create(amount="30.00", network="ethereum", clientId="client-b")
    assert await _ids(ap, "?method=USDT_ethereum") == [b["id"]]
    assert (await ap.call("GET", "/payment?method=USDT_TRC20"))[0] == 422
    assert await _ids(ap, "?search=inv-0") == [a["id"]] and await _ids(ap, "?search=client") == [b["id"]]
    assert await _ids(ap, f"?search={a['id'][:8]}") == []
    assert await _ids(ap, f"?ids={a['id']}&invoices=INV-001") == [a["id"]]
    assert await _ids(ap, "?sortField=amount&sortOrder=asc") == [a["id"], b["id"]]
    assert await _ids(ap, "") == [b["id"], a["id"]]                          # created_at desc
    assert (await ap.call("GET", "/payment?sortField=invoice"))[0] == 422


async def test_E1_E3_E4_status_words_and_when(ap):
    assert (await _paid(ap, kind="partial"))["displayStatus"] == "UNDERPAID"
    done = await _paid(ap)
    assert (done["status"], done["displayStatus"]) == ("COMPLETED", "COMPLETED")
    new = await ap.create()
    await ap.advance("2h31m")
    expired = await ap.payment(new["id"])
    assert (expired["status"], expired["displayStatus"]) == ("EXPIRED", "EXPIRED")


async def test_E2_cancelled_is_expired_unless_the_older_word_is_asked_for(ap):
    created = await ap.create()
    await ap.call("POST", f"/payment/{created['id']}/cancel", expect=200)
    assert (await ap.payment(created["id"]))["status"] == "EXPIRED"
    await ap.set_merchant(cancelled_status="CANCELLED")
    assert (await ap.payment(created["id"]))["status"] == "CANCELLED"


async def test_E5_a_late_transfer_is_not_counted(ap):
    created = await ap.create()
    await ap.advance("2h31m")
    await ap.pay(created["id"])
    assert (await ap.payment(created["id"]))["totalReceivedAmount"] == "0.00"


async def test_E6_funds_on_a_deposit_address_with_no_open_payment(hooked):
    ap, rec = hooked
    first = await _paid(ap, amount="10.00", clientId="client-9")
    before = len(rec.requests)
    sent = await ap.simulate("pay", address=first["addressTo"], amount="7")
    await ap.advance("1m")
    assert sent["payment"]["id"] != first["id"]
    _, listed = await ap.call("GET", "/payment", expect=200)
    assert listed["total"] == 2 and len(rec.requests) - before == 3            # detected, AML, completed
    assert (await ap.balances())["USDT_tron"] == "16.91"


async def test_E7_E8_client_address_reuse_and_scope(ap):
    first = await ap.create(clientId="c-1")
    second = await ap.create(clientId="c-1")
    other_asset = await ap.create(clientId="c-1", short="USDC")
    assert first["addressTo"] == second["addressTo"] != other_asset["addressTo"]
    assert (await ap.payment(first["id"]))["status"] == "EXPIRED"


async def test_E9_aml_danger(ap):
    created = await ap.create()
    await ap.pay(created["id"], risk="danger")
    await ap.advance("1m")
    got = await ap.payment(created["id"])
    assert (got["status"], got["displayStatus"], got["transactions"][0]["riskScore"]) == ("OPEN", "AML_CHECK_DANGER", 85)
    assert (await ap.balances())["USDT_tron"] == "0.00"


async def test_E10_sandbox_only_confirm_and_cancel(ap, client):
    created = await ap.create()
    assert (await ap.call("POST", f"/payment/{created['id']}/confirm"))[0] == 422     # nothing received
    assert (await ap.call("POST", f"/payment/{created['id']}/cancel"))[1]["status"] == "EXPIRED"
    spec = await (await client.get("/_sandbox/openapi/alppay.json")).json()
    assert spec["paths"]["/v2/payment/{payment_id}/cancel"]["post"]["x-sandbox-only"] is True


async def test_F1_F3_F13_create_withdrawal_fields(ap):
    await ap.simulate("fund", method="USDT_tron", amount="50")
    for missing in ("destTag", "invoice", "customer"):
        body = {k: v for k, v in withdrawal_body().items() if k != missing}
        assert (await ap.call("POST", "/withdrawal", body))[1]["field"] == missing
    out = await ap.withdraw(destTag=None)
    assert (out["destTag"], out["txnId"], out["receivedAmount"], out["addressFrom"]) == ("", "", "0", "")


async def test_F2_minimum_zero_no_maximum(ap):
    assert (await ap.withdraw(amount="0"))["amount"] == "0"
    status, out = await ap.call("POST", "/withdrawal", withdrawal_body(amount="9" * 30))
    assert (status, out["field"]) == (422, "amount") and "Insufficient" in out["message"]
    assert (await ap.call("POST", "/withdrawal", withdrawal_body(amount="1.000000001")))[0] == 422


async def test_F4_F5_address_and_customer_name(ap):
    await ap.simulate("fund", method="USDT_tron", amount="50")
    assert (await ap.withdraw(addressTo="hello", customer={"id": 1, "name": "n" * 1000, "email": "a@b.example"}))
    assert (await ap.call("POST", "/withdrawal", withdrawal_body(addressTo="")))[0] == 422


async def test_F6_the_four_pairs(ap):
    for method in ("USDT_tron", "USDT_ethereum", "USDC_tron", "USDC_ethereum"):
        await ap.simulate("fund", method=method, amount="1")
        short, network = method.split("_")
        assert (await ap.withdraw(amount="1", short=short, network=network))["status"] == "OPEN"


async def test_F7_F8_F9_withdraw_direct(ap):
    paid = await _paid(ap, amount="40.00", clientId="client-7")
    assert (await ap.call("POST", "/withdrawal", withdrawal_body(clientId="client-7")))[0] == 400
    wrong = withdrawal_body(addressFrom=TRON_TO, clientId="client-7")
    assert (await ap.call("POST", "/withdrawal", wrong))[1]["field"] == "addressFrom"
    body = withdrawal_body(amount="0", addressFrom=paid["addressTo"], clientId="client-7", transferAll=True)
    assert (await ap.call("POST", "/withdrawal", body, expect=200))[1]["amount"] == "39.80"


async def test_F10_F15_F16_balance_statuses_and_get(ap):
    assert (await ap.call("POST", "/withdrawal", withdrawal_body()))[1]["field"] == "amount"
    await ap.simulate("fund", method="USDT_tron", amount="90")
    out = await ap.withdraw(amount="10")
    await ap.simulate("cancel_withdrawal", withdrawal=out["id"])
    assert (await ap.balances())["USDT_tron"] == "90.00"
    _, got = await ap.call("GET", f"/withdrawal/{out['id']}", expect=200)
    assert got["status"] == "CANCELLED" and "data" not in got


async def test_F11_F12_F14_object_fields_nanoseconds_time_to_approve(ap):
    await ap.simulate("fund", method="USDT_tron", amount="10")
    out = await ap.withdraw(amount="10")
    assert len(out) == 15 and out["timeToApprove"] is None
    assert NANO.match(out["createdAt"]) and NANO.match(out["updatedAt"])
    approved = (await ap.simulate("approve_withdrawal", withdrawal=out["id"]))["withdrawal"]
    assert NANO.match(approved["timeToApprove"])


async def test_F17_list_withdrawals(ap):
    await ap.simulate("fund", method="USDT_tron", amount="10")
    ids = [(await ap.withdraw(amount="1"))["id"] for _ in range(2)]
    _, out = await ap.call("GET", "/withdrawal", expect=200)
    assert [w["id"] for w in out["data"]] == ids[::-1] and (out["page"], out["limit"], out["total"]) == (0, 20, 2)
    for bad in ("page=-1", "statuses=COMPLETED"):
        assert (await ap.call("GET", "/withdrawal?" + bad))[0] == 422
    assert json.dumps(out).count('"id"') >= 2
