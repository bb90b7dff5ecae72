"""Alchemy Pay signatures: API request signing (v4 and legacy) and webhook signing.

Pure functions only (no aiohttp, no world), so tests and the docs example can reason about them.

Formulas:
- v4 request sign [D]: ``base64(HMAC-SHA256(appSecret, timestamp + METHOD + requestPath + bodyString))``.
  requestPath is the path with its query parameters sorted by name, empty ones dropped; bodyString
  is "" for GET.
  bodyString [D]: the body parameters "sorted in dictionary order", empty values (null, "", {} and
  []) removed, at every depth; [A] written as compact JSON ("/" not escaped, non-ASCII as UTF-8,
  numbers as the client wrote them).
  The bytes on the wire are the bytes signed [C: a public client documents that production answers
  81003 when the wire body's key order differs from the order signed]: the body sent must itself be
  that bodyString, so an unsorted body, or one carrying empty values, is 81003 whatever was signed.
  [A] A body whose keys are sorted and empty-free but spaced or escaped otherwise (`": "`, PHP's
  `\\/` and `\\uXXXX`) passes when the sign covers exactly its bytes (the docs never say how the
  JSON is spaced; their own webhook example has spaces); merchant setting ``strict`` refuses it.
  An empty body, or ``{}``, has no parameters: bodyString "" [D: empty values removed]; a sign
  over the wire's ``{}`` is accepted as well (the bytes sent), so both answer the same.
  Query parameters are sorted before comparing [D: the docs' own ramp links are unsorted on the
  wire and signed sorted]; [A] query values are compared decoded, as the docs' examples show them.
- legacy sign [D, older API pages; C, still sent by public clients on v4 paths]:
  ``hex(SHA1(appId + appSecret + timestamp))``, lowercase.
- webhook ``signature`` (deprecated) [D/C]: ``hex(SHA1(appId + appSecret + appId + orderNo + crypto +
  network + address))`` — i.e. getMerSign(appId, appSecret, appId+orderNo+crypto+network+address).
- webhook ``newSignature`` [D]: ``base64(HMAC-SHA256(appSecret, timestamp + "POST" + callbackPath +
  bodyString))``, bodyString = the webhook body without signature/newSignature, empty values dropped,
  serialized as above [A]. callbackPath = the callbackUrl's path only, no domain and no query
  string [D: the docs' example signs ``1700549311596POST/onRamp/callback{...}``].
- hosted ramp page sign [D, "Ramp Signature Description"]: ``base64(HMAC-SHA256(appSecret,
  timestamp + "GET" + "/index/rampPageBuy|Sell" + "?" + query))``, query = every parameter but
  ``sign``, empty ones dropped, sorted by name, ``k=v`` joined by ``&`` with the values decoded (not
  percent-encoded), as the docs' example string shows.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from decimal import Decimal
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

SIGNATURE_FIELDS = ("signature", "newSignature")


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (dict, list)) and not value)


def drop_empty(value: Any) -> Any:
    """Remove empty values at every depth (a container emptied by that is dropped too)."""
    if isinstance(value, dict) or isinstance(value, Mapping):   # dict first: typing's check is slow
        out = {}
        for key, item in value.items():
            cleaned = drop_empty(item)
            if not _is_empty(cleaned):
                out[key] = cleaned
        return out
    if isinstance(value, list):
        cleaned_items = (drop_empty(item) for item in value)
        return [item for item in cleaned_items if not _is_empty(item)]
    return value


def depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, counted no further than `limit` + 1 (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


# what json.dumps does for a lone string, without its per-call set-up (same bytes)
_STRING = {True: json.encoder.encode_basestring_ascii, False: json.encoder.encode_basestring}


def _dump(value: Any, ascii_only: bool) -> str:
    if isinstance(value, str):
        return _STRING[ascii_only](value)
    if isinstance(value, dict) or isinstance(value, Mapping):   # dict first: typing's check is slow
        parts = [_dump(str(k), ascii_only) + ":" + _dump(value[k], ascii_only) for k in sorted(value)]
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v, ascii_only) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        # keeps the number as the client wrote it ("10.50" stays 10.50)
        return str(value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _STRING[ascii_only](str(value))


def body_string(body: Any, *, ascii_only: bool = False) -> str:
    """The signed form of a JSON body: empty values dropped, keys sorted, compact JSON."""
    if body is None:
        return ""
    cleaned = drop_empty(body)
    if _is_empty(cleaned):
        return ""
    return _dump(cleaned, ascii_only)


def request_path(path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    """Path plus its non-empty query parameters sorted by name (values as given)."""
    pairs = sorted((k, v) for k, v in query if v not in (None, ""))
    if not pairs:
        return path
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def v4_sign(secret: str, timestamp: str, method: str, path_with_query: str, body: str) -> str:
    message = f"{timestamp}{method.upper()}{path_with_query}{body}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def legacy_sign(app_id: str, secret: str, timestamp: str) -> str:
    return hashlib.sha1(f"{app_id}{secret}{timestamp}".encode()).hexdigest()


class _Object(list):
    """A JSON object as its (key, value) pairs, in wire order, duplicates kept."""


class _Number(str):
    """A JSON number as the client wrote it."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _tokens(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_Object, parse_float=_Number, parse_int=_Number,
                      parse_constant=_reject_constant)


