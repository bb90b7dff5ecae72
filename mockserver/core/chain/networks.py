"""The simulated networks: each one's block time and the real (testnet) shape of its addresses."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from . import addresses as enc


@dataclass(frozen=True)
class Network:
    name: str
    block_time: timedelta
    make_address: Callable[[random.Random], str]
    evm: bool = False           # 0x-prefixed txids
    aliases: tuple[str, ...] = ()


def rand_bytes(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "big")


def _evm(rng: random.Random) -> str:
    return "0x" + rand_bytes(rng, 20).hex()


NETWORKS: dict[str, Network] = {}
for _net in (
    Network("btc", timedelta(minutes=10), lambda r: enc.segwit_address("tb", rand_bytes(r, 20)), aliases=("bitcoin",)),
    Network("ltc", timedelta(seconds=150), lambda r: enc.segwit_address("tltc", rand_bytes(r, 20)), aliases=("litecoin",)),
    Network("bch", timedelta(minutes=10), lambda r: enc.cashaddr("bchtest", rand_bytes(r, 20)), aliases=("bitcoincash",)),
    Network("doge", timedelta(minutes=1), lambda r: enc.base58check(b"\x71", rand_bytes(r, 20)), aliases=("dogecoin",)),
    Network("dash", timedelta(seconds=150), lambda r: enc.base58check(b"\x8c", rand_bytes(r, 20))),
    Network("eth", timedelta(seconds=12), _evm, evm=True, aliases=("ethereum", "erc20")),
    Network("bsc", timedelta(seconds=3), _evm, evm=True, aliases=("bep20", "bnb", "binance-smart-chain")),
    Network("polygon", timedelta(seconds=2), _evm, evm=True, aliases=("matic", "poly")),
    Network("avax", timedelta(seconds=2), _evm, evm=True, aliases=("avalanche", "avaxc")),
    Network("tron", timedelta(seconds=3), lambda r: enc.base58check(b"\x41", rand_bytes(r, 20)), aliases=("trc20", "trx")),
    Network("ton", timedelta(seconds=5), lambda r: enc.ton_address(rand_bytes(r, 32)), aliases=("toncoin",)),
    Network("sol", timedelta(seconds=1), lambda r: enc.base58(b"\x01" + rand_bytes(r, 31)), aliases=("solana",)),
    Network("xrp", timedelta(seconds=4), lambda r: enc.ripple_address(rand_bytes(r, 20)), aliases=("ripple",)),
    Network("ada", timedelta(seconds=20), lambda r: enc.bech32_encode("addr_test", enc._convertbits(b"\x60" + rand_bytes(r, 28), 8, 5)), aliases=("cardano",)),
):
    NETWORKS[_net.name] = _net
    for _alias in _net.aliases:
        NETWORKS[_alias] = _net


def network(name: str) -> Network:
    try:
        return NETWORKS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown network {name!r}") from None
