"""ALT 5 Pay as a state machine (tests/stateful/machine.py): invoices and addresses made through
its API, their payment statuses, its balances and payout requests."""
from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import strategies as st

from machine import Create, Read, Spec, pick

API = "/alt5pay"
ASSETS = ["btc", "usdt_tron", "eth"]
CONFIRMS = {"BTC": 6, "USDT": 19, "ETH": 12}        # docs/providers/alt5pay.md, "Payments and statuses"
DUST_VALUE = Decimal("0.10")                         # a transfer worth less is no payment [A]


def invoice(data) -> dict:
    return {"ref_id": f"INV-{data.draw(st.integers(0, 999))}", "total_amount": pick(data, [1, 10, 60, "25.5", 5000]),
            "currency": pick(data, ["USD", "CAD", "EUR"]), "sendemail": False}


def wallet(data) -> dict:
    return {"ref_id": f"ADR-{data.draw(st.integers(0, 999))}", "currency": pick(data, ["USD", "EUR"])}


def payout(data) -> dict:
    return {"currency": pick(data, ["USD", "BTC", "USDT", "EUR", "CAD"])}


def wallet_address(machine) -> dict:
    addresses = [o["id"] for o in machine.objects() if o["kind"] == "address"]
    return {"address": addresses[-1] if addresses else "no-such-address"}


def balances(machine) -> list[str]:
    """`blalance` per coin = the confirmed transfers of every address, worth 0.10 or more at its
    price, on its chain (payouts do not lower it: the docs' ledger of paid amounts)."""
    expected: dict[str, Decimal] = {}
    now = machine.world.clock.now()
    for w in machine.backend.wallets.values():
        for tx in machine.world.chain.transfers_to(w.address):
            if tx.network == w.asset.chain and tx.amount * w.price >= DUST_VALUE \
                    and tx.confirmations(now) >= CONFIRMS[w.asset.coin]:
                expected[w.asset.coin] = expected.get(w.asset.coin, Decimal(0)) + tx.amount
    answer = machine.api("POST", f"{API}/usr/balances", {}, check_unchanged=False)
    rows = json.loads(answer.body, parse_float=Decimal)["data"]
    return [f"{row['coin']}: the API shows {row['blalance']}, the chain says {expected.get(row['coin'], 0)}"
            for row in rows if Decimal(str(row["blalance"])) != expected.get(row["coin"], Decimal(0))]


def chain_targets(machine, obj: dict) -> list[tuple[str, str]]:
    backend = machine.backend
    if obj["kind"] == "address":
        w = backend.wallets[obj["id"]]
        return [(w.asset.chain, w.address)]
    return [(w.asset.chain, w.address) for w in backend.invoices[obj["id"]].wallets.values()]


SPEC = Spec(
    provider="alt5pay",
    creates=[Create("POST", f"{API}/usr/invoice/create", invoice), Create("POST", f"{API}/usr/invoice/create", invoice),
             Create("POST", f"{API}/usr/wallet/btc/create", wallet),
             Create("POST", f"{API}/usr/wallet/usdt_tron/create", wallet),
             Create("POST", f"{API}/usr/request_payment", payout)],
    reads=[Read("POST", f"{API}/usr/wallet/transactions", body=wallet_address),
           Read("POST", f"{API}/usr/balances", body={}), Read("POST", f"{API}/usr/payments", body={}),
           Read("POST", f"{API}/usr/transactions", body={}), Read("POST", f"{API}/usr/fees", body={})],
    transitions={
        # docs/providers/alt5pay.md "Payments and statuses": an address shows its latest payment
        # (Waiting before any); a later payment to it ("Reused") is Pending again
        "address": {"Waiting": {"Pending", "Paid", "Expired"}, "Pending": {"Paid"}, "Paid": {"Pending"},
                    "Expired": {"Pending", "Paid"}},
        # invoices: from the fiat totals of Paid payments, which only grow
        "invoice": {"Unpaid": {"Partially Paid", "Paid"}, "Partially Paid": {"Paid"}, "Paid": set()},
    },
    balances=balances,
    anytime={"pay"},
    samples={"pay": [{"asset": "usdt_tron"}, {"asset": "btc", "fraction": 0.5}, {"amount": "0.001"}]},
    chain_targets=chain_targets,
)
