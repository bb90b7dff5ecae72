"""The documented status words on the orders the docs show them on, every one reachable, and
isDone final: once an order says isDone true, nothing about it changes again."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from alfabit_support import ORDERS, TRON_ADDRESS, WITHDRAW, AlfaBit, dec

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD


def statuses(rec) -> list[str]:
    return [rec.json(i)["status"] for i in range(len(rec.requests))]


async def test_an_invoice_is_created_before_processing_starts(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5")
    assert (order["status"], order["isDone"]) == ("created", False) and order["requisites"]
    await ab.advance("1s")
    assert statuses(rec) == ["invoiceWaitPay"]


async def test_creation_held_then_released(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5", isAwaitRequisites=False)
    await ab.simulate("hold_creation", order=order["uid"])
    await ab.advance("1m")
    held = await ab.order(order["uid"])
    assert (held["status"], held["requisites"], held["isDone"]) == ("invoiceWaitCreate", None, False)
    await ab.simulate("issue_requisites", order=order["uid"])
    assert statuses(rec) == ["invoiceWaitCreate", "invoiceWaitPay"] and rec.json()["requisites"]


async def test_creation_fails(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTON", amount=None, isAwaitRequisites=False)
    await ab.advance("1s")
    await ab.simulate("fail_creation", order=order["uid"])
    await ab.advance("1h")
    failed = await ab.order(order["uid"])
    assert (failed["status"], failed["isDone"], failed["requisites"]) == ("invoiceNotCreated", True, None)
    assert statuses(rec) == ["invoiceWaitRequisites", "invoiceNotCreated"]
    with_requisites = await ab.create("USDTTRC20", amount="1")
    await ab.simulate("fail_creation", order=with_requisites["uid"], expect=409)


async def test_aml_refund_walks_the_refund_statuses(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="30")
    await ab.simulate("pay", order=order["uid"], aml="refund")
    await ab.advance("2m")
    waiting = await ab.order(order["uid"])
    assert (waiting["status"], waiting["isDone"], waiting["amountOutFact"]) == ("waitRefundRequisites", False, "0")
    await ab.simulate("refund_requisites", order=order["uid"], address="bogus", expect=400)
    await ab.simulate("refund_requisites", order=order["uid"], address=TRON_ADDRESS)
    await ab.advance("1m")
    await ab.advance("2m")
    refunded = await ab.order(order["uid"])
    assert (refunded["status"], refunded["isDone"]) == ("refunded", True) and await ab.balance() == 0
    assert statuses(rec)[-4:] == ["waitRefundRequisites", "waitRefundRequisitesCheck", "waitToRefund", "refunded"]
    _, listed = await ab.call("GET", ORDERS + "?statuses[]=refunded", expect=200)
    assert [o["uid"] for o in listed["data"]] == [order["uid"]]


async def test_revoke_an_unpaid_invoice_and_a_withdrawal_not_started(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("revoke", order=order["uid"])
    revoked = await ab.order(order["uid"])
    assert (revoked["status"], revoked["isDone"]) == ("revoked", True)
    await ab.simulate("credit", amount="20")
    _, answer = await ab.call("POST", WITHDRAW, json_body={"amount": "5", "toCurrencyCode": "USDTTRC20",
                                                           "recipient": TRON_ADDRESS}, expect=201)
    await ab.simulate("revoke", order=answer["data"]["uid"])
    assert await ab.balance() == 20                       # the held amount is back
    paid = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=paid["uid"])
    await ab.simulate("revoke", order=paid["uid"], expect=409)


async def test_block_freezes_an_order_for_good(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    await ab.simulate("block", order=order["uid"])
    await ab.advance("5m")
    blocked = await ab.order(order["uid"])
    assert (blocked["status"], blocked["isDone"], blocked["amountOutFact"]) == ("blocked", True, "0")
    assert statuses(rec)[-1] == "blocked" and await ab.balance() == 0


@pytest.mark.parametrize("verb, params", [("pay", {}), ("aml", {"verdict": "block"}), ("warning", {}),
                                          ("block", {}), ("revoke", {}), ("expire", {}), ("confirm", {})])
async def test_a_done_order_never_changes_again(hooked, verb, params):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    await ab.advance("3m")
    done = await ab.order(order["uid"])
    assert (done["status"], done["isDone"]) == ("success", True)
    sent, balance = len(rec.requests), await ab.balance()
    resp = await ab.client.post("/_sandbox/simulate/alfabit/" + verb, json={"order": order["uid"], **params})
    assert resp.status in (200, 409)
    await ab.advance("2h")
    assert await ab.order(order["uid"]) == done
    assert len(rec.requests) == sent and await ab.balance() == balance


async def test_is_done_never_flips_back_on_any_path(hooked):
    """Every callback of every path: isDone goes false ... false, true, and stays."""
    ab, rec = hooked
    for story in ({"kind": "exact"}, {"kind": "late"}, {"kind": "partial", "aml": "block"}):
        order = await ab.create("USDTTRC20", amount="10")
        await ab.simulate("pay", order=order["uid"], **story)
        await ab.advance("2h")
    by_order: dict[str, list[bool]] = {}
    for i in range(len(rec.requests)):
        body = rec.json(i)
        by_order.setdefault(body["uid"], []).append(body["isDone"])
    for flags in by_order.values():
        assert flags == sorted(flags) and flags[-1] is True, flags
    assert dec((await ab.order(order["uid"]))["amountInFact"]) == 5


async def test_without_a_late_payment_window_not_payed_is_done_at_expiry(aiohttp_client):
    """Option late_payment_minutes: 0, the other reading: invoiceNotPayed is final at once and a
    late payment is journaled only."""
    app = build_app(SandboxConfig(seed=3, start=datetime(2025, 1, 15, 10, tzinfo=timezone.utc), self_check=True,
                                  providers={"alfabit": {"options": {"late_payment_minutes": 0}}}))
    client = await aiohttp_client(app)
    merchant = (await (await client.get("/_sandbox/providers")).json())["alfabit"]["merchants"][0]
    ab = AlfaBit(client, merchant)
    order = await ab.create(expiryDurationMinutes=5)
    await ab.advance("5m")
    expired = await ab.order(order["uid"])
    assert (expired["status"], expired["isDone"]) == ("invoiceNotPayed", True)
    await ab.simulate("pay", order=order["uid"])
    assert await ab.order(order["uid"]) == expired
    assert app[WORLD].journal.query(kind="payment.after_done") and not app[WORLD].self_violations
