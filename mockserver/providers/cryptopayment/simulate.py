"""Admin verbs: what the outside world does to an invoice (POST /_sandbox/simulate/cryptopayment/<verb>)."""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ...core.basics.amounts import derived, parse_amount, parse_fraction
from ...core.basics.errors import BadRequest, Conflict, NotFound
from ..base import Preset, status_in
from .backend import on_expiry_due, review_withdrawal
from .model import DUST_BELOW, quantize
from .views import invoice_view, withdrawal_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .backend import Backend
    from .model import Invoice

KINDS = ("exact", "partial", "over", "late", "remainder", "split", "dust")
MAX_PARTS = 20


def _invoice(backend: "Backend", params: dict) -> "Invoice":
    invoice = backend.invoices.get(str(params.get("invoice", "")))
    if invoice is None:
        raise NotFound("unknown invoice; pass {\"invoice\": \"<id>\"}")
    return invoice


def amount_for(invoice: "Invoice", params: dict) -> Decimal:
    """amount wins; else fraction of amount_crypto; else by kind (partial = half, over = +50%)."""
    if params.get("amount") is not None:
        return parse_amount(params["amount"])
    kind = params.get("kind", "exact")
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    if kind == "dust":        # [A] half the coin's dust line (model.DUST_BELOW)
        return quantize(DUST_BELOW[invoice.network.balance_key] / 2, invoice.network.decimals)
    if kind in ("remainder", "split"):   # what is still owed after earlier on-time transfers
        owed = invoice.amount_crypto - invoice.paid_amount()
        if owed <= 0:
            raise Conflict("nothing remains to pay: the invoice is fully paid")
        return owed
    default = {"exact": "1", "late": "1", "partial": "0.5", "over": "1.5"}[kind]
    fraction = parse_fraction(params.get("fraction", default))
    amount = (invoice.amount_crypto * fraction).quantize(Decimal(1).scaleb(-invoice.network.decimals))
    return derived(amount, invoice.network.decimals, f"fraction {fraction:f} of the invoice")


def split(amount: Decimal, parts, decimals: int) -> list[Decimal]:
    """`amount` as `parts` transfers (2..20), equal but for the last, which takes the rest."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not 2 <= parts <= MAX_PARTS:
        raise BadRequest(f"parts must be a whole number from 2 to {MAX_PARTS}")
    share = (amount / parts).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
    if share <= 0:
        raise BadRequest(f"{amount} does not split into {parts} transfers at {decimals} decimals")
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


async def pay(world: "World", backend: "Backend", params: dict) -> dict:
    """One transfer of amount_for(...), or with kind `split` the amount owed (or `amount`) in
    `parts` transfers (default 3), or with kind `dust` one below the coin's dust line."""
    invoice = _invoice(backend, params)
    amount = amount_for(invoice, params)
    kind = params.get("kind")
    amounts = split(amount, params.get("parts", 3), invoice.network.decimals) if kind == "split" else [amount]
    if kind == "late" and world.clock.now() < invoice.expiry_instant():
        # a late payment is one made after expiry: let the clock (and all that is due) get there
        await world.scheduler.run_until(invoice.expiry_instant() + timedelta(minutes=1))
    sent = [world.chain.send(invoice.network.chain, invoice.address, part) for part in amounts]
    await world.scheduler.settle()
    now = world.clock.now()
    out = {"transfer": sent[-1].to_dict(now), "invoice": invoice_view(invoice, now),
           "late": sent[-1] in invoice.late_transfers}
    if kind == "split":
        out["transfers"] = [tx.to_dict(now) for tx in sent]
    return out


async def confirm(world: "World", backend: "Backend", params: dict) -> dict:
    invoice = _invoice(backend, params)
    now = world.clock.now()
    if not invoice.transfers:
        raise Conflict("nothing to confirm: the invoice has no on-time transfer")
    if invoice.status(now) == "confirmed":     # what it still receives confirms in its own time
        raise Conflict("invoice is confirmed: there is nothing to confirm")
    if all(tx.confirmations(now) >= invoice.network.confirmations for tx in invoice.transfers):
        raise Conflict("every transfer of the invoice has its confirmations")
    for tx in invoice.transfers:
        world.chain.confirm_now(tx, invoice.network.confirmations)
    await world.scheduler.settle()
    return {"invoice": invoice_view(invoice, world.clock.now())}


