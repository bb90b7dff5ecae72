"""Where a durable World keeps what it cannot recompute: the inputs it accepted and the answers
its webhook receivers gave. Everything else (objects, deliveries, the schedule, the journal, the
seeded generators) is a function of those and of the World's seed, start and settings, so a
restart rebuilds it by replaying them (core/state/durability.py).

`Store` is the whole seam: `SQLiteStore` here keeps one World in a file for one process;
`PostgresStore` (pgstore.py) keeps tenants in a database that several processes share.

SQLite calls run on one dedicated thread: a commit waits for the disk, and the event loop must
not. One thread also keeps the connection single-threaded, as sqlite3 wants.
"""
from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

try:
    import fcntl
except ImportError:   # Windows
    fcntl = None


@dataclass(frozen=True)
class Input:
    """One request as it reached the sandbox, with the instants it was handled at."""
    seq: int
    method: str
    path: str                       # path with its query string, as sent
    headers: list[tuple[str, str]]
    body: bytes
    remote: str | None              # the caller's address (IP allow-lists)
    virtual: str                    # ISO 8601: the World's clock when the request arrived
    wall: str                       # ISO 8601: real time then (request-freshness windows)
    status: int = 0                 # what the sandbox answered


@dataclass(frozen=True)
class Outcome:
    """What a receiver answered to one webhook POST (the only fact the World learns from outside).
    Keyed by the World's generation (resets so far), delivery id and the POST's index."""
    generation: int
    delivery: str
    index: int
    status: int | None
    error: str | None
    body: bytes
    latency_ms: float
    cancelled: bool = False         # cut short by a reset: no attempt was recorded

    STARTED = -1.0                  # latency_ms of the row written before a POST leaves

    @property
    def in_flight(self) -> bool:
        """The POST was sent and its answer never kept: in flight when its process stopped."""
        return self.latency_ms == self.STARTED and not self.cancelled


class Store(Protocol):
    def meta(self) -> dict: ...                      # seed, start, clock of the World it keeps
    def set_meta(self, **values) -> None: ...
    def last_seq(self) -> int: ...
    async def append_input(self, item: Input) -> None: ...
    async def append_outcome(self, item: Outcome) -> None: ...
    async def inputs(self) -> list[Input]: ...
    async def outcomes(self) -> list[Outcome]: ...
    async def close(self) -> None: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL, headers TEXT NOT NULL,
    body BLOB NOT NULL, remote TEXT, virtual TEXT NOT NULL, wall TEXT NOT NULL, status INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (
    generation INTEGER NOT NULL, delivery TEXT NOT NULL, idx INTEGER NOT NULL, status INTEGER,
    error TEXT, body BLOB NOT NULL, latency_ms REAL NOT NULL, cancelled INTEGER NOT NULL,
    PRIMARY KEY (generation, delivery, idx));
