"""What happens to ALPPAY's objects as transfers arrive, blocks are mined, the AML check runs,
time passes and the merchant or the admin API acts. Every change ends in `webhooks.*_changed`,
which sends the object as the API shows it when what a merchant sees changed.

[D: webhookSequence] funds that land on a deposit address with no open payment make a payment
(OPEN/OPEN, webhook 1); with AML enabled and the amount at or above the threshold, the AML check's
result follows in a webhook of its own; then the status change. "Up to three payment webhooks for
a single deposit."
[A] the AML check completes when the transfer is first mined; a clean, confirmed transfer is
credited to the balance net of fees; a flagged one is held and blocks the deposit wallet it landed
on (the clientId then gets a new address; the old wallet stays listed, BLOCKED).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ...core.chain.transfers import Transfer
from . import webhooks
from .backend import Backend, fee_percent, setting_decimal
from .model import AML_DANGER_SCORE, Deposit, Payment, Wallet, Withdrawal
from .views import money

if TYPE_CHECKING:
    from ...core.state.world import World


def watch_wallet(world: "World", backend: Backend, wallet: Wallet) -> None:
    world.chain.watch(wallet.address, lambda tx: on_transfer(world, backend, wallet.address, tx))


def open_payment(world: "World", backend: Backend, payment: Payment) -> None:
    """Store a payment whose every fact was computed and checked before: nothing here can fail."""
    # a persistent (clientId) address serves one open payment at a time [D: Client ID]: earlier
    # open payments on it are expired
    now = world.clock.now()
    for old in backend.address_payments.get(payment.address, []):
        if old.is_open(now):
            old.closed_at = now
            webhooks.payment_changed(world, old)
    if payment.address not in backend.wallets and payment.address not in backend.address_payments:
        world.chain.watch(payment.address, lambda tx: on_transfer(world, backend, payment.address, tx))
    backend.add_payment(payment)
    wallet = backend.wallets.get(payment.address)
    if wallet is not None:
        wallet.updated_at = now
    world.scheduler.schedule(payment.expires_at, lambda: webhooks.payment_changed(world, payment),
                             label=f"alppay expiry {payment.id}")
    webhooks.payment_changed(world, payment)


# [A] the smallest transfer taken as a deposit, in USD; less is dust (not a deposit, journaled)
DUST_BELOW_USD = Decimal("0.10")


def unmatched_reason(backend: Backend, address: str, tx: Transfer) -> str | None:
    """Why a transfer to the address is no deposit [A]: another network or token, a TON transfer
    without the address's destination tag (where it has one), dust; None when it is one."""
    payments = backend.address_payments.get(address, [])
    wallet = backend.wallets.get(address)
    asset = wallet.asset if wallet is not None else payments[-1].asset if payments else None
    if asset is None:
        return None
    wrong = tx.mismatch(asset.chain, asset.short)
    if wrong is not None:
        return wrong
    tag = wallet.dest_tag if wallet is not None else payments[-1].dest_tag
    if asset.tagged and tag and tx.memo != tag:
        return f"destination tag {tx.memo!r}, not {tag!r}" if tx.memo else "no destination tag"
    if asset.usd(tx.amount) < DUST_BELOW_USD:
        return f"dust: worth less than {DUST_BELOW_USD} USD"
    return None


def on_transfer(world: "World", backend: Backend, address: str, tx: Transfer) -> None:
    now = world.clock.now()
    payments = backend.address_payments.get(address, [])
    unmatched = unmatched_reason(backend, address, tx)
    if unmatched is not None:
        world.journal.record("payment.unmatched", "alppay", ref=payments[-1].id if payments else None,
                             txid=tx.txid, address=address, amount=str(tx.amount), reason=unmatched)
        return
    payment = next((p for p in reversed(payments) if p.is_open(now)), None)
    wallet = backend.wallets.get(address)
    if payment is None and wallet is not None and wallet.blocked_at is None:
        payment = _payment_for_deposit(world, backend, wallet, tx)
    if payment is None:
        if payments:
            payments[-1].late.append(tx)
        world.journal.record("payment.late", "alppay", ref=payments[-1].id if payments else None,
                             txid=tx.txid, amount=str(tx.amount))
        return
    _add_deposit(world, backend, payment, tx)


