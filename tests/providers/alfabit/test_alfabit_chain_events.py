"""What AlfaBit Pay does when the chain misbehaves (docs/providers/alfabit.md, "Chain events"):
reorgs, double spends, the wrong network or asset, TON memos, split payments and dust, a
transfer stuck unconfirmed.

After every event `invariant` holds the orders and the balance to the chain: an order shows
`success` (and only then a credited `amountOutFact`) only while the transfers to its requisites
that are still on the chain — on its network and asset, with its memo, not dust — all have the
required confirmations and add up to its `amountInFact`; the USDT-INTERNAL balance is the sum of
what success orders credited. Read through the provider's API and GET /_sandbox/chain/transfers.
"""
from __future__ import annotations

from decimal import Decimal

from alfabit_support import dec

CURRENCY = {"USDTTRC20": ("tron", "USDT", 19, Decimal(1)), "TON": ("ton", "TON", 1, Decimal("5.2"))}


def statuses(rec) -> list[str]:
    return [rec.json(i)["status"] for i in range(len(rec.requests))]


async def invariant(ab, uids: list[str]) -> Decimal:
    credited = Decimal(0)
    for uid in uids:
        order = await ab.order(uid)
        chain, asset, need, usd = CURRENCY[order["currencyInCode"]]
        txs = [t for t in await ab.admin("GET", f"/chain/transfers?address={order['requisites']}")
               if t["status"] not in ("dropped", "replaced") and t["network"] == chain
               and t["token"] in (None, asset) and t["memo"] == order["requisitesMemoTag"]
               and dec(t["amount"]) * usd >= Decimal("0.1")]
        if order["status"] == "success":
            assert all(t["confirmations"] >= need for t in txs), txs
            assert sum((dec(t["amount"]) for t in txs), Decimal(0)) == dec(order["amountInFact"])
            credited += dec(order["amountOutFact"])
        else:
            assert dec(order["amountOutFact"]) == 0, order
    assert await ab.balance() == credited
    return credited


async def chain(ab, route: str, expect: int = 200, **body) -> dict:
    return await ab.admin("POST", f"/chain/{route}", body, expect=expect)


async def test_reorg_after_success_takes_the_credit_back_and_runs_the_path_again(hooked):
    ab, rec = hooked
    uid = (await ab.create("USDTTRC20", amount="25"))["uid"]
    tx = (await ab.simulate("pay", order=uid))["transfer"]["txid"]
    await invariant(ab, [uid])
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "success"
    assert await invariant(ab, [uid]) > 0
    await chain(ab, "reorg", txid=tx)
    await invariant(ab, [uid])
    order = await ab.order(uid)
    assert (order["status"], order["isDone"], order["amountOutFact"]) == ("invoiceWaitConfirms", False, "0")
    assert await invariant(ab, [uid]) == 0
    assert statuses(rec)[-2:] == ["success", "invoiceWaitConfirms"]       # the status going back
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "success"
    assert await invariant(ab, [uid]) > 0
    assert statuses(rec)[-4:] == ["invoiceWaitConfirms", "invoiceWaitCheck", "inProgress", "success"]


async def test_a_reorg_before_the_check_goes_back_to_waiting_for_confirmations(hooked):
    ab, rec = hooked
    uid = (await ab.create("USDTTRC20", amount="25"))["uid"]
    tx = (await ab.simulate("pay", order=uid))["transfer"]["txid"]
    await invariant(ab, [uid])
    await ab.advance("1m")
    assert (await ab.order(uid))["status"] == "invoiceWaitCheck"
    await chain(ab, "reorg", network="tron", depth=50)
    assert (await ab.order(uid))["status"] == "invoiceWaitConfirms"
    await invariant(ab, [uid])
    await chain(ab, "reorg", txid=tx, drop=True)
    await invariant(ab, [uid])
    order = await ab.order(uid)
    assert (order["status"], order["amountInFact"]) == ("invoiceWaitPay", "0")
    await ab.advance("5m")
    assert await invariant(ab, [uid]) == 0
    assert statuses(rec) == ["invoiceWaitConfirms", "invoiceWaitCheck", "invoiceWaitConfirms", "invoiceWaitPay"]


