"""Tenants: isolated Worlds in one sandbox, selected by the path prefix `/t/{tenant}/`.

Each tenant has its own clock, seed, merchants, objects, deliveries, journal and fault rules; the
default World (no prefix) is untouched. A tenant is made by the admin API, or by a request routed
to it that is accepted (a refused one, 401 or 404, never makes one); `max` counts the tenants that
hold something (made by the admin API, or a write accepted in them), empty ones making room; one idle longer than `idle_seconds` of real time is forgotten, checked
lazily (when it is next used, and when tenants are created or listed), so no timer runs.

The routes (the `/t/{tenant}/` prefix and `/_sandbox/tenants`) are http/tenants.py.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from ..basics.errors import BadRequest, Conflict, NotFound, SandboxError
from ..contracts.messages import show

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
PREFIX = "/t"

WorldFactory = Callable[[str, int | None, datetime | None], Any]   # (name, seed, start) -> a new World
Hook = Callable[[str, Any], Awaitable[None]]                       # (name, world)


@dataclass
class Tenant:
    name: str
    world: Any
    created: float        # wall-clock seconds
    last_used: float      # monotonic seconds
    holds: bool = True    # holds something: made by an admin call, or a write was accepted in it
    provisional: bool = False   # made by a routed request still in flight: kept only if one is accepted
    in_flight: int = 0

    def settle(self, *, accepted: bool, wrote: bool) -> bool:
        """A routed request in it is over. True when the tenant never existed: made by
        requests that were all refused, none still in flight."""
        self.in_flight -= 1
        if accepted:
            self.provisional = False
        if wrote:
            self.holds = True
        return self.provisional and not self.in_flight

    def view(self, now: float) -> dict:
        wall = time.time() - (now - self.last_used)
        return {"name": self.name, "seed": self.world.seed, "seed_fixed": self.world.fixed_seed is not None,
                "clock": self.world.clock.now().isoformat(),
                "created": datetime.fromtimestamp(self.created, timezone.utc).isoformat(),
                "last_used": datetime.fromtimestamp(wall, timezone.utc).isoformat(),
                "idle_seconds": round(now - self.last_used, 1)}


def _unloadable(name: str, exc: Exception) -> SandboxError:
    """A tenant whose kept state cannot be read (a corrupt or foreign file under --state): a
    refusal naming the cause, never a 500; nothing is created."""
    return Conflict(f"tenant {name!r} cannot be loaded from its kept state "
                    f"({type(exc).__name__}: {str(exc)[:120]}); remove its state file or use another name")


class Elsewhere(Exception):
    """Another live sandbox process owns the tenant (a shared store, shared_tenants.py): the
    request belongs there (http/tenants.py forwards it)."""

    def __init__(self, name: str, url: str, owner: str = ""):
        super().__init__(f"tenant {name!r} is served by {url}")
        self.name, self.url, self.owner = name, url, owner


def unavailable(name: str, retry_after: float) -> SandboxError:
    """The tenant is between owners (one gone, its lease not yet over): ask again shortly."""
    return SandboxError(f"tenant {name!r} is moving between sandbox processes; retry shortly",
                        status=503, headers={"Retry-After": str(max(1, round(retry_after)))})


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise BadRequest("a tenant name is 1-40 of a-z, 0-9 and '-', not starting or ending with '-'")
    return name


class Tenants:
    """The registry. `factory(name, seed, start)` builds a World (app.py: with the tenant's own
    store when `--state` is set); `on_create` runs before it serves (app.py: replays the store),
    `on_delete` after it is closed (app.py: removes the store)."""

    def __init__(self, factory: WorldFactory, *, max_tenants: int = 50, idle_seconds: float = 86_400,
                 clock: Callable[[], float] = time.monotonic, on_create: Hook | None = None,
                 on_delete: Hook | None = None):
        self.factory = factory
        self.on_create = on_create
        self.on_delete = on_delete
        self.max = max_tenants
        self.idle = idle_seconds
        self._now = clock
        self._tenants: dict[str, Tenant] = {}

    def __len__(self) -> int:
        return len(self._tenants)

    def holding(self) -> int:
        """The tenants the cap counts: those that hold something."""
        return sum(1 for t in self._tenants.values() if t.holds)

    def __contains__(self, name: str) -> bool:
        return name in self._tenants

    async def get(self, name: str, *, create: bool = True) -> Any:
        """The tenant's World (its last use now), created on first use when `create`."""
        now = self._now()
        tenant = self._tenants.get(name)
        if tenant is not None and now - tenant.last_used > self.idle:
            await self.delete(name)
            tenant = None
        if tenant is None:
            if not create:
                raise NotFound(f"no tenant {show(name[:40])}")
            return await self.create(check_name(name))
        tenant.last_used = now
        return tenant.world

    async def enter(self, name: str) -> Any:
        """A routed request's tenant World: an existing one, or a provisional one that lives on
        only if a request in it is accepted (`leave`). A refused request never makes a tenant."""
        tenant = self._tenants.get(name)
        if tenant is not None and self._now() - tenant.last_used > self.idle and not tenant.in_flight:
            await self.delete(name)
            tenant = None
        if tenant is None:
            await self.create(check_name(name), provisional=True)
            tenant = self._tenants[name]
        tenant.last_used = self._now()
        tenant.in_flight += 1
        return tenant.world

    async def leave(self, name: str, *, accepted: bool, wrote: bool) -> None:
        tenant = self._tenants.get(name)
        if tenant is not None and tenant.settle(accepted=accepted, wrote=wrote):
            await self.delete(name)   # made by requests that were all refused: never existed

    async def _make_room(self) -> None:
        """Past the cap, empty tenants (nothing accepted but reads) go first, least recently used."""
        while len(self._tenants) >= self.max:
            empty = [t for t in self._tenants.values() if not t.holds and not t.in_flight]
            if not empty:
                break
            await self.delete(min(empty, key=lambda t: t.last_used).name)

    async def create(self, name: str, seed: int | None = None, start: datetime | None = None, *,
                     provisional: bool = False) -> Any:
        check_name(name)
        if name in self._tenants:
            raise Conflict(f"tenant {name!r} exists; reset or delete it first")
        await self.sweep()
        await self._make_room()
        if self.holding() >= self.max:
            raise SandboxError(f"at most {self.max} tenants (tenants.max); delete one first", status=429)
        try:
            world = self.factory(name, seed, start)
        except Exception as exc:
            raise _unloadable(name, exc) from None
        self._tenants[name] = Tenant(name, world, time.time(), self._now(), holds=not provisional,
                                     provisional=provisional)
        if self.on_create is not None:
            try:
                await self.on_create(name, world)
            except BaseException as exc:
                del self._tenants[name]
                await world.close()
                if isinstance(exc, Exception) and not isinstance(exc, SandboxError):
                    raise _unloadable(name, exc) from None
                raise
        world.start_driver()
        return world

    async def delete(self, name: str) -> None:
        tenant = self._tenants.pop(name, None)
        if tenant is None:
            raise NotFound(f"no tenant {show(name[:40])}")
        await tenant.world.close()
        if self.on_delete is not None:
            await self.on_delete(name, tenant.world)

    async def sweep(self) -> None:
        """Forget tenants idle past the limit (called on create and list, never on a timer)."""
        now = self._now()
        for name in [n for n, t in self._tenants.items() if now - t.last_used > self.idle and not t.in_flight]:
            await self.delete(name)

    async def list(self) -> list[dict]:
        await self.sweep()
        now = self._now()
        return [t.view(now) for t in self._tenants.values() if not t.provisional]

    def view(self, name: str) -> dict:
        return self._tenants[name].view(self._now())

    async def close(self) -> None:
        """Shutting down: every World closed, nothing forgotten (a durable tenant comes back)."""
        while self._tenants:
            _name, tenant = self._tenants.popitem()
            await tenant.world.close()
