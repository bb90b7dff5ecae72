"""Only the verbs that apply: for every provider, objects in several states are made the way a
client and the outside world make them; the simulate panel a hosted page and the object page show
(GET /_sandbox/ui/panel/...) offers some verbs and presets. Each one offered, POSTed on a fresh
object in the same state, is accepted; each one declared but not offered is refused (4xx) or
changes nothing, unless listed below with the reason it is hidden although the sandbox takes it.
"""
from __future__ import annotations

import pytest

from mockserver.providers.base import Preset

from objects_support import Hands, alchemy, alfabit, alppay, alt5, cp

NONE: dict = {}
STATES = {
    "cryptopayment": {
        "pending": cp(),
        "partly paid": cp(("pay", {"kind": "partial"})),
        "partly paid, confirmed": cp(("pay", {"kind": "partial"}), ("confirm", NONE)),
        "confirming": cp(("pay", {"kind": "exact"})),
        "confirmed": cp(("pay", {"kind": "exact"}), ("confirm", NONE)),
        "expired": cp(("expire", NONE)),
        "expired, partly paid": cp(("pay", {"kind": "partial"}), ("expire", NONE)),
        "withdrawal pending_review": cp(withdrawal=600),
        "withdrawal processing": cp(withdrawal=20),
        "withdrawal rejected": cp(("reject_withdrawal", NONE), withdrawal=600),
        "withdrawal approved": cp(("approve_withdrawal", NONE), withdrawal=600),
    },
    "alt5pay": {
        "invoice unpaid": alt5("invoice"),
        "invoice half paid, unconfirmed": alt5("invoice", ("pay", {"fraction": 0.5})),
        "invoice partially paid": alt5("invoice", ("pay", {"fraction": 0.5}), ("confirm", NONE)),
        "invoice paid, unconfirmed": alt5("invoice", ("pay", {"fraction": 1})),
        "invoice paid": alt5("invoice", ("pay", {"fraction": 1}), ("confirm", NONE)),
        "invoice quote expired": alt5("invoice", ("pay", {"fraction": 0.5}), ("confirm", NONE), ("expire", NONE)),
        "address waiting": alt5("address"),
        "address pending": alt5("address", ("pay", {"amount": "0.01"})),
        "address paid": alt5("address", ("pay", {"amount": "0.01"}), ("confirm", NONE)),
        "address expired": alt5("address", ("expire", NONE)),
    },
    "alchemypay": {
        "buy PENDING": alchemy("BUY"),
        "buy INTERIM_PAY_FAIL": alchemy("BUY", ("interim_pay_fail", NONE)),
        "buy PAY_SUCCESS": alchemy("BUY", ("pay", NONE)),
        "buy PAY_FAIL": alchemy("BUY", ("pay_fail", NONE)),
        "buy TRANSFER": alchemy("BUY", ("pay", NONE), ("transfer", NONE)),
        "buy FINISHED": alchemy("BUY", ("pay", NONE), ("transfer", {"confirm": True})),
        "buy RISK_CONTROL": alchemy("BUY", ("risk_control", NONE)),
        "buy INVALID_ADDRESS": alchemy("BUY", ("pay", NONE), ("invalid_address", NONE)),
        "buy REFUNDED": alchemy("BUY", ("pay", NONE), ("refund", NONE)),
        "buy CANCEL": alchemy("BUY", ("cancel", NONE)),
        "buy timed out": alchemy("BUY", ("timeout", NONE)),
        "sell 1 created": alchemy("SELL"),
        "sell 2 coin received": alchemy("SELL", ("deposit", NONE)),
        "sell 3 payout started": alchemy("SELL", ("deposit", NONE), ("payout", NONE)),
        "sell 4 payout success": alchemy("SELL", ("deposit", NONE), ("payout", NONE), ("payout_success", NONE)),
        "sell 5 payout failed": alchemy("SELL", ("deposit", NONE), ("payout", NONE), ("payout_fail", NONE)),
        "sell 6 refunded": alchemy("SELL", ("deposit", NONE), ("refund", NONE)),
        "sell 7 expired": alchemy("SELL", ("timeout", NONE)),
    },
    "alfabit": {
        "created": alfabit("invoice"),
        "invoiceWaitRequisites": alfabit("invoice", "2s", isAwaitRequisites=False),
        "invoiceWaitCreate": alfabit("invoice", ("hold_creation", NONE), "2s", isAwaitRequisites=False),
        "invoiceNotCreated": alfabit("invoice", ("fail_creation", NONE), "2s", isAwaitRequisites=False),
        "invoiceWaitPay": alfabit("invoice", "2s"),
        "invoiceWaitPay, AML set to block": alfabit("invoice", "2s", ("aml", {"verdict": "block"})),
        "waitRefundRequisites": alfabit("invoice", "2s", ("pay", {"kind": "exact", "aml": "refund"}), ("confirm", NONE),
                                        "2m"),
        "revoked": alfabit("invoice", "2s", ("revoke", NONE)),
        "blocked": alfabit("invoice", "2s", ("block", NONE)),
        "invoiceWaitConfirms": alfabit("invoice", ("pay", {"kind": "partial"})),
        "invoiceWaitCheck": alfabit("invoice", ("pay", {"kind": "exact"}), ("confirm", NONE)),
        "success": alfabit("invoice", ("pay", {"kind": "exact"}), ("confirm", NONE), "2m"),
        "invoiceCheckBlocked": alfabit("invoice", ("pay", {"kind": "exact", "aml": "block"}), ("confirm", NONE), "2m"),
        "invoiceNotPayed": alfabit("invoice", ("expire", NONE)),
        "warning": alfabit("invoice", ("warning", NONE)),
        "without amount, invoiceWaitPay": alfabit("open invoice", "2s"),
        "without amount, invoiceNotPayed": alfabit("open invoice", ("expire", NONE)),
        "withdrawal created": alfabit("withdrawal"),
        "withdrawal inProgress": alfabit("withdrawal", "11s"),
        "withdrawal success": alfabit("withdrawal", "11s", ("confirm", NONE)),
        "withdrawal failed": alfabit("withdrawal", ("fail", NONE)),
        "withdrawal blocked": alfabit("withdrawal", ("aml", {"verdict": "block"}), "11s"),
    },
    "alppay": {
        "payment new": alppay("payment"),
        "payment partly paid": alppay("payment", ("pay", {"kind": "partial"})),
        "payment paid, unconfirmed": alppay("payment", ("pay", {"kind": "exact"})),
        "payment completed": alppay("payment", ("pay", {"kind": "exact"}), ("confirm", NONE)),
        "payment expired": alppay("payment", ("expire", NONE)),
        "payment expired, partly paid": alppay("payment", ("pay", {"kind": "partial"}), ("expire", NONE)),
        "payment flagged by AML": alppay("payment", ("pay", {"kind": "partial"}), ("aml", NONE)),
        "withdrawal open": alppay("withdrawal"),
        "withdrawal approved": alppay("withdrawal", ("approve_withdrawal", NONE)),
        "withdrawal complete": alppay("withdrawal", ("approve_withdrawal", NONE), ("complete_withdrawal", NONE)),
        "withdrawal cancelled": alppay("withdrawal", ("cancel_withdrawal", NONE)),
    },
}

