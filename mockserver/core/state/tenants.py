"""Tenants: isolated Worlds in one sandbox, selected by the path prefix `/t/{tenant}/`.

Each tenant has its own clock, seed, merchants, objects, deliveries, journal and fault rules; the
default World (no prefix) is untouched. A tenant is created on first use (or by the admin API),
up to `max` of them; one idle longer than `idle_seconds` of real time is forgotten, checked
lazily (when it is next used, and when tenants are created or listed), so no timer runs.

Routing: aiohttp resolves a route before any middleware runs, so `/t/{tenant}/{tail}` is a
catch-all route whose handler clones the request with the tail as its path, resolves the clone on
the same router, marks it with the tenant's World (`world_of` in core/http/middleware.py reads the mark), and
runs the matched handler through the matched apps' middlewares — what `Application._handle` does —
so the guard, the admin and the provider middlewares apply exactly as without the prefix.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial, update_wrapper
from typing import Any, Awaitable, Callable

from aiohttp import web

from ..basics.errors import BadRequest, Conflict, NotFound, SandboxError
from ..http import admin
from ..http.middleware import TENANT_PREFIX, TENANT_WORLD, json_response, read_json

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
PREFIX = "/t"
ROUTE = PREFIX + "/{tenant}/{tail:.*}"

WorldFactory = Callable[[str, int | None, datetime | None], Any]   # (name, seed, start) -> a new World
Hook = Callable[[str, Any], Awaitable[None]]                       # (name, world)


@dataclass
class Tenant:
    name: str
    world: Any
    created: float        # wall-clock seconds
    last_used: float      # monotonic seconds

    def view(self, now: float) -> dict:
        wall = time.time() - (now - self.last_used)
        return {"name": self.name, "seed": self.world.seed,
                "clock": self.world.clock.now().isoformat(),
                "created": datetime.fromtimestamp(self.created, timezone.utc).isoformat(),
                "last_used": datetime.fromtimestamp(wall, timezone.utc).isoformat(),
                "idle_seconds": round(now - self.last_used, 1)}


def _unloadable(name: str, exc: Exception) -> SandboxError:
    """A tenant whose kept state cannot be read (a corrupt or foreign file under --state): a
    refusal naming the cause, never a 500; nothing is created."""
    return Conflict(f"tenant {name!r} cannot be loaded from its kept state "
                    f"({type(exc).__name__}: {str(exc)[:120]}); remove its state file or use another name")


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
                raise NotFound(f"no tenant {name[:40]!r}")
            return await self.create(check_name(name))
        tenant.last_used = now
        return tenant.world

    async def create(self, name: str, seed: int | None = None, start: datetime | None = None) -> Any:
        check_name(name)
        if name in self._tenants:
            raise Conflict(f"tenant {name!r} exists; reset or delete it first")
        await self.sweep()
        if len(self._tenants) >= self.max:
            raise SandboxError(f"at most {self.max} tenants (tenants.max); delete one first", status=429)
        try:
            world = self.factory(name, seed, start)
        except Exception as exc:
            raise _unloadable(name, exc) from None
        self._tenants[name] = Tenant(name, world, time.time(), self._now())
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
            raise NotFound(f"no tenant {name[:40]!r}")
        await tenant.world.close()
        if self.on_delete is not None:
            await self.on_delete(name, tenant.world)

    async def sweep(self) -> None:
        """Forget tenants idle past the limit (called on create and list, never on a timer)."""
        now = self._now()
        for name in [n for n, t in self._tenants.items() if now - t.last_used > self.idle]:
            await self.delete(name)

    async def list(self) -> list[dict]:
        await self.sweep()
        now = self._now()
        return [t.view(now) for t in self._tenants.values()]

    def view(self, name: str) -> dict:
        return self._tenants[name].view(self._now())

    async def close(self) -> None:
        """Shutting down: every World closed, nothing forgotten (a durable tenant comes back)."""
        while self._tenants:
            _name, tenant = self._tenants.popitem()
            await tenant.world.close()


TENANTS: web.AppKey = web.AppKey("tenants", Tenants)


async def route_to_tenant(request: web.Request) -> web.StreamResponse:
    """`/t/{tenant}/<rest>` -> `/<rest>` on the tenant's World, through the usual middlewares."""
    name = request.match_info["tenant"]
    if request.get(TENANT_WORLD) is not None:
        raise NotFound("Not found")  # /t/a/t/b/...: tenants do not nest
    if not NAME.match(name):  # before creating anything: a bad name is refused, never stored
        raise BadRequest("a tenant name is 1-40 of a-z, 0-9 and '-', not starting or ending with '-'")
    world = await request.app[TENANTS].get(name)
    # the tail as the client spelled it (signatures cover the raw path), query string included
    raw_tail = "/" + request.raw_path.split("/", 3)[3] if request.raw_path.count("/") >= 3 else "/"
    return await _in_tenant(request, name, world, raw_tail)


