"""Alchemy Pay state for one World: merchants, orders, and the webhooks their changes cause.

Statuses are derived (model.Order.status); `refresh` compares the derived status with what was
last announced and sends the webhook the docs name for the change, so any caller — a simulation,
an expiry timer, a confirmation on the chain — may call it any number of times.

Webhook delivery [D]: one send by default; a merchant with ``webhook_retries: true`` gets the
documented schedule (5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, each after the previous attempt)
for on-ramp webhooks only. Ack rule and header clock: webhooks.py. Where the order has no
callbackUrl the merchant's configured ``webhook_url`` is used [A].
[A] A retry resends the same body and ``timestamp`` header (the signatures cover the first send).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

from mockserver.core.time.durations import parse_duration
from mockserver.core.basics.retention import BoundedStore
from mockserver.core.webhooks.outbox import RetryPolicy

from . import model, webhooks
from .errors import duplicate, not_found
from .model import BUY, Order
from .tokens import TokenBook

PROVIDER_NAME = "alchemypay"
ON_RAMP_RETRIES = RetryPolicy.minutes(5, 15, 30, 60, 120, 240, 480)   # [D]
NO_RETRIES = RetryPolicy()
MAX_SELL_EXPIRY = timedelta(days=365)   # [A] beyond any order's life; keeps every expiry instant finite
# statuses after which nothing more happens to an order: only these are forgotten past the cap
FINISHED_STATUSES = frozenset({model.FINISHED, model.CANCEL, model.REFUNDED, model.SELL_PAYOUT_SUCCESS,
                               model.SELL_REFUNDED, model.SELL_EXPIRED})


ack_success = webhooks.ack_success


class AlchemyBackend:
    def __init__(self, world, merchants: list[dict], options: dict):
        self.world = world
        self.merchants = [dict(m) for m in merchants]   # a reset brings back the configured settings
        self.options = dict(options or {})
        # bounded (world.retention.objects): finished orders beyond the cap go, oldest first
        self.orders: dict[str, Order] = BoundedStore(
            world.retention.objects, lambda o: o.status(world.clock.now()) in FINISHED_STATUSES,
            self._forget_order)
        self.tokens = TokenBook(world)
        self._merchant_orders: dict[tuple[str, str, str], str] = {}

    def next_trace(self, path: str = "") -> str:
        """A traceId no other answer of this World got: a digest of (seed, reset count, the journal
        entry that records it), so a seeded run repeats its ids, nothing is drawn from the story's
        random generator, and a refused request changes no state (the journal records refusals)."""
        journal = self.world.journal
        seq = journal.last_seq + 1              # the seq the record below gets (no await between)
        trace = hashlib.md5(f"{self.world.seed}|{self.world.generation}|{seq}".encode()).hexdigest()
        journal.record("alchemypay.trace", PROVIDER_NAME, traceId=trace, path=path)
        return trace

    def sell_expiry(self, merchant: dict) -> timedelta:
        """How long a sell order waits for the coin: 48 h [D], or the ``sell_expiry`` setting
        (a setting that is not a sane duration counts as unset)."""
        try:
            value = parse_duration(self.setting(merchant, "sell_expiry", model.DEFAULT_SELL_EXPIRY))
        except ValueError:
            return model.DEFAULT_SELL_EXPIRY
        return value if timedelta(0) < value <= MAX_SELL_EXPIRY else model.DEFAULT_SELL_EXPIRY

    def strict(self, merchant: dict | None) -> bool:
        """The merchant's ``strict`` setting: refuse also what the sandbox accepts on its own [A]."""
        return bool(self.setting(merchant or {}, "strict", False))

    def _forget_order(self, order_no: str, order: Order) -> None:
        for key in [(order.app_id, order.side, order.merchant_order_no)]:
            if self._merchant_orders.get(key) == order_no:
                del self._merchant_orders[key]
        if order.side == model.SELL and getattr(order, "address", None):
            self.world.chain.forget(order.address)

    # ---- merchants -------------------------------------------------------------
    def merchant(self, app_id: str) -> dict | None:
        return next((m for m in self.merchants if m.get("app_id") == app_id), None)

    def secret_of(self, app_id: str) -> str:
        merchant = self.merchant(app_id)
        return merchant["app_secret"] if merchant else ""

    def setting(self, merchant: dict, key: str, default: Any = None) -> Any:
        """A merchant's setting, else the provider option, else the default."""
        if key in merchant:
            return merchant[key]
        return self.options.get(key, default)

    # ---- orders ----------------------------------------------------------------
    def new_order_no(self) -> str:
        while True:  # 19 digits, like Alchemy's order numbers
            candidate = str(self.world.rng.randrange(10**18, 10**19))
            if candidate not in self.orders:
                return candidate

    def check_new(self, merchant: dict, side: str, merchant_order_no: str) -> None:
        """10006 when this merchantOrderNo is already used for this side (checked before any work)."""
        if (merchant["app_id"], side, merchant_order_no) in self._merchant_orders:
            raise duplicate()

    def existing(self, app_id: str, side: str, merchant_order_no: str) -> Order | None:
        number = self._merchant_orders.get((app_id, side, merchant_order_no))
        return self.orders[number] if number else None

    def create(self, merchant: dict, fields: dict[str, Any]) -> Order:
        app_id = merchant["app_id"]
        key = (app_id, fields["side"], fields["merchant_order_no"])
        self.check_new(merchant, fields["side"], fields["merchant_order_no"])
        now = self.world.clock.now()
        quote = model.quote(fields["side"], fields["crypto"], fields["network"], fields["fiat"], fields["amount"])
        lifetime = model.PAY_URL_LIFETIME if fields["side"] == BUY else self.sell_expiry(merchant)
        order = Order(order_no=self.new_order_no(), app_id=app_id, created_at=now,
                      expires_at=now + lifetime, **fields, **quote)
        self.orders[order.order_no] = order
        self._merchant_orders[key] = order.order_no
        self.world.scheduler.schedule(order.expires_at, lambda: self.refresh(order),
                                      label=f"alchemypay order {order.order_no} lapses")
        self.refresh(order)
        return order

    def find(self, app_id: str, *, order_no: str | None = None, merchant_order_no: str | None = None,
             side: str | None = None) -> Order:
        order = None
        if order_no:
            order = self.orders.get(order_no)
        elif merchant_order_no:
            sides = [side] if side else [model.BUY, model.SELL]
            for s in sides:
                number = self._merchant_orders.get((app_id, s, merchant_order_no))
                if number:
                    order = self.orders[number]
                    break
        if order is None or order.app_id != app_id or (side and order.side != side):
            raise not_found()
        return order

    def get(self, order_no: str) -> Order:
        order = self.orders.get(str(order_no))
        if order is None:
            raise not_found(f"order {order_no} does not exist")
        return order

    # ---- transitions -----------------------------------------------------------
    def refresh(self, order: Order) -> str:
        """Announce the order's derived status if it changed since the last announcement."""
        status = order.status(self.world.clock.now())
        if order.announced and order.announced[-1] == status:
            return status
        order.announced.append(status)
        self.world.journal.record("alchemypay.status", PROVIDER_NAME, order=order.order_no,
                                  side=order.side, status=status)
        if order.side != BUY or status in model.ON_RAMP_WEBHOOK_STATUSES:
            self.notify(order, status)
        return status

    def notify(self, order: Order, status: str):
        merchant = self.merchant(order.app_id) or {}
        secret = merchant.get("app_secret", "")
        url = order.callback_url or merchant.get("webhook_url") or None
        timestamp = webhooks.header_timestamp(self.world, self.setting(merchant, "webhook_clock", "wall"))
        order_for_sign = order
        if not order.callback_url and url:
            order_for_sign = _with_callback(order, url)
        body = webhooks.payload(order_for_sign, status, secret, timestamp)
        contract = "webhook.on-ramp" if order.side == BUY else "webhook.off-ramp"
        self.world.contracts(PROVIDER_NAME).audit(contract, body)
        retries = order.side == BUY and bool(self.setting(merchant, "webhook_retries", False))
        side = "on-ramp" if order.side == BUY else "off-ramp"
        return self.world.outbox.enqueue(
            provider=PROVIDER_NAME, event=f"{side}.{status}", url=url, body=webhooks.encode(body, order.side),
            headers={"timestamp": timestamp}, policy=ON_RAMP_RETRIES if retries else NO_RETRIES,
            ack=ack_success, ref=order.order_no, merchant=order.app_id,
            timeout=float(self.setting(merchant, "webhook_timeout", 10.0)))


