"""AlfaBit Pay state for one World (merchants, orders, balances) and the order lifecycle: what
happens as requisites are issued, transfers arrive, confirmations and the AML check complete, and
withdrawals go out. `Backend.touch` sends a callback when an order's derived status moved.

Bounded (retention.objects): orders that are done (`isDone`) beyond the cap are forgotten, oldest
first, with their place in the merchant's list and their deposit address's chain watcher.
"""
from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING

from ...core.chain.transfers import Transfer
from ...core.basics.retention import BoundedStore
from . import webhooks
from .model import (AML_CHECK, DEFAULT_EXPIRY_MINUTES, DEFAULT_RATES, INTERNAL, NAME, REQUISITES_DELAY,
                    SERVICE_FEE, WITHDRAW, WITHDRAW_START, Currency, Order, quantize)

if TYPE_CHECKING:
    from ...core.state.world import World


class Backend:
    def __init__(self, world: "World", merchants: list[dict], options: dict):
        self.world = world
        self.merchants = merchants
        self.rates = {**DEFAULT_RATES, **{str(k): Decimal(str(v)) for k, v in (options.get("rates") or {}).items()}}
        self.default_expiry = int(options.get("expiry_minutes", DEFAULT_EXPIRY_MINUTES))
        self.orders: dict[str, Order] = BoundedStore(
            world.retention.objects, lambda o: o.is_done(world.clock.now()), self._forget_order)
        self.by_merchant: dict[str, list[Order]] = {}
        self.balances: dict[tuple[str, str], Decimal] = {}
        self._next_id = 100001                   # [A] numeric ids count up from here
        self._by_key: dict[str, dict] = {}

    def _forget_order(self, _uid: str, order: Order) -> None:
        mine = self.by_merchant.get(order.merchant["api_key"], [])
        for i, candidate in enumerate(mine):   # oldest first: found near the front
            if candidate is order:
                del mine[i]
                break
        if order.type != WITHDRAW and order.requisites:   # a withdrawal's requisites are the recipient's
            self.world.chain.forget(order.requisites)

    def merchant_by_key(self, api_key: str) -> dict | None:
        merchant = self._by_key.get(api_key)
        if merchant is None or merchant.get("api_key") != api_key:
            self._by_key = {str(m.get("api_key")): m for m in self.merchants}
            merchant = self._by_key.get(api_key)
        return merchant

    # money --------------------------------------------------------------------------------------
    def rate(self, from_asset: str, to_asset: str) -> Decimal:
        return self.rates[from_asset] / self.rates[to_asset]

    def balance(self, merchant: dict, code: str = INTERNAL) -> Decimal:
        return self.balances.get((merchant["api_key"], code), Decimal(0))

    def credit(self, merchant: dict, amount: Decimal, code: str = INTERNAL) -> Decimal:
        slot = (merchant["api_key"], code)
        self.balances[slot] = self.balances.get(slot, Decimal(0)) + amount
        return self.balances[slot]

    def out_amount(self, order: Order, amount_in: Decimal) -> Decimal:
        """What the merchant's balance gets for `amount_in` of the coin paid (service fee taken)."""
        usdt = amount_in * self.rate(order.currency_in.asset, order.currency_out.asset)
        return quantize(usdt * (1 - SERVICE_FEE), order.currency_out.decimals)

    def amount_out_expected(self, order: Order) -> Decimal:
        if order.type == WITHDRAW:
            return order.amount_out_expected
        base = order.amount_in_fact() if order.transfers else order.amount_in_expected
        return self.out_amount(order, base)

    def withdraw_cost(self, currency: Currency, amount: Decimal) -> Decimal:
        """USDT taken from the balance for sending `amount` of `currency` (rounded up) plus its fee."""
        return quantize(amount * self.rate(currency.asset, "USDT"), 6, ROUND_UP) + currency.withdraw_fee

    # orders ---------------------------------------------------------------------------------------
    def add(self, order: Order) -> Order:
        self.orders[order.uid] = order
        self.by_merchant.setdefault(order.merchant["api_key"], []).append(order)
        order.updated_at = order.created_at
        order.notified = order.status(order.created_at)
        return order

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def touch(self, order: Order) -> None:
        """A fact changed: when the derived status moved, stamp updatedAt and send the callback."""
        now = self.world.clock.now()
        status = order.status(now)
        if status == order.notified:
            return
        order.notified, order.updated_at = status, now
        webhooks.send(self.world, self, order)


