"""/_sandbox/inbox/{name}: a webhook receiver built into the sandbox, for trying things by hand.

Point a merchant's webhook URL at http://HOST:PORT/_sandbox/inbox/shop?fail=2 and the first two
deliveries to `shop` are answered 500 (so retries can be watched), later ones 200.
"""
from __future__ import annotations

from aiohttp import web

from .errors import BadRequest
from .http import WORLD, json_response, query_int

routes = web.RouteTableDef()
MAX_KEPT = 1000


def _inboxes(request: web.Request) -> dict[str, list[dict]]:
    return request.app[WORLD].inboxes


@routes.post("/_sandbox/inbox/{name}")
async def receive(request: web.Request) -> web.Response:
    fail, status = query_int(request, "fail", 0), query_int(request, "status", 500)
    if not 100 <= status <= 599:
        raise BadRequest("query parameter status must be an HTTP status (100-599)")
    kept = _inboxes(request).setdefault(request.match_info["name"], [])
    body = await request.read()
    answer = status if len(kept) < fail else 200
    kept.append({"received_at": request.app[WORLD].clock.now().isoformat(), "answered": answer,
                 "headers": {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
                 "body": body.decode("utf-8", "replace")})
    del kept[:-MAX_KEPT]
    return web.Response(status=answer, text="OK" if answer == 200 else "failing on purpose")


@routes.get("/_sandbox/inbox/{name}")
async def show(request: web.Request) -> web.Response:
    return json_response(_inboxes(request).get(request.match_info["name"], []))
