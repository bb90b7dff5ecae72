"""Every lifecycle path on the virtual clock, through the documented status words."""
from __future__ import annotations

from decimal import Decimal

from alfabit_support import TRON_ADDRESS, WITHDRAW, dec
from fuzzing import state_fingerprint


def statuses(rec) -> list[str]:
    return [rec.json(i)["status"] for i in range(len(rec.requests))]


async def test_exact_payment_walks_every_invoice_status(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="25")
    await ab.simulate("pay", order=order["uid"])
    paid = await ab.order(order["uid"])
    assert paid["status"] == "invoiceWaitConfirms" and paid["amountInFact"] == "25" and paid["txId"]
    await ab.advance("56s")                                    # 19 TRON confirmations take 57 s
    assert (await ab.order(order["uid"]))["status"] == "invoiceWaitConfirms"
    await ab.advance("1s")
    assert (await ab.order(order["uid"]))["status"] == "invoiceWaitCheck"
    await ab.advance("1m")
    converting = await ab.order(order["uid"])        # the docs' own sample: inProgress, amountOutFact 0
    assert (converting["status"], converting["isDone"], converting["amountOutFact"]) == ("inProgress", False, "0")
    await ab.advance("10s")
    done = await ab.order(order["uid"])
    assert (done["status"], done["isDone"], done["amountValidity"], done["paymentTiming"]) == (
        "success", True, "valid", "onTime")
    assert done["amountOutFact"] == done["amountOutExpected"] == "24.985" and done["serviceCommission"] == "0.015"
    assert done["balanceAfter"] == "24.985" and await ab.balance() == dec("24.985")
    assert done["updatedAt"] == "2025-01-15T10:02:07.000Z"
    assert statuses(rec) == ["invoiceWaitConfirms", "invoiceWaitCheck", "inProgress", "success"]
    assert rec.json() == {**done, "signature": rec.json()["signature"]}   # the whole order, as GET shows it


async def test_partial_payment_completes_as_less_and_credits_what_came(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="50")
    await ab.simulate("pay", order=order["uid"], amount="20")
    await ab.advance("5m")
    done = await ab.order(order["uid"])
    assert (done["status"], done["amountInFact"], done["amountValidity"]) == ("success", "20", "less")
    assert await ab.balance() == dec("19.988")


async def test_top_up_before_the_check_adds_to_the_order(ab):
    order = await ab.create("USDTTRC20", amount="50")
    await ab.simulate("pay", order=order["uid"], amount="20")
    await ab.advance("30s")
    await ab.simulate("pay", order=order["uid"], amount="30")
    await ab.advance("5m")
    done = await ab.order(order["uid"])
    assert (done["status"], done["amountInFact"], done["amountValidity"]) == ("success", "50", "valid")
    await ab.simulate("pay", order=order["uid"], amount="5")    # after the check: not this order's
    assert (await ab.order(order["uid"]))["amountInFact"] == "50"


async def test_overpayment_completes_as_more(ab):
    order = await ab.create("USDTTRC20", amount="10")
    await ab.simulate("pay", order=order["uid"], kind="over")
    await ab.advance("5m")
    done = await ab.order(order["uid"])
    assert (done["status"], done["amountInFact"], done["amountValidity"]) == ("success", "15", "more")
    assert await ab.balance() == dec("14.991")


async def test_never_paid_expires_on_time(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="10", expiryDurationMinutes=15)
    await ab.advance("14m59s")
    assert (await ab.order(order["uid"]))["status"] == "invoiceWaitPay" and statuses(rec) == ["invoiceWaitPay"]
    await ab.advance("1s")
    expired = await ab.order(order["uid"])
    # [A] a late payment is still taken for 60 min: not done yet, amountValidity neutral
    assert (expired["status"], expired["isDone"], expired["amountInFact"], expired["amountValidity"]) == (
        "invoiceNotPayed", False, "0", "valid")
    assert statuses(rec) == ["invoiceWaitPay", "invoiceNotPayed"] and expired["updatedAt"] == "2025-01-15T10:15:00.000Z"
    await ab.advance("1h")
    final = await ab.order(order["uid"])
    assert (final["status"], final["isDone"]) == ("invoiceNotPayed", True) and len(rec.requests) == 2
    await ab.simulate("pay", order=order["uid"])                 # too late: journaled, the order stays done
    assert await ab.order(order["uid"]) == final and await ab.balance() == 0


