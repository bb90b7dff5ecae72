"""Payments and withdrawals in ALPPAY's own vocabulary (no World: the Backend holds them).

Facts are stored (transfers with their confirmations on the chain, an AML verdict, a merchant's
confirm/cancel, a forced expiry); `status` and `displayStatus` are derived from them and the clock
each time they are read, so advancing the clock is all it takes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ...core.chain.transfers import Transfer


@dataclass(frozen=True)
class Asset:
    short: str
    network: str          # the provider's word ("tron", "ethereum") [D]
    chain: str            # the simulated chain it lives on
    name: str
    logo_url: str
    confirms: int         # confirmsNeeded [A]

    @property
    def method(self) -> str:
        """The list filter's `method` word: {asset}_{network}, e.g. USDT_tron [D]."""
        return f"{self.short}_{self.network}"


_USDT = ("Tether", "https://cryptologos.cc/logos/tether-usdt-logo.png")
_USDC = ("USD Coin", "https://cryptologos.cc/logos/usd-coin-usdc-logo.png")
# [D] supported combinations: USDT and USDC on tron and ethereum. [A] confirmations: 20 on tron
# (the get-payment sample), 12 on ethereum.
ASSETS: dict[tuple[str, str], Asset] = {(a.short, a.network): a for a in (
    Asset("USDT", "tron", "tron", *_USDT, 20),
    Asset("USDT", "ethereum", "eth", *_USDT, 12),
    Asset("USDC", "tron", "tron", *_USDC, 20),
    Asset("USDC", "ethereum", "eth", *_USDC, 12),
)}

DEFAULT_TIMEOUT = 9000            # [A] seconds; the create-payment sample's `timeout`
AML_DANGER_SCORE = 85             # [A] riskScore given to a transfer flagged dangerous


@dataclass
class Deposit:
    """One transfer into a payment's address, with what ALPPAY adds to it."""
    transfer: Transfer
    fixed_fee: Decimal
    percent_fee: Decimal
    risk_score: int
    danger: bool = False
    risk_checked_at: datetime | None = None
    credited: bool = False

    @property
    def amount(self) -> Decimal:
        return self.transfer.amount


@dataclass
class Payment:
    id: str
    merchant: dict
    amount: Decimal
    amount_text: str                  # echoed as the merchant wrote it ("1000.00")
    asset: Asset
    address: str
    customer: dict
    client_id: str | None
    invoice: str
    checkout_url: str
    redirect_url: str                 # paymentRedirectUrl: the hosted payment page
    timeout: int
    created_at: datetime
    updated_at: datetime
    deposits: list[Deposit] = field(default_factory=list)
    late: list[Transfer] = field(default_factory=list)     # after it closed: recorded, not counted
    closed_at: datetime | None = None                      # expired by hand / cancelled / superseded
    confirmed_at: datetime | None = None                   # the merchant accepted it as it stands
    last_sent: tuple | None = None                         # what the last webhook showed

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(seconds=self.timeout)

    def received(self) -> Decimal:
        return sum((d.amount for d in self.deposits), Decimal(0))

    def confirmed_received(self, now: datetime) -> Decimal:
        need = self.asset.confirms
        return sum((d.amount for d in self.deposits if d.transfer.confirmations(now) >= need), Decimal(0))

    def all_confirmed(self, now: datetime) -> bool:
        return all(d.transfer.confirmations(now) >= self.asset.confirms for d in self.deposits)

    def danger(self) -> bool:
        return any(d.danger for d in self.deposits)

    def completed(self, now: datetime) -> bool:
        if self.confirmed_at is not None:
            return True
        if self.danger() or not self.deposits or not self.all_confirmed(now):
            return False
        return self.confirmed_received(now) >= self.amount

    def is_open(self, now: datetime) -> bool:
        """Still takes transfers: not completed, not closed, and either before its deadline or
        fully paid in time and only waiting for confirmations [A]."""
        if self.completed(now) or self.closed_at is not None:
            return False
        return now < self.expires_at or (self.received() >= self.amount and not self.danger())

    def status(self, now: datetime) -> str:
        """OPEN | EXPIRED | COMPLETED [D]."""
        if self.completed(now):
            return "COMPLETED"
        return "OPEN" if self.is_open(now) else "EXPIRED"

    def display_status(self, now: datetime) -> str:
        """NEW, OPEN, COMPLETED, EXPIRED, OVERPAID, UNDERPAID, AML_CHECK_DANGER [D]; which applies
        when is [A]: the amount facts (under/over) outlive the lifecycle, as BTCPay keeps them."""
        if self.danger():
            return "AML_CHECK_DANGER"
        received = self.received()
        if self.completed(now):
            if received > self.amount:
                return "OVERPAID"
            return "UNDERPAID" if received < self.amount else "COMPLETED"
        if not self.is_open(now):
            return "UNDERPAID" if received > 0 else "EXPIRED"
        if not self.deposits:
            return "NEW"
        if self.all_confirmed(now) and received < self.amount:
            return "UNDERPAID"
        return "OPEN"       # seen, waiting for confirmations


@dataclass
class Withdrawal:
    id: str
    merchant: dict
    amount: Decimal
    amount_text: str
    asset: Asset
    address_to: str
    dest_tag: str | None
    customer: dict
    invoice: str
    address_from: str                 # "" until it goes out, unless withdraw-direct named one
    client_id: str | None
    transfer_all: bool
    created_at: datetime
    updated_at: datetime
    status: str = "OPEN"              # OPEN -> APPROVED -> COMPLETE | CANCELLED [D]
    txn_id: str = ""
    received: Decimal = Decimal(0)
    approved_at: datetime | None = None
