"""Invoices and withdrawals in CryptoPayment.center's own vocabulary.

Facts are stored (transfers, confirmations via the chain, a forced expiry); statuses are derived
from them and the clock each time they are read, so advancing the clock is all it takes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ...core.chain.transfers import Transfer


@dataclass(frozen=True)
class NetworkInfo:
    code: str            # the provider's network word
    chain: str           # the simulated chain it lives on
    coin: str
    label: str
    balance_key: str     # key in GET /balances and `coin` in POST /withdrawals
    confirmations: int
    decimals: int


NETWORKS: dict[str, NetworkInfo] = {n.code: n for n in (
    NetworkInfo("btc", "btc", "BTC", "Bitcoin (BTC)", "BTC", 2, 8),
    NetworkInfo("ltc", "ltc", "LTC", "Litecoin (LTC)", "LTC", 6, 8),
    NetworkInfo("eth", "eth", "ETH", "Ethereum (ETH)", "ETH", 12, 8),
    NetworkInfo("trc20", "tron", "USDT", "USDT (TRC20)", "USDT-TRC20", 19, 2),
    NetworkInfo("bep20", "bsc", "USDT", "USDT (BEP20)", "USDT-BEP20", 15, 2),
)}
BY_BALANCE_KEY = {n.balance_key: n for n in NETWORKS.values()}

# [D] withdrawal minimum and network fee per coin.
WITHDRAWAL_RULES: dict[str, tuple[Decimal, Decimal]] = {
    "BTC": (Decimal("0.0005"), Decimal("0.00005")),
    "LTC": (Decimal("0.01"), Decimal("0.001")),
    "ETH": (Decimal("0.005"), Decimal("0.001")),
    "USDT-TRC20": (Decimal("5"), Decimal("1")),
    "USDT-BEP20": (Decimal("5"), Decimal("0.5")),
}
# [A] dust: a transfer worth less than the coin's network fee (what it would cost to move it on)
# is not counted towards an invoice nor credited; it stays on the chain, journaled (payment.dust).
DUST_BELOW: dict[str, Decimal] = {key: fee for key, (_minimum, fee) in WITHDRAWAL_RULES.items()}
REVIEW_OVER_USD = Decimal("500")
DEFAULT_PRICES = {"BTC": Decimal("60000"), "LTC": Decimal("80"), "ETH": Decimal("3000"), "USDT": Decimal("1")}
EXPIRY = timedelta(minutes=30)


def quantize(amount: Decimal, decimals: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(slots=True)   # thousands stored: no __dict__ per invoice
class Invoice:
    id: str
    merchant: dict
    network: NetworkInfo
    amount_usd: Decimal
    amount_crypto: Decimal
    address: str
    created_at: datetime
    expires_at: datetime
    order_id: str | None = None
    metadata: dict | None = None
    expired_by_hand: datetime | None = None
    transfers: list[Transfer] = field(default_factory=list)        # on time
    late_transfers: list[Transfer] = field(default_factory=list)   # after expiry: recorded only
    confirmed_at: datetime | None = None                           # set once, payment.confirmed sent
    credited: Decimal = Decimal(0)                                 # how much reached the balance

    def expiry_instant(self) -> datetime:
        return min(self.expires_at, self.expired_by_hand) if self.expired_by_hand else self.expires_at

    def paid_amount(self) -> Decimal:
        return sum((t.amount for t in self.transfers), Decimal(0))

    def confirmed_amount(self, now: datetime) -> Decimal:
        need = self.network.confirmations
        return sum((t.amount for t in self.transfers if t.confirmations(now) >= need), Decimal(0))

    def status(self, now: datetime) -> str:
        if self.confirmed_at is not None or self.confirmed_amount(now) >= self.amount_crypto:
            return "confirmed"
        if self.paid_amount() >= self.amount_crypto:
            return "confirming"      # fully paid in time: expiry no longer applies
        if now >= self.expiry_instant():
            return "expired"
        return "pending"

    def confirmations_received(self, now: datetime) -> int:
        if not self.transfers:
            return 0
        return min(min(t.confirmations(now) for t in self.transfers), self.network.confirmations)

    def txid(self) -> str | None:
        return self.transfers[-1].txid if self.transfers else None


@dataclass
class Withdrawal:
    id: str
    merchant: dict
    coin: str
    amount: Decimal
    fee: Decimal
    address: str
    amount_usd: Decimal
    created_at: datetime
    status: str                       # pending_review | processing | completed | rejected
    requires_review: bool
    txid: str | None = None
    completed_at: datetime | None = None
