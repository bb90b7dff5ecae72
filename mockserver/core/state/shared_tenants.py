"""The tenants registry when several processes share a PostgreSQL store (cluster.py).

The same calls as `Tenants` (tenants.py), with ownership behind them: a tenant is in this
process's memory only while this process owns it. Asking for one that another live process
owns raises `Elsewhere(url)` (the HTTP edge forwards the request there); one that is free is
claimed, built with its `PostgresStore` and replayed before it serves (concurrent requests for
it wait for that one replay). A tenant whose epoch moved on (found by a fenced write), or all of
them when this process's lease is gone, is dropped from memory, never deleted.

The default World is a tenant too (`cluster.default_tenant`, "default"): every process serves
the same one. It is not listed, does not count against `max`, and never expires.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable

from ..basics.errors import Conflict, NotFound, SandboxError
from ..contracts.messages import show
from .cluster import Claim, Cluster, TooManyTenants
from .pgstore import PostgresStore
from .tenants import Elsewhere, Hook, Tenant, Tenants, _unloadable, check_name, unavailable

log = logging.getLogger(__name__)

# (name, seed, start, store) -> a new World
SharedFactory = Callable[[str, "int | None", "datetime | None", PostgresStore], Any]


class SharedTenants(Tenants):
    def __init__(self, factory: SharedFactory, cluster: Cluster | None, *, max_tenants: int = 50,
                 idle_seconds: float = 86_400, clock: Callable[[], float] = time.monotonic,
                 on_create: Hook | None = None):
        super().__init__(factory, max_tenants=max_tenants, idle_seconds=idle_seconds, clock=clock,
                         on_create=on_create)
        self._loading: dict[str, asyncio.Future] = {}
        self._adopting: asyncio.Task | None = None
        if cluster is not None:
            self.attach(cluster)

    def attach(self, cluster: Cluster) -> None:
        """The cluster joins at start-up (it needs the event loop and the database)."""
        self.cluster = cluster
        cluster.db.on_lost = self._lost
        cluster.on_lost_all = self.drop_all
        cluster.on_orphans = self.adopt

    @property
    def default(self) -> str:
        return self.cluster.default_tenant

    def loaded(self) -> list[str]:
        """The tenants this process serves now (the default one among them, once used)."""
        return sorted(self._tenants)

    async def get(self, name: str, *, create: bool = True) -> Any:
        tenant = self._tenants.get(name)
        if tenant is not None and not self.cluster.valid():
            raise unavailable(name, 1)
        now = self._now()
        if (tenant is not None and name != self.default and now - tenant.last_used > self.idle
                and not tenant.in_flight):
            await self.delete(name)
            tenant = None
        if tenant is not None:
            tenant.last_used = now
            return tenant.world
        if name != self.default:
            check_name(name)
        return await self._load(name, create=create)

    async def enter(self, name: str) -> Any:
        """A routed request's tenant World: made (in the database too) on first use, kept only if
        a request in it is accepted (`leave`), as in tenants.py."""
        world = await self.get(name)
        tenant = self._tenants[name]
        tenant.last_used = self._now()
        tenant.in_flight += 1
        return world

    async def leave(self, name: str, *, accepted: bool, wrote: bool) -> None:
        tenant = self._tenants.get(name)
        if tenant is not None and tenant.settle(accepted=accepted, wrote=wrote):
            await self.delete(name)   # made by requests that were all refused: never existed

    async def create(self, name: str, seed: int | None = None, start: datetime | None = None) -> Any:
        check_name(name)
        if name == self.default:
            raise Conflict(f"tenant {name!r} is the default World; choose another name")
        await self.sweep()
        return await self._load(name, create=True, seed=seed, start=start, new=True)

    async def _load(self, name: str, *, create: bool, seed: int | None = None,
                    start: datetime | None = None, new: bool = False) -> Any:
        pending = self._loading.get(name)
        if pending is not None:
            if new:
                raise Conflict(f"tenant {name!r} exists; reset or delete it first")
            return await asyncio.shield(pending)
        done = asyncio.get_running_loop().create_future()
        self._loading[name] = done
        try:
            world = await self._take(name, create, seed, start, new)
            done.set_result(world)
            return world
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()   # retrieved: waiters, if any, re-raise it
            raise
        finally:
            del self._loading[name]

    async def _take(self, name: str, create: bool, seed: int | None, start: datetime | None,
                    new: bool) -> Any:
        if not self.cluster.valid():
            raise unavailable(name, 1)
        try:
            claim = (await self.cluster.create(name, self.max) if new
                     else await self.cluster.claim(name, create=create, max_tenants=self.max))
        except TooManyTenants:
            raise SandboxError(f"at most {self.max} tenants (tenants.max); delete one first", status=429) from None
        if claim is None:
            raise Conflict(f"tenant {name!r} exists; reset or delete it first")
        if not claim.mine:
            self._not_mine(name, claim)
        store = PostgresStore(self.cluster.db, name, claim.epoch, claim.meta or {}, claim.last_seq,
                              may_act=self.cluster.valid)
        try:
            world = self.factory(name, seed, start, store)
        except Exception as exc:
            raise _unloadable(name, exc) from None
        try:
            await store.flush()
            if self.on_create is not None:
                await self.on_create(name, world)
        except BaseException as exc:
            await world.close()
            if isinstance(exc, Exception) and not isinstance(exc, SandboxError):
                raise _unloadable(name, exc) from None
            raise
        made = claim.created and not new and name != self.default   # by a routed request: provisional
        self._tenants[name] = Tenant(name, world, time.time(), self._now(), holds=not made, provisional=made)
        world.start_driver()
        return world

    def _not_mine(self, name: str, claim: Claim) -> None:
        if not claim.exists:
            raise NotFound(f"no tenant {show(name[:40])}")
        if claim.owner_url:
            raise Elsewhere(name, claim.owner_url, claim.owner or "")
        raise unavailable(name, claim.retry_after)

    async def delete(self, name: str) -> None:
        if name == self.default:
            raise Conflict(f"tenant {name!r} is the default World; reset it instead (POST /_sandbox/reset)")
        tenant = self._tenants.get(name)
        if tenant is None:
            claim = await self.cluster.claim(name, create=False)
            if not claim.mine:
                self._not_mine(name, claim)
            epoch = claim.epoch
        else:
            epoch = tenant.world.durability.store.epoch
            del self._tenants[name]
            await tenant.world.close()
        await self.cluster.delete(name, epoch)

    async def sweep(self) -> None:
        now = self._now()
        for name in [n for n, t in self._tenants.items()
                     if n != self.default and now - t.last_used > self.idle and not t.in_flight]:
            await self.delete(name)

    async def list(self) -> list[dict]:
        await self.sweep()
        now = self._now()
        out = []
        for row in await self.cluster.listing():
            local = self._tenants.get(row["name"])
            if local is not None:
                out.append({**local.view(now), "owner": self.cluster.url})
                continue
            meta = row["meta"]
            out.append({"name": row["name"], "seed": meta.get("seed"), "seed_fixed": meta.get("seed_fixed"),
                        "created": row["created"].astimezone(timezone.utc).isoformat(), "owner": row["owner"]})
        return out

    def view(self, name: str) -> dict:
        return {**super().view(name), "owner": self.cluster.url}

    # -- losing and adopting tenants ---------------------------------------------------------------
    def _lost(self, name: str) -> None:
        """A fenced write found another owner: forget the tenant here (its history is theirs)."""
        tenant = self._tenants.pop(name, None)
        if tenant is not None:
            log.warning("tenant %s was taken over by another process; dropped here", name)
            asyncio.get_running_loop().create_task(tenant.world.close())

    async def drop_all(self) -> None:
        while self._tenants:
            _name, tenant = self._tenants.popitem()
            await tenant.world.close()

    async def adopt(self, names: list[str]) -> None:
        """Tenants whose owner died: taken over here (in the background: the lease renewal that
        found them must not wait for their replays), so their clocks and deliveries go on."""
        if self._adopting is not None and not self._adopting.done():
            return
        self._adopting = asyncio.get_running_loop().create_task(self._adopt(names))

    async def _adopt(self, names: list[str]) -> None:
        for name in names:
            if name in self._tenants or name in self._loading:
                continue
            try:
                await self._load(name, create=False)
                log.warning("tenant %s taken over from a process that is gone", name)
            except (Elsewhere, SandboxError):
                pass   # another survivor was quicker, or it was deleted meanwhile
            except Exception:  # noqa: BLE001 - one tenant must not stop the others
                log.exception("taking over tenant %s failed", name)

    async def drain(self, timeout: float) -> None:
        await asyncio.gather(*(t.world.drain(timeout) for t in list(self._tenants.values())))

    async def close(self) -> None:
        if self._adopting is not None:
            self._adopting.cancel()
        await super().close()
