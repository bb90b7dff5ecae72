"""Inbound bearer auth and outbound webhook signatures, as CryptoPayment.center documents them."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Callable

from aiohttp import web

from ...core.basics.errors import Unauthorized
from ...core.http.jsonio import ascii_header
from ...core.http.reasons import explained, reason


FORMULA = "Authorization: Bearer API_KEY:API_SECRET"


def _refused(message: str, why: str) -> Unauthorized:
    return explained(Unauthorized(message), reason(f"credentials refused: {why}", formula=FORMULA))


def authenticate(request: web.Request, merchant_by_key: Callable[[str], dict | None]) -> dict:
    """`Authorization: Bearer {api_key}:{api_secret}` -> the merchant, or 401 (with the reason)."""
    header = ascii_header(request.headers, "Authorization")
    if header is None:
        raise _refused("Invalid API credentials", "the Authorization header holds non-ASCII bytes")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _refused("Missing or malformed Authorization header", "no Authorization header")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("Missing or malformed Authorization header",
                       f"the scheme is {scheme[:20]!r}, not Bearer" if scheme.lower() != "bearer"
                       else "nothing after Bearer")
    api_key, sep, api_secret = token.strip().partition(":")
    if not sep:
        raise _refused("Invalid API credentials", "no ':' between the API key and the secret")
    merchant = merchant_by_key(api_key)
    if merchant is None:
        raise _refused("Invalid API credentials", f"no merchant has the API key {api_key[:40]!r}")
    if not hmac.compare_digest(api_secret.encode(), str(merchant["api_secret"]).encode()):
        raise _refused("Invalid API credentials",
                       f"the secret after ':' ({len(api_secret)} characters) is not the one of this API key")
    if merchant.get("strict") and scheme != "Bearer":
        # [A] the scheme's case is taken loosely (RFC 7235); strict wants the docs' "Bearer"
        raise _refused("Missing or malformed Authorization header",
                       f"strict: the scheme must be written 'Bearer', not {scheme!r}")
    return merchant


def webhook_signature(app_key_b64: str, invoice_id: str, event: str) -> str:
    key = base64.b64decode(app_key_b64)
    return hmac.new(key, f"{invoice_id}.{event}".encode(), hashlib.sha256).hexdigest()


def verify_webhook(app_key_b64: str, payload: dict) -> bool:
    """What the documented PHP handler does."""
    expected = webhook_signature(app_key_b64, str(payload.get("invoice_id", "")), str(payload.get("event", "")))
    return hmac.compare_digest(expected, str(payload.get("signature", "")))
