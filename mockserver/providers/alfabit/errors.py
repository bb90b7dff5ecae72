"""AlfaBit Pay's error shape [A]: NestJS's default, {"statusCode", "message", "error"}.

The docs list 400/401/403/500 and show no body. The API's paths, its OpenAPI document (operation
ids like `ApiOrderController_getOrders2`) and the public NestJS client point at a NestJS server,
whose default error body is this: `message` is an array of strings for validation failures
(`ValidationPipe`: one string per broken rule, `Invalid`) and a string otherwise (an
`HttpException`: unknown order, missing key, malformed JSON, insufficient funds). `message` is
never "ok", so clients that require `message === "ok"` treat it as a failure. An unknown route
or method is a 404 "Cannot METHOD /path", as Express answers (it has no 405).
"""
from __future__ import annotations

from aiohttp import web

from ...core.basics.errors import BadRequest, ContractViolation, SandboxError
from ...core.http.jsonio import json_response

WORDS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
         405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large",
         415: "Unsupported Media Type", 500: "Internal Server Error"}


class Invalid(BadRequest):
    """A validation failure: every broken rule, each in class-validator's words."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def render_error(err: SandboxError) -> web.Response:
    status = 400 if err.status == 422 else err.status
    if isinstance(err, Invalid):
        message: str | list[str] = err.messages
    elif isinstance(err, ContractViolation):        # never the validator's own words
        name = err.instance_path.strip("/").split("/")[0] or "body"
        message = [f"{name} is not valid"]
    else:
        message = err.message
    return json_response({"statusCode": status, "message": message,
                          "error": WORDS.get(status, "Error")}, status=status)
