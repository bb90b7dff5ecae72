"""Carrying out a fault rule (state/fault_rules.py) on the connection: an error in the provider's
shape, an empty answer, a reset, a chunk cut short, a hold then a drop, or latency alone."""
from __future__ import annotations

import asyncio

from aiohttp import web

from ..basics.errors import SandboxError
from ..state.fault_rules import Fault
from .context import REPLAYING


async def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection with no (further) answer. The response returned is never sent."""
    if request.transport is not None:
        request.transport.abort()
    response = web.StreamResponse()
    response.force_close()
    return response


async def apply(fault: Fault, request: web.Request, render_error) -> web.StreamResponse | None:
    """Carry out `fault`; None means "latency only: now answer as usual"."""
    replaying = bool(request.get(REPLAYING))   # a restart replays what was answered, not the waits
    if fault.latency_ms and not replaying:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.kind is None:
        return None
    if fault.kind == "status":
        response = render_error(SandboxError(f"Injected fault: HTTP {fault.status}", status=fault.status))
    elif fault.kind == "empty":
        response = web.Response(status=fault.status, body=b"")
    elif fault.kind == "reset":
        return await _drop(request)
    elif fault.kind == "timeout":
        if not replaying:
            await asyncio.sleep(fault.hold_ms / 1000)
        return await _drop(request)
    else:  # malformed_chunk: headers, then a chunk that announces 64 bytes and carries a few
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        if request.transport is not None:
            request.transport.write(b"40\r\n{\"fault\": \"malformed")
        return await _drop(request)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    response.headers["X-Sandbox-Fault"] = fault.id
    return response
