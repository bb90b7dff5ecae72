"""/_sandbox/* : the admin API. JSON in, JSON out; errors as {"error": {"message", "status"}}.

Routes that change facts (simulate, advance, redeliver) run what became due before answering,
so a caller sees the webhooks they caused in the same response's aftermath.
"""
from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ..time.clock import check_instant, utc
from ..time.durations import format_duration, parse_duration
from ..basics.errors import BadRequest, NotFound, SandboxError
from ..webhooks.targets import inbox_named
from .guard import GUARD, mask_secrets
from ..state.settings import check_merchant_keys, check_merchant_settings
from .context import public_base, world_of
from .jsonio import json_response, query_int, read_json, render_admin_error
from .origins import main_origin, provider_origins
from .middleware import provider_middleware
from ..contracts.messages import show

routes = web.RouteTableDef()


def _world(request: web.Request):
    return world_of(request)


def _provider(request: web.Request, name: str):
    world = _world(request)
    if name not in world.providers:
        raise NotFound(f"unknown provider {show(name)}; known: {', '.join(sorted(world.providers))}")
    return world.providers[name]


def _instant(value, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 instant") from None
    try:
        return check_instant(moment, name)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _later(world, duration, name: str, base: datetime | None = None) -> datetime:
    """`base` (default now) + a duration, or a 400 in the admin shape (bad text, past year 9999)."""
    try:
        return check_instant((base or world.clock.now()) + parse_duration(duration), name)
    except OverflowError:
        raise BadRequest(f"{name} reaches past the last instant the clock can show") from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    except OverflowError:
        raise BadRequest(f"{name} reaches past year 9999") from None


def _seed_view(world) -> dict:
    """The seed in use, and whether a reset without a seed keeps it (`seed_fixed`) or draws anew."""
    return {"seed": world.seed, "seed_fixed": world.fixed_seed is not None}


def _clock_view(world) -> dict:
    nxt = world.scheduler.next_due()
    return {**world.clock.describe(), **_seed_view(world),
            "start": world.start.isoformat() if world.start else None,
            "elapsed": format_duration(world.clock.now() - world.start) if world.start else None,
            "next_event_at": nxt.isoformat() if nxt else None, "pending_events": len(world.scheduler)}


@routes.get("/_sandbox/health")
async def health(request: web.Request) -> web.Response:
    world = _world(request)
    return json_response({"status": "ok", "seed": world.seed, "clock": world.clock.describe(),
                          "providers": sorted(world.providers),
                          "contracts": {name: world.contracts(name).describe() for name in sorted(world.providers)},
                          "self_violations": len(world.self_violations)})


@routes.get("/_sandbox/clock")
async def clock(request: web.Request) -> web.Response:
    return json_response(_clock_view(_world(request)))


@routes.post("/_sandbox/clock/advance")
async def advance(request: web.Request) -> web.Response:
    world = _world(request)
    body = await read_json(request, required=False)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object like {\"by\": \"5m\"} or {\"to\": \"<ISO 8601>\"}")
    if "to" in body:
        target = _instant(body["to"], "'to'")
        if target < world.clock.now():
            raise BadRequest("the clock does not go backwards")
    else:
        # beyond every advance already asked for: concurrent advances add up, none is lost
        target = _later(world, body.get("by", request.query.get("by", "0s")), "the clock",
                        base=world.scheduler.target)
    ran = await world.scheduler.run_until(target)
    world.journal.record("clock.advance", None, to=world.clock.now().isoformat(), events=ran)
    return json_response({**_clock_view(world), "events_run": ran})


@routes.post("/_sandbox/clock/run")
async def run_until_quiet(request: web.Request) -> web.Response:
    world = _world(request)
    body = await read_json(request, required=False)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    horizon = _later(world, body.get("horizon", "30d"), "horizon") - world.clock.now()
    ran = await world.scheduler.run_until_quiet(horizon)
    world.journal.record("clock.run", None, to=world.clock.now().isoformat(), events=ran)
    return json_response({**_clock_view(world), "events_run": ran})


@routes.get("/_sandbox/providers")
async def providers(request: web.Request) -> web.Response:
    world = _world(request)
    origin = main_origin(request, world)
    out = {}
    for name, provider in world.providers.items():
        backend = world.backend(name)
        real_base = provider.api_base[len(provider.prefix):]
        own = provider_origins(request, name)
        out[name] = {**provider.describe(backend.merchants[0] if backend.merchants else {}, origin),
                     "origins": own, "origin_base_urls": [o + real_base for o in own],
                     "merchants": backend.merchants, "simulations": sorted(provider.simulations)}
    guard = request.app.get(GUARD)
    if guard is not None and not guard.authorized(request):  # secrets only to the token holder
        out = mask_secrets(out)
    return json_response(out)


def _check_settings(current: dict, changes: dict) -> None:
    """A string setting (credentials, URLs) stays a string or null: `{"api_key": [1]}` was
    stored, and every later call of that merchant answered 500. Other settings are the
    provider's to check where it uses them."""
    for key, value in changes.items():
        before = current.get(key)
        if isinstance(before, str) and value is not None and not isinstance(value, str):
            raise BadRequest(f"{key} must be a string, like its current value")


@routes.patch("/_sandbox/providers/{provider}/merchant")
async def update_merchant(request: web.Request) -> web.Response:
    provider = _provider(request, request.match_info["provider"])
    backend = _world(request).backend(provider.name)
    index = query_int(request, "index", 0)
    if index >= len(backend.merchants):
        raise NotFound(f"merchant index {index} out of range")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object of merchant settings")
    _check_settings(backend.merchants[index], body)
    # Everything is checked on a copy first: a refused PATCH changes nothing.
    candidate = {**backend.merchants[index], **body}
    try:
        check_merchant_keys(provider, body)   # a typo or a wrong type is refused, not ignored
        check_merchant_settings(candidate, body, _world(request).allow_external_webhooks)
        provider.check_merchant(candidate)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    backend.merchants[index].update(candidate)
    world = _world(request)
    for key, value in body.items():   # an inbox named anew counts its ?fail=N from here
        name = inbox_named(value, world.origin) if key.endswith("url") else None
        if name is not None:
            world.inboxes.restart(name)
    return json_response(backend.merchants[index])


@routes.post("/_sandbox/simulate/{provider}/{action}")
async def simulate(request: web.Request) -> web.Response:
    world = _world(request)
    provider = _provider(request, request.match_info["provider"])
    action = request.match_info["action"]
    handler = provider.simulations.get(action)
    if handler is None:
        raise NotFound(f"{provider.name} has no simulation {action!r}; "
                       f"known: {', '.join(sorted(provider.simulations))}")
    params = await read_json(request, required=False)
    if not isinstance(params, dict):
        raise BadRequest("body must be a JSON object")
    result = await handler(world, world.backend(provider.name), params)
    world.journal.record("simulate", provider.name, action=action,
                         ref=str(params.get("invoice") or params.get("target") or "") or None)
    await world.scheduler.settle()
    return json_response(result)


@routes.get("/_sandbox/objects")
async def objects(request: web.Request) -> web.Response:
    """Every provider object (or one provider's: ?provider=), oldest first, as the dashboard lists
    them: kind, id, status, reference (the merchant's own id), created. How a runner or certify sees
    what a merchant's app created through a provider's API."""
    world = _world(request)
    names = [_provider(request, request.query["provider"]).name] if "provider" in request.query else list(world.providers)
    found = []
    for name in names:
        summaries = world.providers[name].objects(world.backend(name))
        found += [{"provider": name, **{k: s.get(k) for k in ("kind", "id", "status", "reference", "created")}}
                  for s in summaries]
    found.sort(key=lambda s: s["created"] or "")
    return json_response(found)


@routes.get("/_sandbox/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    world = _world(request)
    q = request.query
    found = world.outbox.list(provider=q.get("provider"), status=q.get("status"),
                              event=q.get("event"), ref=q.get("ref"))
    limit = query_int(request, "limit")
    if limit:
        found = found[-limit:]
    return json_response([d.to_dict() for d in found])


def _delivery(request: web.Request):
    delivery = _world(request).outbox.get(request.match_info["delivery_id"])
    if delivery is None:
        raise NotFound("unknown delivery")
    return delivery


@routes.get("/_sandbox/deliveries/{delivery_id}")
async def delivery(request: web.Request) -> web.Response:
    return json_response(_delivery(request).to_dict())


@routes.post("/_sandbox/deliveries/{delivery_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    world = _world(request)
    found = _delivery(request)
    world.outbox.redeliver(found)
    await world.scheduler.settle()
    return json_response(found.to_dict())


@routes.get("/_sandbox/journal")
async def journal(request: web.Request) -> web.Response:
    world = _world(request)
    q = request.query
    return json_response(world.journal.query(
        provider=q.get("provider"), kind=q.get("kind"), ref=q.get("ref"),
        since=query_int(request, "since", 0), limit=query_int(request, "limit")))


EXPORT_CHUNK = 64 * 1024


@routes.get("/_sandbox/journal/export")
async def journal_export(request: web.Request) -> web.StreamResponse:
    """Streamed (chunked) in ~64 KiB pieces: the whole export is never one string in memory."""
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    buffer: list[str] = []
    size = 0
    for line in _world(request).journal.export_lines():
        buffer.append(line)
        size += len(line)
        if size >= EXPORT_CHUNK:
            await response.write("".join(buffer).encode("utf-8"))
            buffer, size = [], 0
    if buffer:
        await response.write("".join(buffer).encode("utf-8"))
    await response.write_eof()
    return response


@routes.get("/_sandbox/violations")
async def violations(request: web.Request) -> web.Response:
    """Places where the sandbox's own output broke its contracts (should always be empty)."""
    return json_response(_world(request).self_violations)


@routes.get("/_sandbox/openapi/{provider}.json")
async def openapi_document(request: web.Request) -> web.Response:
    """OpenAPI 3.1 of one provider, generated from its routes and contracts (core/contracts/openapi.py)."""
    name = request.match_info["provider"]
    _provider(request, name)
    world = _world(request)
    origin = public_base(request, world)
    from ..contracts.openapi import spec_for   # here, not at start-up: only this route needs it
    return json_response(spec_for(request.app, world, name, origin))


@routes.post("/_sandbox/reset")
async def reset(request: web.Request) -> web.Response:
    world = _world(request)
    body = await read_json(request, required=False)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object: optional seed (integer), start (ISO 8601)")
    # optional: a scenario replays from its own seed (this once: a later reset without one goes
    # back to the fixed seed, or draws a fresh one) and start instant (kept for later resets)
    seed, start = body.get("seed"), body.get("start")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise BadRequest("seed must be an integer")
    if start is not None:
        start = _instant(start, "start")
    world.start = world.start if start is None else start
    await world.reset(seed)
    return json_response({"status": "reset", **_seed_view(world), "clock": world.clock.describe()})


@routes.post("/_sandbox/faults")
async def add_fault(request: web.Request) -> web.Response:
    world = _world(request)
    from ..contracts.openapi import mounted_routes   # here, not at start-up: the route table's reader
    fault = world.faults.add(await read_json(request), world.providers,
                             lambda name: mounted_routes(request.app, world.providers[name].prefix))
    world.journal.record("fault.added", fault.provider, fault=fault.view())
    return json_response(fault.view(), status=201)


@routes.get("/_sandbox/faults")
async def list_faults(request: web.Request) -> web.Response:
    return json_response({"faults": _world(request).faults.list()})


@routes.delete("/_sandbox/faults")
async def clear_faults(request: web.Request) -> web.Response:
    world = _world(request)
    cleared = world.faults.clear()
    world.journal.record("fault.cleared", None, cleared=cleared)
    return json_response({"cleared": cleared})


@routes.delete("/_sandbox/faults/{fault_id}")
async def remove_fault(request: web.Request) -> web.Response:
    world = _world(request)
    fault_id = request.match_info["fault_id"]
    if not world.faults.remove(fault_id):
        raise NotFound(f"no fault {show(fault_id[:64])}")
    world.journal.record("fault.cleared", None, fault=fault_id, cleared=1)
    return json_response({"cleared": 1})


def admin_middleware():
    return provider_middleware("_sandbox", render_admin_error, journal=False, root=True)
