"""ALT 5 Pay state for one World (moto style): merchants, addresses, payments, invoices, and the
ledger (coin balances, settled totals not yet paid out) moved at the moment a payment turns Paid.

Bounded (retention.objects per store): a Paid payment may be forgotten (its money stays in the
ledger, its fiat total in its address's `forgotten_total`); an address once its quote expired and
no payment to it is Pending (with its payments and chain watcher); an invoice once Paid, or once
its quote time is over, with nothing Pending (with its addresses); the newest payouts.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ...core.basics.retention import BoundedStore
from . import pricing
from .assets import ASSETS, Asset
from .auth import ReplayGuard
from .model import (AMOUNT_PLACES, CRYPTO_PAYOUT_FEE, FIAT, PAYOUT_FEES, STABLE_PAYOUTS, Invoice, Payment,
                    Settlement, WalletAddress)

COINS = tuple(dict.fromkeys(asset.coin for asset in ASSETS.values()))   # /usr/balances order
ZERO = Decimal("0")
# [A] the smallest payment counted: worth 0.10 of the address's currency at its price; less is dust
DUST_BELOW = Decimal("0.10")


def unmatched_reason(wallet: WalletAddress, tx: "Transfer", price: Decimal) -> str | None:
    """Why a transfer to the address is not one of its payments [A]: another network or token,
    an XRP transfer without the address's destination tag, dust; None when it is."""
    wrong = tx.mismatch(wallet.asset.chain, wallet.asset.coin)
    if wrong is not None:
        return wrong
    if wallet.tag and tx.memo != wallet.tag:
        return f"destination tag {tx.memo!r}, not {wallet.tag}" if tx.memo else "no destination tag"
    if tx.amount * price < DUST_BELOW:
        return f"dust: worth less than {DUST_BELOW} {wallet.currency}"
    return None

if TYPE_CHECKING:
    from ...core.chain.transfers import Transfer
    from ...core.state.world import World


