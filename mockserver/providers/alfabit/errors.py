"""AlfaBit Pay's error shape [A]: NestJS's default, {"statusCode", "message", "error"}.

The docs list 400/401/403/500 and show no body. The API's paths and the public NestJS client
suggest a NestJS server, whose default error body is this; `message` is never "ok", so clients
that require `message === "ok"` treat it as a failure. Validation failures (a contract
violation, 422 inside the sandbox) are answered 400, as NestJS's ValidationPipe does.
"""
from __future__ import annotations

from aiohttp import web

from ...core.basics.errors import SandboxError
from ...core.http.jsonio import json_response

WORDS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
         405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 500: "Internal Server Error"}


def render_error(err: SandboxError) -> web.Response:
    status = 400 if err.status == 422 else err.status
    return json_response({"statusCode": status, "message": err.message,
                          "error": WORDS.get(status, "Error")}, status=status)
