"""AlfaBit Pay orders (invoices, withdrawals) and merchant balances: facts stored, statuses derived.

An order keeps facts only (when requisites were issued, the transfers seen, when they were all
confirmed, the AML verdict, a forced warning or failure); `status(now)` derives the documented
status word from them and the clock. Events scheduled at the instants where a fact changes call
`backend.Backend.touch`, which sends a callback when the derived status moved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ...core.chain.transfers import Transfer

NAME = "alfabit"


@dataclass(frozen=True)
class Currency:
    code: str                 # publicCode, what requests carry as currencyInCode / toCurrencyCode
    name: str                 # publicName
    asset: str                # assetCode
    network: str | None       # networkCode as orders show it (networkInCode / networkOutCode) [A]
    chain: str | None         # the simulated chain
    decimals: int
    confirmations: int        # [A] confirmations before the AML check starts
    withdraw_fee: Decimal     # [A] network fee of a withdrawal, in USDT taken from the balance
    memo: bool = False        # deposits need requisitesMemoTag (TON)
    internal: bool = False    # a merchant balance, not a chain currency

    @property
    def is_deposit(self) -> bool:
        return not self.internal


INTERNAL = "USDT-INTERNAL"
CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("BTC", "Bitcoin", "BTC", "BTC", "btc", 8, 2, Decimal("3")),
    Currency("ETH", "Ethereum", "ETH", "ETH", "eth", 8, 12, Decimal("2")),
    Currency("USDTERC20", "Tether USD (ERC20)", "USDT", "ETH", "eth", 6, 12, Decimal("3")),
    Currency("TRX", "Tron", "TRX", "TRON", "tron", 6, 19, Decimal("1")),
    Currency("USDTTRC20", "Tether USD (TRC20)", "USDT", "TRON", "tron", 6, 19, Decimal("1")),
    Currency("USDTBEP20", "Tether USD (BEP20)", "USDT", "BSC", "bsc", 6, 15, Decimal("0.3")),
    Currency("TON", "Toncoin", "TON", "TON", "ton", 9, 1, Decimal("0.1"), memo=True),
    Currency("USDTTON", "Tether USD (TON)", "USDT", "TON", "ton", 6, 1, Decimal("0.2"), memo=True),
    Currency("SOL", "Solana", "SOL", "SOL", "sol", 9, 32, Decimal("0.1")),
    Currency("USDCSOL", "USD Coin (Solana)", "USDC", "SOL", "sol", 6, 32, Decimal("0.2")),
    Currency(INTERNAL, "Tether USD (balance)", "USDT", None, None, 6, 0, Decimal("0"), internal=True),
)}
DEPOSIT_CODES = tuple(c.code for c in CURRENCIES.values() if c.is_deposit)
# [A] USD prices behind conversions and GET /assets/exchange-rate (option `rates` overrides).
DEFAULT_RATES = {"USDT": Decimal("1"), "USDC": Decimal("1"), "BTC": Decimal("60000"), "ETH": Decimal("3000"),
                 "TRX": Decimal("0.12"), "TON": Decimal("5.2"), "SOL": Decimal("150")}
SERVICE_FEE = Decimal("0.0006")            # [A] 0.06 %, close to the sample's 850 -> 849.48966
DEFAULT_EXPIRY_MINUTES = 20                # [A] the sample's createdAt -> expirationTime
REQUISITES_DELAY = timedelta(seconds=5)    # [A] isAwaitRequisites=false: requisites come later
AML_CHECK = timedelta(minutes=1)           # [A] invoiceWaitCheck lasts one virtual minute
WITHDRAW_START = timedelta(seconds=10)     # [A] created -> inProgress (AML on the way out)
DONE = frozenset({"success", "invoiceNotPayed", "invoiceCheckBlocked", "withdrawBlocked", "failed"})
INVOICE, OPEN_INVOICE, WITHDRAW = "invoice", "invoice-without-amount", "withdraw"


def quantize(amount: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


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
    invoice_asset: str | None = None
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
    requisites: str | None = None
    memo: str | None = None
    requisites_at: datetime | None = None
    transfers: list[Transfer] = field(default_factory=list)
    confirmed_at: datetime | None = None         # every counted transfer had its confirmations
    verdict: str = "pass"                        # AML: pass | block
    amount_out_fact: Decimal = Decimal(0)
    balance_after: Decimal = Decimal(0)
    warning_at: datetime | None = None
    failed_at: datetime | None = None
    start_at: datetime | None = None             # withdrawals: created -> inProgress
    payout: Transfer | None = None
    fee: Decimal = Decimal(0)
    refunded: bool = False
    notified: str = ""                           # the status the last callback carried
    updated_at: datetime | None = None

    def expiry_instant(self) -> datetime | None:
        if self.expired_by_hand is not None:
            return min(self.expires_at, self.expired_by_hand) if self.expires_at else self.expired_by_hand
        return self.expires_at

    def amount_in_fact(self) -> Decimal:
        if self.type == WITHDRAW:
            return self.amount_in_expected      # debited from the balance at creation
        return sum((t.amount for t in self.transfers), Decimal(0))

    def status(self, now: datetime) -> str:
        if self.warning_at is not None:
            return "warning"
        if self.type == WITHDRAW:
            return self._withdraw_status(now)
        if self.requisites_at is None:
            return "invoiceWaitRequisites"
        if not self.transfers:
            expiry = self.expiry_instant()
            return "invoiceNotPayed" if expiry is not None and now >= expiry else "invoiceWaitPay"
        if self.confirmed_at is None:
            return "invoiceWaitConfirms"
        if now < self.confirmed_at + AML_CHECK:
            return "invoiceWaitCheck"
        return "success" if self.verdict == "pass" else "invoiceCheckBlocked"

    def _withdraw_status(self, now: datetime) -> str:
        if self.failed_at is not None:
            return "failed"
        if self.start_at is None or now < self.start_at:
            return "created"
        if self.verdict == "block":
            return "withdrawBlocked"
        if self.payout is not None and self.payout.confirmations(now) >= self.currency_out.confirmations:
            return "success"
        return "inProgress"

    def is_done(self, now: datetime) -> bool:
        return self.status(now) in DONE

    def payment_timing(self) -> str:
        expiry = self.expiry_instant()
        late = self.transfers and expiry is not None and self.transfers[0].seen_at >= expiry
        return "late" if late else "onTime"

    def amount_validity(self) -> str:
        """[A] without an amount any payment is valid; else paid vs expected, in the coin paid."""
        if self.type != INVOICE:
            return "valid"
        paid = self.amount_in_fact()
        return "valid" if paid == self.amount_in_expected else ("less" if paid < self.amount_in_expected else "more")

    def tx_id(self) -> str | None:
        if self.type == WITHDRAW:
            return self.payout.txid if self.payout else None
        return self.transfers[-1].txid if self.transfers else None
