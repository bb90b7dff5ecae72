"""Dashboard pages under /_sandbox/ui/ (so the admin guard's rules cover them), `/` leading there.

Pages are rendered whole on a visit; the live refresh fetches the same URL asking for its
`live` block only (render.PARTIAL_HEADER) whenever /_sandbox/ui/events says the World changed.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web

from ..core.basics.errors import BadRequest, NotFound
from ..core.contracts.messages import show
from ..core.http.jsonio import json_response
from . import data
from .panel import simulate_panel
from .render import page

routes = web.RouteTableDef()
UI = "/_sandbox/ui"
POLL_SECONDS = 0.2        # how often an open event stream looks for a change (cheap: three reads)
STREAM_SECONDS = 300      # a stream ends after this; EventSource reconnects by itself
CLOSING: web.AppKey = web.AppKey("dashboard_closing", dict)


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound(UI + "/")


@routes.get(UI)
async def ui_bare(request: web.Request) -> web.Response:
    raise web.HTTPFound(UI + "/")


@routes.get(UI + "/")
async def overview(request: web.Request) -> web.Response:
    world = data.world_of(request)
    return page(request, "overview.html", clock=data.clock(world), seed=world.seed,
                providers=data.providers(request), mode=world.clock_mode)


@routes.get(UI + "/p/{provider}")
async def objects(request: web.Request) -> web.Response:
    world, provider = data.world_of(request), data.provider_of(request)
    q = request.query
    filters = {"kind": q.get("kind", ""), "status": q.get("status", ""), "text": q.get("q", "")}
    rows, kinds, statuses = data.objects(world, provider, **filters)
    return page(request, "objects.html", provider=provider, rows=rows, kinds=kinds,
                statuses=statuses, filters=filters, filtered=data.filter_text(filters),
                verbs=data.provider_verbs(provider),
                clock=data.clock(world))


def _object(request: web.Request):
    """(world, provider, the object's dashboard view) named by the path, or a 404."""
    world, provider = data.world_of(request), data.provider_of(request)
    kind, object_id = request.match_info["kind"], request.match_info["object_id"]
    view = provider.object_view(world.backend(provider.name), kind, object_id)
    if view is None:
        raise NotFound(f"{provider.name} has no {kind[:40]} {show(object_id)}")
    return world, provider, view


@routes.get(UI + "/p/{provider}/{kind}/{object_id}")
async def object_detail(request: web.Request) -> web.Response:
    world, provider, view = _object(request)
    return page(request, "object.html", provider=provider, view=view,
                expires_in=data.until(world, view.get("expires_at")),
                timeline=data.timeline(world, view), clock=data.clock(world),
                verbs=data.object_verbs(provider, view), transfers=data.chain_transfers(world, view),
                networks=data.chain_networks())


@routes.get(UI + "/panel/{provider}/{kind}/{object_id}")
async def hosted_panel(request: web.Request) -> web.Response:
    """The fragment a hosted page's sandbox slot is filled with (Provider.sandbox_panel)."""
    _world, provider, view = _object(request)
    return web.Response(text=simulate_panel(provider, view), content_type="text/html",
                        headers={"Cache-Control": "no-store"})


@routes.get(UI + "/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    world = data.world_of(request)
    q = request.query
    filters = {k: q.get(k, "") for k in ("provider", "event", "status")}
    found = world.outbox.list(**{k: v or None for k, v in filters.items()})
    every = world.outbox.list()
    return page(request, "deliveries.html", rows=[d.to_dict(with_body=False) for d in reversed(found)],
                filters=filters, clock=data.clock(world),
                choices={"provider": sorted(world.providers),
                         "event": sorted({d.event for d in every}),
                         "status": ["pending", "delivered", "exhausted", "failed"]})


def _delivery(request: web.Request):
    delivery = data.world_of(request).outbox.get(request.match_info["delivery_id"])
    if delivery is None:
        raise NotFound("unknown delivery")
    return delivery


@routes.get(UI + "/deliveries/{delivery_id}")
async def delivery_detail(request: web.Request) -> web.Response:
    world = data.world_of(request)
    return page(request, "delivery.html", d=data.delivery_view(world, _delivery(request)),
                clock=data.clock(world))


@routes.post(UI + "/deliveries/{delivery_id}/tampered")
async def send_tampered(request: web.Request) -> web.Response:
    """POST a copy with one value changed and the original signature, once, outside the retry
    schedule: the merchant's handler should refuse it."""
    world = data.world_of(request)
    delivery = _delivery(request)
    if not delivery.url:
        raise BadRequest("the delivery has no URL to send to")
    provider = world.providers.get(delivery.provider)
    merchants = [world.backend(delivery.provider).merchants[i] for i in data.verifies(world, delivery) or []]

    def still_valid(candidate: bytes) -> bool:
        return any(provider.verify_webhook(m, dict(delivery.headers), candidate) for m in merchants)

    body, changed = data.tampered(delivery.body, still_valid)
    headers = {**delivery.headers, "Content-Type": delivery.headers.get("Content-Type", "application/json")}
    session = await world.outbox.session(delivery.source_address)
    started = time.perf_counter()
    try:
        async with session.post(delivery.url, data=body, headers=headers,
                                timeout=aiohttp_timeout(delivery.timeout)) as resp:
            excerpt = (await resp.content.read(2048)).decode("utf-8", "replace")
            status, error = resp.status, None
    except (OSError, asyncio.TimeoutError, ValueError) as exc:   # aiohttp's errors are OSErrors
        status, error, excerpt = None, f"{type(exc).__name__}: {exc}", ""
    latency = round((time.perf_counter() - started) * 1000, 2)
    world.journal.record("webhook.tampered", delivery.provider, delivery=delivery.id,
                         ref=delivery.ref, changed=changed, status=status, error=error)
    return json_response({"delivery": delivery.id, "changed": changed, "status": status,
                          "error": error, "latency_ms": latency, "response_excerpt": excerpt,
                          "accepted": status is not None and 200 <= status < 300})


def aiohttp_timeout(seconds: float):
    import aiohttp
    return aiohttp.ClientTimeout(total=seconds)


@routes.get(UI + "/journal")
async def journal(request: web.Request) -> web.Response:
    world = data.world_of(request)
    q = request.query
    filters = {k: q.get(k, "") for k in ("provider", "kind", "ref")}
    entries = world.journal.query(**{k: v or None for k, v in filters.items()}, limit=500)
    violations = world.journal.query(kind="contract", limit=200)
    api_violations = [e for e in world.journal.query(kind="api", limit=2000) if e.get("violation")]
    return page(request, "journal.html", entries=list(reversed(entries)), filters=filters,
                providers=sorted(world.providers), clock=data.clock(world),
                describe=data.describe_entry, self_violations=world.self_violations,
                violations=list(reversed(violations + api_violations))[:200])


@routes.get(UI + "/inbox")
async def inbox(request: web.Request) -> web.Response:
    world = data.world_of(request)
    names = world.inboxes.names()
    name = request.query.get("name") or (names[-1] if names else "")
    entries = list(reversed(world.inboxes.get(name, []))) if name else []
    return page(request, "inbox.html", names=names, name=name, entries=entries,
                clock=data.clock(world), pretty=data.pretty_body)


def _version(world) -> str:
    """Changes whenever anything a page shows may have changed (journal, clock, a reset)."""
    clock = world.clock.now().isoformat() if world.clock_mode == "virtual" else ""
    return f"{id(world.journal)}:{world.journal.last_seq}:{clock}:{len(world.scheduler)}"


@routes.get(UI + "/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `change` with a new version whenever the World changed. A client that
    does not ask for an event stream gets the current version as JSON."""
    world = data.world_of(request)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return json_response({"version": _version(world)})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store"})
    await response.prepare(request)
    closing = request.app.get(CLOSING, {})
    last, deadline = None, time.monotonic() + STREAM_SECONDS
    try:
        await response.write(b"retry: 1000\n\n")
        while time.monotonic() < deadline and not closing.get("closed") \
                and request.transport is not None and not request.transport.is_closing():
            world = data.world_of(request)
            version = _version(world)
            if version != last:
                await response.write(f"event: change\ndata: {version}\n\n".encode())
                last = version
            await asyncio.sleep(POLL_SECONDS)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def close_streams(app: web.Application) -> None:
    """On shutdown, open event streams end within one poll instead of holding the server up."""
    app[CLOSING]["closed"] = True


routes.static(UI + "/static", Path(__file__).parent / "static")
