"""ALPPAY state for one World (the Backend: merchants, payments, withdrawals, persistent client
addresses, the balance ledger), and the lifecycle: what happens as transfers arrive, blocks are
mined, time passes, and the merchant or the admin API acts. Every change ends in
`webhooks.*_changed`, which sends the object as the API shows it when what a merchant sees changed.

Bounded (retention.objects per store): payments once COMPLETED or EXPIRED (AML_CHECK_DANGER ones
too: only an OPEN payment can be changed) with every transfer confirmed; withdrawals once COMPLETE
or CANCELLED; clientId addresses once no stored payment on them is live and nothing is held on
them. A one-off address is forgotten (chain watcher too) with its last payment."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ...core.chain.transfers import Transfer
from ...core.basics.retention import BoundedStore
from . import webhooks
from .model import AML_DANGER_SCORE, ASSETS, Asset, Deposit, Payment, Withdrawal

if TYPE_CHECKING:
    from ...core.state.world import World

CENT = Decimal("0.01")


class Backend:
    def __init__(self, world: "World", merchants: list[dict], options: dict):
        self.world = world
        self.merchants = merchants
        self.options = options
        cap = world.retention.objects
        # insertion-ordered: the lists (/v2/payment, /v2/withdrawal) read them oldest first
        self.payments: dict[str, Payment] = BoundedStore(cap, self._payment_finished, self._forget_payment)
        self.withdrawals: dict[str, Withdrawal] = BoundedStore(
            cap, lambda w: w.status in ("COMPLETE", "CANCELLED"))
        # (merchant key, clientId, short, network) -> persistent deposit address
        self.client_addresses: dict[tuple[str, str, str, str], str] = BoundedStore(
            cap, self._address_idle, self._forget_client_address)
        self.address_client: dict[str, tuple[str, str]] = {}      # address -> (merchant key, clientId)
        self.address_payments: dict[str, list[Payment]] = {}
        # balances: (merchant key, short, network) -> available; per source address for withdraw-direct
        self.balances: dict[tuple[str, str, str], Decimal] = {}
        self.address_balances: dict[str, Decimal] = {}
        self.open_direct: dict[str, int] = {}      # address -> its withdraw-direct requests not yet done
        self.hot_wallets: dict[tuple[str, str], str] = {}         # (merchant key, chain) -> address
        for merchant in merchants:   # opening balances from the config: {"USDT_tron": "100"}
            opening = merchant.get("balances")
            for method, amount in (opening.items() if isinstance(opening, dict) else ()):
                short, _, network = str(method).partition("_")
                try:
                    value = Decimal(str(amount))
                except InvalidOperation:
                    continue
                if (short, network) in ASSETS and value.is_finite() and value > 0:
                    self.credit(merchant, ASSETS[(short, network)], value)

    # retention ----------------------------------------------------------------------------------
    def _payment_finished(self, payment: Payment) -> bool:
        now = self.world.clock.now()
        return payment.status(now) != "OPEN" and payment.all_confirmed(now)

    def _forget_payment(self, _id: str, payment: Payment) -> None:
        on_address = self.address_payments.get(payment.address, [])
        for i, candidate in enumerate(on_address):   # oldest first: found near the front
            if candidate is payment:
                del on_address[i]
                break
        if not on_address:    # nothing left on it: unwatched (open_payment watches it again on reuse)
            self.address_payments.pop(payment.address, None)
            self.world.chain.forget(payment.address)

    def _address_idle(self, address: str) -> bool:
        if self.address_balances.get(address) or address in self.open_direct:
            return False
        return all(self._payment_finished(p) for p in self.address_payments.get(address, ()))

    def _forget_client_address(self, _key: tuple, address: str) -> None:
        self.address_client.pop(address, None)
        self.address_balances.pop(address, None)
        if address not in self.address_payments:
            self.world.chain.forget(address)

    def merchant_by_key(self, api_key: str) -> dict | None:
        for merchant in self.merchants:   # a handful of merchants; keys may change at run time
            if str(merchant.get("api_key")) == api_key:
                return merchant
        return None

    # balances ---------------------------------------------------------------------------------
    def balance(self, merchant: dict, asset: Asset) -> Decimal:
        return self.balances.get((merchant["api_key"], asset.short, asset.network), Decimal(0))

    def credit(self, merchant: dict, asset: Asset, amount: Decimal, address: str | None = None) -> None:
        key = (merchant["api_key"], asset.short, asset.network)
        self.balances[key] = self.balances.get(key, Decimal(0)) + amount
        if address is not None:
            self.address_balances[address] = self.address_balances.get(address, Decimal(0)) + amount

    def hot_wallet(self, merchant: dict, asset: Asset) -> str:
        """The merchant's own wallet withdrawals leave from (created on first use)."""
        key = (merchant["api_key"], asset.chain)
        if key not in self.hot_wallets:
            self.hot_wallets[key] = self.world.chain.new_address(asset.chain)
        return self.hot_wallets[key]

    # payments ---------------------------------------------------------------------------------
    def deposit_address(self, merchant: dict, asset: Asset, client_id: str | None) -> str:
        """A fresh address, or the persistent one of this clientId [D: Client ID]."""
        if client_id is None:
            return self.world.chain.new_address(asset.chain)
        key = (merchant["api_key"], client_id, asset.short, asset.network)
        known = self.client_addresses.get(key)
        return known if known is not None else self.world.chain.new_address(asset.chain)

    def add_payment(self, payment: Payment) -> None:
        self.address_payments.setdefault(payment.address, []).append(payment)
        if payment.client_id is not None:   # recorded with its first payment, so it is live when stored
            merchant_key = payment.merchant["api_key"]
            key = (merchant_key, payment.client_id, payment.asset.short, payment.asset.network)
            if key not in self.client_addresses:
                self.address_client[payment.address] = (merchant_key, payment.client_id)
                self.client_addresses[key] = payment.address
        self.payments[payment.id] = payment

    def mine(self, merchant: dict) -> list[Payment]:
        return [p for p in self.payments.values() if p.merchant is merchant]

    def add_withdrawal(self, withdrawal: Withdrawal) -> None:
        self.withdrawals[withdrawal.id] = withdrawal


