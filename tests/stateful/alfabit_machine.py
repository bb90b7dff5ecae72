"""AlfaBit Pay as a state machine (tests/stateful/machine.py): invoices and withdrawals made
through its API, their statuses (model.py's paths), and the merchant's balance."""
from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import strategies as st

from machine import Create, Read, Spec, pick

V1 = "/alfabit/api/v1/integration"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
OPERATOR = {"revoked", "blocked", "warning"}


def invoice(data) -> dict:
    return {"currencyInCode": pick(data, ["USDTTRC20", "USDTTRC20", "TON"]), "invoiceAssetCode": "USDT",
            "invoiceAmount": pick(data, ["25", "10", "0.5", "1000"]), "comment": f"ORD-{data.draw(st.integers(0, 999))}",
            "isAwaitRequisites": pick(data, [True, True, False])}


def withdrawal(data) -> dict:
    return {"amount": pick(data, ["1", "5", "20"]), "toCurrencyCode": "USDTTRC20", "recipient": TRON}


def balance(machine) -> list[str]:
    """The merchant's balance = what credits added, plus each invoice's amountOutFact once it is
    success, less each withdrawal's amount, held from its creation and given back when it
    failed, was revoked or blocked, or got an operator's warning ([A] model.py), unless its
    payout is still on the chain (paid out: never counted twice)."""
    expected = machine.extra.get("credited", Decimal(0))
    now = machine.world.clock.now()
    for order in machine.backend.orders.values():
        status = order.status(now)
        if order.is_withdrawal:
            on_chain = order.payout is not None and order.payout.gone is None   # the chain's own record
            if status not in ("failed", "revoked", "blocked", "withdrawBlocked", "warning") or on_chain:
                expected -= order.amount_in_expected
        elif status == "success":
            expected += order.amount_out_fact
    answer = machine.api("GET", f"{V1}/merchant/balances", check_unchanged=False)
    rows = json.loads(answer.body, parse_float=Decimal)["data"]
    shown = sum((Decimal(str(r["balance"])) for r in rows if r.get("currencyCode") == "USDT-INTERNAL"), Decimal(0))
    return [] if shown == expected else [f"balance: the API shows {shown} ({rows}), the orders say {expected}"]


def credited(machine, verb: str, sample: dict, answer) -> None:
    machine.extra["credited"] = machine.extra.get("credited", Decimal(0)) + Decimal(str(sample["amount"]))


def chain_targets(machine, obj: dict) -> list[tuple[str, str]]:
    order = machine.backend.orders.get(obj["id"])
    if order is None or order.is_withdrawal or order.requisites is None:
        return []
    return [(order.currency_in.chain, order.requisites)]


SPEC = Spec(
    provider="alfabit",
    creates=[Create("POST", f"{V1}/orders/invoice", invoice), Create("POST", f"{V1}/orders/invoice", invoice),
             Create("POST", f"{V1}/orders/withdraw", withdrawal)],
    reads=[Read("GET", f"{V1}/orders/{{id}}", "invoice"), Read("GET", f"{V1}/orders/{{id}}", "withdrawal"),
           Read("GET", f"{V1}/orders"), Read("GET", f"{V1}/merchant/balances"), Read("GET", f"{V1}/merchant")],
    transitions={
        # mockserver/providers/alfabit/model.py's paths (docs/providers/alfabit.md): operator verbs
        # (revoke, block, warning) reach any order not done; invoiceNotPayed still takes a late
        # payment within its window
        "invoice": {"created": {"invoiceWaitRequisites", "invoiceWaitPay", "invoiceWaitCreate", "invoiceNotCreated"} | OPERATOR,
                    "invoiceWaitCreate": {"invoiceWaitRequisites", "invoiceWaitPay", "invoiceNotCreated"} | OPERATOR,
                    "invoiceWaitRequisites": {"invoiceWaitPay", "invoiceNotCreated", "invoiceNotPayed"} | OPERATOR,
                    "invoiceWaitPay": {"invoiceWaitConfirms", "invoiceNotPayed"} | OPERATOR,
                    "invoiceNotPayed": {"invoiceWaitConfirms"},
                    "invoiceWaitConfirms": {"invoiceWaitCheck"} | OPERATOR,
                    "invoiceWaitCheck": {"inProgress", "invoiceCheckBlocked", "waitRefundRequisites"} | OPERATOR,
                    "inProgress": {"success"} | OPERATOR,
                    "waitRefundRequisites": {"waitRefundRequisitesCheck"} | OPERATOR,
                    "waitRefundRequisitesCheck": {"waitToRefund"} | OPERATOR, "waitToRefund": {"refunded"} | OPERATOR,
                    "success": set(), "refunded": set(), "invoiceNotCreated": set(), "invoiceCheckBlocked": set(),
                    "revoked": set(), "blocked": set(), "warning": set()},
        "withdrawal": {"created": {"inProgress", "withdrawBlocked", "failed"} | OPERATOR,
                       "inProgress": {"success", "withdrawBlocked", "failed"} | OPERATOR,
                       "success": set(), "withdrawBlocked": set(), "failed": set(), "revoked": set(),
                       "blocked": set(), "warning": set()},
    },
    balances=balance,
    anytime={"pay"},
    samples={"credit": [{"amount": "50"}, {"amount": "0.5"}]},
    chain_targets=chain_targets,
    on_merchant_verb=credited,
)
