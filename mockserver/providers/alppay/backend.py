"""ALPPAY state for one World (the Backend): merchants, payments, withdrawals, deposit wallets
(clientId-bound and batch), the balance ledger, and the merchant settings as the code reads them.
What happens as transfers arrive and time passes is in lifecycle.py.

Bounded (retention.objects per store): payments once COMPLETED or EXPIRED (AML_CHECK_DANGER ones
too: only an OPEN payment can be changed) with every transfer confirmed; withdrawals once COMPLETE
or CANCELLED; deposit wallets once no stored payment on them is live and nothing is held on them.
A one-off payment address is forgotten (chain watcher too) with its last payment; a wallet's
address is watched for as long as the wallet is kept."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ...core.basics.retention import BoundedStore
from .assets import ASSETS, METHODS, Asset
from .model import Payment, Wallet, Withdrawal

if TYPE_CHECKING:
    from ...core.state.world import World

FEE_PERCENT = Decimal("0.5")      # [D] transaction-fees: "Standard rate: 0.5% of transaction amount"


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
        # deposit wallets by address, and the sticky index (merchant key, clientId, short, network)
        self.wallets: dict[str, Wallet] = BoundedStore(cap, self._wallet_idle, self._forget_wallet)
        self.client_addresses: dict[tuple[str, str, str, str], str] = {}
        self.address_payments: dict[str, list[Payment]] = {}
        # balances: (merchant key, short, network) -> available; per wallet address for withdraw-direct
        self.balances: dict[tuple[str, str, str], Decimal] = {}
        self.address_balances: dict[str, Decimal] = {}
        self.open_direct: dict[str, int] = {}      # address -> its withdraw-direct requests not yet done
        self.hot_wallets: dict[tuple[str, str], str] = {}         # (merchant key, chain) -> address
        self.next_wallet_id = 1001
        for merchant in merchants:   # opening balances from the config: {"USDT_tron": "100"}
            opening = merchant.get("balances")
            for method, amount in (opening.items() if isinstance(opening, dict) else ()):
                try:
                    value = Decimal(str(amount))
                except InvalidOperation:
                    continue
                if method in METHODS and value.is_finite() and value > 0:
                    self.credit(merchant, METHODS[method], value)

    # retention ----------------------------------------------------------------------------------
    def _payment_finished(self, payment: Payment) -> bool:
        now = self.world.clock.now()
        return payment.status(now) != "OPEN" and payment.all_confirmed(now) and not payment.aml_pending()

    def _forget_payment(self, _id: str, payment: Payment) -> None:
        on_address = self.address_payments.get(payment.address, [])
        for i, candidate in enumerate(on_address):   # oldest first: found near the front
            if candidate is payment:
                del on_address[i]
                break
        if not on_address:    # nothing left on it: unwatched unless a wallet keeps the address
            self.address_payments.pop(payment.address, None)
            if payment.address not in self.wallets:
                self.world.chain.forget(payment.address)

    def _wallet_idle(self, wallet: Wallet) -> bool:
        address = wallet.address
        if self.address_balances.get(address) or address in self.open_direct:
            return False
        if wallet.updated_at >= self.world.clock.now():   # made or used just now: its payment follows
            return False
        return all(self._payment_finished(p) for p in self.address_payments.get(address, ()))

    def _forget_wallet(self, address: str, wallet: Wallet) -> None:
        key = self.sticky_key(wallet.merchant, wallet.client_id, wallet.asset)
        if wallet.client_id is not None and self.client_addresses.get(key) == address:
            del self.client_addresses[key]
        self.address_balances.pop(address, None)
        if address not in self.address_payments:
            self.world.chain.forget(address)

    def merchant_by_key(self, api_key: str) -> dict | None:
        for merchant in self.merchants:   # a handful of merchants; keys may change at run time
            if str(merchant.get("api_key")) == api_key:
                return merchant
        return None

    def merchant_number(self, merchant: dict) -> int:
        """The merchant's integer id (getWalletsByClient's merchantId): profile.id when it is an
        integer, else [A] the merchant's position in the sandbox, from 1."""
        given = (merchant.get("profile") or {}).get("id")
        if isinstance(given, int) and not isinstance(given, bool):
            return given
        return next((i + 1 for i, m in enumerate(self.merchants) if m is merchant), 0)

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

    # wallets ----------------------------------------------------------------------------------
    @staticmethod
    def sticky_key(merchant: dict, client_id: str | None, asset: Asset) -> tuple[str, str, str, str]:
        return (merchant["api_key"], client_id or "", asset.short, asset.network)

    def sticky_wallet(self, merchant: dict, asset: Asset, client_id: str) -> Wallet | None:
        """The clientId's persistent address for this asset [D: Client ID], unless blocked [A]."""
        address = self.client_addresses.get(self.sticky_key(merchant, client_id, asset))
        wallet = self.wallets.get(address) if address is not None else None
        return wallet if wallet is not None and wallet.blocked_at is None else None

    def new_wallet(self, merchant: dict, asset: Asset, client_id: str | None, base: str) -> Wallet:
        now = self.world.clock.now()
        number, self.next_wallet_id = self.next_wallet_id, self.next_wallet_id + 1
        # [D] TON: dest_tag is always returned, the clientId when there is one; [A] else the wallet id
        tag = (client_id or str(number)) if asset.tagged else ""
        wallet = Wallet(id=number, merchant=merchant, address=self.world.chain.new_address(asset.chain),
                        asset=asset, client_id=client_id, dest_tag=tag, base=base,
                        created_at=now, updated_at=now)
        self.wallets[wallet.address] = wallet
        if client_id is not None:
            self.client_addresses[self.sticky_key(merchant, client_id, asset)] = wallet.address
        return wallet

    def wallet_status(self, wallet: Wallet) -> str:
        """UNLOCKED | LOCKED | BLOCKED [D]: LOCKED while an OPEN payment holds the address
        ("the same wallet address is locked for the new payment" [D: Client ID])."""
        if wallet.blocked_at is not None:
            return "BLOCKED"
        now = self.world.clock.now()
        live = any(p.is_open(now) for p in self.address_payments.get(wallet.address, ()))
        return "LOCKED" if live else "UNLOCKED"

    def client_wallets(self, merchant: dict, client_id: str | None = None) -> list[Wallet]:
        return [w for w in self.wallets.values() if w.merchant is merchant and w.client_id is not None
                and (client_id is None or w.client_id == client_id)]

    # payments ---------------------------------------------------------------------------------
    def add_payment(self, payment: Payment) -> None:
        self.address_payments.setdefault(payment.address, []).append(payment)
        self.payments[payment.id] = payment

    def mine(self, merchant: dict) -> list[Payment]:
        return [p for p in self.payments.values() if p.merchant is merchant]

    def add_withdrawal(self, withdrawal: Withdrawal) -> None:
        self.withdrawals[withdrawal.id] = withdrawal


def setting_decimal(merchant: dict, name: str, default: Decimal = Decimal(0)) -> Decimal:
    """A decimal merchant setting (checked when set, so junk cannot be stored; a config merchant
    without the key gets the default)."""
    raw = merchant.get(name)
    if raw is None:
        return default
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return default
    return value if value.is_finite() and value >= 0 else default


def fee_percent(merchant: dict) -> Decimal:
    return setting_decimal(merchant, "fee_percent", FEE_PERCENT)


def asset_of(short: str, network: str) -> Asset | None:
    return ASSETS.get((short, network))