class Alt5Backend:
    """State for one World (moto style); the HTTP layer and simulations act through it."""

    def __init__(self, world: "World", merchants: list[dict], options: dict):
        from .webhooks import IpnSender      # webhooks needs the model's types
        self.world = world
        self.merchants = merchants
        self.options = options
        self.address_ttl = timedelta(minutes=float(options.get("address_ttl_minutes", 60)))
        self.replay = ReplayGuard(int(options.get("timestamp_tolerance", 300)))
        cap = world.retention.objects
        self.wallets: dict[str, WalletAddress] = BoundedStore(cap, self._wallet_finished, self._forget_wallet)
        self.payments: dict[str, Payment] = BoundedStore(cap, lambda p: p.credited, self._forget_payment)
        self.invoices: dict[str, Invoice] = BoundedStore(cap, self._invoice_finished, self._forget_invoice)
        self.settlements: list[Settlement] = []             # the newest `cap` payouts, oldest first
        self._by_ref: dict[tuple[str, str], list[WalletAddress]] = {}
        # the ledger: merchant -> coin -> Paid amount; (merchant, currency) -> (settled, fees) unpaid
        self.coin_balances: dict[str, dict[str, Decimal]] = {}
        self.settled: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        self.ipn = IpnSender(world, self)

    # -- merchants ---------------------------------------------------------------------------
    def merchant_by_key(self, apikey: str) -> dict | None:
        return next((m for m in self.merchants if m.get("apikey") == apikey), None)

    def merchant_by_id(self, merchant_id: str) -> dict | None:
        return next((m for m in self.merchants if m.get("merchant_id") == merchant_id), None)

    # -- addresses ---------------------------------------------------------------------------
    def create_wallet(self, merchant: dict, asset: Asset, ref_id: str, currency: str,
                      url: str | None, invoice_id: str | None = None) -> WalletAddress:
        now = self.world.clock.now()
        price = pricing.price(asset.coin, currency, now)     # what can fail comes before the draws
        wallet = WalletAddress(
            address=self.world.chain.new_address(asset.chain), asset=asset, ref_id=ref_id,
            merchant_id=merchant["merchant_id"], currency=currency,
            price=price, url=url or None, created_at=now,
            expires_at=now + self.address_ttl, invoice_id=invoice_id,
            tag=str(self.world.rng.randrange(10**8, 10**9)) if asset.coin == "XRP" else "")
        self.wallets[wallet.address] = wallet
        self._by_ref.setdefault((wallet.merchant_id, wallet.ref_id), []).append(wallet)
        self.world.chain.watch(wallet.address, lambda tx, w=wallet: self._on_transfer(w, tx))
        return wallet

    def wallets_for_ref(self, merchant_id: str, ref_id: str) -> list[WalletAddress]:
        return list(self._by_ref.get((merchant_id, ref_id), ()))

    def _on_transfer(self, wallet: WalletAddress, tx: "Transfer") -> None:
        if tx.txid in self.payments:        # idempotent: a transfer is one payment
            return
        now = self.world.clock.now()
        on_time = tx.seen_at < wallet.expires_at
        price = wallet.price if on_time else pricing.price(wallet.asset.coin, wallet.currency, now)
        unmatched = unmatched_reason(wallet, tx, price)
        if unmatched is not None:
            # [A] not a payment of this address: not listed, never credited, no IPN
            self.world.journal.record("alt5pay.unmatched", "alt5pay", ref=wallet.ref_id, txid=tx.txid,
                                      address=wallet.address, amount=str(tx.amount), reason=unmatched)
            return
        payment = Payment(transfer=tx, wallet=wallet, price=price,
                          type="Reused" if wallet.seen else "Payment")
        wallet.seen += 1
        wallet.payments.append(payment)
        self.payments[tx.txid] = payment
        self.world.journal.record("alt5pay.payment", "alt5pay", ref=wallet.ref_id, txid=tx.txid,
                                  address=wallet.address, amount=str(tx.amount), late=not on_time or None)
        self.payment_changed(payment)
        self.world.chain.when_confirmed(tx, wallet.asset.confirmations,
                                        lambda _tx, p=payment: self.payment_changed(p))
        self.world.chain.when_changed(tx, lambda _tx, change, p=payment: self.chain_took_back(p, change))

    def payment_changed(self, payment: Payment) -> None:
        """Seen, or reached its confirmations: a payment turning Paid enters the ledger (once),
        then the IPN goes out. Safe to call again."""
        if not payment.credited and payment.status(self.world.clock.now()) == "Paid":
            payment.credited = True
            self._ledger(payment, 1)
        self.ipn.status_changed(payment)

    def _ledger(self, payment: Payment, sign: int) -> None:
        """Move the payment into (sign 1) or back out of (-1) the coin balance and the settled
        total not yet paid out (which may go below 0 when it was paid out already [A])."""
        merchant_id, currency = payment.wallet.merchant_id, payment.wallet.currency
        coins = self.coin_balances.setdefault(merchant_id, {})
        coin = payment.wallet.asset.coin
        coins[coin] = coins.get(coin, ZERO) + sign * payment.amount
        amount, fees = self.settled.get((merchant_id, currency), (ZERO, ZERO))
        self.settled[(merchant_id, currency)] = (amount + sign * payment.settled_payment,
                                                 fees + sign * payment.settled_fee)

    def chain_took_back(self, payment: Payment, change: str) -> None:
        """[A] A reorg or double spend: a credited payment leaves the ledger at once. Re-mined, it
        is Pending again (an IPN `Pending` tells a merchant who was told `Paid`) and turns Paid,
        with its IPN, once it has its confirmations again. Dropped or replaced, it leaves the
        address's transactions and the invoice's totals, with no IPN (no status says "gone")."""
        self.world.journal.record("alt5pay.reversed", "alt5pay", ref=payment.wallet.ref_id, txid=payment.txid,
                                  address=payment.wallet.address, amount=str(payment.amount), change=change)
        was_paid = payment.credited
        if payment.credited:
            payment.credited = False
            self._ledger(payment, -1)
        wallet = payment.wallet
        stored = payment in wallet.payments
        if not stored and was_paid:     # retention had forgotten it, keeping its total
            wallet.forgotten_total -= payment.total
        if change == "reorged":
            if not stored:
                wallet.payments.append(payment)
                self.payments[payment.txid] = payment
            payment.announced.discard("Paid")
            if was_paid:
                self.ipn.status_changed(payment, going_back=True)
            return
        if stored:
            wallet.payments.remove(payment)
        self.payments.pop(payment.txid, None)

    # -- retention -----------------------------------------------------------------------------
    def _wallet_finished(self, wallet: WalletAddress) -> bool:
        """Quote over, nothing Pending, and no stored invoice it belongs to (it goes with it)."""
        return (self.world.clock.now() >= wallet.expires_at and all(p.credited for p in wallet.payments)
                and (wallet.invoice_id is None or wallet.invoice_id not in self.invoices))

    def _invoice_finished(self, invoice: Invoice) -> bool:
        now = self.world.clock.now()
        if not all(p.credited for w in invoice.wallets.values() for p in w.payments):
            return False
        if invoice.payment_status(now) == "Paid":
            return True
        return (now >= invoice.created_at + self.address_ttl
                and all(now >= w.expires_at for w in invoice.wallets.values()))

    def _forget_payment(self, _txid: str, payment: Payment) -> None:
        wallet = payment.wallet
        for i, candidate in enumerate(wallet.payments):   # oldest first: found near the front
            if candidate is payment:
                del wallet.payments[i]
                wallet.forgotten_total += payment.total
                break

    def _forget_wallet(self, address: str, wallet: WalletAddress) -> None:
        self.wallets.pop(address, None)
        for payment in wallet.payments:
            self.payments.pop(payment.txid, None)
        same_ref = self._by_ref.get((wallet.merchant_id, wallet.ref_id), [])
        for i, candidate in enumerate(same_ref):
            if candidate is wallet:
                del same_ref[i]
                break
        if not same_ref:
            self._by_ref.pop((wallet.merchant_id, wallet.ref_id), None)
        self.world.chain.forget(address)

    def _forget_invoice(self, _invoice_id: str, invoice: Invoice) -> None:
        for wallet in invoice.wallets.values():
            self._forget_wallet(wallet.address, wallet)

    # -- invoices ----------------------------------------------------------------------------
    def create_invoice(self, merchant: dict, ref_id: str, total: Decimal, currency: str,
                       url: str | None, request: dict) -> Invoice:
        invoice = Invoice(invoice_id=self.world.new_uuid(), ref_id=ref_id,
                          merchant_id=merchant["merchant_id"], total_amount=total, currency=currency,
                          url=url or None, created_at=self.world.clock.now(), request=request)
        self.invoices[invoice.invoice_id] = invoice
        return invoice

    def invoice_wallet(self, invoice: Invoice, asset: Asset) -> WalletAddress:
        """The invoice's address for `asset`, created (and quoted) on first use."""
        wallet = invoice.wallets.get(asset.path)
        if wallet is None:
            merchant = self.merchant_by_id(invoice.merchant_id) or {"merchant_id": invoice.merchant_id}
            wallet = self.create_wallet(merchant, asset, invoice.ref_id, invoice.currency,
                                        invoice.url, invoice_id=invoice.invoice_id)
            invoice.wallets[asset.path] = wallet
        return wallet

    # -- balances ----------------------------------------------------------------------------
    def balances(self, merchant_id: str) -> list[dict]:
        """Paid amounts per coin, from the ledger (payouts do not lower them)."""
        coins = self.coin_balances.get(merchant_id, {})
        return [{"coin": coin, "blalance": coins.get(coin, ZERO)} for coin in COINS]

    # -- settlement ----------------------------------------------------------------------------
    def request_payment(self, merchant_id: str, requested: str, method: str | None) -> Settlement | None:
        """Pay out the whole settled balance (see model); None when there is nothing above the fee."""
        currency = requested if requested in FIAT else "USD"      # the balance paid out
        amount, fees = self.settled.get((merchant_id, currency), (ZERO, ZERO))
        now = self.world.clock.now()
        if requested in FIAT:
            paid, fee = currency, PAYOUT_FEES[method] if method else ZERO
        elif requested in STABLE_PAYOUTS:
            paid, fee = "USD", ZERO
        else:                       # that many coins at the price of the moment
            price = pricing.price(requested, "USD", now)
            amount = (amount / price).quantize(AMOUNT_PLACES, ROUND_DOWN)
            fees = (fees / price).quantize(AMOUNT_PLACES, ROUND_DOWN)
            paid, fee = requested, CRYPTO_PAYOUT_FEE
        if amount <= fee:
            return None
        settlement = Settlement(
            merchant_id=merchant_id, amount=amount, fee=fee, processing_fees=fees, currency=paid,
            payment_type=method or requested, requested=requested, created_at=now)
        del self.settled[(merchant_id, currency)]
        self.settlements.append(settlement)
        if len(self.settlements) > self.world.retention.objects:
            del self.settlements[0]
        self.world.journal.record("alt5pay.payout", "alt5pay", merchant=merchant_id, currency=paid,
                                  amount=str(amount), fee=str(fee), type=settlement.payment_type)
        return settlement
