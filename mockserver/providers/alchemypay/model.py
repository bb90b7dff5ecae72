"""Ramp orders in Alchemy Pay's own vocabulary: facts stored, statuses derived.

On-ramp (side BUY) statuses [D, "Order Status List"]: PENDING, PAY_SUCCESS, PAY_FAIL, TRANSFER,
INTERIM_PAY_FAIL (a payment attempt failed, the user may still pay), CANCEL, FINISHED,
RISK_CONTROL, REFUNDED, INVALID_ADDRESS; webhooks only for PAY_SUCCESS, PAY_FAIL and FINISHED [D].
Off-ramp (side SELL) status codes [D]: "1" created, "2" user sent coin, "3" fiat payout started,
"4" payout success, "5" payout failed, "6" refund success, "7" order expired; each sends a webhook.

Assumptions:
- [A] An on-ramp order nobody pays lapses when its payment URL does (24 h, the docs' payUrl
  lifetime) and then reads CANCEL on the documented endpoints.
- [A] NEW and TIMEOUT (status words public clients branch on, from the order/create + order/detail
  family): order/detail says NEW where the documented endpoints say PENDING, and TIMEOUT for an
  order cancelled by that lapse; every other word is the same.
- An off-ramp order expires ("7") when no coin arrives within 48 hours [D: "Order timeout in 48
  hours", Off Ramp Custom Parameters]; the setting ``sell_expiry`` (merchant or provider option)
  shortens it for tests.
- [A] FINISHED comes when the crypto transfer has 1 confirmation on the simulated chain.
- [A] Chain events (backend.deposit_seen / deposit_taken_back / crypto_taken_back; docs "Chain
  events"): a sell order takes its first deposit of the right network and coin, at or above the
  minimum sell amount; a deposit dropped or double spent sends the order back to "1" (before the
  payout) or fails the payout ("3" -> "5"); the payout waits while the deposit is stuck; a buy
  order's crypto taken back is TRANSFER again and re-sent if it left the chain.
- [A] INTERIM_PAY_FAIL: a failed attempt on a PENDING order; paying afterwards still works, and the
  24-hour lapse still cancels it. INVALID_ADDRESS: the crypto could not be sent to the order's
  address after the fiat was paid (PAY_SUCCESS); a refund may follow. Neither sends a webhook.
- [A] Order limits: 10 to 10,000 USD worth per order (see ``limits``).
- [A] Prices, fee rates and number formats below are sandbox values: crypto prices in USD, fiat
  rates per USD, a 3.99 % ramp fee (on-ramp) / 1.75 % (off-ramp), a flat network fee per network in
  USD; fiat and crypto amounts as 8-decimal strings (off-ramp: 10, as its sample), USD figures 2
  decimals, cryptoAmountInUSDT 5.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

BUY, SELL = "BUY", "SELL"

PENDING, PAY_SUCCESS, PAY_FAIL = "PENDING", "PAY_SUCCESS", "PAY_FAIL"
TRANSFER, FINISHED, CANCEL = "TRANSFER", "FINISHED", "CANCEL"
RISK_CONTROL, REFUNDED = "RISK_CONTROL", "REFUNDED"
INTERIM_PAY_FAIL, INVALID_ADDRESS = "INTERIM_PAY_FAIL", "INVALID_ADDRESS"
ON_RAMP_STATUSES = (PENDING, PAY_SUCCESS, PAY_FAIL, TRANSFER, INTERIM_PAY_FAIL, CANCEL, FINISHED,
                    RISK_CONTROL, REFUNDED, INVALID_ADDRESS)
ON_RAMP_WEBHOOK_STATUSES = frozenset({PAY_SUCCESS, PAY_FAIL, FINISHED})

SELL_CREATED, SELL_COIN_RECEIVED, SELL_PAYOUT_STARTED = "1", "2", "3"
SELL_PAYOUT_SUCCESS, SELL_PAYOUT_FAILED, SELL_REFUNDED, SELL_EXPIRED = "4", "5", "6", "7"
OFF_RAMP_STATUSES = {
    "1": "create order success", "2": "user transferred token", "3": "start to pay fiat to user",
    "4": "payment success", "5": "payment fail", "6": "refund success", "7": "order expired",
}

ORDER_TYPES = {"4": BUY, "6": SELL}          # order/create's orderType [C]
PAY_URL_LIFETIME = timedelta(hours=24)        # [D] "The payment URL is available for 24 hours"
DEFAULT_SELL_EXPIRY = timedelta(hours=48)     # [D]
FINISH_CONFIRMATIONS = 1                      # [A]

# Alchemy network code -> simulated chain network ([A]: the sandbox supports these)
NETWORKS = {"ETH": "eth", "BSC": "bsc", "TRX": "tron", "TRON": "tron", "BTC": "btc", "LTC": "ltc",
            "MATIC": "polygon", "POLYGON": "polygon", "SOL": "sol", "AVAX": "avax", "XRP": "xrp",
            "DOGE": "doge", "ADA": "ada", "BCH": "bch", "DASH": "dash"}
CRYPTO_USD = {"USDT": Decimal("1"), "USDC": Decimal("1"), "BTC": Decimal("65000"), "ETH": Decimal("3500"),
              "BNB": Decimal("600"), "TRX": Decimal("0.12"), "LTC": Decimal("80"), "SOL": Decimal("150"),
              "MATIC": Decimal("0.7"), "POL": Decimal("0.7"), "AVAX": Decimal("35"), "XRP": Decimal("0.5"),
              "DOGE": Decimal("0.15"), "ADA": Decimal("0.45"), "BCH": Decimal("450"), "DASH": Decimal("30")}
FIAT_PER_USD = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "JPY": Decimal("150"),
                "INR": Decimal("83"), "PHP": Decimal("56"), "AUD": Decimal("1.5"), "CAD": Decimal("1.36"),
                "BRL": Decimal("5"), "NGN": Decimal("1500"), "KRW": Decimal("1350"), "TRY": Decimal("32"),
                "MXN": Decimal("17"), "HKD": Decimal("7.8"), "SGD": Decimal("1.35")}
# [A] which crypto the sandbox offers on which network (crypto/list shows these rows)
CRYPTO_NETWORKS: dict[str, tuple[str, ...]] = {
    "USDT": ("TRX", "TRON", "ETH", "BSC", "POLYGON", "MATIC", "SOL"),
    "USDC": ("ETH", "BSC", "POLYGON", "MATIC", "SOL"),
    "BTC": ("BTC",), "ETH": ("ETH", "BSC"), "BNB": ("BSC",), "TRX": ("TRX", "TRON"), "LTC": ("LTC",),
    "SOL": ("SOL",), "MATIC": ("POLYGON", "MATIC"), "POL": ("POLYGON", "MATIC"), "AVAX": ("AVAX",),
    "XRP": ("XRP",), "DOGE": ("DOGE",), "ADA": ("ADA",), "BCH": ("BCH",), "DASH": ("DASH",),
}
# payment methods per side [D codes: 10001 card / bank transfer, 701 Google Pay]; what fiat/list shows
# and all an order's payWayCode may be ("payWayCode: Get from Fiat Query") [A: the same for every fiat]
PAY_WAYS = {BUY: (("10001", "Visa/Mastercard"), ("701", "Google Pay")), SELL: (("10001", "Bank transfer"),)}
# [D] "Fiat currencies INR, CLP, COP, HUF, IDR, JPY, KRW, VND do not support inputting decimal
# points" (Estimate Price Query); "VND and IDR must be integer" (Create Order). [A] others: 2 decimals.
ZERO_DECIMAL_FIATS = frozenset({"INR", "CLP", "COP", "HUF", "IDR", "JPY", "KRW", "VND"})


def fiat_decimals(fiat: str) -> int:
    return 0 if fiat in ZERO_DECIMAL_FIATS else 2


NETWORK_FEE_USD = {"ETH": Decimal("2.00"), "BTC": Decimal("1.50"), "TRX": Decimal("1.00"),
                   "TRON": Decimal("1.00")}
DEFAULT_NETWORK_FEE_USD = Decimal("0.30")
ON_RAMP_FEE_RATE = Decimal("0.0399")
OFF_RAMP_FEE_RATE = Decimal("0.0175")

EIGHT, SIX, TWO, FIVE = Decimal("0.00000001"), Decimal("0.000001"), Decimal("0.01"), Decimal("0.00001")
TEN = Decimal("0.0000000001")


def fmt8(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(EIGHT, ROUND_HALF_UP), "f")


def fmt10(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(TEN, ROUND_HALF_UP), "f")


def fmt6(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(SIX, ROUND_HALF_UP), "f")


def fmt2(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(TWO, ROUND_HALF_UP), "f")


def fmt_time(value: datetime | None) -> str:
    # [A] "YYYY-MM-DD HH:MM:SS" in UTC (the docs' samples show this shape, zone unstated)
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Order:
    order_no: str
    app_id: str
    side: str
    merchant_order_no: str
    crypto: str
    network: str
    fiat: str
    amount: Decimal                     # BUY: fiat amount; SELL: crypto amount [A]
    address: str                        # BUY: user's wallet; SELL: deposit address the user pays
    pay_way_code: str
    alpha2: str
    callback_url: str
    redirect_url: str
    email: str
    merchant_uid: str
    created_at: datetime
    expires_at: datetime
    crypto_price: Decimal               # crypto price in the order's fiat
    ramp_fee: Decimal                   # in fiat
    network_fee: Decimal                # in fiat (BUY)
    crypto_network_fee: Decimal         # in crypto (BUY)
    request: dict[str, Any] = field(default_factory=dict)
    api_family: str = "trade"           # "trade" (documented) or "order" (order/create)
    link_sign: str = ""                 # a hosted page's order: the sign of the link that made it
    # facts
    paid_at: datetime | None = None
    pay_failed_at: datetime | None = None
    fail_code: str = ""
    fail_msg: str = ""
    interim_failed_at: datetime | None = None
    invalid_address_at: datetime | None = None
    risk_at: datetime | None = None
    cancelled_at: datetime | None = None
    refunded_at: datetime | None = None
    transfer: Any = None                # chain Transfer (BUY: crypto to user; SELL: user's deposit)
    payout_started_at: datetime | None = None
    payout_done_at: datetime | None = None
    payout_failed_at: datetime | None = None
    fail_reason: str = ""
    payout_account: dict[str, str] = field(default_factory=dict)
    # bookkeeping: statuses already announced, so a callback that runs twice sends nothing twice
    announced: list[str] = field(default_factory=list)

    # ---- derived -------------------------------------------------------------
    def status(self, now: datetime) -> str:
        return self._buy_status(now) if self.side == BUY else self._sell_status(now)

    def _buy_status(self, now: datetime) -> str:
        if self.refunded_at:
            return REFUNDED
        if self.cancelled_at:
            return CANCEL
        if self.risk_at:
            return RISK_CONTROL
        if self.pay_failed_at:
            return PAY_FAIL
        if self.invalid_address_at:
            return INVALID_ADDRESS
        if self.transfer is not None:
            return FINISHED if self.transfer.confirmations(now) >= FINISH_CONFIRMATIONS else TRANSFER
        if self.paid_at:
            return PAY_SUCCESS
        if now >= self.expires_at:
            return CANCEL
        if self.interim_failed_at:
            return INTERIM_PAY_FAIL
        return PENDING

    def _sell_status(self, now: datetime) -> str:
        if self.refunded_at:
            return SELL_REFUNDED
        if self.payout_failed_at:
            return SELL_PAYOUT_FAILED
        if self.payout_done_at:
            return SELL_PAYOUT_SUCCESS
        if self.payout_started_at:
            return SELL_PAYOUT_STARTED
        if self.transfer is not None:
            return SELL_COIN_RECEIVED
        if self.cancelled_at or now >= self.expires_at:
            return SELL_EXPIRED
        return SELL_CREATED

    def timed_out(self, now: datetime) -> bool:
        """Cancelled only because nobody paid in time (order/detail calls this TIMEOUT)."""
        return (self.side == BUY and self.cancelled_at is None and self.status(now) == CANCEL)

    def legacy_status(self, now: datetime) -> str:
        status = self.status(now)
        if self.side == BUY and status == PENDING:
            return "NEW"
        if self.timed_out(now):
            return "TIMEOUT"
        return status

    # ---- amounts -------------------------------------------------------------
    @property
    def crypto_quantity(self) -> Decimal:
        """BUY: crypto the user receives (amount less fees, at the order's price)."""
        return crypto_for(self.amount - self.ramp_fee - self.network_fee, self.crypto_price)

    @property
    def fiat_amount(self) -> Decimal:
        """SELL: the fiat the order is worth, ramp fee included (as the docs' sample shows)."""
        return self.received_crypto * self.crypto_price

    @property
    def received_crypto(self) -> Decimal:
        return self.transfer.amount if (self.side == SELL and self.transfer is not None) else self.amount

    def usd(self, fiat_value: Decimal) -> Decimal:
        return fiat_value / FIAT_PER_USD[self.fiat]

    @property
    def crypto_in_usdt(self) -> Decimal:
        return (self.crypto_quantity * CRYPTO_USD[self.crypto] / CRYPTO_USD["USDT"]).quantize(FIVE, ROUND_DOWN)


def crypto_for(fiat_net: Decimal, price: Decimal) -> Decimal:
    return (fiat_net / price).quantize(EIGHT, ROUND_DOWN)


LIMIT_USD = (Decimal("10"), Decimal("10000"))   # [A] per order, in USD, both sides


def limits(side: str, crypto: str, fiat: str) -> tuple[Decimal, Decimal]:
    """[A] An order's amount bounds: BUY in the fiat, SELL in the crypto (what crypto/list and
    fiat/list show as minPurchaseAmount/maxPurchaseAmount, minSellAmount/maxSellAmount, payMin/payMax)."""
    low, high = LIMIT_USD
    if side == BUY:
        rate = FIAT_PER_USD[fiat]
        return (low * rate).quantize(TWO, ROUND_HALF_UP), (high * rate).quantize(TWO, ROUND_HALF_UP)
    price = CRYPTO_USD[crypto]
    return (low / price).quantize(EIGHT, ROUND_UP), (high / price).quantize(EIGHT, ROUND_DOWN)


def quote(side: str, crypto: str, network: str, fiat: str, amount: Decimal) -> dict[str, Decimal]:
    """Price and fees for a new order (all in the order's fiat, network fee also in crypto)."""
    price = CRYPTO_USD[crypto] * FIAT_PER_USD[fiat]
    if side == BUY:
        ramp_fee = (amount * ON_RAMP_FEE_RATE).quantize(EIGHT, ROUND_HALF_UP)
        fee_usd = NETWORK_FEE_USD.get(network, DEFAULT_NETWORK_FEE_USD)
        network_fee = (fee_usd * FIAT_PER_USD[fiat]).quantize(EIGHT, ROUND_HALF_UP)
        crypto_fee = (fee_usd / CRYPTO_USD[crypto]).quantize(EIGHT, ROUND_HALF_UP)
    else:
        ramp_fee = (amount * price * OFF_RAMP_FEE_RATE).quantize(EIGHT, ROUND_HALF_UP)
        network_fee = crypto_fee = Decimal("0")
    return {"crypto_price": price, "ramp_fee": ramp_fee, "network_fee": network_fee,
            "crypto_network_fee": crypto_fee}
