"""The middleware every provider sub-application runs: the one place where any failure becomes the
provider's own error shape, every exchange is journaled, and fault rules are carried out, so a
handler never has to think about malformed bodies, oversize requests or unknown routes.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..basics.errors import ContractViolation, NotFound, SandboxError
from . import faults
from .context import TENANT_PREFIX, own_origin, world_of
from .reasons import REASON_HEADER

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[SandboxError], web.Response]
BODY_TIMEOUT: web.AppKey = web.AppKey("body_timeout", float)   # seconds a request's body may take to arrive
DEFAULT_BODY_TIMEOUT = 30.0
# not read ahead: the inbox reads in pieces (under the same deadline); a tenant's request is read
# once routed to the tenant (a request is cloned there, which aiohttp allows only unread)
NOT_READ_AHEAD = frozenset({"/_sandbox/inbox/{name}", "/t/{tenant}/{tail}"})


class ClientGone(Exception):
    """The client closed the connection before its body was complete: nobody to answer."""


def refused_encoding(request: web.Request) -> SandboxError | None:
    """No provider's docs say a compressed request body is accepted, and every signature covers
    the bytes that arrived: a body with any Content-Encoding but identity is refused (415)."""
    encoding = request.headers.get("Content-Encoding")
    if encoding is None or encoding.strip().lower() in ("", "identity"):
        return None
    return SandboxError("Content-Encoding is not accepted: send the body uncompressed", status=415)


async def read_body(request: web.Request) -> bytes:
    """The whole body, within the app's body deadline (408 past it, like a slow header)."""
    timeout = request.config_dict.get(BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except asyncio.TimeoutError:
        request.transport and request.transport.close()
        raise SandboxError(f"Request body not complete within {timeout:g} s", status=408) from None
    except (ConnectionError, HttpProcessingError) as exc:   # closed mid-body: a short Content-Length, a reset
        raise ClientGone(str(exc)) from None


def provider_middleware(provider: str, render_error: ErrorRenderer, *, journal: bool = True,
                        root: bool = False):
    """Turn every failure into `render_error`'s shape and journal every exchange. `root`: installed
    on the root app (the admin API's), where a request routed into a provider's sub-application
    is that provider's to refuse, in its shape."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        world = world_of(request)
        if world.origin is None:    # `inbox:NAME` webhook targets need this sandbox's own address
            origin = own_origin(request)     # (inside a tenant: the tenant's, so its own inbox)
            world.origin = origin and origin + request.get(TENANT_PREFIX, "")
        violation = None
        started = time.perf_counter()
        mine = not root or len(request.match_info.apps) <= 1
        refused = refused_encoding(request) if mine else None
        if refused is None and mine and request.body_exists and _canonical(request) not in NOT_READ_AHEAD:
            try:   # read here, under a deadline: handlers then read what is already in memory
                await read_body(request)
            except SandboxError as err:
                refused = err
            except web.HTTPRequestEntityTooLarge as exc:
                refused = SandboxError("Request body too large", status=413,
                                       headers={"X-Sandbox-Limit": str(exc.text or "")[:100]})
            except ClientGone:
                if journal:
                    world.journal.record("api", provider, method=request.method, path=request.path_qs,
                                         status=None, error="the client closed the connection mid-body")
                raise web.HTTPBadRequest() from None   # nobody reads it: aiohttp drops the connection
        if refused is not None:   # before faults and the handler: a refusal changes nothing
            response = render_error(refused)
            response.headers.update(refused.headers)
            if journal:
                world.journal.record("api", provider, method=request.method, path=request.path_qs,
                                     status=response.status, latency_ms=0.0)
            return response
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
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                reason=response.headers.get(REASON_HEADER))   # why a credential was refused, if said
        if journal:
            # What this call caused (a webhook, a status change due now) happens now, not at the
            # next admin call; the answer does not wait for it, as a real provider's does not.
            world.scheduler.kick()
        return response

    return middleware


def _canonical(request: web.Request) -> str:
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    return getattr(resource, "canonical", "") or ""
