"""Withdrawals: OPEN -> APPROVED -> COMPLETE | CANCELLED from the admin API, balances held and
returned, withdraw-direct (addressFrom + clientId, only together), transferAll, the list from page 0."""
from __future__ import annotations

import json

import pytest

from ap_support import TRON_TO, withdrawal_body


async def _funded(ap, amount="100.00", **kw) -> dict:
    created = await ap.create(amount=amount, **kw)
    await ap.pay(created["id"])
    await ap.advance("1m")
    return created


async def test_approved_then_complete_moves_the_balance_with_a_webhook_each(hooked):
    ap, rec = hooked
    await _funded(ap)
    out = await ap.withdraw(amount="30")
    assert (out["status"], out["txnId"], out["receivedAmount"], out["timeToApprove"]) == ("OPEN", "", "0", None)
    assert out["amount"] == "30" and out["addressTo"] == TRON_TO and out["invoice"] == "W-1"
    assert (await ap.balances())["USDT_tron"] == "69.50"      # held at once (99.50 after the 0.5 % fee)
    await ap.advance("10m")
    approved = await ap.simulate("approve_withdrawal", withdrawal=out["id"])
    assert approved["withdrawal"]["status"] == "APPROVED"
    assert approved["withdrawal"]["timeToApprove"] == "2025-01-15T10:11:00.000000000Z"   # v2: nanoseconds
    done = await ap.simulate("complete_withdrawal", withdrawal=out["id"])
    assert done["withdrawal"]["status"] == "COMPLETE" and done["withdrawal"]["txnId"]
    assert done["withdrawal"]["receivedAmount"] == "30" and done["withdrawal"]["addressFrom"].startswith("T")
    _, got = await ap.call("GET", f"/withdrawal/{out['id']}", expect=200)
    assert got == done["withdrawal"]
    await ap.advance("0s")
    kinds = [json.loads(r["body"]) for r in rec.requests if b'"timeToApprove"' in r["body"]]
    assert [k["status"] for k in kinds] == ["OPEN", "APPROVED", "COMPLETE"]
    assert (await ap.balances())["USDT_tron"] == "69.50"
    await ap.simulate("cancel_withdrawal", withdrawal=out["id"], expect=409)


async def test_cancelled_returns_the_held_amount(hooked):
    ap, rec = hooked
    await _funded(ap)
    out = await ap.withdraw(amount="99.50")
    assert (await ap.balances())["USDT_tron"] == "0.00"
    cancelled = await ap.simulate("cancel_withdrawal", withdrawal=out["id"])
    assert cancelled["withdrawal"]["status"] == "CANCELLED"
    assert (await ap.balances())["USDT_tron"] == "99.50"


async def test_withdrawal_webhooks_go_to_their_own_url_when_set(ap, receiver):
    payments, withdrawals = await receiver([200]), await receiver([200])
    await ap.set_merchant(webhook_url=payments.url, withdrawal_webhook_url=withdrawals.url)
    await ap.simulate("fund", method="USDT_tron", amount="5")
    await ap.withdraw(amount="5")
    await ap.advance("0s")
    assert len(withdrawals.requests) == 1 and not payments.requests


@pytest.mark.parametrize("extra", [{"addressFrom": "TXkFpL3HmzE9KPpXGWNXdCbNcDYYn73U4C"}, {"clientId": "c-1"}])
async def test_address_from_and_client_id_only_together(ap, world, extra):
    await ap.simulate("fund", method="USDT_tron", amount="50")
    state = world.rng.getstate()
    status, out = await ap.call("POST", "/withdrawal", withdrawal_body(**extra))
    assert (status, out["code"]) == (400, 400) and "together" in out["message"]
    assert world.rng.getstate() == state and not world.backend("alppay").withdrawals
    assert (await ap.balances())["USDT_tron"] == "50.00"


async def test_more_than_the_balance_is_422_naming_amount(ap):
    status, out = await ap.call("POST", "/withdrawal", withdrawal_body(amount="0.01"))
    assert (status, out["field"]) == (422, "amount")


async def test_withdraw_direct_spends_the_client_address_and_transfer_all_takes_it_all(ap):
    created = await _funded(ap, amount="40.00", clientId="client-7")
    await _funded(ap, amount="60.00")             # another address: not the client's
    body = withdrawal_body(amount="0", addressFrom=created["addressTo"], clientId="client-7", transferAll=True)
    _, out = await ap.call("POST", "/withdrawal", body, expect=200)
    assert out["amount"] == "39.80" and out["addressFrom"] == created["addressTo"]
    assert (await ap.balances())["USDT_tron"] == "59.70"
    status, again = await ap.call("POST", "/withdrawal", body)
    assert (status, again["field"]) == (422, "amount")       # nothing left on that address
    wrong = withdrawal_body(addressFrom=created["addressTo"], clientId="client-8")
    status, out = await ap.call("POST", "/withdrawal", wrong)
    assert (status, out["field"]) == (422, "addressFrom")


async def test_transfer_all_without_an_address_takes_the_merchant_balance(ap):
    await ap.simulate("fund", method="USDC_ethereum", amount="12.5")
    _, out = await ap.call("POST", "/withdrawal", withdrawal_body(amount="1", short="USDC", network="ethereum",
                                                                  transferAll=True), expect=200)
    assert out["amount"] == "12.50" and out["asset"]["name"] == "USD Coin"


async def test_list_counts_pages_from_zero_and_filters(ap):
    await ap.simulate("fund", method="USDT_tron", amount="100")
    ids = [(await ap.withdraw(amount="1", invoice=f"W-{i}"))["id"] for i in range(3)]
    await ap.simulate("approve_withdrawal", withdrawal=ids[0])
    _, out = await ap.call("GET", "/withdrawal", expect=200)
    assert [w["id"] for w in out["data"]] == ids[::-1] and (out["page"], out["limit"], out["total"]) == (0, 20, 3)
    _, out = await ap.call("GET", "/withdrawal?page=1&limit=2", expect=200)
    assert [w["id"] for w in out["data"]] == [ids[0]]
    _, out = await ap.call("GET", "/withdrawal?statuses=APPROVED", expect=200)
    assert [w["id"] for w in out["data"]] == [ids[0]]
    _, out = await ap.call("GET", f"/withdrawal?ids={ids[1]},{ids[2]}&invoices=W-2", expect=200)
    assert [w["id"] for w in out["data"]] == [ids[2]]
    for bad, field in (("page=-1", "page"), ("limit=0", "limit"), ("limit=101", "limit"), ("statuses=DONE", "statuses")):
        status, out = await ap.call("GET", f"/withdrawal?{bad}")
        assert (status, out["field"]) == (422, field)
    assert (await ap.call("GET", "/withdrawal/00000000-0000-4000-8000-000000000000"))[0] == 404
