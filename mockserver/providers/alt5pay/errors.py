"""ALT 5 Pay's one error shape: `{"status":"error","message":"..."}` [D].

[A] The docs give no HTTP status for errors; the sandbox answers 401 for authentication
failures, 400 for bad input, 404 for unknown ids and routes (never 200, never 5xx by design:
the provider's WooCommerce plugin treats every status but 200 as a failure).
"""
from __future__ import annotations

from aiohttp import web

from ...core.basics.errors import SandboxError, Unauthorized
from ...core.http.reasons import explained, reason

from .jsjson import dumps

ACCESS_INVALID = "Access Invalid"                   # [D]
COULD_NOT_CREATE = "Could Not Create Address"       # [D]


FORMULA = ("authentication = base64(apikey + ':' + hex(HMAC-SHA512(secret, bodyString))); bodyString = "
           "the body's parameters as k=v joined by &")


def access_invalid(why: str, signed_text: str | None = None) -> Unauthorized:
    """Every auth failure reads the same; the sandbox-only header says which check failed (and,
    for a digest, the bodyString signed)."""
    return explained(Unauthorized(ACCESS_INVALID), reason(f"credentials refused: {why}", formula=FORMULA,
                                                          signed_text=signed_text))


def render_error(err: SandboxError) -> web.Response:
    status = err.status if 400 <= err.status < 600 else 400
    message = err.message or "Error"
    return web.Response(text=dumps({"status": "error", "message": message}), status=status,
                        content_type="application/json")
