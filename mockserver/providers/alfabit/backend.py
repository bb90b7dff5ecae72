"""AlfaBit Pay state for one World (merchants, orders, balances) and the order lifecycle: what
happens as requisites are issued, transfers arrive, confirmations and the AML check complete, the
paid coin is converted into the balance, refunds and withdrawals go out. `Backend.touch` sends a
callback when an order's derived status moved.

Balances [A]: one per asset, `{ASSET}-INTERNAL` (the sample's USDT-INTERNAL). An invoice credits
USDT-INTERNAL, or the internal balance of the asset an invoice without amount converts to
(`invoiceAssetCode`, "Convert to" in the clients); a withdrawal debits the balance of the asset it
sends, a withdrawal with exchange the balance of `fromAssetCode`.

Bounded (retention.objects): orders that are done (`isDone`) beyond the cap are forgotten, oldest
first, with their place in the merchant's list and their deposit address's chain watcher.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ...core.chain.transfers import Transfer
from ...core.basics.retention import BoundedStore
from . import webhooks
from .assets import CURRENCIES, DEFAULT_RATES, INTERNAL, MIN_OUT_USD, SERVICE_FEE, Fees, quantize
from .model import (DEFAULT_EXPIRY_MINUTES, DEFAULT_LATE_MINUTES, NAME, PROCESSING, REFUND_CHECK,
                    REQUISITES_DELAY, START_DELAY, WITHDRAW_START, Order)

if TYPE_CHECKING:
    from ...core.state.world import World


class Backend:
    def __init__(self, world: "World", merchants: list[dict], options: dict):
        self.world = world
        self.merchants = merchants
        self.rates = {**DEFAULT_RATES, **{str(k): Decimal(str(v)) for k, v in (options.get("rates") or {}).items()}}
        self.default_expiry = int(options.get("expiry_minutes", DEFAULT_EXPIRY_MINUTES))
        self.late_window = timedelta(minutes=float(options.get("late_payment_minutes", DEFAULT_LATE_MINUTES)))
        self.fees = Fees(self.rate)
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
        if not order.is_withdrawal and order.requisites:   # a withdrawal's requisites are the recipient's
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

    def balance_usd(self, merchant: dict) -> Decimal:
        return sum((self.balance(merchant, c.code) * self.rates[c.asset]
                    for c in CURRENCIES.values() if c.internal), Decimal(0))

    def _gross(self, order: Order, amount_in: Decimal) -> Decimal:
        return amount_in * self.rate(order.currency_in.asset, order.currency_out.asset)

    def out_amount(self, order: Order, amount_in: Decimal) -> Decimal:
        """What the merchant's balance gets for `amount_in` of the coin paid (service fee taken)."""
        return quantize(self._gross(order, amount_in) * (1 - SERVICE_FEE), order.currency_out.decimals)

    def amount_out_expected(self, order: Order) -> Decimal:
        if order.is_withdrawal:
            return order.amount_out_expected
        return self.out_amount(order, self._base(order))

    def service_commission(self, order: Order) -> Decimal:
        """[A] the service fee in currencyOutCode (invoices) or in the balance debited (withdrawals)."""
        if order.is_withdrawal:
            return order.service_fee
        base = self._base(order)
        return quantize(self._gross(order, base), order.currency_out.decimals) - self.out_amount(order, base)

    @staticmethod
    def _base(order: Order) -> Decimal:
        return order.amount_in_fact() if order.transfers else order.amount_in_expected

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

    def later(self, order: Order, at, action, what: str) -> None:
        self.world.scheduler.schedule(at, action, label=f"alfabit {what} {order.uid}")


# invoices ------------------------------------------------------------------------------------------
# Each function records a fact at the instant it happens, then lets `touch` derive and announce.

