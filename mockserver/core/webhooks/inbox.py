"""/_sandbox/inbox/{name}: a webhook receiver built into the sandbox, for trying things by hand.

Point a merchant's webhook URL at `inbox:shop?fail=2` (or http://HOST:PORT/_sandbox/inbox/shop?fail=2)
and the first two deliveries to `shop` are answered 500 (so retries can be watched), later ones 200.

Bounded (settings under `retention:`): at most `inbox_names` names (the least recently posted one
is forgotten first), the newest `inbox_per_name` deliveries per name, and the first
`inbox_body_bytes` bytes of each body (`size` records the real length, `truncated` says so).
The body is read in pieces and only the kept part is held: a 1 MiB post costs 64 KiB here.
"""
from __future__ import annotations

from collections import deque

from aiohttp import web

from ..basics.errors import BadRequest
from ..http.middleware import json_response, query_int, world_of
from ..basics.retention import Retention

routes = web.RouteTableDef()
DROP_HEADERS = ("host", "content-length")
MAX_HEADER_CHARS = 1024


class Inboxes:
    def __init__(self, retention: Retention | None = None):
        retention = retention or Retention()
        self.max_names = retention.inbox_names
        self.per_name = retention.inbox_per_name
        self.body_bytes = retention.inbox_body_bytes
        self._boxes: dict[str, deque[dict]] = {}
        self._received: dict[str, int] = {}   # deliveries ever received per kept name (for ?fail=N)

    def box(self, name: str) -> deque[dict]:
        """The name's box, made most recently used; the least recently used name goes past the cap."""
        box = self._boxes.pop(name, None)
        if box is None:
            box = deque(maxlen=self.per_name)
            while len(self._boxes) >= self.max_names:
                oldest = next(iter(self._boxes))
                del self._boxes[oldest]
                self._received.pop(oldest, None)
        self._boxes[name] = box
        return box

    def received(self, name: str) -> int:
        return self._received.get(name, 0)

    def add(self, name: str, entry: dict) -> None:
        self.box(name).append(entry)
        self._received[name] = self._received.get(name, 0) + 1

    def get(self, name: str, default=None):
        box = self._boxes.get(name)
        return list(box) if box is not None else default

    def names(self) -> list[str]:
        """Kept names, least recently posted first."""
        return list(self._boxes)

    def __len__(self) -> int:
        return len(self._boxes)

    def __contains__(self, name: str) -> bool:
        return name in self._boxes


def _inboxes(request: web.Request) -> Inboxes:
    world = world_of(request)
    if not isinstance(world.inboxes, Inboxes):   # a World built without retention settings
        world.inboxes = Inboxes(getattr(world, "retention", None))
    return world.inboxes


async def _read_kept(request: web.Request, keep: int) -> tuple[bytes, int]:
    """The first `keep` bytes of the body and its full size; the rest is read and dropped."""
    kept = bytearray()
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if len(kept) < keep:
            kept += chunk[:keep - len(kept)]
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
    answer = status if inboxes.received(name) < fail else 200
    entry = {"received_at": world_of(request).clock.now().isoformat(), "answered": answer,
             "headers": {_printable(k): _printable(v[:MAX_HEADER_CHARS]) for k, v in request.headers.items()
                         if k.lower() not in DROP_HEADERS},
             "body": body.decode("utf-8", "replace"), "size": size}
    if size > len(body):
        entry["truncated"] = True
    inboxes.add(name, entry)
    return web.Response(status=answer, text="OK" if answer == 200 else "failing on purpose")


@routes.get("/_sandbox/inbox/{name}")
async def show(request: web.Request) -> web.Response:
    return json_response(_inboxes(request).get(request.match_info["name"], []))
