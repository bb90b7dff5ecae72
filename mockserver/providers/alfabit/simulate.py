"""Admin verbs: what payers, the chain, the AML check and operators do to AlfaBit Pay orders.

POST /_sandbox/simulate/alfabit/<verb> with {"order": "<uid>"} ("invoice" and "uid" work too).
- pay {order, amount? | fraction? | kind: exact|partial|over|late, memo?, aml?: pass|block}:
  a transfer to the order's requisites (with its memo on TON). Without an amount: exact; an
  invoice without amount needs `amount`. `late` first lets the clock pass the expiry.
- confirm {order}: mine every missing confirmation now (deposits, or a withdrawal's payout).
- aml {order, verdict: pass|block}: the AML verdict this order will get (before its check ends).
- issue_requisites {order}: requisites now, for an order created with isAwaitRequisites=false.
- expire {order}: the order's time runs out now (invoiceNotPayed if nothing was paid).
- warning {order}: the unexpected error the docs call `warning` (manual intervention).
- fail {order}: a withdrawal fails (funds back to the balance).
- credit {amount}: top up the merchant's USDT-INTERNAL balance (e.g. before a withdrawal story).
- settings {callback_source_address?, callback_forwarded_for?, withdrawals_enabled?, index?}:
  merchant settings from scenarios (what PATCH /_sandbox/providers/alfabit/merchant does).
- state {order}: the order as GET /orders/{uid} shows it (scenario `expect_state`).
"""
from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ...core.basics.errors import BadRequest, Conflict, NotFound
from ..base import Preset, status_in
from . import model
from .backend import Backend, refund
from .backend import issue_requisites as give_requisites
from .model import INVOICE, WITHDRAW, Order
from .views import order_view

if TYPE_CHECKING:
    from ...core.state.world import World

KINDS = {"exact": "1", "late": "1", "partial": "0.5", "over": "1.5"}
OPEN_STATUSES = ("invoiceWaitPay", "invoiceNotPayed", "invoiceWaitConfirms")


def _order(backend: Backend, params: dict) -> Order:
    uid = params.get("order") or params.get("invoice") or params.get("uid")
    order = backend.orders.get(str(uid)) if uid else None
    if order is None:
        raise NotFound('unknown order; pass {"order": "<uid>"}')
    return order


