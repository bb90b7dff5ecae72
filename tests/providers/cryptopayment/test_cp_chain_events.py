"""What CryptoPayment.center does when the chain misbehaves (docs/providers/cryptopayment.md,
"Chain events"): reorgs, double spends, the wrong network or token, memos, split payments and
dust, a transfer stuck unconfirmed.

After every event the balance is checked against the chain itself (`invariant`): `available` is
what the chain still credits — per invoice, its on-time transfers that are still on the chain,
on the invoice's network and token, not dust, with the required confirmations, once they cover
the amount — minus withdrawals; `pending` is what the chain carries for invoices still
confirming. Computed from the documented rules and the chain's own answers
(GET /_sandbox/chain/transfers), not from the sandbox's ledger.
"""
from __future__ import annotations

from decimal import Decimal

from cp_support import dec, instant

REQUIRED = {"trc20": 19, "eth": 12, "bep20": 15, "btc": 2, "ltc": 6}
CHAIN = {"trc20": "tron", "eth": "eth", "bep20": "bsc", "btc": "btc", "ltc": "ltc"}
KEY = {"trc20": "USDT-TRC20", "eth": "ETH", "bep20": "USDT-BEP20", "btc": "BTC", "ltc": "LTC"}
DUST = {"USDT-TRC20": Decimal("1"), "ETH": Decimal("0.001")}


async def chain_credits(cp, invoices: list[dict]) -> tuple[dict, dict]:
    """(available, pending) per balance key, from the chain's transfers to each invoice."""
    available: dict[str, Decimal] = {}
    pending: dict[str, Decimal] = {}
    for inv in invoices:
        inv = await cp.invoice(inv["id"])
        net, key = inv["network"], KEY[inv["network"]]
        txs = [t for t in await cp.admin("GET", f"/chain/transfers?address={inv['address']}")
               if t["status"] not in ("dropped", "replaced") and t["network"] == CHAIN[net]
               and t["token"] in (None, inv["coin"]) and dec(t["amount"]) >= DUST.get(key, 0)
               and instant(t["seen_at"]) < instant(inv["expires_at"])]
        confirmed = sum((dec(t["amount"]) for t in txs if t["confirmations"] >= REQUIRED[net]), Decimal(0))
        if confirmed >= dec(inv["amount_crypto"]):
            available[key] = available.get(key, Decimal(0)) + confirmed
        elif sum((dec(t["amount"]) for t in txs), Decimal(0)) >= dec(inv["amount_crypto"]):
            pending[key] = pending.get(key, Decimal(0)) + sum((dec(t["amount"]) for t in txs), Decimal(0))
    return available, pending


async def invariant(cp, invoices: list[dict], withdrawn: dict | None = None) -> dict:
    available, pending = await chain_credits(cp, invoices)
    balances = await cp.balances()
    for key, row in balances.items():
        assert dec(row["available"]) == available.get(key, 0) - (withdrawn or {}).get(key, 0), (key, row, available)
        assert dec(row["pending"]) == pending.get(key, 0), (key, row, pending)
    return balances


def events(deliveries: list[dict], invoice_id: str) -> list[str]:
    return [d["event"] for d in deliveries if d["ref"] == invoice_id]


async def chain(cp, route: str, expect: int = 200, **body) -> dict:
    return await cp.admin("POST", f"/chain/{route}", body, expect=expect)


async def test_reorg_after_confirmation_debits_and_confirms_again(hooked):
    cp, _rec = hooked
    inv = await cp.create("trc20", 50)
    tx = (await cp.pay(inv["id"]))["transfer"]["txid"]
    await cp.advance("5m")
    assert (await invariant(cp, [inv]))["USDT-TRC20"]["available"] == 50
    await chain(cp, "reorg", txid=tx)
    seen = await cp.invoice(inv["id"])
    assert (seen["status"], seen["paid_amount"], seen["confirmations"]["received"]) == ("confirming", 50, 0)
    balances = await invariant(cp, [inv])
    assert (balances["USDT-TRC20"]["available"], balances["USDT-TRC20"]["pending"]) == (0, 50)
    assert events(await cp.deliveries(), inv["id"]) == ["payment.detected", "payment.confirmed"]
    await cp.advance("1m")                 # mined again a block later, 19 confirmations within 57 s
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    assert (await invariant(cp, [inv]))["USDT-TRC20"]["available"] == 50
    assert events(await cp.deliveries(), inv["id"]) == ["payment.detected", "payment.confirmed",
                                                        "payment.confirmed"]


async def test_a_dropped_transfer_leaves_the_invoice_and_the_balance(hooked):
    cp, _rec = hooked
    paid, kept = await cp.create("trc20", 50), await cp.create("trc20", 20)
    tx = (await cp.pay(paid["id"]))["transfer"]["txid"]
    await cp.pay(kept["id"])
    await cp.advance("5m")
    await invariant(cp, [paid, kept])
    out = await chain(cp, "reorg", network="tron", depth=200, drop=True)
    assert {t["txid"] for t in out["reorged"]} >= {tx}
    seen = await cp.invoice(paid["id"])
    assert (seen["status"], seen["paid_amount"]) == ("pending", 0)
    assert (await invariant(cp, [paid, kept]))["USDT-TRC20"]["available"] == 0
    await cp.advance("30m")
    assert (await cp.invoice(paid["id"]))["status"] == "expired"
    await invariant(cp, [paid, kept])
    reversed_ = await cp.admin("GET", f"/journal?kind=payment.reversed&ref={paid['id']}")
    assert [(e["txid"], e["change"]) for e in reversed_] == [(tx, "dropped")]


