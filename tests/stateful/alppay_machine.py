"""ALPPAY as a state machine (tests/stateful/machine.py): payments and withdrawals made through
its API, their statuses, and the merchant's balances."""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import strategies as st

from machine import Create, Read, Spec, pick

API = "/alppay/v2"
TRON_TO = "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"
CONFIRMS = {"tron": 20, "ton": 1}                    # docs/providers/alppay.md
PRICE = {"USDT": Decimal(1), "TON": Decimal(5)}
FEE = Decimal("0.005")                               # [A] the processing fee, half a percent
ASSETS = [{"short": "USDT", "network": "tron"}, {"short": "TON", "network": "ton"}]


def customer(data) -> dict:
    return {"id": data.draw(st.integers(1, 3)), "name": "Buyer", "email": "buyer@example.com"}


def payment(data) -> dict:
    return {"amount": pick(data, ["250.00", "10", "0.50", "99.99", "5000"]), "asset": pick(data, ASSETS),
            "customer": customer(data), "invoice": f"INV-{data.draw(st.integers(0, 999))}"}


def withdrawal(data) -> dict:
    return {"amount": pick(data, ["1", "10", "0.5", "1000"]), "asset": ASSETS[0], "addressTo": TRON_TO,
            "customer": customer(data), "destTag": "", "invoice": f"W-{data.draw(st.integers(0, 99))}"}


def balances(machine) -> list[str]:
    """Per method: each payment's deposits (transfers that arrived while it was open) confirmed on
    their chain, token and memo, not dust, not held by the AML check, net of the fee; plus what
    the fund verb added; less what withdrawals took."""
    expected: dict[str, Decimal] = dict(machine.extra.get("funded", {}))
    now = machine.world.clock.now()
    for p in machine.backend.payments.values():
        short, network = p.asset.short, p.asset.network
        places = Decimal("0.01") if short in ("USDT", "USDC") else Decimal("1e-8")
        for d in p.deposits:
            tx = d.transfer
            counted = (tx.gone is None and tx.network == p.asset.chain and tx.token in (None, short)
                       and tx.memo == (p.dest_tag or tx.memo) and tx.amount * PRICE[short] >= Decimal("0.10")
                       and not d.danger and not d.aml_pending)
            if counted and tx.confirmations(now) >= CONFIRMS[network]:
                key = f"{short}_{network}"
                fee = (tx.amount * FEE).quantize(places, ROUND_HALF_UP)
                expected[key] = expected.get(key, Decimal(0)) + tx.amount - fee
    for w in machine.backend.withdrawals.values():
        if w.status not in ("CANCELED", "CANCELLED", "FAILED"):
            key = f"{w.asset.short}_{w.asset.network}"
            expected[key] = expected.get(key, Decimal(0)) - w.amount
    answer = machine.admin("POST", "/simulate/alppay/balances", {}, check_unchanged=False)
    shown = json.loads(answer.body, parse_float=Decimal)
    shown = shown.get("balances", shown)
    return [f"{key}: the API shows {value}, the chain, funds and withdrawals say {expected.get(key, 0)}"
            for key, value in shown.items() if Decimal(str(value)) != expected.get(key, Decimal(0))]


def funded(machine, verb: str, sample: dict, answer) -> None:
    sums = machine.extra.setdefault("funded", {})
    sums[sample["method"]] = sums.get(sample["method"], Decimal(0)) + Decimal(str(sample["amount"]))


def chain_targets(machine, obj: dict) -> list[tuple[str, str]]:
    if obj["kind"] != "payment":
        return []
    p = machine.backend.payments[obj["id"]]
    return [(p.asset.chain, p.address)]


SPEC = Spec(
    provider="alppay",
    creates=[Create("POST", f"{API}/payment", payment), Create("POST", f"{API}/payment", payment),
             Create("POST", f"{API}/withdrawal", withdrawal)],
    reads=[Read("GET", f"{API}/payment/{{id}}", "payment"), Read("GET", f"{API}/payment"),
           Read("GET", f"{API}/withdrawal/{{id}}", "withdrawal"), Read("GET", f"{API}/withdrawal"),
           Read("GET", f"{API}/wallets-balances")],
    transitions={
        # docs/providers/alppay.md: status OPEN | EXPIRED | COMPLETED; a closed payment never changes
        "payment": {"OPEN": {"COMPLETED", "EXPIRED"}, "COMPLETED": set(), "EXPIRED": set()},
        "withdrawal": {"OPEN": {"APPROVED", "CANCELLED"}, "APPROVED": {"COMPLETE", "CANCELLED"},
                       "COMPLETE": set(), "CANCELLED": set()},
    },
    balances=balances,
    anytime={"pay"},
    samples={"fund": [{"method": "USDT_tron", "amount": "100"}, {"method": "USDT_tron", "amount": "0.01"}],
             "pay": [{"amount": "1"}]},
    chain_targets=chain_targets,
    on_merchant_verb=funded,
)