async def test_a_double_spend_is_never_credited(hooked):
    ab, rec = hooked
    uid = (await ab.create("USDTTRC20", amount="25"))["uid"]
    await ab.advance("5s")                     # processing started: invoiceWaitPay
    tx = (await ab.simulate("pay", order=uid))["transfer"]["txid"]
    await chain(ab, "double_spend", txid=tx)
    await invariant(ab, [uid])
    assert (await ab.order(uid))["status"] == "invoiceWaitPay"
    await ab.advance("30m")
    assert (await ab.order(uid))["status"] == "invoiceNotPayed"
    assert await invariant(ab, [uid]) == 0
    assert statuses(rec) == ["invoiceWaitPay", "invoiceWaitConfirms", "invoiceWaitPay", "invoiceNotPayed"]


async def test_wrong_network_or_asset_is_not_this_orders_money(hooked):
    ab, rec = hooked
    uid = (await ab.create("USDTTRC20", amount="25"))["uid"]
    requisites = (await ab.order(uid))["requisites"]
    await chain(ab, "transfers", 201, network="eth", address=requisites, amount="25")
    await chain(ab, "transfers", 201, network="tron", address=requisites, amount="25", token="TRX")
    await invariant(ab, [uid])
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "invoiceWaitPay"
    assert await invariant(ab, [uid]) == 0 and statuses(rec) == ["invoiceWaitPay"]
    reasons = [e["reason"] for e in await ab.admin("GET", "/journal?kind=payment.unmatched")]
    assert reasons == ["wrong network: eth, not tron", "wrong token: TRX, not USDT"]


async def test_ton_needs_the_orders_memo(hooked):
    ab, rec = hooked
    uid = (await ab.create("TON", amount="2"))["uid"]
    order = await ab.order(uid)
    await chain(ab, "transfers", 201, network="ton", address=order["requisites"], amount="2")
    await chain(ab, "transfers", 201, network="ton", address=order["requisites"], amount="2", memo="1")
    await invariant(ab, [uid])
    await ab.advance("1m")
    assert (await ab.order(uid))["status"] == "invoiceWaitPay"
    assert await invariant(ab, [uid]) == 0
    await chain(ab, "transfers", 201, network="ton", address=order["requisites"], amount="2",
                memo=order["requisitesMemoTag"])
    await invariant(ab, [uid])
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "success"
    assert await invariant(ab, [uid]) > 0


async def test_split_payment_and_dust(hooked):
    ab, rec = hooked
    uid, dusty = (await ab.create("USDTTRC20", amount="25"))["uid"], (await ab.create("USDTTRC20", amount="25"))["uid"]
    out = await ab.simulate("pay", order=uid, kind="split", parts=3)
    await invariant(ab, [uid, dusty])
    assert [t["amount"] for t in out["transfers"]] == ["8.333333", "8.333333", "8.333334"]
    assert out["order"]["amountInFact"] == "25"
    dust = await ab.simulate("pay", order=dusty, kind="dust")
    await invariant(ab, [uid, dusty])
    assert dust["transfer"]["amount"] == "0.050000" and dust["order"]["amountInFact"] == "0"
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "success"
    assert (await ab.order(dusty))["status"] == "invoiceWaitPay"
    assert await invariant(ab, [uid, dusty]) > 0
    await ab.simulate("pay", order=dusty, kind="split", parts=1, expect=400)


async def test_a_stuck_transfer_waits_for_confirmations_until_released(hooked):
    ab, rec = hooked
    uid = (await ab.create("USDTTRC20", amount="25"))["uid"]
    order = await ab.order(uid)
    stuck = await chain(ab, "transfers", 201, network="tron", address=order["requisites"], amount="25",
                        confirmations_stuck=True)
    await invariant(ab, [uid])
    await ab.advance("3h")
    assert (await ab.order(uid))["status"] == "invoiceWaitConfirms"       # paid: no expiry
    assert await invariant(ab, [uid]) == 0
    await chain(ab, "release", txid=stuck["txid"])
    await invariant(ab, [uid])
    await ab.advance("3m")
    assert (await ab.order(uid))["status"] == "success"
    assert await invariant(ab, [uid]) > 0