def open_invoice(world: "World", backend: Backend, order: Order, await_requisites: bool) -> Order:
    """Requisites now (isAwaitRequisites) or a few seconds later; processing starts a second
    after creation; expiry on the clock."""
    order.late_window = backend.late_window
    if await_requisites:
        issue_requisites(world, backend, order)
    backend.add(order)
    backend.later(order, order.created_at + START_DELAY, lambda: backend.touch(order), "start")
    if not await_requisites:
        backend.later(order, order.created_at + REQUISITES_DELAY,
                      lambda: issue_requisites(world, backend, order), "requisites")
    backend.later(order, order.expires_at, lambda: backend.touch(order), "expiry")
    return order


def issue_requisites(world: "World", backend: Backend, order: Order) -> None:
    """A held or failed creation issues nothing (the `issue_requisites` verb releases a hold)."""
    if order.requisites_at is not None or order.held or order.not_created_at is not None \
            or order.is_done(world.clock.now()):
        return
    order.requisites = world.chain.new_address(order.currency_in.chain)
    if order.currency_in.memo:
        order.memo = str(world.rng.randrange(10 ** 8, 10 ** 9))   # [A] a 9-digit numeric memo
    order.requisites_at = world.clock.now()
    world.chain.watch(order.requisites, lambda tx: on_transfer(world, backend, order, tx))
    if order.uid in backend.orders:
        backend.touch(order)