# ---- the chain -----------------------------------------------------------------------------------
# [A] each row also in docs/providers/alchemypay.md, "Chain events".

def watch_deposits(backend: AlchemyBackend, order: Order) -> None:
    """A sell order's deposit address: the first transfer that is the order's coin is its deposit."""
    backend.world.chain.watch(order.address, lambda tx: deposit_seen(backend, order, tx))


def deposit_unmatched(order: Order, tx) -> str | None:
    """Why a transfer to a sell order's address is not its deposit: another network or coin, or
    below the order's minimum sell amount (dust); a memo is ignored (each order has its own address)."""
    wrong = tx.mismatch(model.NETWORKS[order.network], order.crypto)
    if wrong is not None:
        return wrong
    low = model.limits(model.SELL, order.crypto, order.fiat)[0]
    if tx.amount < low:
        return f"dust: below the minimum sell amount {model.fmt8(low)} {order.crypto}"
    return None


def deposit_seen(backend: AlchemyBackend, order: Order, tx) -> None:
    """Coin sent to a sell order's deposit address (the `deposit` verb or the admin chain API)."""
    world = backend.world
    if order.transfer is not None or order.status(world.clock.now()) != model.SELL_CREATED:
        # [A] an order takes one deposit; more coin is journaled, not counted
        world.journal.record("alchemypay.deposit_ignored", PROVIDER_NAME, order=order.order_no, txid=tx.txid,
                             amount=str(tx.amount), reason="the order has its deposit, or is closed")
        return
    unmatched = deposit_unmatched(order, tx)
    if unmatched is not None:
        world.journal.record("alchemypay.deposit_ignored", PROVIDER_NAME, order=order.order_no, txid=tx.txid,
                             amount=str(tx.amount), reason=unmatched)
        return
    order.transfer = tx
    world.chain.when_changed(tx, lambda _tx, change: deposit_taken_back(backend, order, tx, change))
    backend.refresh(order)


