"""Wallet addresses, payments and invoices in ALT 5 Pay's own words.

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
- `ref_id` is scoped to the merchant; several addresses may share one (addressbyref lists them);
- settlement (/usr/transactions, /usr/request_payment, /usr/payments): a Paid payment settles in
  its address's fiat currency, `settled_fee` = total x percent / 100 + fixed, not rounded (the
  docs' sample: total 1 ETH-paid, settled_fee 0.025, settled_payment ".975"); the IPN `fee` is the
  same fee rounded to 2 decimals. A payout request pays out the whole unpaid settled balance of
  one fiat currency (USD for a crypto payout), less a payout fee (see `PAYOUT_FEES`). The docs'
  settlement sample shows both crypto forms, and each payout is told alike by /usr/request_payment
  and /usr/payments: a stablecoin (USDC, USDT, USDT_TRON) is paid as the USD amount, `currency`
  USD, fee 0 (the sample's USDC row); any other coin as that many coins at the price of the
  moment, rounded down to 8 decimals, `currency` the coin, fee 0.01 of the coin (the sample's BTC
  row shows 0.01 for BTC; the same 0.01 for the other coins, and the processing fees converted
  at the same price, are [A]).
- chain events (docs/providers/alt5pay.md, "Chain events"; backend.chain_took_back): a Paid
  payment the chain takes back leaves the ledger at once; re-mined it is Pending again (an IPN
  Pending says so) and Paid again later; dropped or replaced it is no transaction any more. The
  wrong network or token, an XRP transfer without the address's tag and dust (worth under 0.10)
  are no payment of the address (journaled alt5pay.unmatched).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING

from . import pricing
from .assets import FEES, Asset

if TYPE_CHECKING:
    from ...core.chain.transfers import Transfer

AMOUNT_PLACES = Decimal("0.00000001")


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
    payments: list["Payment"] = field(default_factory=list)   # the stored ones, oldest first
    seen: int = 0                       # payments ever made to it (the second one is `Reused`)
    forgotten_total: Decimal = Decimal("0")   # fiat total of its Paid payments no longer stored


@dataclass
class Payment:
    """One transfer to a wallet address (ALT 5 Pay calls these transactions)."""
    transfer: "Transfer"
    wallet: WalletAddress
    price: Decimal
    type: str                   # Payment | Reused
    credited: bool = False      # Paid and counted in the ledger (balances, settled totals)
    announced: set[str] = field(default_factory=set)   # statuses an IPN went out for

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

    @property
    def settled_fee(self) -> Decimal:
        """The processing fee, unrounded, never more than the total [A]."""
        percent, fixed = FEES[self.wallet.asset.fee_group]
        return min(self.total, self.total * percent / 100 + fixed)

    @property
    def settled_payment(self) -> Decimal:
        return self.total - self.settled_fee


# [A] fee of a payout by method, in the payout's currency: the docs' request_payment sample shows
# a Wire fee of 20; the sandbox charges the same for ACH and e-Transfer, and nothing for crypto.
PAYOUT_FEES: dict[str, Decimal] = {"Wire": Decimal("20"), "ACH": Decimal("20"), "e-Transfer": Decimal("20")}
FIAT = ("USD", "CAD", "EUR")
# [D] request_payment currencies; the crypto ones pay out the USD balance in that coin (see above).
PAYOUT_CURRENCIES = FIAT + ("BTC", "BCH", "LTC", "ETH", "USDT", "USDC", "DASH", "XRP", "SOL", "USDT_TRON")
STABLE_PAYOUTS = {"USDC": "USDC", "USDT": "USDT", "USDT_TRON": "USDT"}   # paid as USD, 1:1 [D sample: USDC]
CRYPTO_PAYOUT_FEE = Decimal("0.01")     # of the coin [D sample: BTC; A: the other coins]


@dataclass
class Settlement:
    """One payout of a merchant's settled balance (/usr/request_payment -> /usr/payments)."""
    merchant_id: str
    amount: Decimal             # the balance paid out, before the payout fee, in `currency`
    fee: Decimal                # payout method fee (payment_type_fee), in `currency`
    processing_fees: Decimal    # the payments' own fees, already deducted (fee_amount), in `currency`
    currency: str               # what was paid: the balance's fiat currency, or the coin
    payment_type: str           # Wire | ACH | e-Transfer | a coin
    requested: str              # the currency the merchant asked for
    created_at: datetime

    @property
    def amount_paid(self) -> Decimal:
        return self.amount - self.fee



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

    def forgotten_total(self) -> Decimal:
        """Paid payments no longer stored (retention) still count [A]."""
        return sum((w.forgotten_total for w in self.wallets.values()), Decimal("0"))

    def paid_amount(self, now: datetime) -> Decimal:
        return sum((p.total for p in self.payments() if p.status(now) == "Paid"), self.forgotten_total())

    def payment_status(self, now: datetime) -> str:
        paid = self.paid_amount(now)
        if paid >= self.total_amount:
            return "Paid"
        return "Partially Paid" if paid > 0 else "Unpaid"

    def amount_due(self) -> Decimal:
        """Fiat still to pay, counting payments not yet confirmed."""
        return max(Decimal("0"), self.total_amount - sum((p.total for p in self.payments()), self.forgotten_total()))


def crypto_for_fiat(fiat_amount: Decimal, price: Decimal) -> Decimal:
    """Coins needed to pay `fiat_amount` at `price`, rounded up to 8 decimals."""
    return (fiat_amount / price).quantize(AMOUNT_PLACES, rounding=ROUND_UP)
