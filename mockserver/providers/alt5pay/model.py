"""Wallet addresses, payments and invoices in ALT 5 Pay's own words, and the backend holding them.

Facts are stored (an address's quote and expiry, the chain transfers paid to it); statuses are
derived: a payment is `Pending` until its transfer has the asset's required confirmations, then
`Paid` [D words]; an invoice is `Partially Paid` / `Paid` from the fiat totals of its Paid
payments [C words].

Assumptions ([A], also as x-assumption in contracts/alt5pay/):
- an address's quote (`price`) holds until `expires`, 60 minutes after creation (option
  `address_ttl`); a payment seen after that ("late") is re-priced at the price of that moment;
- `total` = amount x price rounded to 2 decimals; `fee` = total x percent + fixed fee from the
  docs' /usr/fees sample;
- the first payment to an address has type `Payment`, later ones `Reused`;
- an invoice is `Unpaid` before any Paid payment; `paid_amount` sums the fiat totals of its Paid
  payments, so an overpaid invoice shows paid_amount > total_amount; a payment after `due_date`
  still counts. Each invoice gets one address per asset it is paid in.
- `ref_id` is scoped to the merchant; several addresses may share one (addressbyref lists them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING

from . import pricing
from .assets import ASSETS, FEES, Asset
from .auth import ReplayGuard

if TYPE_CHECKING:
    from ...core.chain import Transfer
    from ...core.world import World

AMOUNT_PLACES = Decimal("0.00000001")


def stamp_iso(moment: datetime) -> str:
    """`2022-08-02T17:45:15.000Z`, as transactions show date_time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stamp_space(moment: datetime) -> str:
    """`2020-05-04 14:32:46.480`, as `expires` and price date_time read."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@dataclass
class WalletAddress:
    address: str
    asset: Asset
    ref_id: str
    merchant_id: str
    currency: str
    price: Decimal
    url: str | None
    created_at: datetime
    expires_at: datetime
    tag: str = ""
    invoice_id: str | None = None
    payments: list["Payment"] = field(default_factory=list)


@dataclass
class Payment:
    """One transfer to a wallet address (ALT 5 Pay calls these transactions)."""
    transfer: "Transfer"
    wallet: WalletAddress
    price: Decimal
    type: str                   # Payment | Reused

    @property
    def txid(self) -> str:
        return self.transfer.txid

    @property
    def amount(self) -> Decimal:
        return self.transfer.amount

    @property
    def total(self) -> Decimal:
        return pricing.fiat(self.amount * self.price)

    @property
    def fee(self) -> Decimal:
        percent, fixed = FEES[self.wallet.asset.fee_group]
        return pricing.fiat(self.total * percent / 100 + fixed)

    def confirmations(self, now: datetime) -> int:
        return self.transfer.confirmations(now)

    def status(self, now: datetime) -> str:
        return "Paid" if self.confirmations(now) >= self.wallet.asset.confirmations else "Pending"

    def view(self, now: datetime) -> dict:
        """The transaction object of /usr/wallet/transactions* [D field order]."""
        w = self.wallet
        return {"date_time": stamp_iso(self.transfer.seen_at), "address": w.address,
                "status": self.status(now), "payment_amount": self.amount, "total_payment": self.total,
                "txid": self.txid, "price": self.price, "currency": w.currency, "coin": w.asset.coin,
                "source_address": self.transfer.source_address}


@dataclass
class Invoice:
    invoice_id: str
    ref_id: str
    merchant_id: str
    total_amount: Decimal
    currency: str
    url: str | None
    created_at: datetime
    request: dict                       # what the merchant sent (contact, items, due_date, ...)
    wallets: dict[str, WalletAddress] = field(default_factory=dict)   # by asset path

    def payments(self) -> list[Payment]:
        return [p for w in self.wallets.values() for p in w.payments]

    def paid_amount(self, now: datetime) -> Decimal:
        return sum((p.total for p in self.payments() if p.status(now) == "Paid"), Decimal("0"))

    def payment_status(self, now: datetime) -> str:
        paid = self.paid_amount(now)
        if paid >= self.total_amount:
            return "Paid"
        return "Partially Paid" if paid > 0 else "Unpaid"

    def amount_due(self) -> Decimal:
        """Fiat still to pay, counting payments not yet confirmed."""
        return max(Decimal("0"), self.total_amount - sum((p.total for p in self.payments()), Decimal("0")))

    def view(self, now: datetime) -> dict:
        return {"invoice_id": self.invoice_id, "ref_id": self.ref_id,
                "payment_status": self.payment_status(now), "paid_amount": self.paid_amount(now),
                "total_amount": self.total_amount, "currency": self.currency}


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


def crypto_for_fiat(fiat_amount: Decimal, price: Decimal) -> Decimal:
    """Coins needed to pay `fiat_amount` at `price`, rounded up to 8 decimals."""
    return (fiat_amount / price).quantize(AMOUNT_PLACES, rounding=ROUND_UP)
