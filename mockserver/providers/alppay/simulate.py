"""Admin verbs: what the outside world does (POST /_sandbox/simulate/alppay/<verb>).

pay        {payment | address, amount? | fraction? | kind: exact|partial|over|split|dust, parts?,
           memo?, risk: clean|danger}
           partial = half, over = +50 % unless amount/fraction says otherwise; split = the amount
           in `parts` transfers (2-20, default 3); dust = one worth 0.05 USD [A]; on TON the
           address's destination tag goes with it unless `memo` says otherwise; `address` may be a
           deposit address (POST /deposit-addresses/create, a clientId's): with no open payment
           on it, the funds create one ("deposit detected")
confirm    {payment}     every transfer of the payment gets its confirmations now
expire     {payment}     the payment's deadline is now
aml        {payment}     the AML check flags the latest transfer as dangerous (an OPEN payment only)
approve_withdrawal / complete_withdrawal / cancel_withdrawal   {withdrawal}
fund       {method: USDT_tron, amount}    credit the merchant's balance (a sandbox shortcut)
balances   {}            the merchant's balances per method
state      {payment} or {withdrawal}      the object as the API shows it (scenario expect_state)
Each verb takes `merchant` (index, default 0) where a merchant is involved.
Amounts are positive decimals up to the simulated chains' largest transfer (1e15); anything else
is a 400 that changes nothing and draws nothing from the seeded generator. A verb that does not
apply to the object's state is a 409 that changes nothing.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ...core.basics.amounts import derived, parse_amount, parse_fraction
from ...core.basics.errors import BadRequest, Conflict, NotFound
from ...core.chain.transfers import MAX_AMOUNT, amount_ok
from ..base import Preset, status_in
from . import lifecycle
from .assets import METHODS
from .views import money, payment_view, withdrawal_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .backend import Backend
    from .model import Payment, Withdrawal

KINDS = {"exact": "1", "partial": "0.5", "over": "1.5", "split": "1", "dust": "1"}
MAX_PARTS = 20


def split(amount: Decimal, parts, places: int) -> list[Decimal]:
    """`amount` as `parts` transfers (2..20), equal but for the last, which takes the rest."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not 2 <= parts <= MAX_PARTS:
        raise BadRequest(f"parts must be a whole number from 2 to {MAX_PARTS}")
    share = (amount / parts).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    if share <= 0:
        raise BadRequest(f"{amount} does not split into {parts} transfers at {places} decimals")
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


def _payment(backend: "Backend", params: dict) -> "Payment":
    payment = backend.payments.get(str(params.get("payment", "")))
    if payment is None:
        raise NotFound("unknown payment; pass {\"payment\": \"<id>\"}")
    return payment


def _withdrawal(backend: "Backend", params: dict) -> "Withdrawal":
    withdrawal = backend.withdrawals.get(str(params.get("withdrawal", "")))
    if withdrawal is None:
        raise NotFound("unknown withdrawal; pass {\"withdrawal\": \"<id>\"}")
    return withdrawal


def _merchant(backend: "Backend", params: dict) -> dict:
    index = params.get("merchant", 0)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(backend.merchants):
        raise BadRequest("merchant must be the index of a sandbox merchant")
    return backend.merchants[index]


def _transfer_amount(amount: Decimal, name: str = "amount") -> Decimal:
    if not amount_ok(amount):
        raise BadRequest(f"{name} must be a positive amount up to {MAX_AMOUNT:f}")
    return amount


