"""CryptoPayment.center state for one World, and what happens to it as transfers arrive, blocks
are mined and time passes.

The Backend holds merchants, invoices, withdrawals and the balance ledger (moto style); the
functions below are the lifecycle, called by the API, the chain and the scheduler.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from ...core.chain.transfers import Transfer, network
from ...core.basics.errors import Unprocessable
from ...core.basics.retention import BoundedStore
from . import webhooks
from .model import BY_BALANCE_KEY, DEFAULT_PRICES, DUST_BELOW, Invoice, NetworkInfo, Withdrawal, quantize

if TYPE_CHECKING:
    from ...core.state.world import World

FINISHED_INVOICE = ("confirmed", "expired")
FINISHED_WITHDRAWAL = ("completed", "rejected")


class Backend:
    def __init__(self, world: "World", merchants: list[dict], options: dict):
        self.world = world
        self.merchants = merchants
        self._by_key: dict[str, dict] = {}
        self.prices = {**DEFAULT_PRICES, **{k: Decimal(str(v)) for k, v in (options.get("prices") or {}).items()}}
        self.expiry = timedelta(minutes=float(options.get("expiry_minutes", 30)))
        # bounded (retention.objects): finished invoices/withdrawals beyond the cap go, oldest first
        cap = world.retention.objects
        self.invoices: dict[str, Invoice] = BoundedStore(
            cap, lambda inv: inv.status(world.clock.now()) in FINISHED_INVOICE, self._forget_invoice)
        self.withdrawals: dict[str, Withdrawal] = BoundedStore(cap, lambda w: w.status in FINISHED_WITHDRAWAL)
        self.invoices_by_merchant: dict[str, list[Invoice]] = {}
        # Balances kept as a ledger, moved at the moment of each fact, so a read is O(coins).
        self.available: dict[tuple[str, str], Decimal] = {}
        self.confirming: dict[str, Invoice] = {}

    def _forget_invoice(self, _id: str, invoice: Invoice) -> None:
        """Evicted from `invoices`: drop the other references (list, confirming, chain watcher)."""
        mine = self.invoices_by_merchant.get(invoice.merchant["api_key"], [])
        for i, candidate in enumerate(mine):  # oldest first, so this stops near the front
            if candidate is invoice:
                del mine[i]
                break
        self.confirming.pop(invoice.id, None)
        self.world.chain.forget(invoice.address)

    def merchant_by_key(self, api_key: str) -> dict | None:
        """O(1); the index is rebuilt only when a lookup misses or a key was changed at run time."""
        merchant = self._by_key.get(api_key)
        if merchant is None or merchant.get("api_key") != api_key:
            self._by_key = {str(m["api_key"]): m for m in self.merchants}
            merchant = self._by_key.get(api_key)
        return merchant

    def merchant_balance(self, merchant: dict, key: str) -> Decimal:
        return self.available.get((merchant["api_key"], key), Decimal(0))

    def credit(self, merchant: dict, key: str, amount: Decimal) -> None:
        slot = (merchant["api_key"], key)
        self.available[slot] = self.available.get(slot, Decimal(0)) + amount

    def pending_balances(self, merchant: dict) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for inv in self.confirming.values():
            if inv.merchant["api_key"] == merchant["api_key"]:
                key = inv.network.balance_key
                out[key] = out.get(key, Decimal(0)) + inv.paid_amount()
        return out

    def usd_value(self, coin: str, amount: Decimal) -> Decimal:
        return amount * self.prices[BY_BALANCE_KEY[coin].coin]

    def new_invoice(self, merchant: dict, network: NetworkInfo, amount_usd: Decimal,
                    order_id: str | None, metadata: Any) -> Invoice:
        now = self.world.clock.now()
        price = self.prices[network.coin]
        amount_crypto = quantize(amount_usd / price, network.decimals)
        if amount_crypto <= 0:    # refused before anything is drawn or stored
            raise Unprocessable(f"amount_usd {amount_usd:f} is less than the smallest {network.coin} amount "
                                f"at {price:f} USD (the sandbox's option prices)")
        invoice = Invoice(
            id=self.world.new_uuid(), merchant=merchant, network=network, amount_usd=amount_usd,
            amount_crypto=amount_crypto, address=self.world.chain.new_address(network.chain),
            created_at=now, expires_at=now + self.expiry, order_id=order_id, metadata=metadata)
        self.invoices[invoice.id] = invoice
        self.invoices_by_merchant.setdefault(merchant["api_key"], []).append(invoice)
        return invoice


def open_invoice(world: "World", backend: "Backend", invoice: "Invoice") -> None:
    # partials, not lambdas: one of each per stored invoice, and a partial holds no closure cells
    world.chain.watch(invoice.address, partial(on_transfer, world, backend, invoice))
    world.scheduler.schedule(invoice.expires_at, partial(on_expiry_due, world, invoice),
                             label=f"cryptopayment expiry {invoice.id}")


def on_transfer(world: "World", backend: "Backend", invoice: "Invoice", tx: Transfer) -> None:
    now = world.clock.now()
    wrong = tx.mismatch(invoice.network.chain, invoice.network.coin)
    if wrong is not None:
        # [A] the right address on another network, or another token: not seen by the invoice,
        # never credited (recovering such funds is a support case, not an API event)
        world.journal.record("payment.unmatched", "cryptopayment", ref=invoice.id, txid=tx.txid,
                             amount=str(tx.amount), reason=wrong)
        return
    if tx.amount < DUST_BELOW[invoice.network.balance_key]:
        world.journal.record("payment.dust", "cryptopayment", ref=invoice.id, txid=tx.txid,
                             amount=str(tx.amount), below=str(DUST_BELOW[invoice.network.balance_key]))
        return
    if now >= invoice.expiry_instant():
        invoice.late_transfers.append(tx)
        world.journal.record("payment.late", "cryptopayment", ref=invoice.id, txid=tx.txid,
                             amount=str(tx.amount))
        return
    invoice.transfers.append(tx)
    if invoice.status(now) == "confirming":
        backend.confirming[invoice.id] = invoice
    world.chain.when_confirmed(tx, invoice.network.confirmations,
                               lambda _tx: on_confirmations(world, backend, invoice))
    world.chain.when_changed(tx, partial(on_chain_change, world, backend, invoice))
    webhooks.send(world, invoice, "payment.detected")


def on_chain_change(world: "World", backend: "Backend", invoice: "Invoice", tx: Transfer, change: str) -> None:
    """[A] The chain took back a transfer the invoice counted. Reorged: it stays counted as paid
    (it is mined again) but its confirmations start over; dropped or replaced: it leaves the
    invoice. Either way what was credited for it is debited at once, and an invoice no longer
    confirmed goes back to confirming / pending / expired (derived). No webhook: the documented
    events are detected and confirmed only; payment.confirmed is sent again once it is."""
    if change != "reorged" and tx in invoice.transfers:
        invoice.transfers.remove(tx)
    world.journal.record("payment.reversed", "cryptopayment", ref=invoice.id, txid=tx.txid,
                         amount=str(tx.amount), change=change)
    now = world.clock.now()
    confirmed = invoice.confirmed_amount(now)
    keep = confirmed if confirmed >= invoice.amount_crypto else Decimal(0)
    if keep < invoice.credited:
        backend.credit(invoice.merchant, invoice.network.balance_key, keep - invoice.credited)
        invoice.credited = keep
    if keep == 0:
        invoice.confirmed_at = None
    if invoice.status(now) == "confirming":
        backend.confirming[invoice.id] = invoice
    else:
        backend.confirming.pop(invoice.id, None)


def on_confirmations(world: "World", backend: "Backend", invoice: "Invoice") -> None:
    """Idempotent: credits what became confirmed since last time; confirms the invoice once."""
    now = world.clock.now()
    confirmed = invoice.confirmed_amount(now)
    if confirmed < invoice.amount_crypto:
        return
    if confirmed > invoice.credited:
        backend.credit(invoice.merchant, invoice.network.balance_key, confirmed - invoice.credited)
        invoice.credited = confirmed
    if invoice.confirmed_at is None:
        invoice.confirmed_at = now
        backend.confirming.pop(invoice.id, None)
        webhooks.send(world, invoice, "payment.confirmed")


def on_expiry_due(world: "World", invoice: "Invoice") -> None:
    now = world.clock.now()
    if invoice.expired_by_hand is not None and now > invoice.expired_by_hand:
        return  # expired by hand earlier and journaled then; the old deadline is no second expiry
    if invoice.status(now) == "expired":
        world.journal.record("invoice.expired", "cryptopayment", ref=invoice.id,
                             paid_amount=str(invoice.paid_amount()))


def start_withdrawal(world: "World", withdrawal: "Withdrawal") -> None:
    """A processing withdrawal goes out on its chain one block later."""
    if withdrawal.status == "processing":
        block = network(BY_BALANCE_KEY[withdrawal.coin].chain).block_time
        world.scheduler.schedule_in(block, lambda: complete_withdrawal(world, withdrawal),
                                    label=f"cryptopayment withdrawal {withdrawal.id}")


def complete_withdrawal(world: "World", withdrawal: "Withdrawal") -> None:
    if withdrawal.status != "processing":
        return
    chain = BY_BALANCE_KEY[withdrawal.coin].chain
    tx = world.chain.send(chain, withdrawal.address, withdrawal.amount - withdrawal.fee)
    withdrawal.txid, withdrawal.status, withdrawal.completed_at = tx.txid, "completed", world.clock.now()
    world.journal.record("withdrawal.completed", "cryptopayment", ref=withdrawal.id, txid=tx.txid)


def review_withdrawal(world: "World", backend: "Backend", withdrawal: "Withdrawal", approve: bool) -> None:
    if approve:
        withdrawal.status = "processing"
        start_withdrawal(world, withdrawal)
    else:
        withdrawal.status = "rejected"
        backend.credit(withdrawal.merchant, withdrawal.coin, withdrawal.amount)  # funds released
