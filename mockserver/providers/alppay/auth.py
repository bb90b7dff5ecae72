"""API-KEY, the caller's IP whitelist and X-HMAC, checked as ALPPAY documents them.

[D] `API-KEY` on every call; every request with a body also carries `X-HMAC` = lowercase hex
HMAC-SHA256(key = the HMAC key, msg = the raw body bytes as sent). The signature is checked over
the bytes that arrived, before any parsing: a body re-serialised, reordered or re-spaced after
signing is a different message and fails (401), exactly as at the real API.
[D] "API usage is impossible without IP address configuration": the caller must be on the
merchant's whitelist (403).
[A] the order of checks: key (401), then IP (403), then signature (401), then the body (400/422);
a GET without a body needs no X-HMAC, and one sent anyway is checked against the empty body.
[A] upper-case hex is accepted (one hmac page says "hex string", the other "Lowercase
hexadecimal string"); `strict: true` accepts lower case only.
The signed body's form (compact JSON, documented field order) is checked after the signature:
bodyform.py.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from aiohttp import web

from ...core.basics.errors import BadRequest, Forbidden, Unauthorized
from ...core.http import callers
from ...core.http.reasons import explained, reason

FORMULA = "X-HMAC = lowercase hex HMAC-SHA256(key = the HMAC key, message = the raw body bytes as sent)"

HEX = frozenset("0123456789abcdefABCDEF")
LOWER_HEX = frozenset("0123456789abcdef")


def _bytes(text: str) -> bytes:
    # headers may carry anything (non-ASCII, surrogate-escaped bytes): compare bytes, never fail
    return text.encode("utf-8", "surrogateescape")


def sign(hmac_key: str, body: bytes) -> str:
    return hmac.new(_bytes(hmac_key), body, hashlib.sha256).hexdigest()


def signature_ok(hmac_key: str, body: bytes, given: str, lower_only: bool = False) -> bool:
    if len(given) != 64 or not set(given) <= (LOWER_HEX if lower_only else HEX):
        return False
    return hmac.compare_digest(sign(hmac_key, body), given.lower())


def whitelist(merchant: dict) -> tuple:
    """The merchant's whitelist and trusted proxies, parsed where they are used. The admin API
    refuses a bad entry when it is set (400, Provider.check_merchant); the 403 here is a last
    guard for a merchant built some other way."""
    try:
        allowed = callers.parse_networks(merchant.get("ip_whitelist"), "ip_whitelist")
        proxies = callers.parse_networks(merchant.get("trusted_proxies"), "trusted_proxies")
    except ValueError as exc:
        raise Forbidden(f"IP whitelist misconfigured: {exc}") from None
    return allowed, proxies


def check_caller(request: web.Request, merchant: dict) -> str:
    allowed, proxies = whitelist(merchant)
    try:
        address = callers.caller_address(request, proxies)
    except ValueError:
        raise BadRequest("Malformed X-Forwarded-For header") from None
    if not callers.allowed(address, allowed):
        raise explained(Forbidden(f"Access denied: IP address {address} is not in the whitelist"),
                        reason(f"caller {address} is not on this merchant's ip_whitelist",
                               differed="add it with PATCH /_sandbox/providers/alppay/merchant "
                                        '{"ip_whitelist": [...]} (behind a proxy: trusted_proxies)'))
    return str(address)


def _rewritten(raw: bytes) -> list[tuple[str, bytes]]:
    """Other serialisations of the same JSON a client may have signed instead of the bytes it sent."""
    try:   # a lone surrogate ("\\ud800") parses but cannot be encoded: UnicodeEncodeError, a ValueError
        value = json.loads(raw)
        return [("a compact re-serialisation of the body (the bytes sent are spaced otherwise)",
                 json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()),
                ("the body with its keys sorted", json.dumps(value, separators=(",", ":"), sort_keys=True,
                                                              ensure_ascii=False).encode()),
                ("a json.dumps default re-serialisation (', ' and ': ' spacing)", json.dumps(value).encode()),
                ("the body with non-ASCII escaped (\\uXXXX)", json.dumps(value, separators=(",", ":")).encode())]
    except (ValueError, RecursionError):   # UnicodeEncodeError too: a lone surrogate ("\ud800") no UTF-8 holds
        return []


def signature_reason(hmac_key: str, raw: bytes, given: str, lower_only: bool) -> str:
    """What differed between the X-HMAC sent and the one over the bytes that arrived."""
    expected = sign(hmac_key, raw)
    if len(given) != 64 or not set(given) <= HEX:
        try:
            as_base64 = base64.b64decode(given, validate=True)
        except ValueError:
            as_base64 = b""
        differed = ("the signature is base64; ALPPAY wants hex" if as_base64 == bytes.fromhex(expected)
                    else f"X-HMAC must be 64 hex characters ({len(given)} sent)")
    elif lower_only and given != given.lower() and given.lower() == expected:
        differed = "strict: the hex must be lowercase"
    else:
        differed = next((what for what, other in _rewritten(raw) if other != raw
                         and hmac.compare_digest(sign(hmac_key, other), given.lower())),
                        "the body bytes, or the HMAC key (the client signed something else than what it sent)")
    return reason("X-HMAC refused", formula=FORMULA, signed_text=raw, differed=differed)



async def authenticate(request: web.Request, merchant_by_key) -> tuple[dict, bytes]:
    """-> (merchant, raw body). Raises 401 / 403 in the order documented above."""
    api_key = request.headers.get("API-KEY", "")
    merchant = merchant_by_key(api_key) if api_key else None
    if merchant is None or not hmac.compare_digest(_bytes(api_key), _bytes(str(merchant["api_key"]))):
        raise explained(Unauthorized("Invalid or missing API-KEY"), reason(
            "credentials refused: " + ("no API-KEY header" if not api_key else "no merchant has this API-KEY"),
            formula="API-KEY: the merchant's API key, on every request"))
    check_caller(request, merchant)
    raw = await request.read()
    given = request.headers.get("X-HMAC")
    if raw or given is not None:
        if given is None:
            raise explained(Unauthorized("Missing X-HMAC signature"), reason(
                "X-HMAC refused", formula=FORMULA, signed_text=raw, differed="no X-HMAC header on a request with a body"))
        lower_only = merchant.get("strict") is True
        if not signature_ok(str(merchant["hmac_key"]), raw, given, lower_only):
            raise explained(Unauthorized("Invalid X-HMAC signature"),
                            signature_reason(str(merchant["hmac_key"]), raw, given, lower_only))
    return merchant, raw


def verify_webhook(hmac_key: str, headers: dict, body: bytes) -> bool:
    """What a merchant's handler does: X-HMAC over the raw body it received."""
    given = next((v for k, v in headers.items() if k.lower() == "x-hmac"), "")
    return signature_ok(hmac_key, body, str(given))
