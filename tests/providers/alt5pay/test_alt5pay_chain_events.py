"""What ALT 5 Pay does when the chain misbehaves (docs/providers/alt5pay.md, "Chain events"):
reorgs, double spends, the wrong network or token, XRP destination tags, split payments and
dust, a transfer stuck unconfirmed.

After every event `invariant` checks the merchant's coin balances (/usr/balances) against the
chain's own transfers (GET /_sandbox/chain/transfers): per coin, the transfers to the merchant's
addresses that are still on the chain, on the address's network and token, carrying its tag
(XRP), worth at least 0.10 of its currency, with the asset's confirmations. A transfer that is
gone is never listed as a transaction.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

CONFIRMS = {"BTC": 6, "USDT": 19, "XRP": 1, "SOL": 1, "ETH": 12}
CHAIN = {"BTC": "btc", "USDT": "tron", "XRP": "xrp", "SOL": "sol", "ETH": "eth"}


async def ok(admin, path: str, body: dict | None = None, method: str = "POST", status: int = 200) -> dict:
    got, out = await admin(path, body, method=method)
    assert got == status, out
    return out


async def invariant(api, admin, wallets: list[dict]) -> dict[str, Decimal]:
    expected: dict[str, Decimal] = {}
    for wallet in wallets:
        coin, price = wallet["coin"], Decimal(str(wallet["price"]))
        for tx in await ok(admin, f"/chain/transfers?address={wallet['address']}", method="GET"):
            amount = Decimal(tx["amount"])
            counted = (tx["status"] not in ("dropped", "replaced") and tx["network"] == CHAIN[coin]
                       and tx["token"] in (None, coin) and tx["memo"] == (wallet.get("tag") or tx["memo"])
                       and amount * price >= Decimal("0.10"))
            if counted and tx["confirmations"] >= CONFIRMS[coin]:
                expected[coin] = expected.get(coin, Decimal(0)) + amount
            if not counted:   # never a transaction of the merchant's
                status, _ = await api("/usr/wallet/transactionsbytx", {"txid": tx["txid"]})
                assert status == 404, tx
    _, balances = await api("/usr/balances", {})
    got = {row["coin"]: Decimal(str(row["blalance"])) for row in balances["data"]}
    for coin, amount in got.items():
        assert amount == expected.get(coin, 0), (coin, got, expected)
    return got


@pytest.fixture
async def hook(receiver, admin):
    rec = await receiver()
    await ok(admin, "/providers/alt5pay/merchant", {"webhook_url": rec.url}, method="PATCH")
    return rec


async def wallet(api, asset: str, ref: str) -> dict:
    status, created = await api(f"/usr/wallet/{asset}/create", {"ref_id": ref, "currency": "USD"})
    assert status == 200, created
    return created["data"]


async def ipns(admin) -> list[tuple[str, str]]:
    out = await ok(admin, "/deliveries?provider=alt5pay", method="GET")
    return [(d["event"], d["ref"]) for d in out]


async def test_reorg_of_a_paid_payment_sends_pending_then_paid_again(api, admin, hook):
    w = await wallet(api, "btc", "reorg-1")
    txid = (await ok(admin, "/simulate/alt5pay/pay", {"address": w["address"], "amount": "0.002"}))["txid"]
    await ok(admin, "/clock/advance", {"by": "1h"})
    assert (await invariant(api, admin, [w]))["BTC"] == Decimal("0.002")
    await ok(admin, "/chain/reorg", {"txid": txid})
    await invariant(api, admin, [w])
    _, tx = await api("/usr/wallet/transactionsbytx", {"txid": txid})
    assert tx["data"]["status"] == "Pending"
    assert (await invariant(api, admin, [w]))["BTC"] == 0
    assert await ipns(admin) == [("ipn.paid", "reorg-1"), ("ipn.pending", "reorg-1")]
    await ok(admin, "/clock/advance", {"by": "1h"})           # mined again 10 min later, 6 blocks
    assert (await invariant(api, admin, [w]))["BTC"] == Decimal("0.002")
    assert await ipns(admin) == [("ipn.paid", "reorg-1"), ("ipn.pending", "reorg-1"), ("ipn.paid", "reorg-1")]
    bodies = [d["body"] for d in await ok(admin, "/deliveries?provider=alt5pay", method="GET")]
    assert ['"confirmation":"6"' in b for b in bodies] == [True, False, True]


async def test_a_dropped_payment_leaves_the_invoice_and_the_balance(api, admin, hook):
    _, inv = await api("/usr/invoice/create", {"ref_id": "drop-1", "total_amount": 60, "currency": "USD",
                                               "sendemail": False})
    invoice = inv["data"]["invoice_id"]
    paid = await ok(admin, "/simulate/alt5pay/pay", {"invoice": invoice, "asset": "usdt_tron"})
    w = {"address": paid["address"], "coin": "USDT", "price": paid["price"]}
    await invariant(api, admin, [w])
    await ok(admin, "/clock/advance", {"by": "2m"})
    _, seen = await api(f"/invoice/{invoice}", {})
    assert seen["data"]["payment_status"] == "Paid"
    await invariant(api, admin, [w])
    await ok(admin, "/chain/reorg", {"txid": paid["txid"], "drop": True})
    await invariant(api, admin, [w])
    _, seen = await api(f"/invoice/{invoice}", {})
    assert (seen["data"]["payment_status"], seen["data"]["paid_amount"]) == ("Unpaid", 0)
    assert (await invariant(api, admin, [w]))["USDT"] == 0
    assert await ipns(admin) == [("ipn.paid", "drop-1")]        # no IPN says "gone"


async def test_a_double_spend_of_a_pending_payment_is_never_credited(api, admin, hook):
    w = await wallet(api, "usdt_tron", "ds-1")
    txid = (await ok(admin, "/simulate/alt5pay/pay", {"address": w["address"], "amount": "25"}))["txid"]
    await invariant(api, admin, [w])
    out = await ok(admin, "/chain/double_spend", {"txid": txid})
    await invariant(api, admin, [w])
    assert out["replaced"]["status"] == "replaced"
    status, _ = await api("/usr/wallet/transactions", {"address": w["address"]})
    assert status == 404                               # no transaction left on the address
    await ok(admin, "/clock/advance", {"by": "10m"})
    assert (await invariant(api, admin, [w]))["USDT"] == 0
    assert await ipns(admin) == []


async def test_wrong_network_or_token_is_no_payment(api, admin, hook):
    w = await wallet(api, "usdt_tron", "net-1")
    await ok(admin, "/chain/transfers", {"network": "bsc", "address": w["address"], "amount": "25"}, status=201)
    await invariant(api, admin, [w])
    await ok(admin, "/chain/transfers", {"network": "tron", "address": w["address"], "amount": "25",
                                         "token": "TRX"}, status=201)
    await ok(admin, "/clock/advance", {"by": "10m"})
    assert (await invariant(api, admin, [w]))["USDT"] == 0
    reasons = [e["reason"] for e in await ok(admin, "/journal?kind=alt5pay.unmatched", method="GET")]
    assert reasons == ["wrong network: bsc, not tron", "wrong token: TRX, not USDT"]
    assert await ipns(admin) == []


async def test_an_xrp_transfer_needs_the_destination_tag(api, admin, hook):
    w = await wallet(api, "xrp", "tag-1")
    assert w["tag"]
    await ok(admin, "/chain/transfers", {"network": "xrp", "address": w["address"], "amount": "20"}, status=201)
    await invariant(api, admin, [w])
    await ok(admin, "/chain/transfers", {"network": "xrp", "address": w["address"], "amount": "20",
                                         "memo": "1"}, status=201)
    await ok(admin, "/clock/advance", {"by": "1m"})
    assert (await invariant(api, admin, [w]))["XRP"] == 0
    paid = await ok(admin, "/chain/transfers", {"network": "xrp", "address": w["address"], "amount": "20",
                                                "memo": w["tag"]}, status=201)
    by_verb = await ok(admin, "/simulate/alt5pay/pay", {"address": w["address"], "amount": "10"})
    await ok(admin, "/clock/advance", {"by": "1m"})
    assert (await invariant(api, admin, [w]))["XRP"] == Decimal(30)
    listed = {t["txid"] for t in (await api("/usr/wallet/transactions", {"address": w["address"], "all": True}))[1]["data"]}
    assert listed == {paid["txid"], by_verb["txid"]}


async def test_split_payment_and_dust(api, admin, hook):
    _, inv = await api("/usr/invoice/create", {"ref_id": "split-1", "total_amount": 60, "currency": "USD",
                                               "sendemail": False})
    invoice = inv["data"]["invoice_id"]
    out = await ok(admin, "/simulate/alt5pay/pay", {"invoice": invoice, "asset": "usdt_tron", "kind": "split"})
    assert len(out["txids"]) == 3 and [t["payment_amount"] for t in out["transactions"]] == [20, 20, 20]
    w = {"address": out["address"], "coin": "USDT", "price": out["price"]}
    await invariant(api, admin, [w])
    dust = await ok(admin, "/simulate/alt5pay/pay", {"address": out["address"], "kind": "dust"})
    await invariant(api, admin, [w])
    assert dust["amount"] == "0.05000000"
    await ok(admin, "/clock/advance", {"by": "2m"})
    _, seen = await api(f"/invoice/{invoice}", {})
    assert seen["data"]["payment_status"] == "Paid"
    assert (await invariant(api, admin, [w]))["USDT"] == 60
    assert await ipns(admin) == [("ipn.paid", "split-1")] * 3
    for bad in ({"kind": "split", "parts": 1}, {"kind": "split", "parts": 21}, {"kind": "crumbs"}):
        status, _ = await admin("/simulate/alt5pay/pay", {"address": out["address"], "amount": "1", **bad})
        assert status == 400


async def test_a_stuck_transfer_stays_pending_until_released(api, admin, hook):
    w = await wallet(api, "usdt_tron", "stuck-1")
    stuck = await ok(admin, "/chain/transfers", {"network": "tron", "address": w["address"], "amount": "25",
                                                 "confirmations_stuck": True}, status=201)
    await invariant(api, admin, [w])
    await ok(admin, "/clock/advance", {"by": "5h"})
    _, tx = await api("/usr/wallet/transactionsbytx", {"txid": stuck["txid"]})
    assert tx["data"]["status"] == "Pending"
    assert (await invariant(api, admin, [w]))["USDT"] == 0
    await ok(admin, "/chain/release", {"txid": stuck["txid"]})
    await ok(admin, "/clock/advance", {"by": "1m"})
    assert (await invariant(api, admin, [w]))["USDT"] == 25
    assert await ipns(admin) == [("ipn.paid", "stuck-1")]
