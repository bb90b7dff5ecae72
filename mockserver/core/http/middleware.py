"""The middleware every provider sub-application runs: the one place where any failure becomes the
provider's own error shape, every exchange is journaled, and fault rules are carried out, so a
handler never has to think about malformed bodies, oversize requests or unknown routes.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from aiohttp import web

from ..basics.errors import ContractViolation, NotFound, SandboxError
from . import faults
from .context import TENANT_PREFIX, own_origin, world_of

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[SandboxError], web.Response]


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
