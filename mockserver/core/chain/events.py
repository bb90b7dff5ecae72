"""What a real chain does to a transfer besides confirming it: a reorg undoes its confirmations
(it is mined again a block later) or drops it, a double spend replaces it while it is still
unconfirmed, and a transfer broadcast as stuck waits unconfirmed until released.

Every event is a fact on the Transfer (`mined_at`, `gone`, `replaced_by`); confirmations stay
derived, so statuses read from them go back by themselves. Whoever took a transfer hears of the
event through `Chain.when_changed` (scheduled now, like a new transfer's watchers), and threshold
callbacks (`when_confirmed`) are scheduled again for when the re-mined transfer reaches them.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from ..basics.errors import Conflict
from .networks import network

if TYPE_CHECKING:
    from .transfers import Transfer

REORGED, DROPPED, REPLACED = "reorged", "dropped", "replaced"
MAX_DEPTH = 10_000          # blocks a depth reorg may reach back


class ChainEvents:
    """Mixed into Chain (transfers.py): the events, over the Chain's own stores."""

    _thresholds: dict[str, list[tuple[int, Callable[["Transfer"], Any]]]]
    _changes: dict[str, list[Callable[["Transfer", str], Any]]]

    def _changed(self, tx: "Transfer", change: str) -> None:
        for callback in list(self._changes.get(tx.txid, ())):
            self.scheduler.schedule(self.now, lambda cb=callback: cb(tx, change),
                                    label=f"transfer {change} {tx.txid[:12]}")

    def _mined_again(self, tx: "Transfer") -> None:
        for needed, callback in list(self._thresholds.get(tx.txid, ())):
            self._schedule_threshold(tx, needed, callback)

    @staticmethod
    def _on_chain(tx: "Transfer") -> None:
        if tx.gone is not None:
            raise Conflict(f"transfer {tx.txid} is {tx.gone}: it is no longer on the chain")

    def reorg(self, tx: "Transfer", *, drop: bool = False, after: timedelta | None = None) -> "Transfer":
        """The blocks holding tx are reorged away: it is mined again `after` (default one block)
        from now with its confirmations counting from there, or, with `drop`, it leaves the chain
        (it was in no block of the new branch nor kept in the mempool)."""
        self._on_chain(tx)
        if drop:
            tx.gone, tx.gone_at = DROPPED, self.now
            self._changed(tx, DROPPED)
            return tx
        if tx.confirmations(self.now) < 1:
            raise Conflict(f"transfer {tx.txid} has no confirmation to undo (it is {tx.status(self.now)})")
        tx.extra_confirmations = 0
        tx.mined_at = self.now + (tx.block_time if after is None else after)
        tx.reorgs += 1
        self._changed(tx, REORGED)
        self._mined_again(tx)
        return tx

    def reorg_blocks(self, network_name: str, depth: int, *, drop: bool = False) -> list["Transfer"]:
        """The network's last `depth` blocks are reorged: every transfer in them (1..depth
        confirmations) is re-mined, or dropped."""
        net = network(network_name)
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1..{MAX_DEPTH} blocks")
        now = self.now
        hit = [tx for tx in list(self._transfers.values())
               if tx.network == net.name and tx.gone is None and 1 <= tx.confirmations(now) <= depth]
        for tx in hit:
            self.reorg(tx, drop=drop)
        return hit

    def double_spend(self, tx: "Transfer", to: str | None = None) -> "Transfer":
        """A pending (unconfirmed) transfer is replaced by one spending the same coins to `to`
        (default: a fresh address, the payer's own): tx leaves the chain, the replacement is
        seen now by whoever watches `to`."""
        self._on_chain(tx)
        if tx.confirmations(self.now) > 0:
            raise Conflict(f"transfer {tx.txid} has {tx.confirmations(self.now)} confirmation(s): "
                           "only a pending (unconfirmed) transfer can be double-spent")
        tx.gone, tx.gone_at = REPLACED, self.now
        self._changed(tx, REPLACED)       # scheduled first: the old payee loses it, then the new one gains it
        replacement = self.send(tx.network, to or self.new_address(tx.network), tx.amount,
                                source_address=tx.source_address, token=tx.token)
        replacement.replaces, tx.replaced_by = tx.txid, replacement.txid
        return replacement

    def release(self, tx: "Transfer") -> "Transfer":
        """A stuck transfer is mined in the next block."""
        self._on_chain(tx)
        if tx.mined_at is not None:
            raise Conflict(f"transfer {tx.txid} is not stuck (it is {tx.status(self.now)})")
        tx.mined_at = self.now + tx.block_time
        self._mined_again(tx)
        return tx