def _payment_for_deposit(world: "World", backend: Backend, wallet: Wallet, tx: Transfer) -> Payment:
    """[D: webhookSequence, webhook 1] "the system automatically creates a payment": the amount
    is what arrived; confirmsNeeded and timeout 0, no checkout URL or invoice, no customer."""
    now = world.clock.now()
    payment_id = world.new_uuid()
    payment = Payment(
        id=payment_id, merchant=wallet.merchant, amount=tx.amount, amount_text=money(tx.amount),
        asset=wallet.asset, address=wallet.address, customer=None, client_id=wallet.client_id,
        invoice="", checkout_url="", redirect_url=f"{wallet.base}/payment-invoice?id={payment_id}",
        timeout=0, created_at=now, updated_at=now, dest_tag=wallet.dest_tag, auto=True)
    backend.add_payment(payment)
    wallet.updated_at = now
    return payment


def _add_deposit(world: "World", backend: Backend, payment: Payment, tx: Transfer) -> None:
    merchant, asset = payment.merchant, payment.asset
    places = Decimal(1).scaleb(-asset.places)
    aml_on = merchant.get("aml_enabled", True) is not False
    deposit = Deposit(
        transfer=tx, fixed_fee=setting_decimal(merchant, "fee_fixed").quantize(places, ROUND_HALF_UP),
        percent_fee=(tx.amount * fee_percent(merchant) / 100).quantize(places, ROUND_HALF_UP),
        aml_due=aml_on and asset.usd(tx.amount) >= setting_decimal(merchant, "aml_threshold"))
    payment.deposits.append(deposit)
    if deposit.aml_due:   # registered first: at equal times the check runs before the credit
        world.chain.when_confirmed(tx, 1, lambda _tx: aml_checked(world, backend, payment, deposit))
    world.chain.when_confirmed(tx, asset.confirms, lambda _tx: on_confirmed(world, backend, payment, deposit))
    world.chain.when_changed(tx, lambda _tx, change: chain_took_back(world, backend, payment, deposit, change))
    wallet = backend.wallets.get(payment.address)
    if wallet is not None:
        wallet.updated_at = world.clock.now()
    webhooks.payment_changed(world, payment)


def _verdict(world: "World", backend: Backend, payment: Payment, deposit: Deposit, danger: bool) -> None:
    now = world.clock.now()
    deposit.risk_checked_at = now
    deposit.aml_price_usd = payment.asset.usd(deposit.amount)
    deposit.danger = danger
    deposit.risk_score = AML_DANGER_SCORE if danger else int(deposit.transfer.meta.get("risk_score", 0))
    wallet = backend.wallets.get(payment.address)
    if wallet is not None:
        wallet.risk_score, wallet.risk_checked_at, wallet.is_danger = deposit.risk_score, now, danger
        wallet.updated_at = now
        if danger and wallet.blocked_at is None:
            wallet.blocked_at = now


def aml_checked(world: "World", backend: Backend, payment: Payment, deposit: Deposit) -> None:
    if deposit.risk_checked_at is not None:      # flagged by hand before the check came back
        return
    _verdict(world, backend, payment, deposit, bool(deposit.transfer.meta.get("danger")))
    if deposit.transfer.confirmations(world.clock.now()) >= payment.asset.confirms:
        credit(backend, payment, deposit)
    webhooks.payment_changed(world, payment)


def _direct(backend: Backend, payment: Payment) -> str | None:
    wallet = backend.wallets.get(payment.address)
    return payment.address if wallet is not None and wallet.client_id is not None else None


def credit(backend: Backend, payment: Payment, deposit: Deposit) -> None:
    """A confirmed, clean, checked transfer reaches the balance once, net of fees [A]."""
    if deposit.credited or deposit.danger or deposit.aml_pending:
        return
    deposit.credited = True
    backend.credit(payment.merchant, payment.asset, deposit.net, _direct(backend, payment))


def on_confirmed(world: "World", backend: Backend, payment: Payment, deposit: Deposit) -> None:
    credit(backend, payment, deposit)
    webhooks.payment_changed(world, payment)