def _token_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _drop_tokens(value: Any) -> Any:
    """The token tree with empty values removed at every depth (a container emptied too)."""
    if isinstance(value, _Object):
        return _Object((k, c) for k, v in value if not _token_empty(c := _drop_tokens(v)))
    if isinstance(value, list):
        return [c for v in value if not _token_empty(c := _drop_tokens(v))]
    return value


def _write(value: Any, sort: bool) -> str:
    """Compact JSON of a token tree, keys sorted or in wire order, numbers as written."""
    if isinstance(value, _Object):
        pairs = sorted(value, key=lambda pair: pair[0]) if sort else value
        return "{" + ",".join(f"{_STRING[False](k)}:{_write(v, sort)}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_write(v, sort) for v in value) + "]"
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return _STRING[False](value)
    return "null" if value is None else ("true" if value else "false")


def signed_body_candidates(raw: str, *, strict: bool) -> set[str]:
    """The bodyStrings a genuine client may have signed for the body `raw` (already valid JSON),
    or an empty set when the wire is not a bodyString at all (unsorted, empty values on it)."""
    if not raw.strip():
        return {""}
    tree = _tokens(raw)
    if isinstance(tree, _Object) and not tree:
        return {"", raw}                    # `{}`: no parameters ("") or the bytes sent
    cleaned = _drop_tokens(tree)
    canonical = "" if _token_empty(cleaned) else _write(cleaned, sort=True)
    if raw == canonical:
        return {raw}
    if not strict and _write(tree, sort=False) == canonical:
        return {raw}                        # [A] only spacing or escapes differ; signed as sent
    return set()


def verify_request_sign(
    *,
    app_id: str,
    secret: str,
    timestamp: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    raw_body: str,
    sign: str,
    allow_legacy: bool,
    strict: bool = False,
) -> str | None:
    """Which scheme the sign matches ("v4" or "legacy"), or None when it matches neither.
    `raw_body` is the body text as it arrived ("" for GET)."""
    signed_path = request_path(path, query)
    bodies = {""} if method.upper() == "GET" else signed_body_candidates(raw_body, strict=strict)
    for candidate in bodies:
        if hmac.compare_digest(v4_sign(secret, timestamp, method, signed_path, candidate), sign):
            return "v4"
    if allow_legacy and hmac.compare_digest(legacy_sign(app_id, secret, timestamp), sign):
        return "legacy"
    return None


def callback_path(url: str) -> str:
    """The path newSignature covers: the callbackUrl's path, without domain or query [D]."""
    return urlsplit(url).path or "/"


