"""The door every authenticated call goes through: parse, authenticate, validate, remember.

Order matters for "bad input changes no state": the replay guard remembers a request only once
it has passed authentication and its contract.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from ...core.errors import BadRequest
from ...core.http import WORLD
from .auth import (JsonNumber, decode_authentication, parse_body, signature_matches,
                   timestamp_value)
from .errors import access_invalid
from .model import Alt5Backend

PROVIDER = "alt5pay"
MAX_SECONDS_TIMESTAMP = 10**11      # beyond this a "seconds" timestamp is really milliseconds


def plain(value: Any) -> Any:
    """The parsed body with literal numbers turned into int/Decimal, for schema validation."""
    if isinstance(value, JsonNumber):
        text = str(value)
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check_credentials(backend: Alt5Backend, headers, body: dict, now: int) -> tuple[dict, tuple, int]:
    """The merchant, the replay key and the timestamp of a genuine request; else 401."""
    apikey, merchant_id = headers.get("apikey", ""), headers.get("merchant_id", "")
    header = headers.get("authentication", "")
    if not apikey or not merchant_id or not header:
        raise access_invalid("missing apikey, merchant_id or authentication header")
    decoded = decode_authentication(header)
    if decoded is None:
        raise access_invalid("authentication is not base64(apikey + ':' + hex digest)")
    merchant = backend.merchant_by_key(apikey)
    if merchant is None:
        raise access_invalid("unknown apikey")
    if decoded[0] != apikey:
        raise access_invalid("authentication names another apikey than the apikey header")
    if str(merchant.get("merchant_id")) != merchant_id:
        raise access_invalid("merchant_id does not belong to this apikey")
    timestamp = timestamp_value(body)
    if timestamp is None or "nonce" not in body:
        raise access_invalid("the body needs an integer timestamp (seconds) and a nonce")
    if not signature_matches(str(merchant.get("secret", "")), decoded[1], body):
        raise access_invalid("HMAC-SHA512 of the bodyString does not match")
    if timestamp > MAX_SECONDS_TIMESTAMP:
        raise access_invalid("timestamp is in milliseconds; ALT 5 Pay wants seconds")
    guard = backend.replay
    # [A] the window is measured against real time, which clients sign with (not the virtual
    # clock, which runs ahead after an advance)
    if not guard.fresh(timestamp, now):
        raise access_invalid(f"timestamp more than {guard.tolerance}s from real time")
    key = (str(timestamp), str(body["nonce"]), decoded[1].lower())
    if guard.seen(key):
        raise access_invalid("replayed request: same timestamp, nonce and signature as an earlier one")
    return merchant, key, timestamp


async def authenticate_request(request: web.Request, contract: str) -> tuple[Any, Alt5Backend, dict, dict]:
    world = request.app[WORLD]
    backend: Alt5Backend = world.backend(PROVIDER)
    raw = await request.read()
    try:
        body = parse_body(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Invalid JSON Body") from None
    now = int(world.clock.wall_now().timestamp())
    try:
        merchant, key, timestamp = check_credentials(backend, request.headers, body, now)
        checked = plain(body)
    except RecursionError:      # absurdly deep nesting: bad input, not a crash
        raise BadRequest("Invalid JSON Body") from None
    world.contracts(PROVIDER).check_request(contract, checked)
    backend.replay.remember(key, timestamp, now)
    return world, backend, merchant, checked
