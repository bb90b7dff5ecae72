"""Admin verbs: what payers, the chain, the AML check and operators do to AlfaBit Pay orders.

POST /_sandbox/simulate/alfabit/<verb> with {"order": "<uid>"} ("invoice" and "uid" work too).
- pay {order, amount? | fraction? | kind: exact|partial|over|late|split|dust, parts?, memo?,
  aml?: pass|block|refund}: a transfer to the order's requisites (with its memo on TON). Without
  an amount: exact; an invoice without amount needs `amount`. `late` first lets the clock pass
  the expiry; `split` sends the amount in `parts` transfers (2-20, default 3); `dust` one worth
  0.05 USD (under the 0.1 USD minimum).
- confirm {order}: mine every missing confirmation now (deposits, a withdrawal's payout, a refund).
- aml {order, verdict: pass|block|refund}: the AML verdict this order will get (before its check
  ends); `refund` sends a paid invoice down the refund path (waitRefundRequisites ...).
- refund_requisites {order, address?}: the payer names the refund address (default: a fresh one).
- issue_requisites {order}: requisites now (isAwaitRequisites=false), releasing a hold.
- hold_creation {order}: the invoice's creation stalls (invoiceWaitCreate) until issue_requisites.
- fail_creation {order}: the invoice could not be created (invoiceNotCreated).
- expire {order}: the order's time runs out now (invoiceNotPayed if nothing was paid).
- revoke {order}: an unpaid invoice or a withdrawal not yet started is revoked (refunded).
- block {order}: the operator blocks an order that is not done (a withdrawal is refunded).
- warning {order}: the unexpected error the docs call `warning` (manual intervention).
- fail {order}: a withdrawal fails (funds back to the balance).
- credit {amount, currency?, index?}: top up an internal balance (default USDT-INTERNAL).
- settings {callback_source_address?, callback_source_address_v6?, callback_forwarded_for?,
  withdrawals_enabled?, callback_signature?, withdraw_volume_field?, strict?, index?}: merchant
  settings from scenarios (what PATCH /_sandbox/providers/alfabit/merchant does).
- state {order}: the order as GET /orders/{uid} shows it (scenario `expect_state`).
A verb that does not apply to the order's state is a 409 that changes nothing.
"""
from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ...core.basics.amounts import derived, parse_amount, parse_fraction
from ...core.basics.errors import BadRequest, Conflict, NotFound
from ..base import Preset, status_in
from .assets import CURRENCIES, INTERNAL, MIN_OUT_USD, quantize, recipient_ok
from .auth import SIGNATURE_MODES
from .backend import Backend, give_refund_requisites, refund, take_back_payout
from .backend import issue_requisites as give_requisites
from .model import INVOICE, UNPAID, Order
from .views import order_view

if TYPE_CHECKING:
    from ...core.state.world import World

KINDS = {"exact": "1", "late": "1", "partial": "0.5", "over": "1.5", "split": "1", "dust": "0"}
VERDICTS = ("pass", "block", "refund")


def _order(backend: Backend, params: dict) -> Order:
    uid = params.get("order") or params.get("invoice") or params.get("uid")
    order = backend.orders.get(str(uid)) if uid else None
    if order is None:
        raise NotFound('unknown order; pass {"order": "<uid>"}')
    return order


def _view(world: "World", backend: Backend, order: Order) -> dict:
    return order_view(order, backend, world.clock.now())


def _open(world: "World", order: Order, what: str) -> str:
    """The order's status, or a 409 when it is done (isDone is final)."""
    status = order.status(world.clock.now())
    if order.is_done(world.clock.now()):
        raise Conflict(f"order is {status} and done: {what} does not apply")
    return status


def _creating(world: "World", order: Order, what: str) -> None:
    """An invoice whose requisites have not been issued yet."""
    _open(world, order, what)
    if order.is_withdrawal or order.requisites_at is not None:
        raise Conflict(f"{what} applies to an invoice whose requisites are not issued yet")