async def pay(world: "World", backend: "Backend", params: dict) -> dict:
    risk = params.get("risk", "clean")
    if risk not in ("clean", "danger"):
        raise BadRequest("risk must be clean or danger")
    kind = params.get("kind", "exact")
    if not isinstance(kind, str) or kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    amount = None
    if params.get("address") is not None and params.get("payment") is None:
        address = str(params["address"])
        payments = backend.address_payments.get(address)
        if not payments and address not in backend.wallets:
            raise NotFound("no ALPPAY payment or deposit address uses that address")
        asset = payments[-1].asset if payments else backend.wallets[address].asset
        payment = None
        if kind != "dust":
            amount = parse_amount(params.get("amount"))
    else:
        payment = _payment(backend, params)
        if params.get("amount") is not None:
            amount = parse_amount(params["amount"])
        elif kind != "dust":     # split: that share of the amount, in parts
            fraction = parse_fraction(params.get("fraction", KINDS[kind]))
            amount = derived((payment.amount * fraction).quantize(Decimal("0.01")), 2,
                             f"fraction {fraction:f} of the amount")
        address, asset = payment.address, payment.asset
    if kind == "dust":      # [A] half the dust line (lifecycle.DUST_BELOW_USD) in the asset
        amount = (lifecycle.DUST_BELOW_USD / 2 / asset.usd_price).quantize(Decimal(1).scaleb(-asset.places))
    _transfer_amount(amount)
    amounts = split(amount, params.get("parts", 3), asset.places) if kind == "split" else [amount]
    memo = params.get("memo")
    if memo is None and asset.tagged:       # a TON payer quotes the address's destination tag
        wallet = backend.wallets.get(address)
        memo = wallet.dest_tag if wallet is not None else (payment.dest_tag if payment is not None else None)
    if memo is not None and (not isinstance(memo, str) or len(memo) > 128):
        raise BadRequest("memo must be a string of at most 128 characters")
    # everything is checked: the draws and the transfers come last
    sent = []
    for part in amounts:
        meta = {"danger": risk == "danger", "risk_score": world.rng.randint(0, 20)}
        sent.append(world.chain.send(asset.chain, address, part, meta=meta, memo=memo or None))
    tx = sent[-1]
    await world.scheduler.settle()
    # the payment the transfer counts for: perhaps one it created on a deposit address; a late
    # transfer to a closed one-off payment shows that payment
    payment = next((p for p in reversed(backend.address_payments.get(address, []))
                    if any(d.transfer is tx for d in p.deposits)), payment)
    out = {"transfer": tx.to_dict(world.clock.now()), "txnId": tx.txid}
    if kind == "split":
        out["transfers"] = [t.to_dict(world.clock.now()) for t in sent]
    if payment is not None:
        out["payment"] = payment_view(payment, world.clock.now())
    return out


async def confirm(world: "World", backend: "Backend", params: dict) -> dict:
    payment = _payment(backend, params)
    if not payment.deposits:
        raise Conflict("nothing to confirm: the payment has no transfer")
    now = world.clock.now()
    if all(d.transfer.mined_at is not None and d.transfer.confirmations(now) >= payment.asset.confirms
           for d in payment.deposits):     # a verb with nothing to do is refused, as it is offered
        raise Conflict("every transfer of the payment has its confirmations")
    for deposit in payment.deposits:
        world.chain.confirm_now(deposit.transfer, payment.asset.confirms)
    await world.scheduler.settle()
    return {"payment": payment_view(payment, world.clock.now())}


async def expire(world: "World", backend: "Backend", params: dict) -> dict:
    payment = _payment(backend, params)
    now = world.clock.now()
    if payment.status(now) != "OPEN":
        raise Conflict(f"payment is {payment.status(now)}, not OPEN")
    lifecycle.cancel_payment(world, payment, cancelled=False)
    return {"payment": payment_view(payment, now)}


async def aml(world: "World", backend: "Backend", params: dict) -> dict:
    payment = _payment(backend, params)
    if not payment.deposits:
        raise Conflict("nothing to check: the payment has no transfer")
    status = payment.status(world.clock.now())
    if status != "OPEN":     # a closed payment never changes again (COMPLETED stays COMPLETED)
        raise Conflict(f"payment is {status}: the AML check applies to an OPEN payment only")
    if payment.deposits[-1].danger:
        raise Conflict("the latest transfer is flagged already")
    lifecycle.flag_danger(world, backend, payment)
    return {"payment": payment_view(payment, world.clock.now())}


async def _withdrawal_step(world, backend, params, allowed: tuple[str, ...], step) -> dict:
    withdrawal = _withdrawal(backend, params)
    if withdrawal.status not in allowed:
        raise Conflict(f"withdrawal is {withdrawal.status}, not {' or '.join(allowed)}")
    step(withdrawal)
    return {"withdrawal": withdrawal_view(withdrawal)}


async def approve_withdrawal(world, backend, params):
    return await _withdrawal_step(world, backend, params, ("OPEN",),
                                  lambda w: lifecycle.approve_withdrawal(world, w))


async def complete_withdrawal(world, backend, params):
    return await _withdrawal_step(world, backend, params, ("APPROVED",),
                                  lambda w: lifecycle.complete_withdrawal(world, backend, w))


async def cancel_withdrawal(world, backend, params):
    return await _withdrawal_step(world, backend, params, ("OPEN", "APPROVED"),
                                  lambda w: lifecycle.cancel_withdrawal(world, backend, w))


async def fund(world: "World", backend: "Backend", params: dict) -> dict:
    merchant = _merchant(backend, params)
    asset = METHODS.get(str(params.get("method", "")))
    if asset is None:
        raise BadRequest(f"method must be one of {', '.join(sorted(METHODS))}")
    amount = _transfer_amount(parse_amount(params.get("amount")))
    if backend.balance(merchant, asset) + amount > MAX_AMOUNT:
        raise BadRequest(f"a balance holds at most {MAX_AMOUNT:f}")
    backend.credit(merchant, asset, amount)
    return await balances(world, backend, params)


