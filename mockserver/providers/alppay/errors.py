"""ALPPAY's error body [A]: the docs give the statuses (400 malformed, 401 key or signature, 403 no
access, 422 validation) but never the body, so the sandbox answers
{"code": <HTTP status>, "message": "...", "field": "<dotted name>"} with `field` only on a 422
that is about one field."""
from __future__ import annotations

import re

from aiohttp import web

from ...core.basics.errors import ContractViolation, SandboxError
from ...core.http.jsonio import json_response

_REQUIRED = re.compile(r'^"([^"]{1,100})" is required')
_DECIMAL_REPR = re.compile(r"Decimal\('([^']{0,64})'\)")
# the edge's parser names the exception; a merchant reads what was wrong with the bytes
_MALFORMED = {"JSONDecodeError": "not valid JSON", "ValueError": "not valid JSON",
              "UnicodeDecodeError": "not UTF-8 text", "RecursionError": "nested too deeply"}


def plain_message(message: str) -> str:
    """The message in plain words: no Python reprs or exception names."""
    head, _, tail = message.partition(": ")
    if head == "Malformed JSON body" and tail in _MALFORMED:
        return f"{head}: {_MALFORMED[tail]}"
    return _DECIMAL_REPR.sub(r"\1", message)


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
    body = {"code": err.status, "message": plain_message(err.message)}
    if err.status == 422:
        name = field_of(err)
        if name:
            body["field"] = name
    return json_response(body, status=err.status)
