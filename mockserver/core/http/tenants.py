"""Tenant routing: `/t/{tenant}/...` reaches that tenant's World; `/_sandbox/tenants` manages them
(the registry itself: state/tenants.py).

aiohttp resolves a route before any middleware runs, so `/t/{tenant}/{tail}` is a catch-all route
whose handler clones the request with the tail as its path, resolves the clone on the same router,
marks it with the tenant's World (`world_of` in context.py reads the mark), and runs the matched
handler through the matched apps' middlewares — what `Application._handle` does — so the guard,
the admin and the provider middlewares apply exactly as without the prefix.
"""
from __future__ import annotations

import asyncio
from functools import partial, update_wrapper
from typing import Any

from aiohttp import web

from ..basics.errors import BadRequest, NotFound
from ..state.tenants import NAME, PREFIX, Elsewhere, Tenants, check_name, unavailable
from . import admin, forward
from .context import TENANT_PREFIX, TENANT_WORLD, addressed, own_origin
from .jsonio import json_response, read_json

ROUTE = PREFIX + "/{tenant}/{tail:.*}"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
TAKEOVER_TRIES = 8   # forward, sweep, claim: about 1.4 s of patience for a dead owner's lock to go
TENANTS: web.AppKey = web.AppKey("tenants", Tenants)


async def route_to_tenant(request: web.Request) -> web.StreamResponse:
    """`/t/{tenant}/<rest>` -> `/<rest>` on the tenant's World, through the usual middlewares."""
    name = request.match_info["tenant"]
    if request.get(TENANT_WORLD) is not None:
        raise NotFound("Not found")  # /t/a/t/b/...: tenants do not nest
    if not NAME.match(name):  # before creating anything: a bad name is refused, never stored
        raise BadRequest("a tenant name is 1-40 of a-z, 0-9 and '-', not starting or ending with '-'")
    registry = request.app[TENANTS]
    # the tail as the client spelled it (signatures cover the raw path), query string included
    raw_tail = "/" + request.raw_path.split("/", 3)[3] if request.raw_path.count("/") >= 3 else "/"

    async def here() -> web.StreamResponse:
        world = await registry.enter(name)
        status = 500
        try:
            response = await _in_tenant(request, name, world, raw_tail)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:   # kept only if accepted; holding something once a write is accepted
            await registry.leave(name, accepted=status < 400, wrote=status < 400 and request.method not in READS)
    return await owned(request, here)


async def owned(request: web.Request, here) -> web.StreamResponse:
    """`here()` answers when this process serves the tenant; when another process owns it
    (several on one PostgreSQL store), the request is forwarded there, as it came. An owner
    that does not answer may be gone: the processes that are gone are swept, and the tenant,
    free then, is taken over here."""
    registry = request.app[TENANTS]
    cluster = getattr(registry, "cluster", None)
    if cluster is not None and not cluster.url and own_origin(request):
        await cluster.set_url(own_origin(request))   # embedded (a test server): the first request tells the port
    if cluster is not None:
        wrong = forward.misdirected(request, cluster.id)
        if wrong is not None:
            return wrong
    for attempt in range(TAKEOVER_TRIES):
        try:
            return await here()
        except Elsewhere as there:
            if forward.hops(request) >= forward.MAX_HOPS:
                raise unavailable(there.name, 1) from None
            try:
                return await forward.forward(request, there.url, cluster.db.secret, there.owner)
            except forward.OwnerUnreachable:
                if attempt == TAKEOVER_TRIES - 1:
                    raise unavailable(there.name, registry.cluster.lease / 3) from None
                # gone, most likely: PostgreSQL drops a killed process's lock as soon as it reads
                # the closed connection (milliseconds; longer on a busy machine), then it is free
                await asyncio.sleep(0.05 * attempt)
                await registry.cluster.sweep()
    raise AssertionError("unreachable")


async def _in_tenant(request: web.Request, name: str, world: Any, raw_path: str) -> web.StreamResponse:
    """`request` as if it had come for `raw_path` on tenant `name`'s World."""
    app = request.app
    body = request._read_bytes   # read already when a forward found its owner gone
    request._read_bytes = None   # (aiohttp clones only unread requests; the clone gets the bytes)
    inner = request.clone(rel_url=raw_path)
    request._read_bytes = inner._read_bytes = body
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
    # a tenant named by the Host ({tenant}.{provider}.localhost) keeps its links as they are
    link_prefix = "" if addressed(request)[1] else inner[TENANT_PREFIX]
    try:
        response = await handler(inner)
    except web.HTTPException as exc:  # a redirect stays inside the tenant
        location = exc.headers.get("Location", "")
        if link_prefix and location.startswith("/") and not location.startswith("//"):
            exc.headers["Location"] = link_prefix + location
        raise
    return _tenant_links(response, link_prefix) if link_prefix else response


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

    async def here() -> web.StreamResponse:
        await registry.get(name, create=False)
        return json_response(registry.view(name))
    return await owned(request, here)


@routes.post("/_sandbox/tenants/{name}/reset")
async def reset_tenant(request: web.Request) -> web.StreamResponse:
    """`POST /t/{name}/_sandbox/reset` (same body: seed, start), so it is that World's input
    (kept in its store when durable) like any other reset."""
    name = request.match_info["name"]
    registry = _registry(request)

    async def here() -> web.StreamResponse:
        return await _in_tenant(request, name, await registry.get(name, create=False), "/_sandbox/reset")
    return await owned(request, here)


@routes.delete("/_sandbox/tenants/{name}")
async def delete_tenant(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    registry = _registry(request)

    async def here() -> web.StreamResponse:
        await registry.delete(name)
        return json_response({"deleted": name})
    return await owned(request, here)


def setup(app: web.Application, tenants: Tenants) -> None:
    app[TENANTS] = tenants
    forward.install(app)
    app.add_routes(routes)
    app.router.add_route("*", ROUTE, route_to_tenant)

    async def close_tenants(_app: web.Application) -> None:
        await tenants.close()

    app.on_cleanup.append(close_tenants)
    app.on_cleanup.append(forward.close)