"""


class LeaseLost(RuntimeError):
    """A shared store (pgstore.py): this process no longer owns the tenant; another took it over."""

    def __init__(self, tenant: str):
        super().__init__(f"tenant {tenant!r} is now served by another sandbox process")
        self.tenant = tenant


class StoreUnavailable(RuntimeError):
    """The shared store cannot be used: the database refused, is not there, or the driver is
    missing. Said with the URL, its password left out."""

    def __init__(self, url: str, cause: BaseException):
        from urllib.parse import urlsplit
        parts = urlsplit(url)
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        reason = (f"{cause.name} is not installed: pip install 'provider-sandbox[postgres]'"
                  if isinstance(cause, ImportError) else f"{type(cause).__name__}: {cause}")
        super().__init__(f"store {shown}: {reason}")


class StateInUse(OSError):
    """The file is kept by another running sandbox (two writers would interleave their inputs)."""


class _Lock:
    """An OS lock on PATH.lock held while the store is open, with the holder's pid written in it.
    The OS drops it when the process ends, however it ends: a kill -9 leaves no stale lock."""

    def __init__(self, path: str):
        self.path = path + ".lock"
        self._fd: int | None = None
        if fcntl is None:   # no flock on this platform: unguarded, as before
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"pid {holder}" if holder.isdigit() else "another process"
            raise StateInUse(f"state {path} is in use by another sandbox ({who}); stop it first, "
                             f"or give another --state file") from None
        except OSError:   # a file system without flock: unguarded, as before
            os.close(fd)
            return
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)   # closing the descriptor drops the lock
            self._fd = None


class SQLiteStore:
    """One SQLite file, WAL; each append is committed before it returns (before the answer).
    One process at a time: a second store on the same file raises StateInUse."""

    def __init__(self, path: str | Path, synchronous: str | None = None):
        # SANDBOX_STATE_SYNCHRONOUS=FULL: an fsync per commit (bench/durability.py measures both)
        synchronous = synchronous or os.environ.get("SANDBOX_STATE_SYNCHRONOUS", "NORMAL").upper()
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.path = str(path)
        self._lock: _Lock | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock = _Lock(self.path)
        try:
            self._open(synchronous)
        except BaseException:
            self._release()
            raise
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-store")
        self._pending: list[tuple] = []
        self._flusher: asyncio.Task | None = None

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def _open(self, synchronous: str) -> None:
        import sqlite3   # only with --state: a World in memory does not load it
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (the OS holds it); only a
        # power cut may lose the last commits. FULL also survives that, at an fsync per request.
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(SCHEMA)

    # Start-up reads and writes: before the loop serves anything, so they may block.
    def meta(self) -> dict:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    def set_meta(self, **values) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in values.items()])

    def last_seq(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM inputs").fetchone()[0]

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _insert_input(self, i: Input) -> None:
        self._db.execute("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (i.seq, i.method, i.path, json.dumps(i.headers), i.body, i.remote,
                          i.virtual, i.wall, i.status))

    def _insert_outcome(self, o: Outcome) -> None:
        self._db.execute("INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (o.generation, o.delivery, o.index, o.status, o.error, o.body,
                          o.latency_ms, int(o.cancelled)))

    def _commit(self, writes: list) -> None:
        self._db.execute("BEGIN")   # one transaction: one disk sync for every request waiting on it
        try:
            for write, item in writes:
                write(item)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    async def _append(self, write, item) -> None:
        """Group commit: appends that arrive while a commit runs share the next one; each caller
        returns once its own row is committed."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((write, item, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._run(self._commit, [(write, item) for write, item, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiter hears of it (its request fails)
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for *_, done in batch:
                if not done.done():
                    done.set_result(None)

    async def append_input(self, item: Input) -> None:
        await self._append(self._insert_input, item)

    async def append_outcome(self, item: Outcome) -> None:
        await self._append(self._insert_outcome, item)

    def append_outcome_soon(self, item: Outcome) -> None:
        """Queue a write without waiting (from a task being cancelled, which cannot await)."""
        self._thread.submit(self._commit, [(self._insert_outcome, item)])

    async def inputs(self) -> list[Input]:
        def read():
            rows = self._db.execute("SELECT seq, method, path, headers, body, remote, virtual, wall, "
                                    "status FROM inputs ORDER BY seq").fetchall()
            return [Input(r[0], r[1], r[2], [tuple(h) for h in json.loads(r[3])], bytes(r[4]), *r[5:])
                    for r in rows]
        return await self._run(read)

    async def outcomes(self) -> list[Outcome]:
        def read():
            rows = self._db.execute("SELECT generation, delivery, idx, status, error, body, latency_ms, "
                                    "cancelled FROM outcomes").fetchall()
            return [Outcome(*r[:5], bytes(r[5]), r[6], bool(r[7])) for r in rows]
        return await self._run(read)

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        await self._run(self._db.close)
        self._thread.shutdown(wait=True)
        self._release()