def _positive(value, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadRequest(f"{name} must be a number") from None
    if not number.is_finite() or number <= 0 or number.adjusted() > 15:
        raise BadRequest(f"{name} must be a positive number")
    return number


def _view(world: "World", backend: Backend, order: Order) -> dict:
    return order_view(order, backend, world.clock.now())


async def pay(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    if order.type == WITHDRAW:
        raise Conflict("a withdrawal is not paid; use confirm or fail")
    kind = params.get("kind", "exact")
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    if params.get("amount") is not None:
        paid = _positive(params["amount"], "amount")
    elif order.type != INVOICE:
        raise BadRequest("an invoice without amount needs {\"amount\": ...}")
    else:
        fraction = _positive(params.get("fraction", KINDS[kind]), "fraction")
        paid = model.quantize(order.amount_in_expected * fraction, order.currency_in.decimals)
    if order.requisites is None:
        raise Conflict("the order has no requisites yet (isAwaitRequisites=false): issue_requisites first")
    if params.get("aml") is not None:
        await aml(world, backend, {"order": order.uid, "verdict": params["aml"]})
    if kind == "late" and world.clock.now() < order.expiry_instant():
        await world.scheduler.run_until(order.expiry_instant() + timedelta(minutes=1))
    memo = params.get("memo", order.memo)
    tx = world.chain.send(order.currency_in.chain, order.requisites, paid,
                          meta={"memo": str(memo)} if memo is not None else None)
    await world.scheduler.settle()
    return {"transfer": tx.to_dict(world.clock.now()), "order": _view(world, backend, order)}


async def confirm(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    txs = [order.payout] if order.type == WITHDRAW and order.payout else list(order.transfers)
    if not txs:
        raise Conflict("nothing to confirm: no transfer yet")
    need = order.currency_out.confirmations if order.type == WITHDRAW else order.currency_in.confirmations
    for tx in txs:
        world.chain.confirm_now(tx, need)
    await world.scheduler.settle()
    return {"order": _view(world, backend, order)}


async def aml(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    verdict = params.get("verdict")
    if verdict not in ("pass", "block"):
        raise BadRequest("verdict must be pass or block")
    status = order.status(world.clock.now())
    decided = status in model.DONE or status == "inProgress" or status == "warning"
    if decided and not (order.type != WITHDRAW and status == "invoiceNotPayed"):
        raise Conflict(f"order is {status}: its AML check is over")
    order.verdict = verdict
    return {"order": _view(world, backend, order)}


async def issue_requisites(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    if order.type == WITHDRAW:
        raise Conflict("a withdrawal has no deposit requisites")
    give_requisites(world, backend, order)
    return {"order": _view(world, backend, order)}


async def expire(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if order.type == WITHDRAW or status not in ("invoiceWaitRequisites", "invoiceWaitPay"):
        raise Conflict(f"order is {status}: only an unpaid invoice expires")
    order.expired_by_hand = world.clock.now()
    give_requisites(world, backend, order)  # [A] an order never lacks requisites once expired
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def warning(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if status in model.DONE or status == "warning":
        raise Conflict(f"order is {status}")
    order.warning_at = world.clock.now()
    if order.type == WITHDRAW:
        refund(backend, order)  # [A] funds held for a stuck withdrawal return to the balance
    backend.touch(order)
    return {"order": _view(world, backend, order)}


async def fail(world: "World", backend: Backend, params: dict) -> dict:
    order = _order(backend, params)
    status = order.status(world.clock.now())
    if order.type != WITHDRAW or status not in ("created", "inProgress"):
        raise Conflict(f"only a withdrawal in created/inProgress can fail (this one is {status})")
    order.failed_at = world.clock.now()
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
    value = _positive(params.get("amount"), "amount")
    return {"currencyCode": model.INTERNAL, "balance": str(backend.credit(merchant, value))}


def _ip(value, name: str, loopback: bool) -> str | None:
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise BadRequest(f"{name} must be an IP address") from None
    if loopback and not address.is_loopback:
        raise BadRequest(f"{name} must be a loopback address (127.0.0.0/8) the sandbox can send from")
    return str(address)


async def settings(world: "World", backend: Backend, params: dict) -> dict:
    merchant = _merchant(backend, params)
    changes = {}
    if "callback_source_address" in params:
        changes["callback_source_address"] = _ip(params["callback_source_address"], "callback_source_address", True)
    if "callback_forwarded_for" in params:
        changes["callback_forwarded_for"] = _ip(params["callback_forwarded_for"], "callback_forwarded_for", False)
    if "withdrawals_enabled" in params:
        if not isinstance(params["withdrawals_enabled"], bool):
            raise BadRequest("withdrawals_enabled must be true or false")
        changes["withdrawals_enabled"] = params["withdrawals_enabled"]
    merchant.update(changes)
    return {k: merchant.get(k) for k in ("callback_source_address", "callback_forwarded_for", "withdrawals_enabled")}


async def state(world: "World", backend: Backend, params: dict) -> dict:
    return _view(world, backend, _order(backend, params))


SIMULATIONS = {"pay": pay, "confirm": confirm, "aml": aml, "issue_requisites": issue_requisites,
               "expire": expire, "warning": warning, "fail": fail, "credit": credit,
               "settings": settings, "state": state}


# `mockserver trigger alfabit STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new order's uid as {ref}; {order_ref} is fresh per run.
STORIES = {
    "state": [{"simulate": "state", "params": {"order": "{ref}"}}],
    "create": [{"call": "POST /api/v1/integration/orders/invoice",
                "json": {"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25",
                         "comment": "{order_ref}", "isAwaitRequisites": True},
                "expect": {"status": 201}, "save": {"ref": "data.uid"}}],
    "exact": [{"pay": {"order": "{ref}"}}, {"advance": "2m"}],
    "partial": [{"pay": {"order": "{ref}", "kind": "partial"}}, {"advance": "2m"}],
    "over": [{"pay": {"order": "{ref}", "kind": "over"}}, {"advance": "2m"}],
    "late": [{"advance": "31m"}, {"pay": {"order": "{ref}"}}, {"advance": "2m"}],
    "expire": [{"advance": "31m"}],
}


def _with_amount(*statuses: str):
    """Presets paying a share of the invoice's amount: an invoice without amount takes `amount` only."""
    return lambda view: view["facts"]["with_amount"] and view["status"] in statuses


def _aml_open(view: dict) -> bool:
    """The AML verdict can still be set (as `aml` checks): not once the order's check is over,
    except on an unpaid expired invoice, which a late payment may still reach."""
    status = view["status"]
    decided = status in model.DONE or status in ("inProgress", "warning")
    return not decided or (view["kind"] == "invoice" and status == "invoiceNotPayed")


def _verdict_is(verdict: str):
    """The AML verdict the order will get now (a preset setting the same one would change nothing)."""
    return lambda view: view["facts"]["verdict"] == verdict


# Money arriving once the AML check started is not added to the order, so `pay` stops there;
# an expired unpaid invoice takes a late payment.
PAYABLE = ("invoiceWaitPay", "invoiceNotPayed", "invoiceWaitConfirms")
BOTH = {"invoice": "order", "withdrawal": "order"}
SIMULATION_PARAMS = {
    "pay": {"for": {"invoice": "order"}, "when": status_in(*PAYABLE),
            "presets": {"Pay exact": Preset({"kind": "exact"}, when=_with_amount("invoiceWaitPay")),
                        "Pay half": Preset({"kind": "partial"}, when=_with_amount("invoiceWaitPay")),
                        "Overpay (+50%)": Preset({"kind": "over"}, when=_with_amount("invoiceWaitPay")),
                        "Pay late": Preset({"kind": "late"}, when=_with_amount("invoiceWaitPay", "invoiceNotPayed"))},
            "fields": {"amount": "number", "memo": "text", "aml": ["pass", "block"]}},
    "confirm": {"for": BOTH, "when": lambda view: view["facts"]["unconfirmed"], "presets": {"Confirm now": {}}},
    "issue_requisites": {"for": {"invoice": "order"}, "when": status_in("invoiceWaitRequisites"),
                         "presets": {"Issue requisites": {}}},
    "expire": {"for": {"invoice": "order"}, "when": status_in("invoiceWaitRequisites", "invoiceWaitPay"),
               "presets": {"Expire now": {}}},
    "aml": {"for": BOTH, "when": _aml_open,
            "presets": {"AML passes": Preset({"verdict": "pass"}, when=_verdict_is("block")),
                        "AML blocks": Preset({"verdict": "block"}, when=_verdict_is("pass"))}},
    "warning": {"for": BOTH, "when": lambda view: view["status"] not in model.DONE and view["status"] != "warning",
                "presets": {"Warning": {}}},
    "fail": {"for": {"withdrawal": "order"}, "when": status_in("created", "inProgress"), "presets": {"Fail": {}}},
    "credit": {"for": None, "fields": {"amount": "number", "index": "json"}},
    "settings": {"for": None, "fields": {"index": "json", "callback_source_address": "text",
                                         "callback_forwarded_for": "text", "withdrawals_enabled": "json"}},
}
