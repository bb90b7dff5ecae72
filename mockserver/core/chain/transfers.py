"""Simulated chains: addresses of each network's real (testnet) shape, transfers, confirmations.

Facts are stored (a transfer, when it was seen, when it was first mined); confirmations are
derived from the clock and the network's block time, so advancing the clock is all it takes
for them to grow.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from . import addresses as enc
from ..basics.retention import BoundedStore
from ..time.scheduler import Scheduler


@dataclass(frozen=True)
class Network:
    name: str
    block_time: timedelta
    make_address: Callable[[random.Random], str]
    evm: bool = False           # 0x-prefixed txids
    aliases: tuple[str, ...] = ()


def _rand(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "big")


def _evm(rng: random.Random) -> str:
    return "0x" + _rand(rng, 20).hex()


NETWORKS: dict[str, Network] = {}
for _net in (
    Network("btc", timedelta(minutes=10), lambda r: enc.segwit_address("tb", _rand(r, 20)), aliases=("bitcoin",)),
    Network("ltc", timedelta(seconds=150), lambda r: enc.segwit_address("tltc", _rand(r, 20)), aliases=("litecoin",)),
    Network("bch", timedelta(minutes=10), lambda r: enc.cashaddr("bchtest", _rand(r, 20)), aliases=("bitcoincash",)),
    Network("doge", timedelta(minutes=1), lambda r: enc.base58check(b"\x71", _rand(r, 20)), aliases=("dogecoin",)),
    Network("dash", timedelta(seconds=150), lambda r: enc.base58check(b"\x8c", _rand(r, 20))),
    Network("eth", timedelta(seconds=12), _evm, evm=True, aliases=("ethereum", "erc20")),
    Network("bsc", timedelta(seconds=3), _evm, evm=True, aliases=("bep20", "bnb", "binance-smart-chain")),
    Network("polygon", timedelta(seconds=2), _evm, evm=True, aliases=("matic", "poly")),
    Network("avax", timedelta(seconds=2), _evm, evm=True, aliases=("avalanche", "avaxc")),
    Network("tron", timedelta(seconds=3), lambda r: enc.base58check(b"\x41", _rand(r, 20)), aliases=("trc20", "trx")),
    Network("ton", timedelta(seconds=5), lambda r: enc.ton_address(_rand(r, 32)), aliases=("toncoin",)),
    Network("sol", timedelta(seconds=1), lambda r: enc.base58(b"\x01" + _rand(r, 31)), aliases=("solana",)),
    Network("xrp", timedelta(seconds=4), lambda r: enc.ripple_address(_rand(r, 20)), aliases=("ripple",)),
    Network("ada", timedelta(seconds=20), lambda r: enc.bech32_encode("addr_test", enc._convertbits(b"\x60" + _rand(r, 28), 8, 5)), aliases=("cardano",)),
):
    NETWORKS[_net.name] = _net
    for _alias in _net.aliases:
        NETWORKS[_alias] = _net


def network(name: str) -> Network:
    try:
        return NETWORKS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown network {name!r}") from None


@dataclass
class Transfer:
    txid: str
    network: str
    address: str
    amount: Decimal
    source_address: str
    seen_at: datetime
    mined_at: datetime
    block_time: timedelta
    extra_confirmations: int = 0        # added by confirm_now
    meta: dict[str, Any] = field(default_factory=dict)

    def confirmations(self, now: datetime) -> int:
        if now < self.mined_at:
            return self.extra_confirmations
        return 1 + int((now - self.mined_at) / self.block_time) + self.extra_confirmations

    def time_of_confirmation(self, n: int) -> datetime:
        """When confirmations(now) first reaches n (ignoring later confirm_now calls)."""
        natural = n - self.extra_confirmations
        if natural <= 0:
            return self.seen_at
        return self.mined_at + self.block_time * (natural - 1)

    def to_dict(self, now: datetime) -> dict:
        return {"txid": self.txid, "network": self.network, "address": self.address,
                "amount": str(self.amount), "source_address": self.source_address,
                "seen_at": self.seen_at.isoformat(), "confirmations": self.confirmations(now)}


OnTransfer = Callable[[Transfer], Any]

# [A] The largest transfer a simulated chain carries: far beyond any coin's supply, and small
# enough that every amount derived from it (fiat totals, balances) stays a finite JSON number.
MAX_AMOUNT = Decimal("1e15")


def amount_ok(amount: Decimal) -> bool:
    return Decimal(amount).is_finite() and 0 < amount <= MAX_AMOUNT


class Chain:
    def __init__(self, scheduler: Scheduler, rng: random.Random, *, max_transfers: int = 50_000):
        self.scheduler = scheduler
        self.rng = rng
        self._watchers: dict[str, list[OnTransfer]] = {}
        # bounded (retention.transfers): the oldest transfers are forgotten, with their indexes
        self._transfers: dict[str, Transfer] = BoundedStore(max_transfers, on_evict=self._drop_transfer)
        self._by_address: dict[str, list[Transfer]] = {}
        self._thresholds: dict[str, list[tuple[int, Callable[[Transfer], Any]]]] = {}

    @property
    def now(self) -> datetime:
        return self.scheduler.clock.now()

    def new_address(self, network_name: str) -> str:
        return network(network_name).make_address(self.rng)

    def new_txid(self, network_name: str) -> str:
        digest = _rand(self.rng, 32).hex()
        return "0x" + digest if network(network_name).evm else digest

    def watch(self, address: str, on_transfer: OnTransfer) -> None:
        self._watchers.setdefault(address, []).append(on_transfer)

    def _drop_transfer(self, txid: str, tx: Transfer) -> None:
        self._thresholds.pop(txid, None)
        listed = self._by_address.get(tx.address)
        if listed is not None:
            try:
                listed.remove(tx)
            except ValueError:
                pass
            if not listed:
                del self._by_address[tx.address]

    def forget(self, address: str) -> None:
        """An owner forgot the object behind `address`: drop its watchers and its transfers."""
        self._watchers.pop(address, None)
        for tx in self._by_address.pop(address, ()):
            self._transfers.pop(tx.txid, None)
            self._thresholds.pop(tx.txid, None)

    def transfers_to(self, address: str) -> list[Transfer]:
        return list(self._by_address.get(address, ()))

    def transfer(self, txid: str) -> Transfer | None:
        return self._transfers.get(txid)

    def send(self, network_name: str, address: str, amount: Decimal, *,
             source_address: str | None = None, meta: dict | None = None) -> Transfer:
        """Broadcast a transfer: seen now, first mined one block later; watchers hear of it now."""
        net = network(network_name)
        if not amount_ok(amount):
            raise ValueError(f"a transfer amount must be positive, up to {MAX_AMOUNT}")
        now = self.now
        tx = Transfer(
            txid=self.new_txid(net.name), network=net.name, address=address, amount=Decimal(amount),
            source_address=source_address or net.make_address(self.rng), seen_at=now,
            mined_at=now + net.block_time, block_time=net.block_time, meta=dict(meta or {}))
        self._transfers[tx.txid] = tx
        self._by_address.setdefault(address, []).append(tx)
        for watcher in list(self._watchers.get(address, ())):
            self.scheduler.schedule(now, lambda w=watcher: w(tx), label=f"transfer seen {tx.txid[:12]}")
        return tx

    def when_confirmed(self, tx: Transfer, confirmations: int, callback: Callable[[Transfer], Any]) -> None:
        """Call `callback(tx)` when tx reaches `confirmations` (or at once if confirm_now gets there)."""
        self._thresholds.setdefault(tx.txid, []).append((confirmations, callback))
        self.scheduler.schedule(tx.time_of_confirmation(confirmations), lambda: callback(tx),
                                label=f"{confirmations} confirmations {tx.txid[:12]}")

    def confirm_now(self, tx: Transfer, confirmations: int) -> None:
        """Mine blocks at once until tx has `confirmations`; thresholds reached fire now."""
        missing = confirmations - tx.confirmations(self.now)
        if missing > 0:
            tx.extra_confirmations += missing
        for needed, callback in self._thresholds.get(tx.txid, ()):
            if tx.confirmations(self.now) >= needed:
                self.scheduler.schedule(self.now, lambda cb=callback: cb(tx), label=f"confirmed now {tx.txid[:12]}")

    def blocks_needed(self, network_name: str, span: timedelta) -> int:
        return math.ceil(span / network(network_name).block_time)
