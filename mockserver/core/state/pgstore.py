"""Tenants kept in one PostgreSQL database that several sandbox processes share (`--store URL`).

The same two tables as a SQLite file (store.py), with a tenant column, plus the tenants
themselves (their meta, which process owns each, and the owner's fencing epoch) and the
processes (cluster.py). Every process writes through one `Database`: appends from all the
tenants it owns share one group commit, a single statement per batch, each row inserted only if
its tenant's epoch is still the one the writer holds (`FOR SHARE` on the tenant row, so a
takeover waits for the batch and then sees it). A row whose epoch moved on is refused:
`LeaseLost`, and the process drops that tenant. So a process paused past its lease, or cut off
from the database, cannot add to a tenant another process has taken over.

asyncpg, not psycopg 3: it speaks PostgreSQL's protocol on asyncio itself (no libpq, wheels for
every platform the sandbox runs on), binds arrays natively (one `unnest` insert per batch), and
is the faster of the two on small statements, which is all the sandbox sends.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any, Callable

from .store import Input, LeaseLost, Outcome

log = logging.getLogger(__name__)

SCHEMA_LOCK = 707_707          # one process creates the tables; the others wait for it
SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_cluster (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_nodes (
    id TEXT PRIMARY KEY, num SERIAL UNIQUE, url TEXT NOT NULL, pid INTEGER,
    started TIMESTAMPTZ NOT NULL DEFAULT now(), expires TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_tenants (
    name TEXT PRIMARY KEY, meta JSONB NOT NULL DEFAULT '{}', created TIMESTAMPTZ NOT NULL DEFAULT now(),
    owner TEXT, epoch BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sandbox_tenants_owner ON sandbox_tenants (owner);
CREATE TABLE IF NOT EXISTS sandbox_inputs (
    tenant TEXT NOT NULL REFERENCES sandbox_tenants (name) ON DELETE CASCADE, seq BIGINT NOT NULL,
    method TEXT NOT NULL, path TEXT NOT NULL, headers TEXT NOT NULL, body BYTEA NOT NULL, remote TEXT,
    virtual TEXT NOT NULL, wall TEXT NOT NULL, status INTEGER NOT NULL, PRIMARY KEY (tenant, seq));
CREATE TABLE IF NOT EXISTS sandbox_outcomes (
    tenant TEXT NOT NULL REFERENCES sandbox_tenants (name) ON DELETE CASCADE, generation INTEGER NOT NULL,
    delivery TEXT NOT NULL, idx INTEGER NOT NULL, status INTEGER, error TEXT, body BYTEA NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL, cancelled BOOLEAN NOT NULL,
    PRIMARY KEY (tenant, generation, delivery, idx));
"""

# One round trip per batch: the fence locks the batch's tenant rows (a takeover's epoch bump
# waits for this commit), and each insert keeps only rows whose epoch is still the tenant's.
APPEND = """
WITH fence AS (
    SELECT name, epoch FROM sandbox_tenants WHERE name = ANY($1::text[]) FOR SHARE),
ins AS (
    INSERT INTO sandbox_inputs (tenant, seq, method, path, headers, body, remote, virtual, wall, status)
    SELECT u.tenant, u.seq, u.method, u.path, u.headers, u.body, u.remote, u.virtual, u.wall, u.status
    FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bytea[],
                $9::text[], $10::text[], $11::text[], $12::int[])
         AS u(tenant, epoch, seq, method, path, headers, body, remote, virtual, wall, status)
    JOIN fence f ON f.name = u.tenant AND f.epoch = u.epoch
    ON CONFLICT (tenant, seq) DO UPDATE SET status = EXCLUDED.status
    RETURNING 1),
outs AS (
    INSERT INTO sandbox_outcomes (tenant, generation, delivery, idx, status, error, body, latency_ms, cancelled)
    SELECT u.tenant, u.generation, u.delivery, u.idx, u.status, u.error, u.body, u.latency_ms, u.cancelled
    FROM unnest($13::text[], $14::bigint[], $15::int[], $16::text[], $17::int[], $18::int[], $19::text[],
                $20::bytea[], $21::float8[], $22::bool[])
         AS u(tenant, epoch, generation, delivery, idx, status, error, body, latency_ms, cancelled)
    JOIN fence f ON f.name = u.tenant AND f.epoch = u.epoch
    ON CONFLICT (tenant, generation, delivery, idx) DO UPDATE SET status = EXCLUDED.status,
        error = EXCLUDED.error, body = EXCLUDED.body, latency_ms = EXCLUDED.latency_ms,
        cancelled = EXCLUDED.cancelled
    RETURNING 1)
SELECT name, epoch, (SELECT count(*) FROM ins) + (SELECT count(*) FROM outs) AS written FROM fence
"""


