"""Admin verbs: what the end user, the card processor and the chain do to an Alchemy Pay order.

``POST /_sandbox/simulate/alchemypay/<verb>`` with ``{"order": "<orderNo>"}`` (``orderNo`` and
``invoice`` are accepted as the key too). Every verb answers the order as query/trade shows it.

On-ramp (BUY): pay (fiat paid -> PAY_SUCCESS), interim_pay_fail (an attempt failed, the user may
retry -> INTERIM_PAY_FAIL), pay_fail {returnCode?, returnMsg?} (-> PAY_FAIL),
transfer (crypto sent on the simulated chain -> TRANSFER, FINISHED at 1 confirmation),
invalid_address (the crypto cannot be sent to the order's address -> INVALID_ADDRESS),
confirm (mine the transfer now), risk_control, cancel, refund (-> REFUNDED), timeout/expire
(the payment window lapses now -> CANCEL; order/detail says TIMEOUT).
Off-ramp (SELL): deposit {amount?, kind?: split|dust, parts?} (user sends coin -> "2"; `split`: in
`parts` transfers, the first one is the deposit [A]; `dust`: half the minimum sell amount, not
taken [A]), payout ("3"; 409 while the deposit is stuck unconfirmed [A]), payout_success ("4"),
payout_fail {reason?} ("5"), refund ("6", after a failed payout), timeout/expire ("7").
``state`` answers the order without changing it. ``ramp_link`` {side: buy|sell, index?, crypto,
network, fiat?, country?, fiatAmount?/cryptoAmount?, merchantOrderNo?, callbackUrl?, ...} (``showTable``,
and for sell ``type=sell``, added unless given) answers
``{"url": "/index/rampPageSell?...&sign=...", "path": ..., "query": ...}``: the signed hosted-page link a merchant's backend
builds (timestamp = real time), to open relative to /alchemypay (a sandbox helper, not an Alchemy
API). ``settings`` {index?, webhook_retries?, strict_sign?, timestamp_window?, webhook_clock?,
api_sell?, strict?, error_status?, sell_expiry?} changes a merchant's settings (what the PATCH merchant admin
route does, reachable from scenarios), e.g. ``{"timestamp_window": "off"}`` for a story whose
client clock is the wall clock while the sandbox's is pinned.
[A] Default failure codes: pay_fail returnCode "20001", returnMsg "Declined by 3-D Secure" (the
message in the docs' PAY_FAIL sample); payout_fail reason "Bank account rejected the transfer".
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from mockserver.core.basics.amounts import parse_amount
from mockserver.core.basics.errors import BadRequest, Conflict

from . import model, pages
from .backend import AlchemyBackend, send_crypto
from .model import BUY, SELL, Order
from .views import query_data


def _order(backend: AlchemyBackend, params: dict) -> Order:
    number = params.get("order") or params.get("orderNo") or params.get("invoice")
    if not number or isinstance(number, bool) or not isinstance(number, (str, int)):
        raise BadRequest('params must name the order: {"order": "<orderNo>"}')
    return backend.get(str(number))


def _require(order: Order, backend: AlchemyBackend, side: str, *allowed: str) -> None:
    if order.side != side:
        raise Conflict(f"order {order.order_no} is a {order.side} order; this verb is for {side} orders")
    status = order.status(backend.world.clock.now())
    if status not in allowed:
        raise Conflict(f"order {order.order_no} is {status}; this verb needs {' or '.join(allowed)}")


def _require_either(order: Order, backend: AlchemyBackend, *, buy: tuple[str, ...], sell: tuple[str, ...]) -> None:
    """For verbs that apply to both sides, each with its own allowed statuses."""
    _require(order, backend, order.side, *(buy if order.side == BUY else sell))


def _answer(backend: AlchemyBackend, order: Order) -> dict:
    backend.refresh(order)
    now = backend.world.clock.now()
    return {**query_data(order, now), "legacyStatus": order.legacy_status(now)}


def _now(backend: AlchemyBackend):
    return backend.world.clock.now()


async def pay(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PENDING, model.INTERIM_PAY_FAIL)
    order.paid_at = _now(backend)
    return _answer(backend, order)


async def interim_pay_fail(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PENDING, model.INTERIM_PAY_FAIL)
    order.interim_failed_at = _now(backend)
    return _answer(backend, order)


async def invalid_address(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PAY_SUCCESS)
    order.invalid_address_at = _now(backend)
    return _answer(backend, order)


async def pay_fail(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PENDING, model.INTERIM_PAY_FAIL)
    order.pay_failed_at = _now(backend)
    order.fail_code = str(params.get("returnCode", "20001"))
    order.fail_msg = str(params.get("returnMsg", "Declined by 3-D Secure"))
    return _answer(backend, order)


async def transfer(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PAY_SUCCESS)
    send_crypto(backend, order)
    if params.get("confirm"):
        world.chain.confirm_now(order.transfer, model.FINISH_CONFIRMATIONS)
    return _answer(backend, order)


async def confirm(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.TRANSFER)
    world.chain.confirm_now(order.transfer, model.FINISH_CONFIRMATIONS)
    return _answer(backend, order)


async def risk_control(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, BUY, model.PENDING, model.PAY_SUCCESS)
    order.risk_at = _now(backend)
    return _answer(backend, order)


async def cancel(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require_either(order, backend, buy=(model.PENDING,), sell=(model.SELL_CREATED,))
    order.cancelled_at = _now(backend)
    return _answer(backend, order)


async def refund(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require_either(order, backend, buy=(model.PAY_SUCCESS, model.RISK_CONTROL, model.INVALID_ADDRESS),
                    sell=(model.SELL_COIN_RECEIVED, model.SELL_PAYOUT_FAILED))
    if order.side == SELL and order.transfer is not None and not order.transfer.on_chain:
        raise Conflict(f"order {order.order_no}: its deposit left the chain; there is no coin to refund [A]")
    order.refunded_at = _now(backend)
    return _answer(backend, order)


async def timeout(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require_either(order, backend, buy=(model.PENDING, model.INTERIM_PAY_FAIL), sell=(model.SELL_CREATED,))
    order.expires_at = _now(backend)
    return _answer(backend, order)


async def deposit(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, SELL, model.SELL_CREATED)
    amount = parse_amount(params.get("amount", order.amount))
    kind = params.get("kind")
    if kind not in (None, "split", "dust"):
        raise BadRequest("kind must be split or dust (or left out)")
    if kind == "dust":      # [A] half the minimum sell amount: not taken as the deposit
        amount = (model.limits(SELL, order.crypto, order.fiat)[0] / 2).quantize(model.EIGHT)
    amounts = _split(amount, params.get("parts", 3)) if kind == "split" else [amount]
    for part in amounts:     # the watcher (backend.deposit_seen) decides what the order takes
        world.chain.send(model.NETWORKS[order.network], order.address, part)
    await world.scheduler.settle()
    return _answer(backend, order)


MAX_PARTS = 20


def _split(amount: Decimal, parts) -> list[Decimal]:
    if isinstance(parts, bool) or not isinstance(parts, int) or not 2 <= parts <= MAX_PARTS:
        raise BadRequest(f"parts must be a whole number from 2 to {MAX_PARTS}")
    share = (amount / parts).quantize(model.EIGHT, rounding=ROUND_DOWN)
    if share <= 0:
        raise BadRequest(f"{amount} does not split into {parts} transfers at 8 decimals")
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


async def payout(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, SELL, model.SELL_COIN_RECEIVED)
    if order.transfer.status(_now(backend)) == "stuck":
        raise Conflict(f"order {order.order_no}: its deposit is stuck unconfirmed; the payout waits [A]")
    order.payout_started_at = _now(backend)
    order.payout_account = {"name": world.faker.name(),
                            "account": "******" + f"{world.rng.randrange(10**4):04d}", "card": ""}
    return _answer(backend, order)


async def payout_success(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, SELL, model.SELL_PAYOUT_STARTED)
    order.payout_done_at = _now(backend)
    return _answer(backend, order)


async def payout_fail(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    _require(order, backend, SELL, model.SELL_PAYOUT_STARTED)
    order.payout_failed_at = _now(backend)
    order.fail_reason = str(params.get("reason", "Bank account rejected the transfer"))
    return _answer(backend, order)


async def state(world, backend: AlchemyBackend, params: dict) -> dict:
    order = _order(backend, params)
    now = _now(backend)
    return {**query_data(order, now), "legacyStatus": order.legacy_status(now)}


async def ramp_link(world, backend: AlchemyBackend, params: dict) -> dict:
    side = {"buy": BUY, "sell": SELL}.get(str(params.get("side", "")).lower())
    if side is None:
        raise BadRequest('ramp_link needs side "buy" or "sell"')
    index = params.get("index", 0)
    if not isinstance(index, int) or not 0 <= index < len(backend.merchants):
        raise BadRequest(f"index must be a merchant index below {len(backend.merchants)}")
    fields = {k: v for k, v in params.items() if k not in ("side", "index")}
    if any(isinstance(v, (dict, list)) for v in fields.values()):
        raise BadRequest("ramp_link parameters must be plain values")
    fields.setdefault("showTable", side.lower())
    if side == SELL:
        fields.setdefault("type", "sell")        # mandatory on an off-ramp link [D]
    timestamp = str(int(world.clock.wall_now().timestamp() * 1000))
    url = pages.signed_link(backend.merchants[index], side, fields, timestamp)
    return {"url": url, "path": pages.PAGES[side], "query": url.partition("?")[2]}


SETTINGS = {"webhook_retries": bool, "strict_sign": bool, "timestamp_window": str, "webhook_clock": str,
            "api_sell": bool, "strict": bool, "error_status": str, "sell_expiry": str}
CHOICES = {"webhook_clock": ("wall", "virtual"), "error_status": ("4xx", "200")}


async def settings(world, backend: AlchemyBackend, params: dict) -> dict:
    index = params.get("index", 0)
    if not isinstance(index, int) or not 0 <= index < len(backend.merchants):
        raise BadRequest(f"index must be a merchant index below {len(backend.merchants)}")
    changes = {k: v for k, v in params.items() if k != "index"}
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown or not changes:
        raise BadRequest(f"settings takes {', '.join(sorted(SETTINGS))} (got {', '.join(unknown) or 'nothing'})")
    for key, value in changes.items():
        if not isinstance(value, SETTINGS[key]):
            raise BadRequest(f"{key} must be a {SETTINGS[key].__name__}")
    for key, allowed in CHOICES.items():
        if key in changes and changes[key] not in allowed:
            raise BadRequest(f"{key} must be " + " or ".join(f'"{a}"' for a in allowed))
    try:
        world.providers["alchemypay"].check_merchant({**backend.merchants[index], **changes})
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    backend.merchants[index].update(changes)
    return {k: v for k, v in backend.merchants[index].items() if k != "app_secret"}


SIMULATIONS: dict[str, Any] = {
    "pay": pay, "interim_pay_fail": interim_pay_fail, "invalid_address": invalid_address, "pay_fail": pay_fail, "transfer": transfer, "confirm": confirm,
    "risk_control": risk_control, "cancel": cancel, "refund": refund,
    "timeout": timeout, "expire": timeout,
    "deposit": deposit, "payout": payout, "payout_success": payout_success, "payout_fail": payout_fail,
    "state": state, "settings": settings, "ramp_link": ramp_link,
}


# `mockserver trigger alchemypay STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new order's number as {ref}; {order_ref} is fresh per
# run. An on-ramp order is paid by card: there is no partial, over or late payment to simulate.
STORIES = {
    "state": [{"simulate": "state", "params": {"order": "{ref}"}}],
    "create": [
        {"call": "POST /open/api/v4/merchant/getToken", "json": {"email": "buyer@example.com"},
         "expect": {"status": 200, "json": {"success": True}}, "save": {"token": "data.accessToken"}},
        {"call": "POST /open/api/v4/merchant/trade/create", "headers": {"access-token": "{token}"},
         "json": {"side": "BUY", "merchantOrderNo": "{order_ref}", "amount": "100", "fiatCurrency": "USD",
                  "cryptoCurrency": "USDT", "depositType": 2, "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8",
                  "network": "TRX", "payWayCode": "10001", "alpha2": "US"},
         "expect": {"status": 200, "json": {"success": True}}, "save": {"ref": "data.orderNo"}}],
    "exact": [{"simulate": "pay", "params": {"order": "{ref}"}}, {"advance": "5m"},
              {"simulate": "transfer", "params": {"order": "{ref}"}}, {"advance": "1m"}],
    "expire": [{"simulate": "timeout", "params": {"order": "{ref}"}}, {"advance": "1m"}],
}


def _while(*, buy: tuple[str, ...] = (), sell: tuple[str, ...] = ()):
    """The verb applies to an order of that side in one of those statuses (as each verb above
    requires): an on-ramp (BUY) order is never offered a payout, an off-ramp one no card payment."""
    allowed = {BUY: buy, SELL: sell}
    return lambda view: view["status"] in allowed[view["facts"]["side"]]


ORDER = {"for": "order", "id": "order"}
BUY_WAITING = (model.PENDING, model.INTERIM_PAY_FAIL)
SIMULATION_PARAMS: dict[str, dict] = {
    # buy side (on-ramp): the user's card, then the crypto transfer
    "pay": {**ORDER, "when": _while(buy=BUY_WAITING), "presets": {"Card paid": {}}},
    "interim_pay_fail": {**ORDER, "when": _while(buy=BUY_WAITING),
                         "presets": {"Card failed once (retry allowed)": {}}},
    "pay_fail": {**ORDER, "when": _while(buy=BUY_WAITING), "presets": {"Card declined": {}},
                 "fields": {"returnCode": "text", "returnMsg": "text"}},
    "invalid_address": {**ORDER, "when": _while(buy=(model.PAY_SUCCESS,)), "presets": {"Wallet address invalid": {}}},
    "transfer": {**ORDER, "when": _while(buy=(model.PAY_SUCCESS,)),
                 "presets": {"Send the crypto": {}, "Send and confirm": {"confirm": True}}},
    "confirm": {**ORDER, "when": _while(buy=(model.TRANSFER,)), "presets": {"Confirm the transfer": {}}},
    "risk_control": {**ORDER, "when": _while(buy=(model.PENDING, model.PAY_SUCCESS)),
                     "presets": {"Risk control hold": {}}},
    # both sides
    "cancel": {**ORDER, "when": _while(buy=(model.PENDING,), sell=(model.SELL_CREATED,)), "presets": {"Cancel": {}}},
    "refund": {**ORDER, "when": _while(buy=(model.PAY_SUCCESS, model.RISK_CONTROL, model.INVALID_ADDRESS),
                                       sell=(model.SELL_COIN_RECEIVED, model.SELL_PAYOUT_FAILED)),
               "presets": {"Refund": {}}},
    "timeout": {**ORDER, "when": _while(buy=BUY_WAITING, sell=(model.SELL_CREATED,)), "presets": {"Time out": {}}},
    "expire": {**ORDER, "when": _while(buy=BUY_WAITING, sell=(model.SELL_CREATED,)), "presets": {"Expire": {}}},
    # sell side (off-ramp): the user's deposit, then the fiat payout
    "deposit": {**ORDER, "when": _while(sell=(model.SELL_CREATED,)),
                "presets": {"Deposit the crypto": {}, "Deposit in 3 transfers": {"kind": "split", "parts": 3},
                            "Send dust": {"kind": "dust"}},
                "fields": {"amount": "number"}},
    "payout": {**ORDER, "when": _while(sell=(model.SELL_COIN_RECEIVED,)), "presets": {"Start the payout": {}}},
    "payout_success": {**ORDER, "when": _while(sell=(model.SELL_PAYOUT_STARTED,)), "presets": {"Payout succeeded": {}}},
    "payout_fail": {**ORDER, "when": _while(sell=(model.SELL_PAYOUT_STARTED,)), "presets": {"Payout failed": {}},
                    "fields": {"reason": "text"}},
    # not tied to one order
    "ramp_link": {"for": None, "fields": {"side": ["buy", "sell"], "index": "json"}},
    "settings": {"for": None, "fields": {"index": "json", "webhook_retries": "json", "strict_sign": "json",
                                         "timestamp_window": "text", "webhook_clock": ["wall", "virtual"],
                                         "api_sell": "json", "strict": "json", "error_status": ["4xx", "200"],
                                         "sell_expiry": "text"}},
}
