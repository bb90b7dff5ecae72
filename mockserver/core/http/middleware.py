"""HTTP plumbing shared by every provider sub-application: error rendering, journal, JSON I/O.

The middleware is the one place where any failure becomes the provider's own error shape, so a
handler never has to think about malformed bodies, oversize requests or unknown routes.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import time
from decimal import Decimal
from typing import Any, Callable

from aiohttp import web
from yarl import URL

from . import faults
from ..basics.errors import BadRequest, ContractViolation, NotFound, SandboxError

log = logging.getLogger(__name__)

WORLD: web.AppKey = web.AppKey("world", object)

ErrorRenderer = Callable[[SandboxError], web.Response]
# set on a request routed under /t/{tenant}/ (core/state/tenants.py): that tenant's World and prefix
TENANT_WORLD: web.RequestKey = web.RequestKey("tenant_world", object)
TENANT_PREFIX: web.RequestKey = web.RequestKey("tenant_prefix", str)


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


MAX_EXPONENT = 1000  # no amount anywhere needs more; 1e999999 would only cost time and memory


def bounded_decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"number out of range: {text[:40]}")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def reject_lone_surrogates(text: str, value: Any) -> Any:
    """`value` parsed from `text`, or ValueError when a string in it holds a lone surrogate
    (`"\\ud800"`): valid JSON text, but no UTF-8 can carry it, so every later encode would fail."""
    if not _SURROGATE_ESCAPE.search(text):
        return value
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone UTF-16 surrogate") from None
    return value


def parse_json(raw: bytes, *, parse_float: Callable[[str], Any] = bounded_decimal, **kw: Any) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no lone surrogates in strings, floats as Decimal of
    sane magnitude unless told otherwise."""
    try:
        text = raw.decode("utf-8")
        return reject_lone_surrogates(
            text, json.loads(text, parse_float=parse_float, parse_constant=_reject_constant, **kw))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequest(f"Malformed JSON body: {exc.__class__.__name__}") from None


def ascii_header(headers, name: str) -> str | None:
    """A request header's value, "" when absent, None when it holds anything but ASCII.

    aiohttp hands undecodable header bytes over as surrogate escapes (`\\xe9` -> "\\udce9"), which
    no `.encode()` or `hmac.compare_digest` accepts; a credential is ASCII in every provider, so
    callers answer None with their own 401."""
    value = headers.get(name, "")
    return value if value.isascii() else None


async def read_json(request: web.Request, *, required: bool = True, **kw: Any) -> Any:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise BadRequest("Request body is required")
        return {}
    return parse_json(raw, **kw)


def query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    """A non-negative integer query parameter, or BadRequest naming it."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name} must be an integer") from None
    if value < 0:
        raise BadRequest(f"query parameter {name} must not be negative")
    return value


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        if not obj.is_finite() or abs(obj.adjusted()) > 300:
            return str(obj)  # no JSON number can carry it faithfully; never Infinity
        if obj.as_tuple().exponent >= 0:
            return int(obj)
        return float(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(payload: Any) -> str:
    """JSON any client parses: no Infinity/NaN (JavaScript's JSON.parse and Go refuse them)."""
    return json.dumps(payload, default=_default, ensure_ascii=False, allow_nan=False)


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(text=dumps(payload), status=status, headers=headers,
                        content_type="application/json")


def own_origin(request: web.Request) -> str | None:
    """http://HOST:PORT of the socket this request came in on: this sandbox, whatever --port."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return None
    host = str(sockname[0])
    return f"http://[{host}]:{sockname[1]}" if ":" in host else f"http://{host}:{sockname[1]}"


def provider_middleware(provider: str, render_error: ErrorRenderer, *, journal: bool = True):
    """Turn every failure into `render_error`'s shape and journal every exchange."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        world = world_of(request)
        if world.origin is None:    # `inbox:NAME` webhook targets need this sandbox's own address
            origin = own_origin(request)     # (inside a tenant: the tenant's, so its own inbox)
            world.origin = origin and origin + request.get(TENANT_PREFIX, "")
        violation = None
        started = time.perf_counter()
        fault = world.faults.match(provider, world.providers[provider].api_base, request) \
            if journal and world.faults.rules else None
        if fault is not None:
            world.journal.record("fault", provider, method=request.method, path=request.path_qs,
                                 fault=fault.id, effect=fault.kind or "latency", status=fault.status)
            response = await faults.apply(fault, request, render_error)
            if response is not None:  # the handler never runs: a faulted call changes nothing
                return response
        try:
            response = await handler(request)
        except SandboxError as err:
            response = render_error(err)
            response.headers.update(err.headers)
            if isinstance(err, ContractViolation):
                violation = err.details
        except web.HTTPRequestEntityTooLarge as exc:
            response = render_error(SandboxError("Request body too large", status=413))
            response.headers.update({"X-Sandbox-Limit": str(exc.text or "")[:100]})
        except web.HTTPNotFound:
            response = render_error(NotFound("Not found"))
        except web.HTTPMethodNotAllowed as exc:
            response = render_error(SandboxError("Method not allowed", status=405))
            response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = render_error(SandboxError(exc.reason, status=exc.status))
        except Exception:  # never a traceback in a response
            log.exception("unhandled error in %s %s", request.method, request.path)
            response = render_error(SandboxError("Internal sandbox error", status=500))
        if journal or violation:
            world.journal.record(
                "api", provider, method=request.method, path=request.path_qs,
                status=response.status, violation=violation,
                latency_ms=round((time.perf_counter() - started) * 1000, 2))
        if journal:
            # What this call caused (a webhook, a status change due now) happens now, not at the
            # next admin call; the answer does not wait for it, as a real provider's does not.
            world.scheduler.kick()
        return response

    return middleware
