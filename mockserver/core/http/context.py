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
# set on a request another sandbox process forwarded (http/forward.py): (client address, hops)
FORWARDED_PEER: web.RequestKey = web.RequestKey("forwarded_peer", tuple)
# set by http/origins.py on a request that came to a provider's own origin: "provider=NAME[; tenant=T]"
VIA_HEADER = "X-Sandbox-Via"


def world_of(request: web.Request) -> Any:
    """The World this request works on: its tenant's, or the app's (the default world)."""
    world = request.get(TENANT_WORLD)
    return world if world is not None else request.app[WORLD]


@functools.lru_cache(maxsize=1024)   # the same few (scheme, Host) pairs recur; yarl is costly
def _origin(scheme: str, host: str) -> str:
    """`request.url.origin()` as aiohttp builds it, from the two parts it depends on."""
    return str(URL.build(scheme=scheme, authority=host).origin())


@functools.lru_cache(maxsize=256)
def _parse_via(value: str) -> tuple[str | None, str | None]:
    fields = dict(part.strip().partition("=")[::2] for part in value.split(";"))
    return fields.get("provider") or None, fields.get("tenant") or None


def addressed(request: web.Request) -> tuple[str | None, str | None]:
    """(the provider whose own origin this request came to, the tenant its Host named); both
    None on the main origin (see http/origins.py)."""
    via = request.headers.get(VIA_HEADER)
    return _parse_via(via) if via else (None, None)


def public_base(request: web.Request, world: Any) -> str:
    """The origin (and tenant prefix) that links handed to a client start with: the origin the
    request came in on, a provider's own included (public_url stands for the main one)."""
    provider, host_tenant = addressed(request)
    origin = _origin(request.scheme, request.host) if provider or not world.public_url else world.public_url
    return origin if host_tenant else origin + request.get(TENANT_PREFIX, "")


def provider_base(request: web.Request, world: Any, prefix: str) -> str:
    """Where a provider's own links start: its mount `prefix` on the main origin, nothing on its
    own origin (where its real paths are served)."""
    return public_base(request, world) + ("" if addressed(request)[0] else prefix)


def own_origin(request: web.Request) -> str | None:
    """http://HOST:PORT of the socket this request came in on: this sandbox, whatever --port."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return None
    host = str(sockname[0])
    return f"http://[{host}]:{sockname[1]}" if ":" in host else f"http://{host}:{sockname[1]}"


def peer_host(request: web.Request) -> str | None:
    """The client's address: the socket's peer, or, for a request another sandbox process
    forwarded, the address that process saw (http/forward.py)."""
    forwarded = request.get(FORWARDED_PEER)
    if forwarded and forwarded[0]:
        return forwarded[0]
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if isinstance(peer, (tuple, list)) and peer else None
