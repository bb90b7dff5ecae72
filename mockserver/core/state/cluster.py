"""Several sandbox processes sharing the tenants of one PostgreSQL database (`--store URL`).

A World is single-writer (one event loop runs its clock, scheduler and webhook deliveries), so
each tenant is owned by one process at a time: `sandbox_tenants.owner` names the process and
`epoch` grows at every change of owner (every append is fenced by it, pgstore.py).

A process is alive while both hold:
- its row in `sandbox_nodes` has not expired: renewed every lease/3 seconds; a process that
  cannot renew in time (paused, cut off) stops serving its tenants and sending their webhooks
  when its own lease runs out by its own monotonic clock, which the database's expiry never
  precedes;
- its session holds its advisory lock: PostgreSQL drops it the moment the process's connection
  closes, so a kill -9 is seen at once, not after the lease.

`sweep()` deletes the rows of processes that are not alive; a tenant whose owner has no row, or
an expired one, is free, and `claim` takes it (epoch + 1) in one statement, so two processes
never both win. Sweeps
run with every renewal and whenever a forward to an owner fails; the tenants a dead process
owned are then adopted by the survivors (`on_orphans`), so their clocks and deliveries go on.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .pgstore import Database

log = logging.getLogger(__name__)

LOCK_SPACE = 707_708           # advisory locks (LOCK_SPACE, node number): one per live process
LOCK_HELD = f"""EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
    AND l.classid = {LOCK_SPACE}::oid AND l.objid = n.num::oid AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"""
SWEEP = f"DELETE FROM sandbox_nodes n WHERE n.expires < now() OR NOT {LOCK_HELD} RETURNING n.id, n.url"
# free: no owner, an owner that is gone or whose lease ran out, or this process (a claim it
# lost track of)
CLAIM = """UPDATE sandbox_tenants t SET owner = $2, epoch = t.epoch + 1
    WHERE t.name = $1 AND (t.owner IS NULL OR t.owner = $2 OR NOT EXISTS (
        SELECT 1 FROM sandbox_nodes n WHERE n.id = t.owner AND n.expires > now()))
    RETURNING t.epoch, t.meta"""
CREATE = """INSERT INTO sandbox_tenants (name, owner, epoch)
    SELECT $1, $2, 1 WHERE $3::bigint < 0 OR (SELECT count(*) FROM sandbox_tenants WHERE name <> $4) < $3
    ON CONFLICT (name) DO NOTHING RETURNING epoch, meta"""
OWNER = """SELECT t.owner, n.url, n.expires - now() AS left FROM sandbox_tenants t
    LEFT JOIN sandbox_nodes n ON n.id = t.owner WHERE t.name = $1"""


@dataclass
class Claim:
    """The outcome of asking for a tenant: ours (epoch, meta, last input) or another's (url)."""
    mine: bool
    epoch: int = 0
    meta: dict | None = None
    last_seq: int = 0
    owner_url: str | None = None
    owner: str | None = None        # the owning process's id
    retry_after: float = 1.0
    exists: bool = True
    created: bool = False           # made by this claim


class TooManyTenants(Exception):
    pass