async def test_late_payment_revives_the_order_as_late(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="10")
    await ab.simulate("pay", order=order["uid"], kind="late")
    await ab.advance("5m")
    done = await ab.order(order["uid"])
    assert (done["status"], done["paymentTiming"], done["amountValidity"]) == ("success", "late", "valid")
    assert statuses(rec) == ["invoiceWaitPay", "invoiceNotPayed", "invoiceWaitConfirms", "invoiceWaitCheck",
                             "inProgress", "success"]
    # isDone never went back: false all along until success
    assert [rec.json(i)["isDone"] for i in range(len(rec.requests))] == [False] * 5 + [True]
    assert await ab.balance() == dec("9.994")


async def test_aml_block(hooked):
    ab, rec = hooked
    order = await ab.create("USDCSOL", amount=None)
    await ab.simulate("pay", order=order["uid"], amount="850", aml="block")
    await ab.advance("5m")
    blocked = await ab.order(order["uid"])
    assert (blocked["status"], blocked["isDone"], blocked["risk"], blocked["amountOutFact"]) == (
        "invoiceCheckBlocked", True, "100", "0")
    assert statuses(rec)[-1] == "invoiceCheckBlocked" and await ab.balance() == 0
    await ab.simulate("aml", order=order["uid"], verdict="pass", expect=409)


async def test_invoice_without_amount_any_payment_is_valid(ab):
    order = await ab.create("USDCSOL", amount=None)
    await ab.simulate("pay", order=order["uid"], amount="850")
    await ab.simulate("confirm", order=order["uid"])
    await ab.advance("1m")
    sample_like = await ab.order(order["uid"])      # the docs' callback sample, status for status
    assert (sample_like["status"], sample_like["amountInFact"], sample_like["amountOutFact"], sample_like["isDone"]) == (
        "inProgress", "850", "0", False)
    await ab.advance("10s")
    done = await ab.order(order["uid"])
    # the sample's numbers: 850 USDC in, about 849.49 USDT out
    assert (done["amountInFact"], done["amountOutExpected"], done["amountValidity"]) == ("850", "849.49", "valid")
    assert done["status"] == "success"


async def test_ton_transfer_without_the_memo_is_not_matched(ab, world):
    order = await ab.create("TON", amount="2")
    await ab.simulate("pay", order=order["uid"], memo="123")
    assert (await ab.order(order["uid"]))["status"] == "created"     # nothing matched
    assert world.journal.query(kind="payment.unmatched_memo")
    await ab.simulate("pay", order=order["uid"])
    assert (await ab.order(order["uid"]))["amountInFact"] == "2"


async def test_warning_is_the_unexpected_case(hooked):
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="10")
    await ab.simulate("pay", order=order["uid"])
    await ab.simulate("warning", order=order["uid"])
    await ab.advance("5m")
    stuck = await ab.order(order["uid"])
    assert (stuck["status"], stuck["isDone"]) == ("warning", False) and statuses(rec)[-1] == "warning"
    assert await ab.balance() == 0


async def withdraw(ab, amount="10", currency="USDTTRC20", recipient=TRON_ADDRESS, expect=201, **extra):
    status, answer = await ab.call("POST", WITHDRAW, json_body={
        "amount": amount, "toCurrencyCode": currency, "recipient": recipient, **extra})
    assert status == expect, answer
    return answer


