"""AlfaBit Pay's reference data: assets, currencies (an asset on a network, or a merchant balance),
prices, fees and address shapes, and the shapes of the endpoints that publish them.

What public clients read [C]: `assets/currencies` items are kept by `!isInternal && currencyType
=== 'COIN'` (both PremiumExchanger modules; the double test says internal balances are COIN
currencies too, told apart by `isInternal`), `'FIAT'` with publicCode `{asset}EXTERNAL` (the fiat
payout class), `usdPrice` and `assetName` (the NestJS service: `parseFloat(usdPrice)`);
`assets` items `{code, type: 'COIN'}`; `assets/exchange-rate` items `{fromAssetCode, toAssetCode,
fromCurrencyType, toCurrencyType, rate, isTurnRate}` (options skip `isTurnRate == 1`);
`assets/withdraw-fee` items `{toAssetCode, toCurrencyCode, toCurrencyName, fixFee, rate,
isTurnRate, minOut, maxOut}` typed as numbers, `rate` logged as a percent.

Assumptions [A]: the currencies and prices below (option `rates`); one internal balance per asset,
`{ASSET}-INTERNAL` (the sample's USDT-INTERNAL); no fiat currency (the fiat rails are not
emulated); usdPrice, rate and amounts as decimal strings, withdraw-fee figures as JSON numbers;
an exchange rate is quoted so that it is at least 1: `isTurnRate: false` means 1 fromAsset =
rate toAsset, `true` means 1 toAsset = rate fromAsset; the withdraw fee is the network's fixed
fee (fixFee, in the asset sent) plus WITHDRAW_FEE_PERCENT of the amount [D: "the network fee and a
% service fee are added first, then the conversion"]; minOut/maxOut are 0.1 and 1,000,000 USD
worth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Callable

COIN = "COIN"                # currencyType / type of every crypto asset [C]


@dataclass(frozen=True)
class Currency:
    code: str                 # publicCode, what requests carry as currencyInCode / toCurrencyCode
    name: str                 # publicName
    asset: str                # assetCode
    network: str | None       # networkCode as orders show it (networkInCode / networkOutCode) [A]
    chain: str | None         # the simulated chain
    decimals: int
    confirmations: int        # [A] confirmations before the AML check starts
    network_fee_usd: Decimal  # [A] the network's fixed withdraw fee, in USD
    memo: bool = False        # deposits need requisitesMemoTag (TON)
    internal: bool = False    # a merchant balance, not a chain currency

    @property
    def is_deposit(self) -> bool:
        return not self.internal


# [A] USD prices behind conversions, usdPrice and the exchange rates (option `rates` overrides).
DEFAULT_RATES = {"USDT": Decimal("1"), "USDC": Decimal("1"), "BTC": Decimal("60000"), "ETH": Decimal("3000"),
                 "TRX": Decimal("0.12"), "TON": Decimal("5.2"), "SOL": Decimal("150")}
ASSET_NAMES = {"USDT": "Tether USD", "USDC": "USD Coin", "BTC": "Bitcoin", "ETH": "Ethereum",
               "TRX": "Tron", "TON": "Toncoin", "SOL": "Solana"}
ASSET_DECIMALS = {"USDT": 6, "USDC": 6, "BTC": 8, "ETH": 8, "TRX": 6, "TON": 9, "SOL": 9}
INTERNAL = "USDT-INTERNAL"                 # the sample's currencyOutCode


def internal_code(asset: str) -> str:
    return f"{asset}-INTERNAL"


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
    *(Currency(internal_code(a), f"{ASSET_NAMES[a]} (balance)", a, None, None, ASSET_DECIMALS[a], 0,
               Decimal(0), internal=True) for a in DEFAULT_RATES),
)}
DEPOSIT_CODES = tuple(c.code for c in CURRENCIES.values() if c.is_deposit)
ASSETS = tuple(DEFAULT_RATES)

SERVICE_FEE = Decimal("0.0006")            # [A] 0.06 % on payments, close to the sample's 850 -> 849.48966
WITHDRAW_FEE_PERCENT = Decimal("0.1")      # [A] the % service fee of a withdrawal
MIN_OUT_USD, MAX_OUT_USD = Decimal("0.1"), Decimal("1000000")   # [A] withdrawal limits

# Recipient shapes per chain [A]: mainnet forms; testnet forms (what the sandbox's own deposit
# addresses look like) are accepted too unless the merchant is `strict`.
MAINNET = {
    "btc": re.compile(r"bc1[02-9ac-hj-np-z]{20,80}|[13][1-9A-HJ-NP-Za-km-z]{25,34}"),
    "eth": re.compile(r"0x[0-9a-fA-F]{40}"),
    "bsc": re.compile(r"0x[0-9a-fA-F]{40}"),
    "tron": re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}"),
    "ton": re.compile(r"(E|U)Q[A-Za-z0-9_-]{46}|-?[01]:[0-9a-fA-F]{64}"),
    "sol": re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}"),
}
TESTNET = {
    "btc": re.compile(r"(tb1|bcrt1)[02-9ac-hj-np-z]{20,80}|[mn2][1-9A-HJ-NP-Za-km-z]{25,34}"),
    "ton": re.compile(r"(k|0)Q[A-Za-z0-9_-]{46}"),
}


def quantize(amount: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


def text(value: Decimal) -> str:
    """An amount as the provider writes it: a decimal string, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def number(value: Decimal) -> int | Decimal:
    """A figure the clients type as a number: a JSON number (an integer when whole)."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def recipient_ok(currency: Currency, recipient: str, strict: bool) -> bool:
    if MAINNET[currency.chain].fullmatch(recipient):
        return True
    testnet = TESTNET.get(currency.chain)
    return not strict and testnet is not None and bool(testnet.fullmatch(recipient))


class Fees:
    """A withdrawal's figures at the prices of one backend (`rate(from, to)`)."""

    def __init__(self, rate: Callable[[str, str], Decimal]):
        self.rate = rate

    def fix_fee(self, currency: Currency) -> Decimal:
        """The network fee, in the asset sent."""
        return quantize(currency.network_fee_usd / self.rate(currency.asset, "USDT"), currency.decimals, ROUND_UP)

    def limits(self, currency: Currency) -> tuple[Decimal, Decimal]:
        price = self.rate(currency.asset, "USDT")
        return (quantize(MIN_OUT_USD / price, currency.decimals, ROUND_UP),
                quantize(MAX_OUT_USD / price, currency.decimals, ROUND_DOWN))

    def service_fee(self, currency: Currency, amount: Decimal) -> Decimal:
        return quantize(amount * WITHDRAW_FEE_PERCENT / 100, currency.decimals, ROUND_UP)

    def cost(self, currency: Currency, amount: Decimal, source: Currency) -> tuple[Decimal, Decimal, Decimal]:
        """(total, network fee, service fee) taken from the `source` balance for sending `amount`:
        fees are added in the asset sent, then the sum is converted [D], rounded up."""
        net, service = self.fix_fee(currency), self.service_fee(currency, amount)
        rate = self.rate(currency.asset, source.asset)
        convert = (lambda x: quantize(x * rate, source.decimals, ROUND_UP))
        return convert(amount + net + service), convert(net), convert(service)