# What a verb offered with its form only (no preset) is posted with.
SAMPLES = {("alt5pay", "pay"): {"amount": "0.01"}}

# Hidden although the sandbox takes it and it changes the object: (provider, state, verb) -> the
# presets and why. Besides these, a preset is hidden where its verb's form is still offered: the
# presets that pay a share of the whole amount ("Pay exact", "Pay half", "Overpay") show only
# before anything is paid, and afterwards the form takes the amount meant (or "Pay the remainder").
TAKEN_BUT_HIDDEN: dict[tuple, tuple[set, str]] = {
    ("cryptopayment", "confirming", "pay"): (
        {"Pay exact", "Pay half", "Overpay (+50%)", "Pay late (after expiry)"},
        "a paid invoice takes no more payments from the page: the chain would take a transfer, "
        "an overpayment the merchant did not ask for"),
    ("cryptopayment", "confirmed", "pay"): (
        {"Pay exact", "Pay half", "Overpay (+50%)", "Pay late (after expiry)"},
        "as confirming: the invoice is paid"),
    ("alt5pay", "invoice paid", "expire"): (
        {"Expire now"}, "the quote only prices later payments, which a paid invoice is not offered"),
    ("alt5pay", "invoice paid, unconfirmed", "expire"): ({"Expire now"}, "as for a paid invoice"),
    ("alfabit", "invoiceWaitCheck", "pay"): (
        {"Pay late"}, "money arriving once the AML check started is not added to the order; the "
                      "preset would only run the clock past the expiry, ending the check"),
}