async def test_withdrawal_in_progress_then_success(hooked):
    ab, rec = hooked
    await ab.simulate("credit", amount="100")
    answer = await withdraw(ab, comment="payout 1")
    data = answer["data"]
    assert answer["message"] == "ok" and data["type"] == "withdraw" and data["status"] == "created"
    # the network fee and the 0.1 % service fee on top of the amount [D order; A figures]
    assert (data["amountOutExpected"], data["amountInExpected"], data["netCommission"], data["serviceCommission"]) == (
        "10", "11.01", "1", "0.01")
    assert data["netFeeCurrencyCode"] == data["currencyInCode"] == "USDT-INTERNAL"
    assert data["requisites"] == TRON_ADDRESS and data["balanceAfter"] == "88.99" and await ab.balance() == dec("88.99")
    await ab.advance("10s")
    assert (await ab.order(data["uid"]))["status"] == "inProgress"
    await ab.advance("2m")
    done = await ab.order(data["uid"])
    assert (done["status"], done["isDone"], done["amountOutFact"]) == ("success", True, "10") and done["txId"]
    assert statuses(rec) == ["inProgress", "success"]


async def test_withdrawal_blocked_by_aml_is_refunded(hooked):
    ab, rec = hooked
    await ab.simulate("credit", amount="100")
    data = (await withdraw(ab))["data"]
    await ab.simulate("aml", order=data["uid"], verdict="block")
    await ab.advance("1m")
    blocked = await ab.order(data["uid"])
    assert (blocked["status"], blocked["isDone"]) == ("withdrawBlocked", True)
    assert await ab.balance() == 100 and statuses(rec) == ["withdrawBlocked"]


async def test_withdrawal_failure_is_refunded(ab):
    await ab.simulate("credit", amount="20")
    data = (await withdraw(ab, amount="0.5", currency="USDTTON",
                           recipient="0QB45RBhcxHYo8LOb0R-1NV7Hi_riUFMNDwQJ8TRw4a7xNa7", requisitesMemoTag="777"))["data"]
    assert data["requisitesMemoTag"] == "777" and await ab.balance() == dec("19.2995")
    await ab.advance("10s")
    await ab.simulate("fail", order=data["uid"])
    assert (await ab.order(data["uid"]))["status"] == "failed" and await ab.balance() == 20


async def test_withdrawal_refusals_change_nothing(ab, world):
    await ab.simulate("credit", amount="5")
    before = (world.rng.getstate(), len(world.backend("alfabit").orders))
    answer = await withdraw(ab, amount="10", expect=400)
    assert answer["statusCode"] == 400 and "Insufficient funds" in answer["message"]
    await withdraw(ab, amount="1", recipient="0x" + "ab" * 20, expect=400)
    await ab.simulate("settings", withdrawals_enabled=False)
    answer = await withdraw(ab, amount="1", expect=403)
    assert answer == {"statusCode": 403, "message": "Withdrawals are not allowed for this API key", "error": "Forbidden"}
    assert (world.rng.getstate(), len(world.backend("alfabit").orders)) == before
    assert await ab.balance() == Decimal(5)


async def _payout_on_the_chain(ab) -> dict:
    await ab.simulate("credit", amount="100")
    data = (await withdraw(ab))["data"]
    await ab.advance("10s")
    out = await ab.order(data["uid"])
    assert out["status"] == "inProgress" and out["txId"] and await ab.balance() == dec("88.99")
    return out


async def test_a_withdrawal_whose_payout_is_on_the_chain_is_not_blocked(ab, world):
    out = await _payout_on_the_chain(ab)
    before = state_fingerprint(world)
    await ab.simulate("block", order=out["uid"], expect=409)
    assert state_fingerprint(world) == before
    assert (await ab.order(out["uid"]))["status"] == "inProgress" and await ab.balance() == dec("88.99")


async def test_a_warning_after_the_payout_keeps_it_paid_out(ab):
    out = await _payout_on_the_chain(ab)
    await ab.simulate("warning", order=out["uid"])
    assert (await ab.order(out["uid"]))["status"] == "warning"
    assert await ab.balance() == dec("88.99")          # paid out once, not given back as well


async def test_a_failed_payout_leaves_the_chain_before_the_money_comes_back(ab, world):
    out = await _payout_on_the_chain(ab)
    await ab.simulate("fail", order=out["uid"])
    assert (await ab.order(out["uid"]))["status"] == "failed" and await ab.balance() == 100
    (payout,) = [t for t in world.chain.transfers_to(TRON_ADDRESS) if t.txid == out["txId"]]
    assert payout.gone == "dropped" and world.journal.query(kind="withdrawal.payout_dropped")
