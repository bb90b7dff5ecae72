"""The assets ALT 5 Pay creates deposit addresses for, as its API spells them.

`path` is the `{asset}` part of `POST /usr/wallet/{asset}/create` (the ERC-20 tokens use two path
segments). The docs list a sandbox (testnet) endpoint for every asset except `erc20/usdt` and
`erc20/shib` ("USDT Sandbox NA", "SHIB Sandbox NA"): those answer "Could Not Create Address".

Confirmations needed before a payment turns `Paid`: BTC 6 comes from the docs' IPN sample
(`"coin":"BTC"`, `"confirmation":"6"`, `"status":"Paid"`) [D sample]; no other coin has a sample
with a confirmation count, so the others are the sandbox's, per network [A].

Assumptions ([A], also in contracts/alt5pay/*.json as x-assumption):
- confirmations for every coin but BTC (`confirmations`; see above);
- the IPN `network` word is `testnet`, or `goerli` for the Ethereum assets (the docs' sandbox
  table names Goerli as the Ethereum sandbox chain and its IPN sample shows `"network":"testnet"`);
- fees follow the docs' `/usr/fees` sample: 2 % on most coins, 2.5 % on ETH, 2 % + 15 on ERC-20.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Asset:
    path: str                   # as in the URL
    coin: str                   # as in `coin` fields
    chain: str                  # core chain network name
    confirmations: int          # needed for Paid: BTC [D sample], the rest [A]
    sandbox: bool = True        # False: the docs say "Sandbox NA"
    ipn_network: str = "testnet"
    fee_group: str = "main"     # key of the /usr/fees sample: main | eth | erc


ASSETS: dict[str, Asset] = {a.path: a for a in (
    Asset("btc", "BTC", "btc", 6),           # the docs' IPN sample: BTC Paid at "6"
    Asset("bch", "BCH", "bch", 6),
    Asset("eth", "ETH", "eth", 12, ipn_network="goerli", fee_group="eth"),
    Asset("ltc", "LTC", "ltc", 6),
    Asset("doge", "DOGE", "doge", 6),
    Asset("xrp", "XRP", "xrp", 1),
    Asset("sol", "SOL", "sol", 1),
    Asset("bnb", "BNB", "bsc", 15),
    Asset("dash", "DASH", "dash", 6),
    Asset("ada", "ADA", "ada", 10),
    Asset("avax", "AVAX", "avax", 12),
    Asset("matic_poly", "MATIC", "polygon", 30),
    Asset("usdt_tron", "USDT", "tron", 19),
    Asset("erc20/usdc", "USDC", "eth", 12, ipn_network="goerli", fee_group="erc"),
    Asset("erc20/usdt", "USDT", "eth", 12, sandbox=False, ipn_network="goerli", fee_group="erc"),
    Asset("erc20/shib", "SHIB", "eth", 12, sandbox=False, ipn_network="goerli", fee_group="erc"),
)}

# The docs' /usr/fees sample: percent of the fiat total plus a fixed fee in the same currency.
FEES: dict[str, tuple[Decimal, Decimal]] = {
    "main": (Decimal("2"), Decimal("0")),
    "erc": (Decimal("2"), Decimal("15")),
    "eth": (Decimal("2.5"), Decimal("0")),
}

CURRENCIES = ("USD", "CAD", "EUR")


def asset_for_coin(coin: str) -> Asset | None:
    """The sandbox-enabled asset whose coin word is `coin` (USDT -> the TRC-20 one)."""
    for asset in ASSETS.values():
        if asset.coin == coin.upper() and asset.sandbox:
            return asset
    return None


# GET/POST /assets [D]: name, asset_id, explorer_url, icon_url. The docs' sample lists Bitcoin (BTC)
# and Bitcoin Cash (BCH) with blockexplorer.one testnet links and sandbox.digitalpaydev.com icons;
# the other names, ids (the request_payment currency words), explorer and icon links follow that
# pattern [A]. Only assets with a sandbox are listed [A].
ASSET_LISTING: dict[str, tuple[str, str, str, str]] = {
    # path: (name, asset_id, explorer chain/network, icon file)
    "btc": ("Bitcoin", "BTC", "btc/testnet", "bitcoin"),
    "bch": ("Bitcoin Cash", "BCH", "bch/testnet", "bitcoincash"),
    "eth": ("Ethereum", "ETH", "eth/goerli", "ethereum"),
    "ltc": ("Litecoin", "LTC", "ltc/testnet", "litecoin"),
    "doge": ("Dogecoin", "DOGE", "doge/testnet", "dogecoin"),
    "xrp": ("XRP", "XRP", "xrp/testnet", "xrp"),
    "sol": ("Solana", "SOL", "solana/testnet", "solana"),
    "bnb": ("BNB", "BNB", "bnb/testnet", "bnb"),
    "dash": ("Dash", "DASH", "dash/testnet", "dash"),
    "ada": ("Cardano", "ADA", "cardano/testnet", "cardano"),
    "avax": ("Avalanche", "AVAX", "avalanche/testnet", "avalanche"),
    "matic_poly": ("Polygon", "MATIC_POLY", "polygon/testnet", "polygon"),
    "usdt_tron": ("Tether (TRC20)", "USDT_TRON", "tron/testnet", "tether"),
    "erc20/usdc": ("USD Coin", "USDC", "eth/goerli", "usdcoin"),
}


def asset_listing() -> list[dict]:
    return [{"name": name, "asset_id": asset_id,
             "explorer_url": f"https://blockexplorer.one/{explorer}/tx/",
             "icon_url": f"https://sandbox.digitalpaydev.com/assets/icons/{icon}.png"}
            for path, (name, asset_id, explorer, icon) in ASSET_LISTING.items() if ASSETS[path].sandbox]