async def test_a_double_spend_before_confirmation_is_never_credited(hooked):
    cp, _rec = hooked
    inv, other = await cp.create("trc20", 50), await cp.create("trc20", 50)
    tx = (await cp.pay(inv["id"]))["transfer"]["txid"]
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"
    await invariant(cp, [inv, other])
    out = await chain(cp, "double_spend", txid=tx, to=other["address"])
    assert out["replaced"]["status"] == "replaced"
    seen = await cp.invoice(inv["id"])
    assert (seen["status"], seen["paid_amount"]) == ("pending", 0)
    assert (await cp.invoice(other["id"]))["status"] == "confirming"    # the replacement paid it
    await invariant(cp, [inv, other])
    await cp.advance("5m")
    assert (await cp.invoice(inv["id"]))["status"] == "pending"
    assert (await cp.invoice(other["id"]))["status"] == "confirmed"
    assert (await invariant(cp, [inv, other]))["USDT-TRC20"]["available"] == 50
    assert events(await cp.deliveries(), inv["id"]) == ["payment.detected"]


async def test_wrong_network_or_token_is_not_counted(hooked):
    cp, _rec = hooked
    eth, usdt = await cp.create("eth", 30), await cp.create("trc20", 50)
    await chain(cp, "transfers", 201, network="bsc", address=eth["address"], amount=str(eth["amount_crypto"]))
    await invariant(cp, [eth, usdt])
    await chain(cp, "transfers", 201, network="tron", address=usdt["address"], amount="50", token="TRX")
    await invariant(cp, [eth, usdt])
    await cp.advance("10m")
    for inv in (eth, usdt):
        seen = await cp.invoice(inv["id"])
        assert (seen["status"], seen["paid_amount"]) == ("pending", 0)
    assert await cp.deliveries() == []
    await invariant(cp, [eth, usdt])
    reasons = [e["reason"] for e in await cp.admin("GET", "/journal?kind=payment.unmatched")]
    assert reasons == ["wrong network: bsc, not eth", "wrong token: TRX, not USDT"]
    await chain(cp, "transfers", 201, network="tron", address=usdt["address"], amount="50", token="USDT")
    await invariant(cp, [eth, usdt])
    await cp.advance("5m")
    assert (await cp.invoice(usdt["id"]))["status"] == "confirmed"
    assert (await invariant(cp, [eth, usdt]))["USDT-TRC20"]["available"] == 50


async def test_a_memo_on_a_network_without_memos_changes_nothing(hooked):
    cp, _rec = hooked
    inv = await cp.create("trc20", 50)
    await chain(cp, "transfers", 201, network="tron", address=inv["address"], amount="50", memo="order-7")
    assert (await invariant(cp, [inv]))["USDT-TRC20"]["pending"] == 50
    await cp.advance("5m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    assert (await invariant(cp, [inv]))["USDT-TRC20"]["available"] == 50


async def test_split_payment_and_dust(hooked):
    cp, _rec = hooked
    inv, dusty = await cp.create("trc20", 50), await cp.create("trc20", 50)
    out = await cp.pay(inv["id"], kind="split", parts=3)
    assert [t["amount"] for t in out["transfers"]] == ["16.66", "16.66", "16.68"]
    await invariant(cp, [inv, dusty])
    dust = await cp.pay(dusty["id"], kind="dust")
    assert dust["transfer"]["amount"] == "0.50" and dust["invoice"]["paid_amount"] == 0
    await invariant(cp, [inv, dusty])
    await cp.advance("5m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    assert (await cp.invoice(dusty["id"]))["status"] == "pending"
    assert events(await cp.deliveries(), inv["id"]) == ["payment.detected"] * 3 + ["payment.confirmed"]
    assert events(await cp.deliveries(), dusty["id"]) == []
    assert (await invariant(cp, [inv, dusty]))["USDT-TRC20"]["available"] == 50
    for parts in (1, 21, "3", True):
        await cp.pay(dusty["id"], kind="split", parts=parts, expect=400)


async def test_a_stuck_transfer_keeps_the_invoice_confirming_until_released(hooked):
    cp, _rec = hooked
    inv, spent = await cp.create("trc20", 50), await cp.create("trc20", 50)
    stuck = await chain(cp, "transfers", 201, network="tron", address=inv["address"], amount="50",
                        confirmations_stuck=True)
    other = await chain(cp, "transfers", 201, network="tron", address=spent["address"], amount="50",
                        confirmations_stuck=True)
    await invariant(cp, [inv, spent])
    await cp.advance("3h")
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"     # paid in time: no expiry
    balances = await invariant(cp, [inv, spent])
    assert (balances["USDT-TRC20"]["available"], balances["USDT-TRC20"]["pending"]) == (0, 100)
    await chain(cp, "double_spend", txid=other["txid"])                 # still unconfirmed: replaceable
    await invariant(cp, [inv, spent])
    assert (await cp.invoice(spent["id"]))["status"] == "expired"
    await chain(cp, "release", txid=stuck["txid"])
    await invariant(cp, [inv, spent])
    await cp.advance("1m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"
    assert (await invariant(cp, [inv, spent]))["USDT-TRC20"]["available"] == 50


async def test_withdrawn_money_stays_withdrawn_when_a_later_reorg_debits(hooked):
    cp, _rec = hooked
    inv = await cp.create("trc20", 100)
    tx = (await cp.pay(inv["id"]))["transfer"]["txid"]
    await cp.advance("5m")
    await cp.withdraw("USDT-TRC20", 40, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", expect=201)
    await invariant(cp, [inv], {"USDT-TRC20": Decimal(40)})
    await chain(cp, "reorg", txid=tx, drop=True)
    balances = await invariant(cp, [inv], {"USDT-TRC20": Decimal(40)})
    assert dec(balances["USDT-TRC20"]["available"]) == -40     # [A] the merchant owes what it withdrew
