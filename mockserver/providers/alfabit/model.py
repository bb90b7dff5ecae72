"""AlfaBit Pay orders (invoices, withdrawals) : facts stored, statuses derived.

An order keeps facts only (when requisites were issued, the transfers seen, when they were all
confirmed, the AML verdict, an operator's action); `status(now)` derives the documented status
word from them and the clock. Events scheduled at the instants where a fact changes call
`backend.Backend.touch`, which sends a callback when the derived status moved.

Status paths [D words; A timings]:
- invoice: created (the first second: processing has not started) -> invoiceWaitRequisites (only
  with isAwaitRequisites=false, until the requisites come) -> invoiceWaitPay -> invoiceWaitConfirms
  -> invoiceWaitCheck (AML) -> inProgress (the conversion into the balance; the docs' own sample is
  an invoice in inProgress with amountInFact set and amountOutFact 0) -> success. Off the path:
  invoiceWaitCreate (`hold_creation`) and invoiceNotCreated (`fail_creation`) before requisites;
  invoiceNotPayed at expiry; invoiceCheckBlocked (AML block); waitRefundRequisites ->
  waitRefundRequisitesCheck -> waitToRefund -> refunded (AML verdict `refund`); revoked, blocked
  and warning by operator verbs.
- withdrawal: created -> inProgress -> success; withdrawBlocked (AML), failed, revoked, blocked.
`isDone` is final [A]: once true, nothing about the order changes again, except that a chain
event (reorg, double spend) taking back the transfers a success rested on sends the order back to
invoiceWaitConfirms / invoiceWaitPay, its credit debited (backend.on_chain_change). invoiceNotPayed is done
once its late-payment window (option `late_payment_minutes`, default 60) has passed: until then a
late payment still moves the order on (paymentTiming `late`); after it, money is journaled only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ...core.chain.transfers import Transfer
from .assets import Currency

NAME = "alfabit"

DEFAULT_EXPIRY_MINUTES = 20                # [A] the sample's createdAt -> expirationTime
DEFAULT_LATE_MINUTES = 60                  # [A] a late payment is still taken this long after expiry
START_DELAY = timedelta(seconds=1)         # [A] created -> processing starts
REQUISITES_DELAY = timedelta(seconds=5)    # [A] isAwaitRequisites=false: requisites come later
AML_CHECK = timedelta(minutes=1)           # [A] invoiceWaitCheck lasts one virtual minute
PROCESSING = timedelta(seconds=10)         # [A] inProgress: the paid coin converted into the balance
REFUND_CHECK = timedelta(minutes=1)        # [A] waitRefundRequisitesCheck
WITHDRAW_START = timedelta(seconds=10)     # [A] created -> inProgress (AML on the way out)
FINAL = frozenset({"success", "invoiceCheckBlocked", "withdrawBlocked", "failed", "invoiceNotCreated",
                   "refunded", "revoked", "blocked"})
INVOICE, OPEN_INVOICE, WITHDRAW, EXCHANGE_WITHDRAW = ("invoice", "invoice-without-amount", "withdraw",
                                                      "withdraw-with-exchange")
UNPAID = ("created", "invoiceWaitCreate", "invoiceWaitRequisites", "invoiceWaitPay")


@dataclass
class Order:
    id: int
    uid: str
    merchant: dict
    type: str
    currency_in: Currency
    currency_out: Currency
    created_at: datetime
    origin: str                                  # public base for invoicePublicUrl / QR links
    invoice_asset: str | None = None             # invoiceCurrencyCode
    invoice_amount: Decimal = Decimal(0)
    amount_in_expected: Decimal = Decimal(0)
    amount_out_expected: Decimal = Decimal(0)    # withdrawals: what the recipient gets
    hedge_rate: Decimal = Decimal(1)
    comment: str | None = None
    public_comment: str | None = None
    callback_url: str | None = None
    redirect_url: str | None = None
    buyer_pays: bool = False
    expires_at: datetime | None = None
    expired_by_hand: datetime | None = None
    late_window: timedelta = timedelta(minutes=DEFAULT_LATE_MINUTES)
    requisites: str | None = None
    memo: str | None = None
    requisites_at: datetime | None = None
    held: bool = False                           # hold_creation: invoiceWaitCreate until released
    not_created_at: datetime | None = None
    transfers: list[Transfer] = field(default_factory=list)
    confirmed_at: datetime | None = None         # every counted transfer had its confirmations
    verdict: str = "pass"                        # AML: pass | block | refund
    amount_out_fact: Decimal = Decimal(0)
    balance_after: Decimal = Decimal(0)
    refund_address: str | None = None
    refund_requisites_at: datetime | None = None
    refund_payout: Transfer | None = None
    warning_at: datetime | None = None
    failed_at: datetime | None = None
    revoked_at: datetime | None = None
    blocked_at: datetime | None = None
    start_at: datetime | None = None             # withdrawals: created -> inProgress
    payout: Transfer | None = None
    fee: Decimal = Decimal(0)                    # withdrawals: the network fee (netCommission)
    service_fee: Decimal = Decimal(0)            # withdrawals: the % service fee
    refunded: bool = False
    notified: str = ""                           # the status the last callback carried
    updated_at: datetime | None = None

    @property
    def payout_out(self) -> bool:
        """The withdrawal's payout is on the chain: its coins have left the balance for good."""
        return self.payout is not None and self.payout.gone is None

    @property
    def is_withdrawal(self) -> bool:
        return self.type in (WITHDRAW, EXCHANGE_WITHDRAW)

    def expiry_instant(self) -> datetime | None:
        if self.expired_by_hand is not None:
            return min(self.expires_at, self.expired_by_hand) if self.expires_at else self.expired_by_hand
        return self.expires_at

    def amount_in_fact(self) -> Decimal:
        if self.is_withdrawal:
            return self.amount_in_expected      # debited from the balance at creation
        return sum((t.amount for t in self.transfers), Decimal(0))

    def check_ends(self) -> datetime | None:
        return None if self.confirmed_at is None else self.confirmed_at + AML_CHECK

    def status(self, now: datetime) -> str:
        for instant, word in ((self.warning_at, "warning"), (self.blocked_at, "blocked"),
                              (self.revoked_at, "revoked"), (self.failed_at, "failed"),
                              (self.not_created_at, "invoiceNotCreated")):
            if instant is not None:
                return word
        return self._withdraw_status(now) if self.is_withdrawal else self._invoice_status(now)

    def _invoice_status(self, now: datetime) -> str:
        if self.transfers:
            ends = self.check_ends()
            if ends is None:
                return "invoiceWaitConfirms"
            if now < ends:
                return "invoiceWaitCheck"
            if self.verdict == "block":
                return "invoiceCheckBlocked"
            if self.verdict == "refund":
                return self._refund_status(now)
            return "inProgress" if now < ends + PROCESSING else "success"
        if now < self.created_at + START_DELAY:
            return "created"
        if self.held:
            return "invoiceWaitCreate"
        if self.requisites_at is None:
            return "invoiceWaitRequisites"
        expiry = self.expiry_instant()
        return "invoiceNotPayed" if expiry is not None and now >= expiry else "invoiceWaitPay"

    def _refund_status(self, now: datetime) -> str:
        if self.refund_requisites_at is None:
            return "waitRefundRequisites"
        if now < self.refund_requisites_at + REFUND_CHECK:
            return "waitRefundRequisitesCheck"
        payout = self.refund_payout
        if payout is not None and payout.confirmations(now) >= self.currency_in.confirmations:
            return "refunded"
        return "waitToRefund"

    def _withdraw_status(self, now: datetime) -> str:
        if self.start_at is None or now < self.start_at:
            return "created"
        if self.verdict == "block":
            return "withdrawBlocked"
        if self.payout is not None and self.payout.confirmations(now) >= self.currency_out.confirmations:
            return "success"
        return "inProgress"

    def is_done(self, now: datetime) -> bool:
        """[A] final: every path into a done status is closed (verbs refuse a done order, money for
        it is journaled only), so once true it stays true."""
        status = self.status(now)
        if status in FINAL:
            return True
        if status == "invoiceNotPayed":
            return now >= self.expiry_instant() + self.late_window
        return False

    def payment_timing(self) -> str:
        expiry = self.expiry_instant()
        late = self.transfers and expiry is not None and self.transfers[0].seen_at >= expiry
        return "late" if late else "onTime"

    def amount_validity(self) -> str:
        """[A] neutral ("valid") until money arrives and for an invoice without amount; then paid
        vs expected, in the coin paid."""
        if self.type != INVOICE or not self.transfers:
            return "valid"
        paid = self.amount_in_fact()
        return "valid" if paid == self.amount_in_expected else ("less" if paid < self.amount_in_expected else "more")

    def tx_id(self) -> str | None:
        if self.is_withdrawal:
            return self.payout.txid if self.payout else None
        return self.transfers[-1].txid if self.transfers else None