def on_transfer(world: "World", backend: Backend, order: Order, tx: Transfer) -> None:
    wrong = tx.mismatch(order.currency_in.chain, order.currency_in.asset)
    if wrong is not None:
        # [A] the requisites paid on another network, or in another asset: not this order's money
        world.journal.record("payment.unmatched", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount),
                             reason=wrong)
        return
    if order.memo is not None and tx.memo != order.memo:
        # [A] a TON transfer without this order's memo cannot be matched to it
        world.journal.record("payment.unmatched_memo", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    if tx.amount * backend.rates[order.currency_in.asset] < MIN_OUT_USD:
        # [A] dust: worth less than the smallest amount AlfaBit moves (minOut, 0.1 USD)
        world.journal.record("payment.dust", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    if order.is_done(world.clock.now()):
        # [A] isDone is final: money for a done order (e.g. after the late-payment window) is journaled only
        world.journal.record("payment.after_done", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    if order.confirmed_at is not None or order.warning_at is not None:
        # [A] money arriving once the AML check started is not added to this order
        world.journal.record("payment.after_check", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    order.transfers.append(tx)
    world.chain.when_confirmed(tx, order.currency_in.confirmations,
                               lambda _tx: on_confirmations(world, backend, order))
    world.chain.when_changed(tx, lambda _tx, change: on_chain_change(world, backend, order, tx, change))
    backend.touch(order)


TAKES_BACK = ("invoiceWaitConfirms", "invoiceWaitCheck", "inProgress", "success")


def on_chain_change(world: "World", backend: Backend, order: Order, tx: Transfer, change: str) -> None:
    """[A] The chain took back a transfer the order counted (a reorg, a double spend). On the
    payment path (waiting for confirmations, the AML check, the conversion, success) the order
    goes back to waiting for confirmations (re-mined) or loses the transfer (dropped, replaced:
    invoiceWaitPay, or invoiceNotPayed past its expiry); what the conversion credited is debited;
    the callback carries the status going back, and the path runs again. Elsewhere (AML blocked,
    refunding, operator states) it is journaled only: that money is not in the balance."""
    status = order.status(world.clock.now())
    world.journal.record("payment.reversed", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount),
                         change=change, status=status)
    if status not in TAKES_BACK:
        return
    if order.amount_out_fact:
        order.balance_after = backend.credit(order.merchant, -order.amount_out_fact, order.currency_out.code)
        order.amount_out_fact = Decimal(0)
    if change != "reorged" and tx in order.transfers:
        order.transfers.remove(tx)
    order.confirmed_at = None
    backend.touch(order)
    on_confirmations(world, backend, order)   # the transfers left may all be confirmed already


def on_confirmations(world: "World", backend: Backend, order: Order) -> None:
    now = world.clock.now()
    need = order.currency_in.confirmations
    if order.confirmed_at is not None or not order.transfers \
            or any(t.confirmations(now) < need for t in order.transfers) or order.is_done(now):
        return
    order.confirmed_at = now
    backend.later(order, order.check_ends(), lambda: check_ended(world, backend, order), "aml")
    backend.touch(order)


def check_ended(world: "World", backend: Backend, order: Order) -> None:
    """The AML verdict lands: a pass starts the conversion into the balance (inProgress)."""
    backend.touch(order)
    if order.status(world.clock.now()) == "inProgress":
        backend.later(order, order.check_ends() + PROCESSING, lambda: credit_invoice(world, backend, order), "credit")


def credit_invoice(world: "World", backend: Backend, order: Order) -> None:
    if order.status(world.clock.now()) == "success" and not order.amount_out_fact:
        order.amount_out_fact = backend.out_amount(order, order.amount_in_fact())
        order.balance_after = backend.credit(order.merchant, order.amount_out_fact, order.currency_out.code)
    backend.touch(order)


def give_refund_requisites(world: "World", backend: Backend, order: Order, address: str) -> None:
    """The payer names where the blocked money goes back; it is checked, then sent [A]."""
    order.refund_address, order.refund_requisites_at = address, world.clock.now()
    backend.touch(order)
    backend.later(order, order.refund_requisites_at + REFUND_CHECK, lambda: send_refund(world, backend, order),
                  "refund")


def send_refund(world: "World", backend: Backend, order: Order) -> None:
    if order.refund_payout is None and order.status(world.clock.now()) == "waitToRefund":
        order.refund_payout = world.chain.send(order.currency_in.chain, order.refund_address,
                                               order.amount_in_fact())
        world.chain.when_confirmed(order.refund_payout, order.currency_in.confirmations,
                                   lambda _tx: backend.touch(order))
    backend.touch(order)


# withdrawals ---------------------------------------------------------------------------------------

def start_withdrawal(world: "World", backend: Backend, order: Order) -> Order:
    code = order.currency_in.code
    order.balance_after = backend.credit(order.merchant, -order.amount_in_expected, code)  # held at once
    order.start_at = order.created_at + WITHDRAW_START
    backend.add(order)
    backend.later(order, order.start_at, lambda: withdrawal_step(world, backend, order), "withdrawal")
    return order


def take_back_payout(world: "World", order: Order) -> None:
    """[A] A withdrawal failed after its payout was broadcast: the payout transaction failed,
    so it leaves the chain (as a dropped transfer) before the held amount is given back."""
    if order.payout_out:
        world.chain.reorg(order.payout, drop=True)
        world.journal.record("withdrawal.payout_dropped", NAME, ref=order.uid, txid=order.payout.txid,
                             amount=str(order.payout.amount))


def refund(backend: Backend, order: Order) -> None:
    """A withdrawal that will not go out gives the held amount back to its balance; never while
    its payout is on the chain (that money was paid out: giving it back would count it twice)."""
    if order.is_withdrawal and not order.refunded and not order.payout_out:
        order.refunded = True
        order.balance_after = backend.credit(order.merchant, order.amount_in_expected, order.currency_in.code)


def withdrawal_step(world: "World", backend: Backend, order: Order) -> None:
    status = order.status(world.clock.now())
    if status == "withdrawBlocked":
        refund(backend, order)
    elif status == "inProgress" and order.payout is None:
        out = order.currency_out
        order.payout = world.chain.send(out.chain, order.requisites, order.amount_out_expected,
                                        memo=order.memo or None)
        world.chain.when_confirmed(order.payout, out.confirmations,
                                   lambda _tx: payout_confirmed(world, backend, order))
    backend.touch(order)


def payout_confirmed(world: "World", backend: Backend, order: Order) -> None:
    if order.status(world.clock.now()) == "success":
        order.amount_out_fact = order.amount_out_expected
    backend.touch(order)