# The examples the issue names, and more: preset labels (or verbs) that must and must not show.
MUST = {
    ("cryptopayment", "confirmed"): ({"Nothing"}, {"Pay exact", "Pay late (after expiry)", "Expire now", "Confirm now"}),
    ("cryptopayment", "expired"): ({"Pay late (after expiry)"}, {"Expire now", "Pay exact"}),
    ("cryptopayment", "partly paid"): ({"Pay the remainder", "Pay late (after expiry)", "Expire now", "Confirm now"},
                                       {"Pay exact", "Pay half"}),
    ("cryptopayment", "pending"): ({"Pay exact", "Pay half", "Overpay (+50%)", "Expire now"},
                                   {"Pay the remainder", "Confirm now"}),
    ("cryptopayment", "withdrawal processing"): (set(), {"Approve", "Reject"}),
    ("cryptopayment", "withdrawal pending_review"): ({"Approve", "Reject"}, set()),
    ("alchemypay", "buy PENDING"): ({"Card paid", "Cancel"}, {"Start the payout", "Deposit the crypto"}),
    ("alchemypay", "sell 2 coin received"): ({"Start the payout", "Refund"}, {"Card paid", "Send the crypto"}),
    ("alfabit", "invoiceWaitPay"): ({"Pay exact", "AML blocks"}, {"AML passes", "Fail", "Issue requisites"}),
    ("alfabit", "withdrawal created"): ({"Fail", "Warning"}, {"Pay exact", "Expire now"}),
    ("alppay", "payment completed"): (set(), {"Pay exact", "Expire now"}),
    ("alppay", "payment expired"): ({"Pay late (after it expired)"}, {"Expire now", "Pay exact"}),
    ("alppay", "withdrawal complete"): ({"Nothing"}, {"Approve", "Complete", "Cancel"}),
}


def declared(provider, kind: str, object_id: str) -> list[tuple[str, str | None, dict]]:
    """Every (verb, preset label, body) the provider declares for objects of this kind; a verb
    with fields only appears once, with label None."""
    out = []
    for verb, spec in provider.simulation_params.items():
        target = spec.get("for")
        if isinstance(target, dict):
            if kind not in target:
                continue
            base = {target[kind]: object_id}
        elif target == kind:
            base = {spec.get("id", kind): object_id}
        else:
            continue
        presets = spec.get("presets") or {}
        for label, preset in presets.items():
            out.append((verb, label, {**base, **(preset.params if isinstance(preset, Preset) else preset)}))
        if not presets:
            out.append((verb, None, {**base, **SAMPLES.get((provider.name, verb), {})}))
    return out


@pytest.mark.parametrize("name", sorted(STATES))
async def test_every_offered_verb_is_taken_and_every_other_refused_or_moot(client, world, name):
    hands, provider = Hands(client, world), world.providers[name]
    problems, seen = [], set()
    for state, make in STATES[name].items():
        kind, ref = await make(hands)
        offers = await hands.panel(name, kind, ref)
        offered = {(o.verb, o.label) for o in offers}
        labels = {o.label for o in offers if o.label} or {"Nothing"}
        must, must_not = MUST.get((name, state), (set(), set()))
        if not must <= labels or labels & must_not:
            problems.append(f"{state}: offers {sorted(labels)}; must {sorted(must)}, must not {sorted(must_not)}")
        for verb, label, body in declared(provider, kind, ref):
            form_only = label is None
            shown = (verb, None) in offered if form_only else (verb, label) in offered
            fresh_kind, fresh = await make(hands)
            again = {(o.verb, o.label) for o in await hands.panel(name, fresh_kind, fresh)}
            assert again == offered, f"{state}: the same state offers different verbs"
            body = {k: fresh if v == ref else v for k, v in body.items()}
            before = hands.view(name, fresh_kind, fresh)
            status, answer = await hands.post(name, verb, body)
            after = hands.view(name, fresh_kind, fresh)
            what = f"{state}: {verb} {label or '(form)'} {body} -> {status}"
            seen.add((verb, label))
            if shown and not 200 <= status < 300:
                problems.append(f"{what} although offered: {answer}")
            elif not shown and 200 <= status < 300 and after != before \
                    and not (label and (verb, None) in offered) \
                    and label not in TAKEN_BUT_HIDDEN.get((name, state, verb), (set(),))[0]:
                problems.append(f"{what}, and changed the {fresh_kind}, although not offered")
    assert not problems, "\n".join(problems)
    # every declared preset was tried in some state
    assert seen >= {(v, l) for k in ("invoice", "withdrawal", "order", "address", "payment")
                    for v, l, _ in declared(provider, k, "x")}