def fee_setting(merchant: dict, name: str) -> Decimal:
    """[A] fees are merchant settings (`fee_fixed` per transfer, `fee_percent` of it); a value set
    to junk through the admin API counts as 0 rather than breaking a webhook."""
    try:
        value = Decimal(str(merchant.get(name) or 0))
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() and 0 <= value <= 1_000_000 else Decimal(0)


def open_payment(world: "World", backend: "Backend", payment: "Payment") -> None:
    # a persistent (clientId) address serves one open payment at a time [D: Client ID]: earlier
    # open payments on it are expired, and the address is watched only once
    earlier = backend.address_payments.get(payment.address, [])
    now = world.clock.now()
    for old in earlier:
        if old.is_open(now):
            old.closed_at = now
            webhooks.payment_changed(world, old)
    if not earlier:
        world.chain.watch(payment.address, lambda tx: on_transfer(world, backend, payment.address, tx))
    backend.add_payment(payment)
    world.scheduler.schedule(payment.expires_at, lambda: webhooks.payment_changed(world, payment),
                             label=f"alppay expiry {payment.id}")
    webhooks.payment_changed(world, payment)


def on_transfer(world: "World", backend: "Backend", address: str, tx: Transfer) -> None:
    now = world.clock.now()
    payments = backend.address_payments.get(address, [])
    payment = next((p for p in reversed(payments) if p.is_open(now)), None)
    if payment is None:
        if payments:
            payments[-1].late.append(tx)
        world.journal.record("payment.late", "alppay", ref=payments[-1].id if payments else None,
                             txid=tx.txid, amount=str(tx.amount))
        return
    merchant = payment.merchant
    percent = (tx.amount * fee_setting(merchant, "fee_percent") / 100).quantize(CENT, ROUND_HALF_UP)
    danger = bool(tx.meta.get("danger"))
    deposit = Deposit(transfer=tx, fixed_fee=fee_setting(merchant, "fee_fixed").quantize(CENT, ROUND_HALF_UP),
                      percent_fee=percent,
                      risk_score=AML_DANGER_SCORE if danger else int(tx.meta.get("risk_score", 0)),
                      danger=danger, risk_checked_at=now)
    payment.deposits.append(deposit)
    world.chain.when_confirmed(tx, payment.asset.confirms,
                               lambda _tx: on_confirmed(world, backend, payment, deposit))
    webhooks.payment_changed(world, payment)


