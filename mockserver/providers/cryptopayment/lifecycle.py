"""What happens to an invoice as transfers arrive, blocks are mined and time passes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.chain import Transfer, network
from . import webhooks
from .model import BY_BALANCE_KEY

if TYPE_CHECKING:
    from ...core.world import World
    from .model import Backend, Invoice, Withdrawal


def open_invoice(world: "World", backend: "Backend", invoice: "Invoice") -> None:
    world.chain.watch(invoice.address, lambda tx: on_transfer(world, backend, invoice, tx))
    world.scheduler.schedule(invoice.expires_at, lambda: on_expiry_due(world, invoice),
                             label=f"cryptopayment expiry {invoice.id}")


def on_transfer(world: "World", backend: "Backend", invoice: "Invoice", tx: Transfer) -> None:
    now = world.clock.now()
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
    webhooks.send(world, invoice, "payment.detected")


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
