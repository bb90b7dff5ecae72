"""ALPPAY's coins and networks: the words its API uses, the chain each lives on, confirmations,
the USD reference price the AML check and the balance totals use, and network-fee estimates.

[D] createPayment: `asset {short, network}` ("USDT", "tron"); createDepositAddress: networks
tron, ethereum, solana and a TON/ton example; networkFee: tron, ethereum, bsc, solana, fees in the
network's native coin (TRX, ETH...); the integration guide: wallets in "USDT, BTC, ETH, and
others"; createWithdrawal: withdrawals of USDT and USDC on tron and ethereum only.
[A] the network word for BTC is `bitcoin` (no page shows it); USDT and USDC are offered on tron,
ethereum, bsc and solana, each network's native coin on its own network (TRX, ETH, BNB, SOL, TON,
BTC). Confirmations: tron 20 (the get-payment sample), ethereum 12, bsc 15, solana 32, bitcoin 2,
ton 1. USD prices are fixed reference values (stablecoins 1). Addresses have each chain's real
(testnet) shape: the simulated chains in mockserver/core/chain make them.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Network:
    word: str             # the provider's word: tron, ethereum, bsc, solana, bitcoin, ton
    chain: str            # the simulated chain it lives on
    confirms: int         # confirmsNeeded [A]
    fee_coin: str         # network fees are paid in this coin [D: networkFee]
    tagged: bool = False  # deposit addresses carry a destination tag (TON) [D: createDepositAddress]


NETWORKS: dict[str, Network] = {n.word: n for n in (
    Network("tron", "tron", 20, "TRX"),
    Network("ethereum", "eth", 12, "ETH"),
    Network("bsc", "bsc", 15, "BNB"),
    Network("solana", "sol", 32, "SOL"),
    Network("bitcoin", "btc", 2, "BTC"),
    Network("ton", "ton", 1, "TON", tagged=True),
)}


@dataclass(frozen=True)
class Asset:
    short: str
    network: str          # the provider's word ("tron", "ethereum")
    name: str
    logo_url: str
    usd_price: Decimal    # [A] fixed reference price
    places: int           # fees are rounded to this many decimals

    @property
    def method(self) -> str:
        """The list filter's `method` word: {asset}_{network}, e.g. USDT_tron [D]."""
        return f"{self.short}_{self.network}"

    @property
    def chain(self) -> str:
        return NETWORKS[self.network].chain

    @property
    def confirms(self) -> int:
        return NETWORKS[self.network].confirms

    @property
    def tagged(self) -> bool:
        return NETWORKS[self.network].tagged

    def usd(self, amount: Decimal) -> Decimal:
        return amount * self.usd_price


_LOGO = "https://cryptologos.cc/logos/{}-logo.png"
_STABLE = {"USDT": ("Tether", _LOGO.format("tether-usdt")), "USDC": ("USD Coin", _LOGO.format("usd-coin-usdc"))}
_NATIVE = {  # coin: (network, name, logo, USD reference price)
    "TRX": ("tron", "TRON", "tron-trx", "0.25"),
    "ETH": ("ethereum", "Ethereum", "ethereum-eth", "3000"),
    "BNB": ("bsc", "BNB", "bnb-bnb", "600"),
    "SOL": ("solana", "Solana", "solana-sol", "150"),
    "BTC": ("bitcoin", "Bitcoin", "bitcoin-btc", "60000"),
    "TON": ("ton", "Toncoin", "toncoin-ton", "5"),
}

ASSETS: dict[tuple[str, str], Asset] = {}
for _short, (_name, _logo) in _STABLE.items():
    for _net in ("tron", "ethereum", "bsc", "solana"):
        ASSETS[(_short, _net)] = Asset(_short, _net, _name, _logo, Decimal(1), 2)
for _short, (_net, _name, _logo, _price) in _NATIVE.items():
    ASSETS[(_short, _net)] = Asset(_short, _net, _name, _LOGO.format(_logo), Decimal(_price), 8)

# [D] createWithdrawal (v2): "Supported values: USDT, USDC" on "tron, ethereum"
WITHDRAWAL_ASSETS = {key: ASSETS[key] for key in
                     (("USDT", "tron"), ("USDT", "ethereum"), ("USDC", "tron"), ("USDC", "ethereum"))}
METHODS: dict[str, Asset] = {a.method: a for a in ASSETS.values()}
SHORTS = sorted({a.short for a in ASSETS.values()})


def coins_on(network: str) -> list[Asset]:
    return [a for a in ASSETS.values() if a.network == network]


# networkFee [D: the tron sample: a TRC-20 transfer costs 27 TRX with 130000 energy and 345
# bandwidth]; the other figures are [A] typical values, in the network's fee coin.
_TOKEN_FEE = {"tron": "27.00000000", "ethereum": "0.00150000", "bsc": "0.00010000",
              "solana": "0.00203928"}
_NATIVE_FEE = {"tron": "1.10000000", "ethereum": "0.00042000", "bsc": "0.00002100",
               "solana": "0.00000500", "bitcoin": "0.00002000", "ton": "0.01000000"}


def network_fee(asset: Asset) -> tuple[str, dict]:
    """(fee as a decimal string in the fee coin, details) for one withdrawal of `asset`."""
    native = asset.short == NETWORKS[asset.network].fee_coin
    fee = _NATIVE_FEE[asset.network] if native else _TOKEN_FEE[asset.network]
    if asset.network != "tron":
        return fee, {}
    energy, bandwidth = (0, 270) if native else (130000, 345)
    return fee, {"energy": energy, "bandwidth": bandwidth, "isActivated": True,
                 "resource": {"energy": 0, "bandwidth": 0}}