def credit(backend: "Backend", payment: "Payment", deposit: Deposit) -> None:
    """A confirmed, clean transfer reaches the balance once, net of fees [A]."""
    if deposit.credited or deposit.danger:
        return
    deposit.credited = True
    net = max(deposit.amount - deposit.fixed_fee - deposit.percent_fee, Decimal(0))
    direct = payment.address if payment.address in backend.address_client else None
    backend.credit(payment.merchant, payment.asset, net, direct)


def on_confirmed(world: "World", backend: "Backend", payment: "Payment", deposit: Deposit) -> None:
    credit(backend, payment, deposit)
    webhooks.payment_changed(world, payment)


def flag_danger(world: "World", backend: "Backend", payment: "Payment") -> None:
    """The AML check calls the latest transfer dangerous: its funds are held (taken back if they
    were credited already) [A]."""
    deposit = payment.deposits[-1]
    if deposit.credited:
        net = max(deposit.amount - deposit.fixed_fee - deposit.percent_fee, Decimal(0))
        direct = payment.address if payment.address in backend.address_client else None
        backend.credit(payment.merchant, payment.asset, -net, direct)
        deposit.credited = False
    deposit.danger, deposit.risk_score = True, AML_DANGER_SCORE
    deposit.risk_checked_at = world.clock.now()
    webhooks.payment_changed(world, payment)


def confirm_payment(world: "World", payment: "Payment") -> None:
    payment.confirmed_at = world.clock.now()
    webhooks.payment_changed(world, payment)


def cancel_payment(world: "World", payment: "Payment") -> None:
    payment.closed_at = world.clock.now()
    webhooks.payment_changed(world, payment)


# withdrawals ------------------------------------------------------------------------------------
def open_withdrawal(world: "World", backend: "Backend", withdrawal: "Withdrawal") -> None:
    hold(backend, withdrawal, -withdrawal.amount)
    if withdrawal.client_id:
        backend.open_direct[withdrawal.address_from] = backend.open_direct.get(withdrawal.address_from, 0) + 1
    backend.add_withdrawal(withdrawal)
    webhooks.withdrawal_changed(world, withdrawal)


def hold(backend: "Backend", withdrawal: "Withdrawal", amount: Decimal) -> None:
    """[A] the amount is held when the request is made and given back if it is cancelled."""
    direct = withdrawal.address_from if withdrawal.client_id else None
    backend.credit(withdrawal.merchant, withdrawal.asset, amount, direct)


def _touch(world: "World", withdrawal: "Withdrawal", status: str) -> None:
    withdrawal.status, withdrawal.updated_at = status, world.clock.now()
    webhooks.withdrawal_changed(world, withdrawal)


def approve_withdrawal(world: "World", withdrawal: "Withdrawal") -> None:
    withdrawal.approved_at = world.clock.now()
    _touch(world, withdrawal, "APPROVED")


def _release(backend: "Backend", withdrawal: "Withdrawal") -> None:
    """A withdraw-direct request is done: its source address may be forgotten again (retention)."""
    if withdrawal.client_id and withdrawal.status not in ("COMPLETE", "CANCELLED"):
        left = backend.open_direct.pop(withdrawal.address_from, 1) - 1
        if left > 0:
            backend.open_direct[withdrawal.address_from] = left


def complete_withdrawal(world: "World", backend: "Backend", withdrawal: "Withdrawal") -> None:
    _release(backend, withdrawal)
    source = withdrawal.address_from or backend.hot_wallet(withdrawal.merchant, withdrawal.asset)
    tx = world.chain.send(withdrawal.asset.chain, withdrawal.address_to, withdrawal.amount,
                          source_address=source)
    withdrawal.txn_id, withdrawal.received, withdrawal.address_from = tx.txid, withdrawal.amount, source
    _touch(world, withdrawal, "COMPLETE")


def cancel_withdrawal(world: "World", backend: "Backend", withdrawal: "Withdrawal") -> None:
    _release(backend, withdrawal)
    hold(backend, withdrawal, withdrawal.amount)
    _touch(world, withdrawal, "CANCELLED")
