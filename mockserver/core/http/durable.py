"""A durable World at the HTTP edge: each input recorded (and committed) before it is answered,
and replayed through the same application, in process, on restart (see state/durability.py for
what is kept and why inputs, not snapshots).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from ..state.store import Input, LeaseLost
from ..time.clock import Clock
from ..basics.errors import SandboxError
from .context import REPLAYING, TENANT_PREFIX, TENANT_WORLD, peer_host, world_of
from .middleware import ClientGone, read_body

if TYPE_CHECKING:
    from ..state.world import World

log = logging.getLogger(__name__)

READS = frozenset({"GET", "HEAD", "OPTIONS"})
INBOX_ROUTE = "/_sandbox/inbox/{name}"   # the built-in receiver: a webhook's target, not an input
# /t/{tenant}/...: recorded once routed, by the tenant's World; the registry's routes are no World's input
NOT_INPUTS = ("/t/{tenant}/", "/_sandbox/tenants")
ADMIN_CREDENTIALS = frozenset({"authorization", "x-sandbox-token", "cookie"})
REPLAY_SLICE = 8    # inputs replayed between two turns of the event loop (other requests, lease renewals)


def _recordable(request: web.Request) -> bool:
    if len(request.match_info.apps) > 1:   # routed into a provider's sub-application
        return True
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    canonical = getattr(resource, "canonical", "") or ""
    return (request.method not in READS and canonical != INBOX_ROUTE
            and not canonical.startswith(NOT_INPUTS))


def _headers(request: web.Request) -> list[tuple[str, str]]:
    admin = not len(request.match_info.apps) > 1
    # latin-1 keeps every byte as sent; the admin token is not kept (the guard judged it already)
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers
            if not (admin and k.decode("latin-1").lower() in ADMIN_CREDENTIALS)]


@web.middleware
async def durable_middleware(request: web.Request, handler):
    world = world_of(request)
    durability = world.durability
    if durability is None or request.get(REPLAYING) or not _recordable(request):
        return await handler(request)
    declared = request.content_length
    if declared is not None and declared > request._client_max_size:
        return await handler(request)   # refused (413 in the provider's shape): nothing to keep
    try:
        body = await read_body(request)
    except (SandboxError, ClientGone, web.HTTPRequestEntityTooLarge):
        return await handler(request)   # refused by the provider middleware: nothing to keep
    virtual, wall, seq = world.clock.now(), world.clock.wall_now(), durability.next_seq()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        try:
            await durability.store.append_input(Input(
                # undecodable bytes in a path (refused anyway) must not stop the row being written
                seq, request.method, request.raw_path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                _headers(request), body, peer_host(request), virtual.isoformat(), wall.isoformat(), status))
        except LeaseLost:
            # a shared store (core/state/cluster.py): another process took the tenant over
            # while this request ran; nothing of it is kept, and the client asks again
            raise web.HTTPServiceUnavailable(
                text='{"error": "this tenant moved to another sandbox process; retry"}',
                content_type="application/json", headers={"Retry-After": "1"}) from None


def _mocked(app: web.Application, item: Input) -> web.Request:
    from unittest import mock   # start-up only: the replay builds requests without a socket

    from aiohttp.streams import StreamReader
    from aiohttp.test_utils import make_mocked_request
    from multidict import CIMultiDict

    protocol = mock.Mock(_reading_paused=False)
    payload = StreamReader(protocol, 2 ** 16, loop=asyncio.get_running_loop())
    payload.feed_data(item.body)
    payload.feed_eof()
    transport = mock.Mock()
    peer = (item.remote, 0) if item.remote else None
    transport.get_extra_info.side_effect = lambda key, default=None: peer if key == "peername" else default
    headers = CIMultiDict((k.encode("latin-1").decode("utf-8", "replace"),
                           v.encode("latin-1").decode("utf-8", "replace")) for k, v in item.headers)
    request = make_mocked_request(item.method, item.path, headers=headers, app=app, payload=payload,
                                  transport=transport, client_max_size=app._client_max_size)
    request[REPLAYING] = True
    return request


async def replay(app: web.Application, world: "World", tenant_prefix: str | None = None) -> int:
    """Bring a freshly built World to where its store says it was; returns the inputs replayed.
    A tenant's World (`tenant_prefix`, e.g. "/t/a") replays its inputs as routed to it."""
    durability = world.durability
    items = await durability.store.inputs()
    durability.replay_from(await durability.store.outcomes())
    app.freeze()   # the middleware chains are built at freeze; serving would freeze it next anyway
    try:
        for number, item in enumerate(items):
            if number % REPLAY_SLICE == REPLAY_SLICE - 1:
                # a long history replays for seconds: let the loop breathe (a shared store's lease
                # renewal must not wait for a takeover's replay, core/state/cluster.py)
                await asyncio.sleep(0)
            world.clock.hold()   # a realtime clock moves only to each input's instant (a reset makes a new one)
            at = datetime.fromisoformat(item.virtual)
            if at > world.clock.now():
                await world.scheduler.run_until(at)
            Clock.replay_wall = datetime.fromisoformat(item.wall)
            try:
                request = _mocked(app, item)
                if tenant_prefix is not None:
                    request[TENANT_WORLD], request[TENANT_PREFIX] = world, tenant_prefix
                await app._handle(request)
            except web.HTTPException:
                pass
            except Exception:  # noqa: BLE001 - one input that fails now must not stop the rest
                log.exception("replaying %s %s failed", item.method, item.path)
        Clock.replay_wall = None
        if items and world.clock.held:
            # a realtime clock kept running while the process was down: catch up, answering the
            # POSTs it made before it stopped from the store
            last = items[-1]
            down = Clock.wall_now() - datetime.fromisoformat(last.wall)
            await world.scheduler.run_until(max(world.clock.now(),
                                                datetime.fromisoformat(last.virtual) + down * world.speed))
        await world.scheduler.settle()   # the last inputs' webhook POSTs, answered from the store
    finally:
        Clock.replay_wall = None
        world.clock.release()
        durability.replay_done()
    return len(items)