# lifecycle -----------------------------------------------------------------------------------------
# Each function records a fact at the instant it happens, then lets `touch` derive and announce.

def open_invoice(world: "World", backend: Backend, order: Order, await_requisites: bool) -> Order:
    """Requisites now (isAwaitRequisites) or a few seconds later; expiry on the clock."""
    if await_requisites:
        issue_requisites(world, backend, order)
    backend.add(order)
    if not await_requisites:
        world.scheduler.schedule(order.created_at + REQUISITES_DELAY,
                                 lambda: issue_requisites(world, backend, order),
                                 label=f"alfabit requisites {order.uid}")
    world.scheduler.schedule(order.expires_at, lambda: backend.touch(order),
                             label=f"alfabit expiry {order.uid}")
    return order


def issue_requisites(world: "World", backend: Backend, order: Order) -> None:
    if order.requisites_at is not None:
        return
    order.requisites = world.chain.new_address(order.currency_in.chain)
    if order.currency_in.memo:
        order.memo = str(world.rng.randrange(10 ** 8, 10 ** 9))   # [A] a 9-digit numeric memo
    order.requisites_at = world.clock.now()
    world.chain.watch(order.requisites, lambda tx: on_transfer(world, backend, order, tx))
    if order.uid in backend.orders:
        backend.touch(order)


def on_transfer(world: "World", backend: Backend, order: Order, tx: Transfer) -> None:
    if order.memo is not None and tx.meta.get("memo") != order.memo:
        # [A] a TON transfer without this order's memo cannot be matched to it
        world.journal.record("payment.unmatched_memo", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    if order.confirmed_at is not None or order.warning_at is not None:
        # [A] money arriving once the AML check started is not added to this order
        world.journal.record("payment.after_check", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    order.transfers.append(tx)
    world.chain.when_confirmed(tx, order.currency_in.confirmations,
                               lambda _tx: on_confirmations(world, backend, order))
    backend.touch(order)


def on_confirmations(world: "World", backend: Backend, order: Order) -> None:
    now = world.clock.now()
    need = order.currency_in.confirmations
    if order.confirmed_at is not None or any(t.confirmations(now) < need for t in order.transfers):
        return
    order.confirmed_at = now
    world.scheduler.schedule(now + AML_CHECK, lambda: finish_check(world, backend, order),
                             label=f"alfabit aml {order.uid}")
    backend.touch(order)


def finish_check(world: "World", backend: Backend, order: Order) -> None:
    """The AML verdict lands: a pass credits the merchant's balance with the converted amount."""
    if order.status(world.clock.now()) == "success" and not order.amount_out_fact:
        order.amount_out_fact = backend.out_amount(order, order.amount_in_fact())
        order.balance_after = backend.credit(order.merchant, order.amount_out_fact)
    backend.touch(order)


def start_withdrawal(world: "World", backend: Backend, order: Order) -> Order:
    order.balance_after = backend.credit(order.merchant, -order.amount_in_expected)  # held at once
    order.start_at = order.created_at + WITHDRAW_START
    backend.add(order)
    world.scheduler.schedule(order.start_at, lambda: withdrawal_step(world, backend, order),
                             label=f"alfabit withdrawal {order.uid}")
    return order


def refund(backend: Backend, order: Order) -> None:
    if not order.refunded:
        order.refunded = True
        order.balance_after = backend.credit(order.merchant, order.amount_in_expected)


def withdrawal_step(world: "World", backend: Backend, order: Order) -> None:
    status = order.status(world.clock.now())
    if status == "withdrawBlocked":
        refund(backend, order)
    elif status == "inProgress" and order.payout is None:
        out = order.currency_out
        order.payout = world.chain.send(out.chain, order.requisites, order.amount_out_expected,
                                        meta={"memo": order.memo} if order.memo else None)
        world.chain.when_confirmed(order.payout, out.confirmations,
                                   lambda _tx: payout_confirmed(world, backend, order))
    backend.touch(order)


def payout_confirmed(world: "World", backend: Backend, order: Order) -> None:
    if order.status(world.clock.now()) == "success":
        order.amount_out_fact = order.amount_out_expected
    backend.touch(order)
