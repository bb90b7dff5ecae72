"""Which receiving addresses an order accepts, per network.

[D] Alchemy's "Network Code" page gives an ``address_regex`` per network; the complete ones are
used as written: ETH/BSC/MATIC (``^(0x)[0-9A-Fa-f]{40}$``), TRX (``^T[1-9A-HJ-NP-Za-km-z]{33}$``),
SOL (``^[1-9A-HJ-NP-Za-km-z]{32,44}$``), XRP (``^r[1-9A-HJ-NP-Za-km-z]{25,34}$``), BTC's legacy
form (``^[13][a-km-zA-HJ-NP-Z1-9]{25,34}$``), AVAX (the X-chain ``^(X-avax)[0-9A-za-z]{39}$``).
[A] The page's cells for BTC (bech32), LTC, DOGE, BCH and ADA are cut after their first
alternative; the sandbox completes them with each chain's mainnet shapes, and DASH's.
[A] Leniency, refused under the merchant setting ``strict``: the testnet shapes the sandbox's own
chains hand out (tb1…, tltc1…, bchtest:…, addr_test1…, Dogecoin/Dash testnet Base58) and a 0x
address on AVAX (the sandbox settles AVAX on its C-chain).
Checksums are not verified: the docs list INVALID_ADDRESS, an order status for an address the
crypto could not be sent to after payment, so production evidently lets some bad addresses in.
"""
from __future__ import annotations

import re

_B58 = "[1-9A-HJ-NP-Za-km-z]"
_BECH = "[02-9ac-hj-np-z]"
_EVM = r"0x[0-9A-Fa-f]{40}"

MAINNET: dict[str, str] = {
    "ETH": _EVM, "BSC": _EVM, "MATIC": _EVM, "POLYGON": _EVM,
    "TRX": f"T{_B58}{{33}}", "TRON": f"T{_B58}{{33}}",
    "SOL": f"{_B58}{{32,44}}",
    "XRP": f"r{_B58}{{25,34}}",
    "BTC": f"[13]{_B58}{{25,34}}|bc1{_BECH}{{11,71}}",
    "LTC": f"[LM3]{_B58}{{26,33}}|ltc1{_BECH}{{11,71}}",
    "DOGE": f"[DA9]{_B58}{{25,34}}",
    "DASH": f"X{_B58}{{33}}",
    "BCH": f"1{_B58}{{25,34}}|(bitcoincash:)?[qp][0-9a-z]{{41}}",
    "ADA": f"[0-9A-Za-z]{{57,59}}|addr1{_BECH}{{50,110}}",
    "AVAX": "X-avax[0-9A-Za-z]{39}",
}
TESTNET_AND_SANDBOX: dict[str, str] = {
    "BTC": f"[mn2]{_B58}{{25,34}}|tb1{_BECH}{{11,71}}",
    "LTC": f"[mnQ2]{_B58}{{25,34}}|tltc1{_BECH}{{11,71}}",
    "DOGE": f"[n2]{_B58}{{25,34}}",
    "DASH": f"y{_B58}{{33}}",
    "BCH": f"bchtest:[qp][0-9a-z]{{41}}",
    "ADA": f"addr_test1{_BECH}{{50,110}}",
    "AVAX": _EVM,
}
_MAINNET = {k: re.compile(v) for k, v in MAINNET.items()}
_LENIENT = {k: re.compile(v) for k, v in TESTNET_AND_SANDBOX.items()}


def address_problem(network: str, address: str, *, strict: bool) -> str | None:
    """Why `address` cannot receive on `network` (an Alchemy network code), or None."""
    if _MAINNET.get(network) is None:
        return None                     # a network without a known shape: nothing to check
    if _MAINNET[network].fullmatch(address):    # fullmatch: "$" alone lets "...\n" through
        return None
    if not strict and network in _LENIENT and _LENIENT[network].fullmatch(address):
        return None
    return f"address is not a {network} address"
