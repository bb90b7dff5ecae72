"""What Alchemy Pay does when the chain misbehaves (docs/providers/alchemypay.md, "Chain events"):
an off-ramp order's deposit reorged, dropped or double spent, sent on the wrong network or in
another coin, with a memo, split or dust, stuck unconfirmed; an on-ramp order's crypto reorged.

Alchemy Pay keeps no merchant balance: what it "credits" is the coin an off-ramp order counts
(status "2"/"3", cryptoActualAmount, then the fiat payout) and the crypto an on-ramp order calls
FINISHED. `invariant` holds each to the chain (GET /_sandbox/chain/transfers): an order counting
a deposit has it on the chain with that amount, one that counts none shows no txHash, and a
FINISHED on-ramp order's txHash is on the chain with its confirmation.
"""
from __future__ import annotations

from decimal import Decimal

from alchemypay_helpers import buy_body, sell_body
from test_lifecycle import SUCCESS, advance, check_signed, new_order, simulate


async def transfers(client, address: str) -> dict[str, dict]:
    resp = await client.get("/_sandbox/chain/transfers", params={"address": address})
    return {t["txid"]: t for t in await resp.json()}


async def invariant(client, order_nos: list[str]) -> None:
    for order_no in order_nos:
        order = await simulate(client, "state", order=order_no)
        txs = await transfers(client, order["address"])
        if order["side"] == "SELL":
            if order["status"] in ("2", "3"):
                tx = txs[order["txHash"]]
                assert tx["status"] not in ("dropped", "replaced"), tx
                assert Decimal(tx["amount"]) == Decimal(order["cryptoActualAmount"])
            elif order["status"] in ("1", "7"):
                assert order["txHash"] == "" and order["cryptoActualAmount"] == ""
        elif order["status"] == "FINISHED":
            tx = txs[order["txHash"]]
            assert tx["status"] == "mined" and tx["confirmations"] >= 1, tx


async def chain(client, route: str, expect: int = 200, **body) -> dict:
    resp = await client.post(f"/_sandbox/chain/{route}", json=body)
    out = await resp.json()
    assert resp.status == expect, out
    return out


def statuses(rec) -> list[str]:
    return [check_signed(r)["status"] for r in rec.requests]


async def sell_order(client, world, receiver, ref: str = "SELL-1"):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, sell_body(callbackUrl=rec.url, merchantOrderNo=ref))
    return order_no, rec


async def test_deposit_reorged_then_dropped_before_the_payout(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    tx = (await simulate(client, "deposit", order=order_no))["txHash"]
    await advance(client, "1m")
    await chain(client, "reorg", txid=tx)                  # re-mined: the coin comes back
    assert (await simulate(client, "state", order=order_no))["status"] == "2"
    await invariant(client, [order_no])
    await chain(client, "reorg", txid=tx, drop=True)
    after = await simulate(client, "state", order=order_no)
    assert (after["status"], after["txHash"]) == ("1", "")
    await invariant(client, [order_no])
    assert statuses(rec) == ["1", "2", "1"]                 # the status going back, in a webhook
    await simulate(client, "payout", expect=409, order=order_no)
    again = await simulate(client, "deposit", order=order_no)   # a new deposit is taken
    assert again["status"] == "2" and again["txHash"] != tx
    await invariant(client, [order_no])


async def test_deposit_double_spent_during_the_payout_fails_it(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    tx = (await simulate(client, "deposit", order=order_no))["txHash"]
    await simulate(client, "payout", order=order_no)
    await chain(client, "double_spend", txid=tx)
    failed = await simulate(client, "state", order=order_no)
    assert (failed["status"], failed["failReason"]) == ("5", "The deposit was reversed on the chain")
    await invariant(client, [order_no])
    await simulate(client, "refund", expect=409, order=order_no)    # no coin to give back
    assert statuses(rec) == ["1", "2", "3", "5"]


async def test_wrong_network_or_coin_is_not_the_deposit(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    address = (await simulate(client, "state", order=order_no))["address"]
    await chain(client, "transfers", 201, network="eth", address=address, amount="100")
    await chain(client, "transfers", 201, network="tron", address=address, amount="100", token="TRX")
    assert (await simulate(client, "state", order=order_no))["status"] == "1"
    await invariant(client, [order_no])
    reasons = [e["reason"] for e in await (await client.get("/_sandbox/journal?kind=alchemypay.deposit_ignored")).json()]
    assert reasons == ["wrong network: eth, not tron", "wrong token: TRX, not USDT"]
    assert statuses(rec) == ["1"]


async def test_a_memo_on_the_deposit_is_ignored(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    address = (await simulate(client, "state", order=order_no))["address"]
    await chain(client, "transfers", 201, network="tron", address=address, amount="100", memo="anything")
    taken = await simulate(client, "state", order=order_no)
    assert (taken["status"], taken["cryptoActualAmount"]) == ("2", "100.0000000000")
    await invariant(client, [order_no])


async def test_split_deposit_and_dust(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    dust = await simulate(client, "deposit", order=order_no, kind="dust")
    assert dust["status"] == "1"
    await invariant(client, [order_no])
    split = await simulate(client, "deposit", order=order_no, kind="split", parts=4)
    assert (split["status"], split["cryptoActualAmount"]) == ("2", "25.0000000000")   # the first part
    await invariant(client, [order_no])
    ignored = await (await client.get("/_sandbox/journal?kind=alchemypay.deposit_ignored")).json()
    assert len(ignored) == 1 + 3
    await simulate(client, "deposit", expect=409, order=order_no)          # it has its deposit
    other, _ = await sell_order(client, world, receiver, "SELL-2")
    for bad in ({"kind": "split", "parts": 1}, {"kind": "split", "parts": "3"}, {"kind": "crumbs"}):
        await simulate(client, "deposit", expect=400, order=other, **bad)


async def test_a_stuck_deposit_holds_the_payout_until_released(client, world, receiver):
    order_no, rec = await sell_order(client, world, receiver)
    address = (await simulate(client, "state", order=order_no))["address"]
    stuck = await chain(client, "transfers", 201, network="tron", address=address, amount="100",
                        confirmations_stuck=True)
    assert (await simulate(client, "state", order=order_no))["status"] == "2"
    await simulate(client, "payout", expect=409, order=order_no)
    await invariant(client, [order_no])
    await chain(client, "release", txid=stuck["txid"])
    assert (await simulate(client, "payout", order=order_no))["status"] == "3"
    await invariant(client, [order_no])


async def test_on_ramp_crypto_reorged_or_dropped_finishes_again(client, world, receiver):
    rec = await receiver([SUCCESS])
    order_no = await new_order(client, world, buy_body(callbackUrl=rec.url))
    await simulate(client, "pay", order=order_no)
    await simulate(client, "transfer", order=order_no)
    await advance(client, "1m")
    first = await simulate(client, "state", order=order_no)
    assert first["status"] == "FINISHED"
    await invariant(client, [order_no])
    await chain(client, "reorg", txid=first["txHash"], drop=True)
    resent = await simulate(client, "state", order=order_no)
    assert (resent["status"], resent["txHash"]) == ("TRANSFER", "")   # TRANSFER shows no txHash
    await advance(client, "1m")
    again = await simulate(client, "state", order=order_no)
    assert again["status"] == "FINISHED" and again["txHash"] != first["txHash"]
    await invariant(client, [order_no])
    assert statuses(rec) == ["PAY_SUCCESS", "FINISHED", "FINISHED"]