class Cluster:
    """This process among the others on the database."""

    def __init__(self, db: Database, url: str, lease: float = 10.0, *, default_tenant: str = "default"):
        self.db, self.url, self.lease = db, url, float(lease)
        self.default_tenant = default_tenant
        self.id = f"{uuid.uuid4().hex[:12]}-{os.getpid()}"
        self.num: int | None = None
        self._lock_conn: Any = None
        self._valid_until = 0.0          # monotonic: this process may serve its tenants until then
        self._beat: asyncio.Task | None = None
        self.on_lost_all: Callable[[], Awaitable[None]] | None = None
        self.on_orphans: Callable[[list[str]], Awaitable[None]] | None = None

    # -- this process's life ---------------------------------------------------------------------
    async def start(self) -> None:
        await self._register()
        self._beat = asyncio.get_running_loop().create_task(self._heartbeat())

    async def _register(self) -> None:
        import asyncpg
        # renewals need no disk flush: after a database crash an older expiry only hands the
        # tenants over sooner, and the epochs keep the writes apart
        conn = self._lock_conn = await asyncpg.connect(self.db.url,
                                                       server_settings={"synchronous_commit": "off"})
        conn.add_termination_listener(lambda _conn: self._expire())
        began = time.monotonic()
        # the lock first, then the row: a sweep never sees this row without its lock
        self.num = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('sandbox_nodes', 'num'))")
        await conn.execute(f"SELECT pg_advisory_lock({LOCK_SPACE}, $1)", self.num)
        await conn.execute("INSERT INTO sandbox_nodes (id, num, url, pid, expires) "
                           "VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')",
                           self.id, self.num, self.url, os.getpid(), self.lease)
        self._valid_until = began + self.lease

    async def set_url(self, url: str) -> None:
        """Where the others forward requests to: known once the socket listens (--port 0)."""
        self.url = url
        await self.db.pool.execute("UPDATE sandbox_nodes SET url = $2 WHERE id = $1", self.id, url)

    def valid(self) -> bool:
        """May this process still act for its tenants (serve them, send their webhooks)?"""
        return time.monotonic() < self._valid_until

    def _expire(self) -> None:
        self._valid_until = 0.0

    async def _heartbeat(self) -> None:
        while True:
            due = time.monotonic() + self.lease / 3
            await asyncio.sleep(self.lease / 3)
            late = time.monotonic() - due
            if late > self.lease / 3:
                log.warning("lease renewal %.1f s late: this process's event loop was busy", late)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be back at the next beat
                log.warning("lease renewal failed: %s", exc)

    async def beat(self) -> None:
        """Renew this process's lease, forget dead processes, adopt what they owned."""
        began = time.monotonic()
        # on the lock's own connection: a busy pool (a takeover's replay reading) cannot delay it
        renewed = None if self._lock_conn is None or self._lock_conn.is_closed() else \
            await self._lock_conn.fetchval(
                "UPDATE sandbox_nodes SET expires = now() + $2 * interval '1 second' WHERE id = $1 "
                "AND expires > now() RETURNING 1", self.id, self.lease)
        took = time.monotonic() - began
        if took > self.lease / 3:
            log.warning("lease renewal took %.1f s (lease %.0f s): the database or this process is slow", took, self.lease)
        if renewed:
            self._valid_until = began + self.lease
        else:   # declared dead (paused too long, or the lock's connection went): start again
            log.warning("this process lost its lease; its tenants go to the others")
            await self._restart()
        await self.sweep()

    async def _restart(self) -> None:
        self._expire()
        if self.on_lost_all is not None:
            await self.on_lost_all()
        if self._lock_conn is not None:
            self._lock_conn.terminate()
        await self.db.pool.execute("DELETE FROM sandbox_nodes WHERE id = $1", self.id)
        self.id = f"{uuid.uuid4().hex[:12]}-{os.getpid()}"
        await self._register()

    async def sweep(self) -> list[str]:
        """Forget processes that are gone; adopt the tenants they owned. Returns their names."""
        gone = await self.db.pool.fetch(SWEEP)
        if gone:
            log.warning("sandbox processes gone: %s", ", ".join(f"{r['url']} ({r['id']})" for r in gone))
        orphans = [r["name"] for r in await self.db.pool.fetch(
            "SELECT name FROM sandbox_tenants t WHERE t.owner IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM sandbox_nodes n WHERE n.id = t.owner) ORDER BY name")]
        if orphans and self.on_orphans is not None and self.valid() and self.url:
            await self.on_orphans(orphans)
        return orphans

    async def close(self) -> None:
        """A graceful stop: the row goes, so the tenants this process owned are orphans that the
        others adopt at their next sweep (or on their next request), as after a kill but at once."""
        if self._beat is not None:
            self._beat.cancel()
            try:
                await self._beat
            except (asyncio.CancelledError, Exception):
                pass
        self._expire()
        try:
            await self.db.pool.execute("DELETE FROM sandbox_nodes WHERE id = $1", self.id)
        finally:
            if self._lock_conn is not None:
                await self._lock_conn.close()

    # -- tenants ---------------------------------------------------------------------------------
    async def claim(self, name: str, *, create: bool, max_tenants: int = -1) -> Claim:
        """Take the tenant if it is free (created when `create` and missing), else say who has it.
        Raises TooManyTenants when creating it would pass `max_tenants`."""
        async with self.db.pool.acquire() as conn:
            row = await conn.fetchrow(CLAIM, name, self.id)
            created = False
            if row is None and create:
                limit = -1 if name == self.default_tenant else max_tenants
                row = await conn.fetchrow(CREATE, name, self.id, limit, self.default_tenant)
                created = row is not None
                if row is None and await conn.fetchval(
                        "SELECT 1 FROM sandbox_tenants WHERE name = $1", name) is None:
                    raise TooManyTenants(name)
                row = row or await conn.fetchrow(CLAIM, name, self.id)   # deleted meanwhile, or created by another
            if row is not None:
                last = await conn.fetchval(
                    "SELECT COALESCE(MAX(seq), 0) FROM sandbox_inputs WHERE tenant = $1", name)
                return Claim(True, row["epoch"], json.loads(row["meta"]), last, created=created)
            owner = await conn.fetchrow(OWNER, name)
        if owner is None:
            return Claim(False, exists=False)
        left = owner["left"].total_seconds() if owner["left"] is not None else 1.0
        return Claim(False, owner_url=owner["url"], owner=owner["owner"],
                     retry_after=max(1.0, min(left, self.lease)))

    async def create(self, name: str, max_tenants: int) -> Claim | None:
        """A new tenant, owned here; None when the name exists."""
        row = await self.db.pool.fetchrow(CREATE, name, self.id, max_tenants, self.default_tenant)
        if row is None:
            if await self.db.pool.fetchval("SELECT 1 FROM sandbox_tenants WHERE name = $1", name):
                return None
            raise TooManyTenants(name)
        return Claim(True, row["epoch"], {}, 0)

    async def delete(self, name: str, epoch: int) -> bool:
        """The tenant and its history, gone for every process (only its owner deletes it)."""
        return bool(await self.db.pool.fetchval(
            "DELETE FROM sandbox_tenants WHERE name = $1 AND owner = $2 AND epoch = $3 RETURNING 1",
            name, self.id, epoch))

    async def listing(self) -> list[dict]:
        rows = await self.db.pool.fetch(
            "SELECT t.name, t.meta, t.created, n.url FROM sandbox_tenants t "
            "LEFT JOIN sandbox_nodes n ON n.id = t.owner WHERE t.name <> $1 ORDER BY t.name",
            self.default_tenant)
        return [{"name": r["name"], "meta": json.loads(r["meta"]), "created": r["created"],
                 "owner": r["url"]} for r in rows]

    async def nodes(self) -> list[dict]:
        rows = await self.db.pool.fetch(
            "SELECT n.id, n.url, n.pid, n.started, n.expires, "
            "(SELECT count(*) FROM sandbox_tenants t WHERE t.owner = n.id) AS tenants "
            "FROM sandbox_nodes n ORDER BY n.started")
        return [{"id": r["id"], "url": r["url"], "pid": r["pid"], "started": r["started"].isoformat(),
                 "lease_until": r["expires"].isoformat(), "tenants": r["tenants"], "self": r["id"] == self.id}
                for r in rows]
