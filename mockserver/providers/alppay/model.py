"""Payments, withdrawals and deposit wallets in ALPPAY's own vocabulary (no World: the Backend
holds them).

Facts are stored (transfers with their confirmations on the chain, an AML verdict, a merchant's
confirm/cancel, a forced expiry); `status` and `displayStatus` are derived from them and the clock
each time they are read, so advancing the clock is all it takes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ...core.chain.transfers import Transfer
from .assets import Asset

DEFAULT_TIMEOUT = 9000            # [A] seconds; the create-payment sample's `timeout`
AML_DANGER_SCORE = 85             # [A] riskScore given to a transfer flagged dangerous


@dataclass
class Deposit:
    """One transfer into a payment's address, with what ALPPAY adds to it.

    [D: webhookSequence] with AML enabled and the amount at or above the threshold, a transfer is
    first seen with its AML fields empty (riskScore 0, riskCheckedAt null, amlPriceUsd "0") and
    filled when the check completes; [A] the check completes when the transfer is first mined."""
    transfer: Transfer
    fixed_fee: Decimal
    percent_fee: Decimal
    aml_due: bool                     # the AML check applies to this transfer
    risk_score: int = 0
    danger: bool = False
    risk_checked_at: datetime | None = None
    aml_price_usd: Decimal = Decimal(0)
    credited: bool = False

    @property
    def amount(self) -> Decimal:
        return self.transfer.amount

    @property
    def aml_pending(self) -> bool:
        return self.aml_due and self.risk_checked_at is None

    @property
    def net(self) -> Decimal:
        return max(self.amount - self.fixed_fee - self.percent_fee, Decimal(0))


@dataclass
class Payment:
    id: str
    merchant: dict
    amount: Decimal
    amount_text: str                  # echoed as the merchant wrote it ("1000.00")
    asset: Asset
    address: str
    customer: dict | None             # None: created by a deposit (the sample has no customer)
    client_id: str | None
    invoice: str
    checkout_url: str
    redirect_url: str                 # paymentRedirectUrl: the hosted payment page
    timeout: int
    created_at: datetime
    updated_at: datetime
    dest_tag: str | None = None       # TON deposit tag; "" on a payment a deposit created
    auto: bool = False                # created by funds landing on a deposit address
    deposits: list[Deposit] = field(default_factory=list)
    late: list[Transfer] = field(default_factory=list)     # after it closed: recorded, not counted
    closed_at: datetime | None = None                      # expired by hand / cancelled / superseded
    cancelled: bool = False                                # closed by POST /payment/{id}/cancel
    confirmed_at: datetime | None = None                   # the merchant accepted it as it stands
    last_sent: tuple | None = None                         # what the last webhook showed

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(seconds=self.timeout)

    @property
    def confirms_shown(self) -> int:
        """confirmsNeeded as shown: the deposit-detected sample shows 0 [D]; such a payment still
        completes only once its transfer has the network's confirmations [A]."""
        return 0 if self.auto else self.asset.confirms

    def received(self) -> Decimal:
        return sum((d.amount for d in self.deposits), Decimal(0))

    def confirmed_received(self, now: datetime) -> Decimal:
        need = self.asset.confirms
        return sum((d.amount for d in self.deposits if d.transfer.confirmations(now) >= need), Decimal(0))

    def all_confirmed(self, now: datetime) -> bool:
        return all(d.transfer.confirmations(now) >= self.asset.confirms for d in self.deposits)

    def danger(self) -> bool:
        return any(d.danger for d in self.deposits)

    def aml_pending(self) -> bool:
        return any(d.aml_pending for d in self.deposits)

    def completed(self, now: datetime) -> bool:
        if self.confirmed_at is not None:
            return True
        # a payment closed (expired or cancelled by hand, replaced for its client) stays as it was
        # then: confirmations arriving later do not turn EXPIRED into COMPLETED
        at = now if self.closed_at is None else min(now, self.closed_at)
        if self.danger() or not self.deposits or self.aml_pending() or not self.all_confirmed(at):
            return False
        return self.confirmed_received(at) >= self.amount

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
        if self.all_confirmed(now) and received < self.amount and not self.aml_pending():
            return "UNDERPAID"
        return "OPEN"       # seen, waiting for confirmations or the AML check


@dataclass
class Wallet:
    """A deposit address kept for the merchant [D: createDepositAddress, getWalletsByClient]:
    bound to a clientId (sticky), or one of a batch. Funds landing on it with no open payment
    create a payment [D: webhookSequence]."""
    id: int                           # the internal wallet id (an integer [D])
    merchant: dict
    address: str
    asset: Asset
    client_id: str | None
    dest_tag: str                     # TON: the clientId, or a generated tag; "" elsewhere
    base: str                         # where links for it start (origin, tenant, /alppay)
    created_at: datetime
    updated_at: datetime
    blocked_at: datetime | None = None   # [A] an AML-flagged transfer blocks the wallet
    risk_score: int = 0
    risk_checked_at: datetime | None = None
    is_danger: bool = False


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