def deposit_taken_back(backend: AlchemyBackend, order: Order, tx, change: str) -> None:
    """The chain took back a sell order's deposit. Re-mined: nothing changes (the coin comes back
    a block later). Gone (dropped, double spent) before the payout started: the order waits for
    coin again ("1", or "7" past its expiry), with its webhook; during the payout ("3"): the payout
    fails ("5"); after it ("4", "5", "6"): journaled only, the fiat has moved."""
    world = backend.world
    status = order.status(world.clock.now())
    world.journal.record("alchemypay.deposit_reversed", PROVIDER_NAME, order=order.order_no, txid=tx.txid,
                         change=change, status=status)
    if change == "reorged" or order.transfer is not tx:
        return
    if status == model.SELL_COIN_RECEIVED:
        order.transfer = None
    elif status == model.SELL_PAYOUT_STARTED:
        order.payout_failed_at = world.clock.now()
        order.fail_reason = "The deposit was reversed on the chain"
    backend.refresh(order)


def send_crypto(backend: AlchemyBackend, order: Order) -> None:
    """An on-ramp order's crypto goes out to the user's address; FINISHED at its confirmation."""
    world = backend.world
    tx = world.chain.send(model.NETWORKS[order.network], order.address, order.crypto_quantity)
    order.transfer = tx
    world.chain.when_confirmed(tx, model.FINISH_CONFIRMATIONS, lambda _tx: backend.refresh(order))
    world.chain.when_changed(tx, lambda _tx, change: crypto_taken_back(backend, order, tx, change))


def crypto_taken_back(backend: AlchemyBackend, order: Order, tx, change: str) -> None:
    """The chain took back the crypto sent to the user: the order reads TRANSFER again (no webhook
    for TRANSFER [D]) and FINISHED, with its webhook, once the transfer is confirmed again; a
    dropped or double-spent one is sent again (a new txHash)."""
    backend.world.journal.record("alchemypay.transfer_reversed", PROVIDER_NAME, order=order.order_no,
                                 txid=tx.txid, change=change)
    if order.transfer is not tx:
        return
    if change != "reorged":
        send_crypto(backend, order)
    backend.refresh(order)


def _with_callback(order: Order, url: str) -> Order:
    """A view of the order whose callbackUrl is `url` (newSignature covers the path posted to)."""
    return replace(order, callback_url=url)
