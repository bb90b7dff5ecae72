"""Simulated chains: transfers and their confirmations.

Facts are stored (a transfer, when it was seen, when it was mined, whether it is still on the
chain); confirmations are derived from the clock and the network's block time, so advancing the
clock is all it takes for them to grow. What else a chain does to a transfer (reorgs, double
spends, a transfer stuck unconfirmed) is in events.py.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from ..basics.retention import BoundedStore
from ..time.scheduler import Scheduler
from .events import DROPPED, REORGED, REPLACED, ChainEvents
from .networks import NETWORKS, Network, network, rand_bytes

__all__ = ["Chain", "Transfer", "Network", "NETWORKS", "network", "amount_ok", "MAX_AMOUNT",
           "REORGED", "DROPPED", "REPLACED"]


@dataclass
class Transfer:
    txid: str
    network: str
    address: str
    amount: Decimal
    source_address: str
    seen_at: datetime
    mined_at: datetime | None          # None: stuck unconfirmed until released
    block_time: timedelta
    extra_confirmations: int = 0        # added by confirm_now
    meta: dict[str, Any] = field(default_factory=dict)
    token: str | None = None            # None: the asset the receiving address expects
    memo: str | None = None             # memo / destination tag (TON, XRP)
    gone: str | None = None             # None while on the chain; "dropped" | "replaced"
    gone_at: datetime | None = None
    replaced_by: str | None = None      # txid of the double spend that took its place
    replaces: str | None = None
    reorgs: int = 0                     # times its blocks were reorged away

    @property
    def on_chain(self) -> bool:
        return self.gone is None

    def confirmations(self, now: datetime) -> int:
        if self.gone is not None or self.mined_at is None:
            return 0
        if now < self.mined_at:
            return self.extra_confirmations
        return 1 + int((now - self.mined_at) / self.block_time) + self.extra_confirmations

    def time_of_confirmation(self, n: int) -> datetime | None:
        """When confirmations(now) first reaches n (ignoring later confirm_now calls); None
        while it cannot (stuck, or gone)."""
        if self.gone is not None or self.mined_at is None:
            return None
        natural = n - self.extra_confirmations
        if natural <= 0:
            return self.seen_at
        return self.mined_at + self.block_time * (natural - 1)

    def status(self, now: datetime) -> str:
        """dropped | replaced | stuck | pending (waiting for its block) | mined."""
        if self.gone is not None:
            return self.gone
        if self.mined_at is None:
            return "stuck"
        return "mined" if self.confirmations(now) > 0 else "pending"

    def mismatch(self, network_name: str, token: str | None = None) -> str | None:
        """Why this transfer does not pay an address expecting `token` on `network_name`
        ("wrong network: bsc, not tron"), or None when it does. A transfer without a token
        carries whatever the receiver expects."""
        if network(self.network) is not network(network_name):
            return f"wrong network: {self.network}, not {network(network_name).name}"
        if self.token is not None and token is not None and self.token.upper() != token.upper():
            return f"wrong token: {self.token}, not {token}"
        return None

    def to_dict(self, now: datetime) -> dict:
        return {"txid": self.txid, "network": self.network, "address": self.address,
                "amount": str(self.amount), "source_address": self.source_address,
                "seen_at": self.seen_at.isoformat(), "confirmations": self.confirmations(now),
                "status": self.status(now), "token": self.token, "memo": self.memo,
                "replaced_by": self.replaced_by, "replaces": self.replaces}


OnTransfer = Callable[[Transfer], Any]
OnChange = Callable[[Transfer, str], Any]

# [A] The largest transfer a simulated chain carries: far beyond any coin's supply, and small
# enough that every amount derived from it (fiat totals, balances) stays a finite JSON number.
MAX_AMOUNT = Decimal("1e15")


def amount_ok(amount: Decimal) -> bool:
    return Decimal(amount).is_finite() and 0 < amount <= MAX_AMOUNT


class Chain(ChainEvents):
    def __init__(self, scheduler: Scheduler, rng: random.Random, *, max_transfers: int = 50_000):
        self.scheduler = scheduler
        self.rng = rng
        self._watchers: dict[str, list[OnTransfer]] = {}
        # bounded (retention.transfers): the oldest transfers are forgotten, with their indexes
        self._transfers: dict[str, Transfer] = BoundedStore(max_transfers, on_evict=self._drop_transfer)
        self._by_address: dict[str, list[Transfer]] = {}
        self._thresholds: dict[str, list[tuple[int, Callable[[Transfer], Any]]]] = {}
        self._changes: dict[str, list[OnChange]] = {}

    @property
    def now(self) -> datetime:
        return self.scheduler.clock.now()

    def new_address(self, network_name: str) -> str:
        return network(network_name).make_address(self.rng)

    def new_txid(self, network_name: str) -> str:
        digest = rand_bytes(self.rng, 32).hex()
        return "0x" + digest if network(network_name).evm else digest

    def watch(self, address: str, on_transfer: OnTransfer) -> None:
        """`on_transfer(tx)` for every transfer to `address` from now on; what later happens to
        a transfer it takes, a watcher hears through `when_changed`."""
        self._watchers.setdefault(address, []).append(on_transfer)

    def _drop_transfer(self, txid: str, tx: Transfer) -> None:
        self._thresholds.pop(txid, None)
        self._changes.pop(txid, None)
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
            self._changes.pop(tx.txid, None)

    def transfers_to(self, address: str) -> list[Transfer]:
        return list(self._by_address.get(address, ()))

    def transfer(self, txid: str) -> Transfer | None:
        return self._transfers.get(txid)

    def send(self, network_name: str, address: str, amount: Decimal, *,
             source_address: str | None = None, meta: dict | None = None, token: str | None = None,
             memo: str | None = None, stuck: bool = False) -> Transfer:
        """Broadcast a transfer: seen now, first mined one block later (a stuck one only once
        released); watchers hear of it now."""
        net = network(network_name)
        if not amount_ok(amount):
            raise ValueError(f"a transfer amount must be positive, up to {MAX_AMOUNT}")
        now = self.now
        tx = Transfer(
            txid=self.new_txid(net.name), network=net.name, address=address, amount=Decimal(amount),
            source_address=source_address or net.make_address(self.rng), seen_at=now,
            mined_at=None if stuck else now + net.block_time, block_time=net.block_time,
            meta=dict(meta or {}), token=token, memo=memo)
        self._transfers[tx.txid] = tx
        self._by_address.setdefault(address, []).append(tx)
        for watcher in list(self._watchers.get(address, ())):
            self.scheduler.schedule(now, lambda w=watcher: w(tx), label=f"transfer seen {tx.txid[:12]}")
        return tx

    def when_confirmed(self, tx: Transfer, confirmations: int, callback: Callable[[Transfer], Any]) -> None:
        """Call `callback(tx)` when tx reaches `confirmations` (or at once if confirm_now gets
        there); again each time it reaches them anew after a reorg. Never while it has fewer."""
        self._thresholds.setdefault(tx.txid, []).append((confirmations, callback))
        self._schedule_threshold(tx, confirmations, callback)

    def _schedule_threshold(self, tx: Transfer, needed: int, callback: Callable[[Transfer], Any]) -> None:
        at = tx.time_of_confirmation(needed)
        if at is None:
            return      # stuck or gone: scheduled again when released or re-mined

        def reached():
            # a reorg may have undone the confirmations this was scheduled for
            if tx.confirmations(self.now) >= needed:
                return callback(tx)
        self.scheduler.schedule(at, reached, label=f"{needed} confirmations {tx.txid[:12]}")

    def when_changed(self, tx: Transfer, callback: OnChange) -> None:
        """Call `callback(tx, change)` when the chain takes back what it said about tx: "reorged"
        (its confirmations are undone; it is mined again later), "dropped" (it left the chain),
        "replaced" (a double spend paying elsewhere took its place; `tx.replaced_by`)."""
        self._changes.setdefault(tx.txid, []).append(callback)

    def confirm_now(self, tx: Transfer, confirmations: int) -> None:
        """Mine blocks at once until tx has `confirmations` (a stuck transfer is mined now);
        thresholds reached fire now. A transfer no longer on the chain gets none."""
        if tx.gone is not None:
            return
        was_stuck = tx.mined_at is None
        if was_stuck:
            tx.mined_at = self.now
        missing = confirmations - tx.confirmations(self.now)
        if missing > 0:
            tx.extra_confirmations += missing
        if was_stuck:      # its thresholds were never scheduled: the reached ones now, the rest later
            self._mined_again(tx)
            return
        for needed, callback in self._thresholds.get(tx.txid, ()):
            if tx.confirmations(self.now) >= needed:
                self.scheduler.schedule(self.now, lambda cb=callback: cb(tx), label=f"confirmed now {tx.txid[:12]}")

    def blocks_needed(self, network_name: str, span: timedelta) -> int:
        return math.ceil(span / network(network_name).block_time)
