"""Coin prices in USD, CAD and EUR, as a pure function of the virtual time.

[A] ALT 5 Pay quotes live market rates; the sandbox uses a fixed reference price per coin, a
fixed FX rate per fiat currency and a gentle deterministic daily swing (+-2 %, period 24 h) so
that a payment made after an address has expired is visibly re-priced, while a seed and a start
time replay every price exactly. Prices of 1 or more have 2 decimals (as in the docs' samples);
smaller ones keep 6 significant decimals.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

USD_PRICES: dict[str, Decimal] = {
    "BTC": Decimal("43250.00"), "BCH": Decimal("245.60"), "ETH": Decimal("2280.40"),
    "LTC": Decimal("72.15"), "DOGE": Decimal("0.0912"), "XRP": Decimal("0.6234"),
    "SOL": Decimal("98.70"), "BNB": Decimal("312.40"), "DASH": Decimal("31.25"),
    "ADA": Decimal("0.5821"), "AVAX": Decimal("36.80"), "MATIC": Decimal("0.8450"),
    "USDT": Decimal("1.00"), "USDC": Decimal("1.00"), "SHIB": Decimal("0.00000982"),
}
FX: dict[str, Decimal] = {"USD": Decimal("1"), "CAD": Decimal("1.3600"), "EUR": Decimal("0.9200")}
_STABLE = {"USDT", "USDC"}
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


def quantize_price(value: Decimal) -> Decimal:
    if value >= 1:
        return value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return value.quantize(Decimal("1e-6") if value >= Decimal("0.001") else Decimal("1e-10"), ROUND_HALF_UP)


def price(coin: str, currency: str, at: datetime) -> Decimal:
    """Price of one `coin` in `currency` at virtual time `at`."""
    base = USD_PRICES[coin.upper()] * FX[currency.upper()]
    if coin.upper() not in _STABLE:
        hours = (at - _EPOCH).total_seconds() / 3600
        swing = Decimal(str(round(0.02 * math.sin(2 * math.pi * hours / 24), 6)))
        base = base * (1 + swing)
    return quantize_price(base)


def fiat(value: Decimal) -> Decimal:
    """A fiat amount as the docs show totals: 2 decimals."""
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)