class Database:
    """The shared database as one process sees it: a connection pool and the group-commit writer
    for every tenant this process owns. `on_lost(tenant)` runs when a write finds the tenant's
    epoch moved on."""

    def __init__(self, pool: Any, url: str):
        self.pool = pool
        self.url = url
        self.secret = ""
        self.on_lost: Callable[[str], None] = lambda tenant: None
        self._pending: list[tuple] = []
        self._flusher: asyncio.Task | None = None

    @classmethod
    async def connect(cls, url: str) -> "Database":
        import asyncpg   # the [postgres] extra; only a server started with --store needs it
        pool = await asyncpg.create_pool(url, min_size=1, max_size=6, command_timeout=30)
        db = cls(pool, url)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            await conn.execute(SCHEMA)
            # the processes' shared secret: a forwarded request carries it (http/forward.py)
            await conn.execute("INSERT INTO sandbox_cluster VALUES ('secret', $1) ON CONFLICT DO NOTHING",
                               secrets.token_hex(16))
            db.secret = await conn.fetchval("SELECT value FROM sandbox_cluster WHERE key = 'secret'")
        return db

    # -- reads (on claiming a tenant, and its replay) --------------------------------------------
    async def last_seq(self, tenant: str) -> int:
        return await self.pool.fetchval(
            "SELECT COALESCE(MAX(seq), 0) FROM sandbox_inputs WHERE tenant = $1", tenant)

    async def inputs(self, tenant: str) -> list[Input]:
        rows = await self.pool.fetch(
            "SELECT seq, method, path, headers, body, remote, virtual, wall, status FROM sandbox_inputs "
            "WHERE tenant = $1 ORDER BY seq", tenant)
        return [Input(r[0], r[1], r[2], [tuple(h) for h in json.loads(r[3])], bytes(r[4]), *r[5:])
                for r in rows]

    async def outcomes(self, tenant: str) -> list[Outcome]:
        rows = await self.pool.fetch(
            "SELECT generation, delivery, idx, status, error, body, latency_ms, cancelled "
            "FROM sandbox_outcomes WHERE tenant = $1", tenant)
        return [Outcome(r[0], r[1], r[2], r[3], r[4], bytes(r[5]), r[6], r[7]) for r in rows]

    async def set_meta(self, tenant: str, epoch: int, meta: dict) -> None:
        done = await self.pool.fetchval(
            "UPDATE sandbox_tenants SET meta = meta || $3::jsonb WHERE name = $1 AND epoch = $2 RETURNING 1",
            tenant, epoch, json.dumps(meta))
        if not done:
            self._lost(tenant)
            raise LeaseLost(tenant)

    # -- appends: group commit across tenants ---------------------------------------------------
    async def append(self, tenant: str, epoch: int, item: Input | Outcome) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((tenant, epoch, item, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                current = await self._write(batch)
            except Exception as exc:  # noqa: BLE001 - every waiter hears of it (its request fails)
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            lost = set()
            for tenant, epoch, _item, done in batch:
                if current.get(tenant) != epoch:
                    lost.add(tenant)
                    if not done.done():
                        done.set_exception(LeaseLost(tenant))
                elif not done.done():
                    done.set_result(None)
            for tenant in lost:
                self._lost(tenant)

    def _lost(self, tenant: str) -> None:
        try:
            self.on_lost(tenant)
        except Exception:  # noqa: BLE001 - dropping the tenant must not break the writer
            log.exception("dropping tenant %s failed", tenant)

    async def _write(self, batch: list[tuple]) -> dict[str, int]:
        ins: list[list] = [[] for _ in range(11)]
        outs: list[list] = [[] for _ in range(10)]
        for tenant, epoch, item, _done in batch:
            if isinstance(item, Input):
                row = (tenant, epoch, item.seq, item.method, item.path, json.dumps(item.headers), item.body,
                       item.remote, item.virtual, item.wall, item.status)
                target = ins
            else:
                row = (tenant, epoch, item.generation, item.delivery, item.index, item.status, item.error,
                       item.body, item.latency_ms, item.cancelled)
                target = outs
            for column, value in zip(target, row):
                column.append(value)
        tenants = sorted({tenant for tenant, *_ in batch})
        rows = await self.pool.fetch(APPEND, tenants, *ins, *outs)
        return {row["name"]: row["epoch"] for row in rows}

    async def close(self) -> None:
        if self._flusher is not None:
            try:
                await self._flusher
            except Exception:  # noqa: BLE001 - closing regardless
                pass
        await self.pool.close()


class PostgresStore:
    """One tenant's `Store` in the shared database, held under the epoch its owner claimed it with."""

    def __init__(self, db: Database, tenant: str, epoch: int, meta: dict, last_seq: int,
                 may_act: Callable[[], bool] = lambda: True):
        self.db, self.tenant, self.epoch = db, tenant, epoch
        self.may_act = may_act          # False once this process's lease has run out: send nothing
        self._meta = dict(meta)
        self._last_seq = last_seq
        self._unwritten: dict = {}

    def meta(self) -> dict:
        return dict(self._meta)

    def set_meta(self, **values) -> None:
        """Kept at once in memory; written by `flush()`, which the registry awaits before the
        tenant serves anything (build_world calls this synchronously)."""
        self._meta.update(values)
        self._unwritten.update(values)

    async def flush(self) -> None:
        if self._unwritten:
            values, self._unwritten = self._unwritten, {}
            await self.db.set_meta(self.tenant, self.epoch, values)

    def last_seq(self) -> int:
        return self._last_seq

    async def append_input(self, item: Input) -> None:
        await self.db.append(self.tenant, self.epoch, item)

    async def append_outcome(self, item: Outcome) -> None:
        await self.db.append(self.tenant, self.epoch, item)

    def append_outcome_soon(self, item: Outcome) -> None:
        """Queued without waiting (from a task being cancelled, which cannot await)."""
        task = asyncio.get_running_loop().create_task(self.db.append(self.tenant, self.epoch, item))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def inputs(self) -> list[Input]:
        return await self.db.inputs(self.tenant)

    async def outcomes(self) -> list[Outcome]:
        return await self.db.outcomes(self.tenant)

    async def close(self) -> None:
        """The database stays open (other tenants share it); this tenant's writes are in the
        process's group commit, which `Database.close` finishes."""
