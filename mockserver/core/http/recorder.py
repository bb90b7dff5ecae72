"""Every input of a World kept since its last reset (state/recording.py), for
`GET /_sandbox/recording`: the same inputs durable state keeps (http/durable.py), in memory.

Numbered when they arrive, before the handler runs: a handler changes the World before its first
wait, so arrival order is the order the World changed in (see state/durability.py). The body is
taken after the handler, from what it (or the provider middleware, which reads ahead) read.
"""
from __future__ import annotations

from aiohttp import web

from .context import REPLAYING, world_of
from .durable import INBOX_ROUTE, NOT_INPUTS, READS
from ..state.recording import RecordedInput


def _input_of(request: web.Request) -> bool:
    if len(request.match_info.apps) > 1:   # routed into a provider's sub-application: any method
        return True
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    canonical = getattr(resource, "canonical", "") or ""
    return (request.method not in READS and canonical != INBOX_ROUTE
            and not canonical.startswith(NOT_INPUTS))


@web.middleware
async def recording_middleware(request: web.Request, handler):
    if not _input_of(request):
        return await handler(request)
    world = world_of(request)
    recording = world.recording   # this reset's: a reset during the handler starts a new one
    item = RecordedInput(request.method, request.raw_path, request.raw_headers, request.remote,
                         world.clock.now(), world.journal.last_seq, len(request.match_info.apps) > 1)
    if not recording.add(item):
        return await handler(request)
    status = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        transport = request.transport
        if not request.get(REPLAYING) and (transport is None or transport.is_closing()):
            status = None   # the connection was dropped (a reset or timeout fault): no answer
        recording.answered(item, request._read_bytes or b"", status, world.journal.last_seq,
                           world.clock.now())
