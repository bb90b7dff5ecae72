"""Inbound bearer auth and outbound webhook signatures, as CryptoPayment.center documents them."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Callable

from aiohttp import web

from ...core.basics.errors import Unauthorized
from ...core.http.jsonio import ascii_header


def authenticate(request: web.Request, merchant_by_key: Callable[[str], dict | None]) -> dict:
    """`Authorization: Bearer {api_key}:{api_secret}` -> the merchant, or 401."""
    header = ascii_header(request.headers, "Authorization")
    if header is None:
        raise Unauthorized("Invalid API credentials")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing or malformed Authorization header")
    api_key, sep, api_secret = token.strip().partition(":")
    merchant = merchant_by_key(api_key)
    if not sep or merchant is None or not hmac.compare_digest(
            api_secret.encode(), str(merchant["api_secret"]).encode()):
        raise Unauthorized("Invalid API credentials")
    if merchant.get("strict") and scheme != "Bearer":
        # [A] the scheme's case is taken loosely (RFC 7235); strict wants the docs' "Bearer"
        raise Unauthorized("Missing or malformed Authorization header")
    return merchant


def webhook_signature(app_key_b64: str, invoice_id: str, event: str) -> str:
    key = base64.b64decode(app_key_b64)
    return hmac.new(key, f"{invoice_id}.{event}".encode(), hashlib.sha256).hexdigest()


def verify_webhook(app_key_b64: str, payload: dict) -> bool:
    """What the documented PHP handler does."""
    expected = webhook_signature(app_key_b64, str(payload.get("invoice_id", "")), str(payload.get("event", "")))
    return hmac.compare_digest(expected, str(payload.get("signature", "")))