async def balances(world: "World", backend: "Backend", params: dict) -> dict:
    merchant = _merchant(backend, params)
    return {method: money(backend.balance(merchant, asset)) for method, asset in sorted(METHODS.items())}


async def state(world: "World", backend: "Backend", params: dict) -> dict:
    if params.get("withdrawal") is not None:
        return withdrawal_view(_withdrawal(backend, params))
    return payment_view(_payment(backend, params), world.clock.now())


SIMULATIONS = {"pay": pay, "confirm": confirm, "expire": expire, "aml": aml, "state": state,
               "approve_withdrawal": approve_withdrawal, "complete_withdrawal": complete_withdrawal,
               "cancel_withdrawal": cancel_withdrawal, "fund": fund, "balances": balances}


# `mockserver trigger alppay STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new payment's id as {ref}; {order_ref} is fresh per run.
STORIES = {
    "state": [{"simulate": "state", "params": {"payment": "{ref}"}}],
    "create": [{"call": "POST /payment",
                "json": {"amount": "250.00", "asset": {"short": "USDT", "network": "tron"},
                         "customer": {"id": 1, "name": "Trigger", "email": "buyer@example.com"},
                         "invoice": "{order_ref}"},
                "expect": {"status": 200}, "save": {"ref": "id"}}],
    "exact": [{"pay": {"payment": "{ref}"}}, {"advance": "1m"}],
    "partial": [{"pay": {"payment": "{ref}", "kind": "partial"}}, {"advance": "2h31m"}],
    "over": [{"pay": {"payment": "{ref}", "kind": "over"}}, {"advance": "5m"}],
    "late": [{"advance": "2h31m"}, {"pay": {"payment": "{ref}"}}, {"advance": "5m"}],
    "expire": [{"advance": "2h31m"}],
}


def _fresh(view: dict) -> bool:
    """Open with nothing received: the presets paying a share of the whole amount apply."""
    return view["status"] == "OPEN" and not view["facts"]["received"]


def _unconfirmed(view: dict) -> bool:
    counts = view["confirmations"]
    return counts is not None and counts["received"] < counts["required"]


# A closed payment (EXPIRED, COMPLETED) records a transfer as late and counts nothing: only the
# expired one is offered a (late) payment, as the story `late` makes one.
PAYMENT = {"for": "payment", "id": "payment"}
WITHDRAWAL = {"for": "withdrawal", "id": "withdrawal"}
SIMULATION_PARAMS = {
    "pay": {**PAYMENT, "when": status_in("OPEN", "EXPIRED"),
            "presets": {"Pay exact": Preset({"kind": "exact"}, when=_fresh),
                        "Pay half": Preset({"kind": "partial"}, when=_fresh),
                        "Overpay (+50%)": Preset({"kind": "over"}, when=_fresh),
                        "Pay from a risky address": Preset({"risk": "danger"}, when=_fresh),
                        "Pay in 3 transfers": Preset({"kind": "split", "parts": 3}, when=_fresh),
                        "Send dust": Preset({"kind": "dust"}, when=status_in("OPEN")),
                        "Pay late (after it expired)": Preset({"kind": "exact"}, when=status_in("EXPIRED"))},
            "fields": {"amount": "number", "kind": ["exact", "partial", "over"], "risk": ["clean", "danger"]}},
    "confirm": {**PAYMENT, "when": _unconfirmed, "presets": {"Confirm (accept as it stands)": {}}},
    "expire": {**PAYMENT, "when": status_in("OPEN"), "presets": {"Expire now": {}}},
    # the AML check flags the latest transfer of an OPEN payment: one there, not flagged yet
    "aml": {**PAYMENT, "when": lambda view: view["status"] == "OPEN" and view["facts"]["received"]
            and not view["facts"]["flagged"],
            "presets": {"AML flags it": {}}},
    "approve_withdrawal": {**WITHDRAWAL, "when": status_in("OPEN"), "presets": {"Approve": {}}},
    "complete_withdrawal": {**WITHDRAWAL, "when": status_in("APPROVED"), "presets": {"Complete": {}}},
    "cancel_withdrawal": {**WITHDRAWAL, "when": status_in("OPEN", "APPROVED"), "presets": {"Cancel": {}}},
    "fund": {"for": None, "fields": {"method": sorted(METHODS), "amount": "number", "merchant": "json"}},
    "balances": {"for": None, "presets": {"Show balances": {}}, "fields": {"merchant": "json"}},
}
