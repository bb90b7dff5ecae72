"""ALPPAY's error body [A]: the docs give the statuses (400 malformed, 401 key or signature, 403 no
access, 422 validation) but never the body, so the sandbox answers
{"code": <HTTP status>, "message": "...", "field": "<dotted name>"} with `field` only on a 422
that is about one field."""
from __future__ import annotations

import re

from aiohttp import web

from ...core.basics.errors import ContractViolation, SandboxError
from ...core.http.jsonio import json_response

_REQUIRED = re.compile(r"^'([^']{1,100})' is a required property")


def field_of(err: SandboxError) -> str | None:
    """The dotted name of the field a validation error is about (asset.network, customer.email)."""
    if "field" in err.details:
        return err.details["field"]
    if not isinstance(err, ContractViolation):
        return None
    parts = [p for p in err.instance_path.split("/") if p]
    message = err.message.split(": ", 1)[-1]
    missing = _REQUIRED.match(message)
    if missing:
        parts.append(missing.group(1))
    return ".".join(parts) or None


def render_error(err: SandboxError) -> web.Response:
    body = {"code": err.status, "message": err.message}
    if err.status == 422:
        name = field_of(err)
        if name:
            body["field"] = name
    return json_response(body, status=err.status)
