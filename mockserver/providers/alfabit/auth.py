"""Inbound `x-api-key` [D/C]; the callback `signature` field [A].

The docs' only callback security is the source IP (see webhooks.py). The sample callback carries
a `signature` whose formula is published nowhere; the sandbox computes it as
hex(HMAC-SHA256(key=api key, msg=compact JSON of the order without `signature`)) [A] — the order's
keys in the order sent, separators "," and ":", non-ASCII as UTF-8 (what JSON.stringify gives).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Callable

from aiohttp import web

from ...core.basics.errors import Unauthorized

MAX_KEY = 256


def authenticate(request: web.Request, merchant_by_key: Callable[[str], dict | None]) -> dict:
    """[A] no header -> 401; unknown key -> 401 (the docs list 401 without saying when)."""
    key = request.headers.get("x-api-key", "")
    if not key.strip():
        raise Unauthorized("x-api-key header is required")
    if not key.isascii() or len(key) > MAX_KEY:
        raise Unauthorized("Invalid API key")
    merchant = merchant_by_key(key)
    if merchant is None or not hmac.compare_digest(key.encode(), str(merchant["api_key"]).encode()):
        raise Unauthorized("Invalid API key")
    return merchant


def compact(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signature(api_key: str, order: dict) -> str:
    unsigned = {k: v for k, v in order.items() if k != "signature"}
    return hmac.new(api_key.encode(), compact(unsigned).encode(), hashlib.sha256).hexdigest()


def verify_signature(api_key: str, payload: dict) -> bool:
    given = payload.get("signature")
    return isinstance(given, str) and hmac.compare_digest(signature(api_key, payload), given)