async def expire(world: "World", backend: "Backend", params: dict) -> dict:
    invoice = _invoice(backend, params)
    now = world.clock.now()
    if invoice.status(now) in ("confirming", "confirmed"):
        raise Conflict(f"invoice is {invoice.status(now)}: a paid invoice does not expire")
    if invoice.status(now) == "expired":
        raise Conflict("invoice is expired already")
    invoice.expired_by_hand = now
    on_expiry_due(world, invoice)
    return {"invoice": invoice_view(invoice, now)}


async def _review(world: "World", backend: "Backend", params: dict, approve: bool) -> dict:
    withdrawal = backend.withdrawals.get(str(params.get("withdrawal", "")))
    if withdrawal is None:
        raise NotFound("unknown withdrawal; pass {\"withdrawal\": \"<id>\"}")
    if withdrawal.status != "pending_review":
        raise Conflict(f"withdrawal is {withdrawal.status}, not pending_review")
    review_withdrawal(world, backend, withdrawal, approve)
    return {"withdrawal": withdrawal_view(withdrawal)}


async def approve_withdrawal(world, backend, params):
    return await _review(world, backend, params, True)


async def reject_withdrawal(world, backend, params):
    return await _review(world, backend, params, False)


async def state(world: "World", backend: "Backend", params: dict) -> dict:
    """The provider's view of an invoice, without credentials (for scenario `expect_state`)."""
    return invoice_view(_invoice(backend, params), world.clock.now())


SIMULATIONS = {"pay": pay, "state": state, "confirm": confirm, "expire": expire,
               "approve_withdrawal": approve_withdrawal, "reject_withdrawal": reject_withdrawal}


# `mockserver trigger cryptopayment STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new object's id as {ref}; {order_ref} is fresh per run.
STORIES = {
    "state": [{"simulate": "state", "params": {"invoice": "{ref}"}}],
    "create": [{"call": "POST /invoices", "json": {"network": "trc20", "amount_usd": 50, "order_id": "{order_ref}"},
                "expect": {"status": 201}, "save": {"ref": "invoice.id"}}],
    "exact": [{"pay": {"invoice": "{ref}"}}, {"advance": "5m"}],
    "partial": [{"pay": {"invoice": "{ref}", "kind": "partial"}}, {"advance": "31m"}],
    "over": [{"pay": {"invoice": "{ref}", "kind": "over"}}, {"advance": "5m"}],
    "late": [{"advance": "31m"}, {"pay": {"invoice": "{ref}"}}, {"advance": "5m"}],
    "expire": [{"advance": "31m"}],
}


def _unpaid(view: dict) -> bool:
    """Pending with nothing paid: the presets that pay a share of the whole invoice apply."""
    return view["status"] == "pending" and not view["facts"]["paid"]


def _partly_paid(view: dict) -> bool:
    return view["status"] == "pending" and view["facts"]["paid"]


def _unconfirmed(view: dict) -> bool:
    """An on-time transfer still short of the network's confirmations, on an invoice not yet confirmed."""
    counts = view["confirmations"]
    return view["status"] != "confirmed" and view["facts"]["paid"] and counts["received"] < counts["required"]


# Offered by the dashboard and the checkout page only where they apply: a paid (confirming,
# confirmed) invoice takes no more payments from here and does not expire; an expired one takes
# only a late payment.
SIMULATION_PARAMS = {
    "pay": {"for": "invoice", "id": "invoice", "when": status_in("pending", "expired"),
            "presets": {"Pay exact": Preset({"kind": "exact"}, when=_unpaid),
                        "Pay half": Preset({"kind": "partial"}, when=_unpaid),
                        "Pay the remainder": Preset({"kind": "remainder"}, when=_partly_paid,
                                                    note=lambda view: f"{view['due']} still to pay"),
                        "Overpay (+50%)": Preset({"kind": "over"}, when=_unpaid),
                        "Pay in 3 transfers": Preset({"kind": "split", "parts": 3}, when=status_in("pending")),
                        "Send dust": Preset({"kind": "dust"}, when=status_in("pending")),
                        "Pay late (after expiry)": Preset({"kind": "late"})},
            "fields": {"amount": "number"}},
    "confirm": {"for": "invoice", "id": "invoice", "when": _unconfirmed, "presets": {"Confirm now": {}}},
    "expire": {"for": "invoice", "id": "invoice", "when": status_in("pending"), "presets": {"Expire now": {}}},
    "approve_withdrawal": {"for": "withdrawal", "id": "withdrawal", "when": status_in("pending_review"),
                           "presets": {"Approve": {}}},
    "reject_withdrawal": {"for": "withdrawal", "id": "withdrawal", "when": status_in("pending_review"),
                          "presets": {"Reject": {}}},
}
