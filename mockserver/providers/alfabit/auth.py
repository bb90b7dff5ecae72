"""Inbound `x-api-key` [D/C]; the callback `signature` field [A].

The docs' only callback security is the source IP (see webhooks.py). The sample callback carries
a 64-hex `signature` whose formula is published nowhere, so by default the sandbox fills it with a
value of that shape that no merchant can verify (a hash under a key of the sandbox's own, never
shown): a handler can only ignore it, as public handlers do. The merchant setting
`callback_signature: "hmac"` opts into the sandbox's own reading instead:
hex(HMAC-SHA256(key=api key, msg=compact JSON of the order without `signature`)) [A] — the
order's keys in the order sent, separators "," and ":", non-ASCII as UTF-8 (what JSON.stringify
gives). Nothing says production signs that way.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Callable

from aiohttp import web

from ...core.basics.errors import Unauthorized
from ...core.http.reasons import explained, reason

MAX_KEY = 256
UNVERIFIABLE, HMAC = "unverifiable", "hmac"
SIGNATURE_MODES = (UNVERIFIABLE, HMAC)
SHAPE = re.compile(r"[0-9a-f]{64}")


def authenticate(request: web.Request, merchant_by_key: Callable[[str], dict | None]) -> dict:
    """[A] no header -> 401; unknown key -> 401 (the docs list 401 without saying when)."""
    key = request.headers.get("x-api-key", "")
    if not key.strip():
        raise _refused("x-api-key header is required", "no x-api-key header")
    if not key.isascii() or len(key) > MAX_KEY:
        raise _refused("Invalid API key", f"the key is not ASCII or longer than {MAX_KEY} characters")
    merchant = merchant_by_key(key)
    if merchant is None or not hmac.compare_digest(key.encode(), str(merchant["api_key"]).encode()):
        raise _refused("Invalid API key", f"no merchant has the key {key[:12]!r}... ({len(key)} characters)")
    return merchant


def _refused(message: str, why: str) -> Unauthorized:
    return explained(Unauthorized(message), reason(f"credentials refused: {why}", formula="x-api-key: API_KEY"))


def compact(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def hmac_signature(api_key: str, order: dict) -> str:
    unsigned = {k: v for k, v in order.items() if k != "signature"}
    return hmac.new(api_key.encode(), compact(unsigned).encode(), hashlib.sha256).hexdigest()


def unverifiable_signature(sandbox_key: str, order: dict) -> str:
    """Shaped like the sample's (64 hex), keyed by something no merchant is given."""
    unsigned = {k: v for k, v in order.items() if k != "signature"}
    return hashlib.sha256(f"{sandbox_key}\n{compact(unsigned)}".encode()).hexdigest()


def signature_mode(merchant: dict) -> str:
    return HMAC if merchant.get("callback_signature") == HMAC else UNVERIFIABLE


def verify_signature(merchant: dict, payload: dict) -> bool:
    """What a merchant can check: the HMAC when opted in; otherwise only the field's shape."""
    given = payload.get("signature")
    if not isinstance(given, str) or not SHAPE.fullmatch(given):
        return False
    if signature_mode(merchant) == HMAC:
        return hmac.compare_digest(hmac_signature(str(merchant.get("api_key", "")), payload), given)
    return True
