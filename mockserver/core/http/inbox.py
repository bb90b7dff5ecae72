"""/_sandbox/inbox/{name}: the built-in webhook receiver's routes (what it keeps: webhooks/inbox.py).
`POST` answers by the name's `fail`/`status` query (a receiver failing on purpose), otherwise
acknowledges as the `provider` of the query wants (the outbox adds it), `GET` lists what the name
received."""
from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..basics.errors import BadRequest, SandboxError
from ..webhooks.inbox import Inboxes
from .context import world_of
from .jsonio import json_response, query_int
from .middleware import BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT

routes = web.RouteTableDef()
DROP_HEADERS = ("host", "content-length")
MAX_HEADER_CHARS = 1024


def _inboxes(request: web.Request) -> Inboxes:
    world = world_of(request)
    if not isinstance(world.inboxes, Inboxes):   # a World built without retention settings
        world.inboxes = Inboxes(getattr(world, "retention", None))
    return world.inboxes


async def _read_kept(request: web.Request, keep: int) -> tuple[bytes, int]:
    """The first `keep` bytes of the body and its full size; the rest is read and dropped, all
    within the body deadline every request has."""
    kept = bytearray()
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if len(kept) < keep:
                kept.extend(chunk[:keep - len(kept)])
    timeout = request.config_dict.get(BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)
    try:
        await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise SandboxError(f"Request body not complete within {timeout:g} s", status=408) from None
    except (ConnectionError, HttpProcessingError):
        raise web.HTTPBadRequest() from None   # the sender closed mid-body: nobody to answer
    return bytes(kept), size


def _printable(text: str) -> str:
    """Undecodable header bytes reach aiohttp as lone surrogates; kept as U+FFFD, so the inbox
    page and JSON can always be encoded (GET /_sandbox/ui/inbox answered 500)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@routes.post("/_sandbox/inbox/{name}")
async def receive(request: web.Request) -> web.Response:
    fail, status = query_int(request, "fail", 0), query_int(request, "status", 500)
    if not 100 <= status <= 599:
        raise BadRequest("query parameter status must be an HTTP status (100-599)")
    inboxes = _inboxes(request)
    name = request.match_info["name"]
    if _printable(name) != name:    # "%ED%A0%80" decodes to a lone surrogate no page can show
        raise BadRequest("inbox name must be valid UTF-8")
    body, size = await _read_kept(request, inboxes.body_bytes)
    answer = inboxes.answer(name, fail, status)
    entry = {"received_at": world_of(request).clock.now().isoformat(), "answered": answer,
             "headers": {_printable(k): _printable(v[:MAX_HEADER_CHARS]) for k, v in request.headers.items()
                         if k.lower() not in DROP_HEADERS},
             "body": body.decode("utf-8", "replace"), "size": size}
    if size > len(body):
        entry["truncated"] = True
    inboxes.add(name, entry)
    if answer != 200:
        return web.Response(status=answer, text="failing on purpose")
    # the acknowledgement the delivering provider's rule takes (Alchemy Pay's `success`); the
    # outbox names the provider in the query of every delivery to this inbox
    provider = world_of(request).providers.get(request.query.get("provider", ""))
    return web.Response(status=200, text=getattr(provider, "webhook_ack_body", None) or "OK")


@routes.get("/_sandbox/inbox/{name}")
async def show(request: web.Request) -> web.Response:
    return json_response(_inboxes(request).get(request.match_info["name"], []))