def ramp_page_sign(secret: str, timestamp: str, page_path: str, query: Iterable[tuple[str, str]]) -> str:
    """The hosted ramp page's ``sign`` over its query (``sign`` itself left out)."""
    pairs = [(k, v) for k, v in query if k != "sign"]
    return v4_sign(secret, timestamp, "GET", request_path(page_path, pairs), "")


def webhook_signature(app_id: str, secret: str, order_no: str, crypto: str, network: str, address: str) -> str:
    message = f"{app_id}{secret}{app_id}{order_no}{crypto}{network}{address}"
    return hashlib.sha1(message.encode()).hexdigest()


def webhook_new_signature(secret: str, timestamp: str, callback_url: str, payload: Mapping[str, Any]) -> str:
    unsigned = {k: v for k, v in payload.items() if k not in SIGNATURE_FIELDS}
    return v4_sign(secret, timestamp, "POST", callback_path(callback_url), body_string(unsigned))


SIGN_FORMULA = ("sign = base64(HMAC-SHA256(appSecret, timestamp + METHOD + path[?query sorted by name] "
                "+ bodyString)); bodyString = the body, keys sorted, empty values removed, compact JSON")


def sign_mismatch(secret: str, timestamp: str, method: str, path: str, query: list[tuple[str, str]],
                  raw_body: str, sign: str, prefix: str = "") -> tuple[str, str]:
    """(the string the sandbox signed, what differed) for a refused v4 sign: the usual slips are
    tried with the merchant's secret (nothing of it is returned) to name the one the client made."""
    method = method.upper()
    body = "" if method == "GET" else raw_body
    try:
        tree = _tokens(body) if body.strip() else None
    except (ValueError, RecursionError):
        tree = None
    canonical = "" if tree is None else ("" if _token_empty(c := _drop_tokens(tree)) else _write(c, sort=True))
    signed_path = request_path(path, query)
    expected = f"{timestamp}{method}{signed_path}{canonical}"
    raw_query = "&".join(f"{k}={v}" for k, v in query if v not in (None, ""))
    slips = [
        ("the path: the query string was left out of the signed path", path, canonical),
        ("the query's order: the recipe sorts the parameters by name", f"{path}?{raw_query}" if raw_query else path,
         canonical),
        (f"the path: the sandbox's prefix {prefix} was signed; sign the provider's own path", prefix + signed_path,
         canonical),
        ("key order: the body was signed in the order it was sent; the recipe sorts keys",
         signed_path, "" if tree is None else _write(tree, sort=False)),
        ("the body: signed as sent, but the bytes sent are not the bodyString (keys sorted, empty values "
         "removed, compact)", signed_path, body),
    ]
    lower = f"{timestamp}{method.lower()}{signed_path}{canonical}".encode()   # v4_sign upper-cases it
    if hmac.compare_digest(base64.b64encode(hmac.new(secret.encode(), lower, hashlib.sha256).digest()).decode(), sign):
        return expected, "the method: signed in lower case; the recipe writes it in capitals"
    for what, slip_path, slip_body in slips:
        if (slip_path, slip_body) != (signed_path, canonical) and \
                hmac.compare_digest(v4_sign(secret, timestamp, method, slip_path, slip_body), sign):
            return expected, what
    if isinstance(tree, _Object) and 1 < len(tree) <= 6:   # signed in another key order (a JS object's)
        for order in itertools.permutations(tree):
            other = _write(_drop_tokens(_Object(order)), sort=False)
            if other != canonical and hmac.compare_digest(v4_sign(secret, timestamp, method, signed_path, other), sign):
                return expected, ("key order: the body was signed with its keys in another order "
                                  f"({','.join(k for k, _ in order)}); the recipe sorts keys")
    if body and body != canonical:
        return expected, ("the body bytes: the body sent is not its own bodyString (keys sorted, empty values "
                          "removed, compact JSON)")
    return expected, "the string signed or the appSecret (no usual slip explains it: compare the string above)"
