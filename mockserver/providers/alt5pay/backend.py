"""ALT 5 Pay state for one World (moto style): merchants, addresses, payments, invoices."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import pricing
from .assets import ASSETS, Asset
from .auth import ReplayGuard
from .model import FIAT, PAYOUT_FEES, Invoice, Payment, Settlement, WalletAddress

if TYPE_CHECKING:
    from ...core.chain import Transfer
    from ...core.world import World


class Alt5Backend:
    """State for one World (moto style); the HTTP layer and simulations act through it."""

    def __init__(self, world: "World", merchants: list[dict], options: dict):
        from .webhooks import IpnSender      # webhooks needs the model's types
        self.world = world
        self.merchants = merchants
        self.options = options
        self.address_ttl = timedelta(minutes=float(options.get("address_ttl_minutes", 60)))
        self.replay = ReplayGuard(int(options.get("timestamp_tolerance", 300)))
        self.wallets: dict[str, WalletAddress] = {}
        self.payments: dict[str, Payment] = {}
        self.invoices: dict[str, Invoice] = {}
        self.settlements: list[Settlement] = []
        self._paid_out: set[str] = set()        # txids whose settled amount went into a payout
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
        wallet = WalletAddress(
            address=self.world.chain.new_address(asset.chain), asset=asset, ref_id=ref_id,
            merchant_id=merchant["merchant_id"], currency=currency,
            price=pricing.price(asset.coin, currency, now), url=url or None, created_at=now,
            expires_at=now + self.address_ttl, invoice_id=invoice_id,
            tag=str(self.world.rng.randrange(10**8, 10**9)) if asset.coin == "XRP" else "")
        self.wallets[wallet.address] = wallet
        self.world.chain.watch(wallet.address, lambda tx, w=wallet: self._on_transfer(w, tx))
        return wallet

    def wallets_for_ref(self, merchant_id: str, ref_id: str) -> list[WalletAddress]:
        return [w for w in self.wallets.values() if w.merchant_id == merchant_id and w.ref_id == ref_id]

    def _on_transfer(self, wallet: WalletAddress, tx: "Transfer") -> None:
        if tx.txid in self.payments:        # idempotent: a transfer is one payment
            return
        now = self.world.clock.now()
        on_time = tx.seen_at < wallet.expires_at
        price = wallet.price if on_time else pricing.price(wallet.asset.coin, wallet.currency, now)
        payment = Payment(transfer=tx, wallet=wallet, price=price,
                          type="Reused" if wallet.payments else "Payment")
        wallet.payments.append(payment)
        self.payments[tx.txid] = payment
        self.world.journal.record("alt5pay.payment", "alt5pay", ref=wallet.ref_id, txid=tx.txid,
                                  address=wallet.address, amount=str(tx.amount), late=not on_time or None)
        self.ipn.status_changed(payment)
        self.world.chain.when_confirmed(tx, wallet.asset.confirmations,
                                        lambda _tx, p=payment: self.ipn.status_changed(p))

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
        now = self.world.clock.now()
        totals: dict[str, Decimal] = {}
        for asset in ASSETS.values():
            totals.setdefault(asset.coin, Decimal("0"))
        for payment in self.payments.values():
            if payment.wallet.merchant_id == merchant_id and payment.status(now) == "Paid":
                totals[payment.wallet.asset.coin] += payment.amount
        return [{"coin": coin, "blalance": amount} for coin, amount in totals.items()]

    # -- settlement ----------------------------------------------------------------------------
    def unsettled(self, merchant_id: str, currency: str) -> list[Payment]:
        """Paid payments settled in `currency` and not yet paid out."""
        now = self.world.clock.now()
        return [p for p in self.payments.values()
                if p.wallet.merchant_id == merchant_id and p.wallet.currency == currency
                and p.txid not in self._paid_out and p.status(now) == "Paid"]

    def request_payment(self, merchant_id: str, requested: str, method: str | None) -> Settlement | None:
        """Pay out the whole settled balance (see model); None when there is nothing above the fee."""
        currency = requested if requested in FIAT else "USD"
        fee = PAYOUT_FEES[method] if method else Decimal("0")
        payments = self.unsettled(merchant_id, currency)
        amount = sum((p.settled_payment for p in payments), Decimal("0"))
        if amount <= fee:
            return None
        settlement = Settlement(
            merchant_id=merchant_id, amount=amount, fee=fee,
            processing_fees=sum((p.settled_fee for p in payments), Decimal("0")), currency=currency,
            payment_type=method or requested, requested=requested, created_at=self.world.clock.now(),
            payments=payments)
        self._paid_out.update(p.txid for p in payments)
        self.settlements.append(settlement)
        self.world.journal.record("alt5pay.payout", "alt5pay", merchant=merchant_id, currency=currency,
                                  amount=str(amount), fee=str(fee), type=settlement.payment_type)
        return settlement