def chain_took_back(world: "World", backend: Backend, payment: Payment, deposit: Deposit, change: str) -> None:
    """[A] A reorg or double spend: a credited deposit is debited at once. Re-mined, it waits for
    its confirmations again (a completed payment is OPEN again until then); dropped or replaced,
    it leaves the payment's transactions and totals. The webhook goes out when what the merchant
    sees changed, as for any other change."""
    world.journal.record("payment.reversed", "alppay", ref=payment.id, txid=deposit.transfer.txid,
                         amount=str(deposit.amount), change=change)
    if deposit.credited:
        backend.credit(payment.merchant, payment.asset, -deposit.net, _direct(backend, payment))
        deposit.credited = False
    if change != "reorged" and deposit in payment.deposits:
        payment.deposits.remove(deposit)
    webhooks.payment_changed(world, payment)


def flag_danger(world: "World", backend: Backend, payment: Payment) -> None:
    """The AML check calls the latest transfer dangerous: its funds are held (taken back if they
    were credited already) [A]."""
    deposit = payment.deposits[-1]
    if deposit.credited:
        backend.credit(payment.merchant, payment.asset, -deposit.net, _direct(backend, payment))
        deposit.credited = False
    _verdict(world, backend, payment, deposit, True)
    webhooks.payment_changed(world, payment)


def confirm_payment(world: "World", payment: Payment) -> None:
    payment.confirmed_at = world.clock.now()
    webhooks.payment_changed(world, payment)


def cancel_payment(world: "World", payment: Payment, *, cancelled: bool = True) -> None:
    payment.closed_at = world.clock.now()
    payment.cancelled = cancelled
    webhooks.payment_changed(world, payment)


# withdrawals ------------------------------------------------------------------------------------
def open_withdrawal(world: "World", backend: Backend, withdrawal: Withdrawal) -> None:
    hold(backend, withdrawal, -withdrawal.amount)
    if withdrawal.client_id:
        backend.open_direct[withdrawal.address_from] = backend.open_direct.get(withdrawal.address_from, 0) + 1
    backend.add_withdrawal(withdrawal)
    webhooks.withdrawal_changed(world, withdrawal)


def hold(backend: Backend, withdrawal: Withdrawal, amount: Decimal) -> None:
    """[A] the amount is held when the request is made and given back if it is cancelled."""
    direct = withdrawal.address_from if withdrawal.client_id else None
    backend.credit(withdrawal.merchant, withdrawal.asset, amount, direct)


def _touch(world: "World", withdrawal: Withdrawal, status: str) -> None:
    withdrawal.status, withdrawal.updated_at = status, world.clock.now()
    webhooks.withdrawal_changed(world, withdrawal)


def approve_withdrawal(world: "World", withdrawal: Withdrawal) -> None:
    withdrawal.approved_at = world.clock.now()
    _touch(world, withdrawal, "APPROVED")


def _release(backend: Backend, withdrawal: Withdrawal) -> None:
    """A withdraw-direct request is done: its source address may be forgotten again (retention)."""
    if withdrawal.client_id and withdrawal.status not in ("COMPLETE", "CANCELLED"):
        left = backend.open_direct.pop(withdrawal.address_from, 1) - 1
        if left > 0:
            backend.open_direct[withdrawal.address_from] = left


def complete_withdrawal(world: "World", backend: Backend, withdrawal: Withdrawal) -> None:
    _release(backend, withdrawal)
    source = withdrawal.address_from or backend.hot_wallet(withdrawal.merchant, withdrawal.asset)
    if withdrawal.amount > 0:     # [D] "Minimum: 0": a zero withdrawal completes with no transfer
        tx = world.chain.send(withdrawal.asset.chain, withdrawal.address_to, withdrawal.amount,
                              source_address=source)
        withdrawal.txn_id = tx.txid
    withdrawal.received, withdrawal.address_from = withdrawal.amount, source
    _touch(world, withdrawal, "COMPLETE")


def cancel_withdrawal(world: "World", backend: Backend, withdrawal: Withdrawal) -> None:
    _release(backend, withdrawal)
    hold(backend, withdrawal, withdrawal.amount)
    _touch(world, withdrawal, "CANCELLED")