async def _in_tenant(request: web.Request, name: str, world: Any, raw_path: str) -> web.StreamResponse:
    """`request` as if it had come for `raw_path` on tenant `name`'s World."""
    app = request.app
    inner = request.clone(rel_url=raw_path)
    inner[TENANT_WORLD] = world
    inner[TENANT_PREFIX] = f"{PREFIX}/{name}"
    match_info = await app.router.resolve(inner)
    match_info.add_app(app)
    match_info.freeze()
    inner._match_info = match_info  # what Application._handle sets; aiohttp has no public setter
    handler = match_info.handler
    for sub in match_info.apps[::-1]:
        for middleware, _new_style in sub._middlewares_handlers:
            handler = update_wrapper(partial(middleware, handler=handler), handler)
    try:
        response = await handler(inner)
    except web.HTTPException as exc:  # a redirect stays inside the tenant
        location = exc.headers.get("Location", "")
        if location.startswith("/") and not location.startswith("//"):
            exc.headers["Location"] = inner[TENANT_PREFIX] + location
        raise
    return _tenant_links(response, inner[TENANT_PREFIX])


def _tenant_links(response: web.StreamResponse, prefix: str) -> web.StreamResponse:
    """HTML pages (dashboard, hosted checkout pages) link and post to `/_sandbox/...`: inside a
    tenant those are the tenant's, so the attribute values get its prefix."""
    if (isinstance(response, web.Response) and response.content_type == "text/html"
            and response.body is not None and not response.prepared):
        response.text = response.text.replace('"/_sandbox/', f'"{prefix}/_sandbox/')
    return response


routes = web.RouteTableDef()


def _registry(request: web.Request) -> Tenants:
    if request.get(TENANT_WORLD) is not None:  # /t/a/_sandbox/tenants: tenants do not nest
        raise NotFound("tenants are managed at /_sandbox/tenants, without a tenant prefix")
    return request.app[TENANTS]


@routes.get("/_sandbox/tenants")
async def list_tenants(request: web.Request) -> web.Response:
    registry = _registry(request)
    return json_response({"tenants": await registry.list(), "max": registry.max,
                          "idle_seconds": registry.idle})


@routes.post("/_sandbox/tenants")
async def create_tenant(request: web.Request) -> web.Response:
    registry = _registry(request)
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - {"name", "seed", "start"}:
        raise BadRequest("body must be a JSON object: name, optional seed (integer), start (ISO 8601)")
    name, seed, start = check_name(body.get("name")), body.get("seed"), body.get("start")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise BadRequest("seed must be an integer")
    if start is not None:
        start = admin._instant(start, "start")
    await registry.create(name, seed, start)
    return json_response(registry.view(name), status=201)


@routes.get("/_sandbox/tenants/{name}")
async def get_tenant(request: web.Request) -> web.Response:
    registry, name = _registry(request), request.match_info["name"]
    await registry.get(name, create=False)
    return json_response(registry.view(name))


@routes.post("/_sandbox/tenants/{name}/reset")
async def reset_tenant(request: web.Request) -> web.StreamResponse:
    """`POST /t/{name}/_sandbox/reset` (same body: seed, start), so it is that World's input
    (kept in its store when durable) like any other reset."""
    name = request.match_info["name"]
    world = await _registry(request).get(name, create=False)
    return await _in_tenant(request, name, world, "/_sandbox/reset")


@routes.delete("/_sandbox/tenants/{name}")
async def delete_tenant(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    await _registry(request).delete(name)
    return json_response({"deleted": name})


def setup(app: web.Application, tenants: Tenants) -> None:
    app[TENANTS] = tenants
    app.add_routes(routes)
    app.router.add_route("*", ROUTE, route_to_tenant)

    async def close_tenants(_app: web.Application) -> None:
        await tenants.close()

    app.on_cleanup.append(close_tenants)