async def pay(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    if order.is_withdrawal:
        raise Conflict("a withdrawal is not paid; use confirm or fail")
    kind = params.get("kind", "exact")
    if not isinstance(kind, str) or kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    if kind == "dust":        # [A] half the dust line (backend: worth less than minOut, 0.1 USD)
        paid = quantize(MIN_OUT_USD / 2 / backend.rates[order.currency_in.asset], order.currency_in.decimals)
    elif params.get("amount") is not None:
        paid = parse_amount(params["amount"])
    elif order.type != INVOICE:
        raise BadRequest("an invoice without amount needs {\"amount\": ...}")
    else:
        fraction = parse_fraction(params.get("fraction", KINDS[kind]))
        paid = derived(quantize(order.amount_in_expected * fraction, order.currency_in.decimals),
                       order.currency_in.decimals, f"fraction {fraction:f} of the invoice")
    amounts = split(paid, params.get("parts", 3), order.currency_in.decimals) if kind == "split" else [paid]
    if order.requisites is None:
        raise Conflict("the order has no requisites yet (isAwaitRequisites=false): issue_requisites first")
    if params.get("aml") is not None:
        await aml(world, backend, {"order": order.uid, "verdict": params["aml"]})
    if kind == "late" and world.clock.now() < order.expiry_instant():
        await world.scheduler.run_until(order.expiry_instant() + timedelta(minutes=1))
    memo = params.get("memo", order.memo)
    sent = [world.chain.send(order.currency_in.chain, order.requisites, part,
                             memo=str(memo) if memo is not None else None) for part in amounts]
    await world.scheduler.settle()
    out = {"transfer": sent[-1].to_dict(world.clock.now()), "order": _view(world, backend, order)}
    if kind == "split":
        out["transfers"] = [tx.to_dict(world.clock.now()) for tx in sent]
    return out


MAX_PARTS = 20


def split(amount: Decimal, parts, decimals: int) -> list[Decimal]:
    """`amount` as `parts` transfers (2..20), equal but for the last, which takes the rest."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not 2 <= parts <= MAX_PARTS:
        raise BadRequest(f"parts must be a whole number from 2 to {MAX_PARTS}")
    share = quantize(amount / parts, decimals, ROUND_DOWN)
    if share <= 0:
        raise BadRequest(f"{amount} does not split into {parts} transfers at {decimals} decimals")
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


async def confirm(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    if order.is_withdrawal:
        txs, need = [t for t in (order.payout,) if t], order.currency_out.confirmations
    else:
        txs, need = [t for t in (*order.transfers, order.refund_payout) if t], order.currency_in.confirmations
    if not txs:
        raise Conflict("nothing to confirm: no transfer yet")
    now = world.clock.now()
    if all(tx.gone is not None or (tx.mined_at is not None and tx.confirmations(now) >= need) for tx in txs):
        raise Conflict("every transfer of the order has its confirmations")   # as offered: nothing to do
    for tx in txs:
        world.chain.confirm_now(tx, need)
    await world.scheduler.settle()
    return {"order": _view(world, backend, order)}


async def aml(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    verdict = params.get("verdict")
    if verdict not in VERDICTS or (verdict == "refund" and order.is_withdrawal):
        raise BadRequest("verdict must be pass or block (or refund, for an invoice)")
    status = _open(world, order, "aml")
    ends = order.check_ends()
    if status in ("inProgress", "warning") or (ends is not None and world.clock.now() >= ends):
        raise Conflict(f"order is {status}: its AML check is over")
    order.verdict = verdict
    return {"order": _view(world, backend, order)}


async def refund_requisites(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if status != "waitRefundRequisites":
        raise Conflict(f"order is {status}: refund requisites are asked for in waitRefundRequisites")
    address = params.get("address")
    if address is None:
        address = world.chain.new_address(order.currency_in.chain)
    elif not isinstance(address, str) or not recipient_ok(order.currency_in, address, strict=False):
        raise BadRequest(f"address must be a {order.currency_in.code} address")
    give_refund_requisites(world, backend, order, address)
    return {"order": _view(world, backend, order)}


async def issue_requisites(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    _creating(world, order, "issue_requisites")
    order.held = False
    give_requisites(world, backend, order)
    return {"order": _view(world, backend, order)}


async def hold_creation(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    _creating(world, order, "hold_creation")
    order.held = True
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def fail_creation(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    _creating(world, order, "fail_creation")
    order.not_created_at = world.clock.now()
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def expire(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if order.is_withdrawal or status not in ("created", "invoiceWaitRequisites", "invoiceWaitPay"):
        raise Conflict(f"order is {status}: only an unpaid invoice expires")
    order.expired_by_hand = world.clock.now()
    give_requisites(world, backend, order)  # [A] an order never lacks requisites once expired
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def revoke(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = _open(world, order, "revoke")
    if status not in (*UNPAID, "invoiceNotPayed") or (order.is_withdrawal and status != "created"):
        raise Conflict(f"order is {status}: only an unpaid invoice or a withdrawal not started is revoked")
    order.revoked_at = world.clock.now()
    refund(backend, order)
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def block(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    _open(world, order, "block")
    if order.is_withdrawal and order.payout_out:   # the coins have left: a block cannot take them back
        raise Conflict(f"the payout {order.payout.txid} is on the chain: a withdrawal is blocked before it is sent")
    order.blocked_at = world.clock.now()
    refund(backend, order)
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def warning(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = _open(world, order, "warning")
    if status == "warning":
        raise Conflict(f"order is {status}")
    order.warning_at = world.clock.now()
    # [A] funds held for a stuck withdrawal return to the balance, unless its payout is on the
    # chain: then they are paid out, and stay so (refund() gives nothing back)
    refund(backend, order)
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def fail(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if not order.is_withdrawal or status not in ("created", "inProgress"):
        raise Conflict(f"only a withdrawal in created/inProgress can fail (this one is {status})")
    order.failed_at = world.clock.now()
    take_back_payout(world, order)   # [A] a failed payout transaction leaves the chain
    refund(backend, order)
    backend.touch(order)
    return {"order": _view(world, backend, order)}


def _merchant(backend: Backend, params: dict) -> dict:
    index = params.get("index", 0)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(backend.merchants):
        raise BadRequest(f"index must be 0..{len(backend.merchants) - 1}")
    return backend.merchants[index]


async def credit(world: "World", backend: Backend, params: dict) -> dict:
    merchant = _merchant(backend, params)
    value = parse_amount(params.get("amount"))
    code = params.get("currency", INTERNAL)
    if code not in CURRENCIES or not CURRENCIES[code].internal:
        raise BadRequest("currency must be an internal balance: " + ", ".join(c for c in CURRENCIES if "-" in c))
    return {"currencyCode": code, "balance": str(backend.credit(merchant, value, code))}


def _ip(value, name: str, family: int | None = None, loopback: bool = True) -> str | None:
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise BadRequest(f"{name} must be an IP address") from None
    if loopback and (not address.is_loopback or (family and address.version != family)):
        raise BadRequest(f"{name} must be a loopback address the sandbox can send from "
                         f"({'::1' if family == 6 else '127.0.0.0/8 or ::1'})")
    return str(address)


FLAGS = ("withdrawals_enabled", "withdraw_volume_field", "strict")


async def settings(world: "World", backend: Backend, params: dict) -> dict:
    merchant = _merchant(backend, params)
    changes = {}
    if "callback_source_address" in params:
        changes["callback_source_address"] = _ip(params["callback_source_address"], "callback_source_address")
    if "callback_source_address_v6" in params:
        changes["callback_source_address_v6"] = _ip(params["callback_source_address_v6"],
                                                    "callback_source_address_v6", 6)
    if "callback_forwarded_for" in params:
        changes["callback_forwarded_for"] = _ip(params["callback_forwarded_for"], "callback_forwarded_for",
                                                loopback=False)
    if "callback_signature" in params:
        if params["callback_signature"] not in SIGNATURE_MODES:
            raise BadRequest("callback_signature must be " + " or ".join(SIGNATURE_MODES))
        changes["callback_signature"] = params["callback_signature"]
    for flag in FLAGS:
        if flag in params:
            if not isinstance(params[flag], bool):
                raise BadRequest(f"{flag} must be true or false")
            changes[flag] = params[flag]
    merchant.update(changes)
    return {k: merchant.get(k) for k in ("callback_source_address", "callback_source_address_v6",
                                         "callback_forwarded_for", "callback_signature", *FLAGS)}


async def state(world: "World", backend: Backend, params: dict) -> dict:
    return _view(world, backend, _order(backend, params))


SIMULATIONS = {"pay": pay, "confirm": confirm, "aml": aml, "refund_requisites": refund_requisites,
               "issue_requisites": issue_requisites, "hold_creation": hold_creation,
               "fail_creation": fail_creation, "expire": expire, "revoke": revoke, "block": block,
               "warning": warning, "fail": fail, "credit": credit, "settings": settings, "state": state}


# `mockserver trigger alfabit STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new order's uid as {ref}; {order_ref} is fresh per run.
STORIES = {
    "state": [{"simulate": "state", "params": {"order": "{ref}"}}],
    "create": [{"call": "POST /api/v1/integration/orders/invoice",
                "json": {"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25",
                         "comment": "{order_ref}", "isAwaitRequisites": True},
                "expect": {"status": 201}, "save": {"ref": "data.uid"}}],
    "exact": [{"pay": {"order": "{ref}"}}, {"advance": "3m"}],
    "partial": [{"pay": {"order": "{ref}", "kind": "partial"}}, {"advance": "3m"}],
    "over": [{"pay": {"order": "{ref}", "kind": "over"}}, {"advance": "3m"}],
    "late": [{"advance": "31m"}, {"pay": {"order": "{ref}"}}, {"advance": "3m"}],
    "expire": [{"advance": "31m"}],
}


def _with_amount(*statuses: str):
    """Presets paying a share of the invoice's amount: an invoice without amount takes `amount` only."""
    return lambda view: view["facts"]["with_amount"] and view["status"] in statuses


def _aml_open(view: dict) -> bool:
    """The AML verdict can still be set (as `aml` checks): the order is not done, not past its check."""
    return view["facts"]["aml_open"]


def _verdict_is_not(verdict: str):
    """A preset setting the verdict the order already has would change nothing."""
    return lambda view: view["facts"]["verdict"] != verdict


def _creating_now(view: dict) -> bool:
    """An invoice whose requisites are not issued yet (issue, hold or fail its creation)."""
    return view["facts"]["creating"]


def _revocable(view: dict) -> bool:
    """As `revoke` checks: an unpaid invoice, or a withdrawal not started."""
    return view["facts"]["revocable"]


# Money arriving once the AML check started is not added to the order, so `pay` stops there;
# an expired unpaid invoice takes a late payment.
PAYABLE = ("created", "invoiceWaitPay", "invoiceNotPayed", "invoiceWaitConfirms")
BOTH = {"invoice": "order", "withdrawal": "order"}
SIMULATION_PARAMS = {
    "pay": {"for": {"invoice": "order"}, "when": lambda view: view["facts"]["requisites"] and view["status"] in PAYABLE,
            "presets": {"Pay exact": Preset({"kind": "exact"}, when=_with_amount("created", "invoiceWaitPay")),
                        "Pay half": Preset({"kind": "partial"}, when=_with_amount("created", "invoiceWaitPay")),
                        "Overpay (+50%)": Preset({"kind": "over"}, when=_with_amount("created", "invoiceWaitPay")),
                        "Pay in 3 transfers": Preset({"kind": "split", "parts": 3},
                                                     when=_with_amount("created", "invoiceWaitPay")),
                        "Send dust": Preset({"kind": "dust"}, when=status_in("created", "invoiceWaitPay")),
                        "Pay late": Preset({"kind": "late"},
                                           when=_with_amount("created", "invoiceWaitPay", "invoiceNotPayed"))},
            "fields": {"amount": "number", "memo": "text", "aml": ["pass", "block", "refund"]}},
    "confirm": {"for": BOTH, "when": lambda view: view["facts"]["unconfirmed"], "presets": {"Confirm now": {}}},
    "issue_requisites": {"for": {"invoice": "order"}, "when": _creating_now, "presets": {"Issue requisites": {}}},
    "hold_creation": {"for": {"invoice": "order"}, "when": lambda view: _creating_now(view) and not view["facts"]["held"],
                      "presets": {"Hold creation": {}}},
    "fail_creation": {"for": {"invoice": "order"}, "when": _creating_now, "presets": {"Creation fails": {}}},
    "expire": {"for": {"invoice": "order"}, "when": status_in("created", "invoiceWaitRequisites", "invoiceWaitPay"),
               "presets": {"Expire now": {}}},
    "aml": {"for": BOTH, "when": _aml_open,
            "presets": {"AML passes": Preset({"verdict": "pass"}, when=_verdict_is_not("pass")),
                        "AML blocks": Preset({"verdict": "block"}, when=_verdict_is_not("block")),
                        "AML: refund": Preset({"verdict": "refund"},
                                              when=lambda view: view["kind"] == "invoice" and _verdict_is_not("refund")(view))}},
    "refund_requisites": {"for": {"invoice": "order"}, "when": status_in("waitRefundRequisites"),
                          "presets": {"Give refund address": {}}, "fields": {"address": "text"}},
    "revoke": {"for": BOTH, "when": _revocable, "presets": {"Revoke": {}}},
    "block": {"for": BOTH, "when": lambda view: not view["facts"]["done"] and not view["facts"]["payout_out"],
              "presets": {"Block": {}}},
    "warning": {"for": BOTH, "when": lambda view: not view["facts"]["done"] and view["status"] != "warning",
                "presets": {"Warning": {}}},
    "fail": {"for": {"withdrawal": "order"}, "when": status_in("created", "inProgress"), "presets": {"Fail": {}}},
    "credit": {"for": None, "fields": {"amount": "number", "currency": "text", "index": "json"}},
    "settings": {"for": None, "fields": {"index": "json", "callback_source_address": "text",
                                         "callback_source_address_v6": "text", "callback_forwarded_for": "text",
                                         "callback_signature": ["unverifiable", "hmac"], "withdrawals_enabled": "json",
                                         "withdraw_volume_field": "json", "strict": "json"}},
}
