"""What a request carries beyond its bytes: the World it works on (its tenant's, or the app's),
the tenant prefix, whether it is a durable World's replayed input, and the origin links start with.

Request keys live here, below every middleware that sets or reads them, so no two edge modules
import each other for a key.
"""
from __future__ import annotations

import functools
from typing import Any

from aiohttp import web
from yarl import URL

WORLD: web.AppKey = web.AppKey("world", object)

# set on a request routed under /t/{tenant}/ (core/state/tenants.py): that tenant's World and prefix
TENANT_WORLD: web.RequestKey = web.RequestKey("tenant_world", object)
TENANT_PREFIX: web.RequestKey = web.RequestKey("tenant_prefix", str)
# a durable World's recorded input, replayed in process (http/durable.py): the guard judged it when it came
REPLAYING: web.RequestKey = web.RequestKey("replaying", bool)


def world_of(request: web.Request) -> Any:
    """The World this request works on: its tenant's, or the app's (the default world)."""
    world = request.get(TENANT_WORLD)
    return world if world is not None else request.app[WORLD]


@functools.lru_cache(maxsize=1024)   # the same few (scheme, Host) pairs recur; yarl is costly
def _origin(scheme: str, host: str) -> str:
    """`request.url.origin()` as aiohttp builds it, from the two parts it depends on."""
    return str(URL.build(scheme=scheme, authority=host).origin())


def public_base(request: web.Request, world: Any) -> str:
    """The origin (and tenant prefix) that links handed to a client start with."""
    return (world.public_url or _origin(request.scheme, request.host)) + request.get(TENANT_PREFIX, "")


def own_origin(request: web.Request) -> str | None:
    """http://HOST:PORT of the socket this request came in on: this sandbox, whatever --port."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return None
    host = str(sockname[0])
    return f"http://[{host}]:{sockname[1]}" if ":" in host else f"http://{host}:{sockname[1]}"
