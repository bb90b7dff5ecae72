"""What every ALPPAY handler does with a request before its own work: authenticate, read the body
as the docs ask (bodyform.py), check it against its contract, find the merchant's own objects.

Every refusal happens before anything is stored or any random number is drawn, so a refused
request leaves the World exactly as it was.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ...core.basics.errors import BadRequest, NotFound
from ...core.http.context import provider_base, world_of
from ...core.http.jsonio import json_response, parse_json
from . import bodyform
from .auth import authenticate
from .backend import Backend

PROVIDER = "alppay"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def strict(merchant: dict) -> bool:
    """[A] `strict: true` refuses what the sandbox otherwise accepts on its own assumption."""
    return merchant.get("strict") is True


def world_backend(request: web.Request) -> tuple[Any, Backend]:
    world = world_of(request)
    return world, world.backend(PROVIDER)


async def context(request: web.Request) -> tuple[Any, Backend, dict, bytes]:
    world, backend = world_backend(request)
    merchant, raw = await authenticate(request, backend.merchant_by_key)
    return world, backend, merchant, raw


def no_surrogates(value: Any) -> None:
    """JSON may spell lone surrogates (\\ud800); no real text contains them, and they cannot be
    written back out as UTF-8: refuse them as malformed, iteratively (nesting is unbounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest("Malformed JSON body: invalid Unicode (lone surrogate)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse(request: web.Request, merchant: dict, raw: bytes, contract: str) -> Any:
    """JSON as the signed-body reading asks (400s), not yet checked against its contract."""
    if not raw.strip():
        raise BadRequest("Request body is required")
    if strict(merchant) and request.content_type != "application/json":
        # [D] the docs' requests all send Content-Type: application/json; [A] refused only under strict
        raise BadRequest("Content-Type must be application/json (strict)")
    body = parse_json(raw)
    no_surrogates(body)
    if merchant.get("signed_body", "compact_in_order") != "as_sent":
        bodyform.check_compact(raw)
        bodyform.check_order(body, contract)
    return body


def checked(world, merchant: dict, body: Any, contract: str) -> dict:
    """The body against its contract (422), the strict extras, then nulls of optional fields
    dropped (the default reading: null is "not sent")."""
    world.contracts(PROVIDER).check_request(contract, body)
    if strict(merchant):
        bodyform.check_strict(body, contract)
    return bodyform.drop_nulls(body, contract)


def body(world, request: web.Request, merchant: dict, raw: bytes, contract: str) -> dict:
    return checked(world, merchant, parse(request, merchant, raw, contract), contract)


def respond(world, contract: str, payload: Any) -> web.Response:
    world.contracts(PROVIDER).audit(contract, payload)
    return json_response(payload)


def owned(table: dict, merchant: dict, object_id: str, what: str):
    found = table.get(object_id) if UUID.match(object_id) else None
    if found is None or found.merchant is not merchant:
        raise NotFound(f"{what} not found")
    return found


def base(world, request: web.Request) -> str:
    """Where the provider's links start: /alppay on the main origin, nothing on its own origin."""
    return provider_base(request, world, "/alppay")
