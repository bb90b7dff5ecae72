"""CryptoPayment.center as a state machine (tests/stateful/machine.py): invoices and withdrawals
made through its API, its statuses' transitions, and its balances."""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from hypothesis import strategies as st

from machine import Create, Read, Spec, pick

API = "/cryptopayment/api/v1"
ADDRESSES = {"BTC": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "LTC": "tltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
             "ETH": "0x52908400098527886E0F7030069857D2E4169EE7", "USDT-TRC20": "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n",
             "USDT-BEP20": "0x52908400098527886E0F7030069857D2E4169EE7"}


def invoice(data) -> dict:
    return {"network": pick(data, ["trc20", "btc", "bep20", "eth", "ltc"]),
            "amount_usd": pick(data, [1, 10, 50, 499.99, 700, "50.5", 1000000000]),
            "order_id": f"ORD-{data.draw(st.integers(0, 999))}"}


def withdrawal(data) -> dict:
    coin = pick(data, sorted(ADDRESSES))
    return {"coin": coin, "amount": pick(data, [5, 10, "0.001", 600, "0.0005", 20]), "address": ADDRESSES[coin]}


# the docs' withdrawal fees per balance: a transfer worth less is dust, never counted [A]
DUST = {"BTC": Decimal("0.00005"), "LTC": Decimal("0.001"), "ETH": Decimal("0.001"),
        "USDT-TRC20": Decimal("1"), "USDT-BEP20": Decimal("0.5")}


def balances(machine) -> list[str]:
    """available = the confirmed invoices' on-time transfers (not dust) with their confirmations,
    less every withdrawal not rejected (held when made); pending = on-time amounts of confirming
    invoices."""
    world, backend = machine.world, machine.backend
    now = world.clock.now()
    available, pending = defaultdict(Decimal), defaultdict(Decimal)
    statuses = {o["id"]: o["status"] for o in machine.objects()}
    for inv in backend.invoices.values():
        key = inv.network.balance_key
        on_time = [t for t in world.chain.transfers_to(inv.address)
                   if t.seen_at < inv.expiry_instant() and t.amount >= DUST[key]]
        if statuses[inv.id] == "confirmed":
            available[key] += sum((t.amount for t in on_time if t.confirmations(now) >= inv.network.confirmations),
                                  Decimal(0))
        elif statuses[inv.id] == "confirming":
            pending[key] += sum((t.amount for t in on_time), Decimal(0))
    for w in backend.withdrawals.values():
        if w.status != "rejected":
            available[w.coin] -= w.amount
    answer = machine.api("GET", f"{API}/balances", check_unchanged=False)
    shown = json.loads(answer.body, parse_float=Decimal)["balances"]
    found = []
    for key, row in shown.items():
        for name, expected in (("available", available[key]), ("pending", pending[key])):
            if Decimal(str(row[name])) != expected:
                found.append(f"{key} {name}: the API shows {row[name]}, the chain and withdrawals say {expected}")
    return found


def chain_targets(machine, obj: dict) -> list[tuple[str, str]]:
    if obj["kind"] != "invoice":
        return []
    inv = machine.backend.invoices[obj["id"]]
    return [(inv.network.chain, inv.address)]


SPEC = Spec(
    provider="cryptopayment",
    creates=[Create("POST", f"{API}/invoices", invoice), Create("POST", f"{API}/invoices", invoice),
             Create("POST", f"{API}/withdrawals", withdrawal)],
    reads=[Read("GET", f"{API}/invoices/{{id}}", "invoice"), Read("GET", f"{API}/invoices?page=1"),
           Read("GET", f"{API}/invoices?page=2"), Read("GET", f"{API}/balances"),
           Read("GET", f"{API}/withdrawals/{{id}}", "withdrawal"), Read("GET", "/cryptopayment/pay/{id}", "invoice")],
    transitions={
        "invoice": {"pending": {"confirming", "confirmed", "expired"}, "confirming": {"confirmed"},
                    "confirmed": set(), "expired": set()},
        "withdrawal": {"pending_review": {"processing", "rejected"}, "processing": {"completed"},
                       "completed": set(), "rejected": set()},
    },
    balances=balances,
    anytime={"pay"},          # a payer can send coins to an invoice's address whatever it says
    samples={"pay": [{"amount": "1"}, {"amount": "0.000001"}]},
    chain_targets=chain_targets,
)