# the endpoints' items -----------------------------------------------------------------------------

def currency_item(currency: Currency, usd_price: Decimal) -> dict:
    return {"publicCode": currency.code, "publicName": currency.name, "assetCode": currency.asset,
            "assetName": ASSET_NAMES[currency.asset], "networkCode": currency.network,
            "isInternal": currency.internal, "currencyType": COIN, "usdPrice": text(quantize(usd_price, 8))}


def asset_items() -> list[dict]:
    return [{"code": asset, "type": COIN} for asset in ASSETS]


def exchange_rate_items(rate: Callable[[str, str], Decimal], wanted_from: str | None,
                        wanted_to: str | None) -> list[dict]:
    out = []
    for a in ASSETS:
        for b in ASSETS:
            if a == b or wanted_from not in (None, a) or wanted_to not in (None, b):
                continue
            forward = rate(a, b)
            turned = forward < 1
            value = quantize(1 / forward if turned else forward, 12).normalize()
            out.append({"fromAssetCode": a, "toAssetCode": b, "fromCurrencyType": COIN, "toCurrencyType": COIN,
                        "rate": text(value), "isTurnRate": turned})
    return out


def withdraw_fee_items(fees: Fees) -> list[dict]:
    out = []
    for c in CURRENCIES.values():
        if not c.is_deposit:
            continue
        low, high = fees.limits(c)
        out.append({"toAssetCode": c.asset, "toCurrencyCode": c.code, "toCurrencyName": c.name,
                    "fixFee": number(fees.fix_fee(c)), "rate": number(WITHDRAW_FEE_PERCENT),
                    "isTurnRate": False, "minOut": number(low), "maxOut": number(high)})
    return out
