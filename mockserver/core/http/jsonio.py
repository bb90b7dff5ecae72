"""JSON in and out at the HTTP edge: strict parsing (Decimal amounts of sane size, no NaN, no lone
surrogates), serialising that every client parses, typed query parameters, and the admin API's
error shape."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable

from aiohttp import web

from ..basics.errors import BadRequest, SandboxError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


MAX_EXPONENT = 1000  # no amount anywhere needs more; 1e999999 would only cost time and memory


def bounded_decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"number out of range: {text[:40]}")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def reject_lone_surrogates(text: str, value: Any) -> Any:
    """`value` parsed from `text`, or ValueError when a string in it holds a lone surrogate
    (`"\\ud800"`): valid JSON text, but no UTF-8 can carry it, so every later encode would fail."""
    if not _SURROGATE_ESCAPE.search(text):
        return value
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone UTF-16 surrogate") from None
    return value


def parse_json(raw: bytes, *, parse_float: Callable[[str], Any] = bounded_decimal, **kw: Any) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no lone surrogates in strings, floats as Decimal of
    sane magnitude unless told otherwise."""
    try:
        text = raw.decode("utf-8")
        return reject_lone_surrogates(
            text, json.loads(text, parse_float=parse_float, parse_constant=_reject_constant, **kw))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequest(f"Malformed JSON body: {why_malformed(exc)}") from None


def why_malformed(exc: BaseException) -> str:
    """What was wrong with a JSON body, in words a client's author can act on (no exception names)."""
    if isinstance(exc, UnicodeDecodeError):
        return "the body is not UTF-8"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    text = str(exc)
    if "digits" in text and "int" in text:   # Python's int-from-string limit (4,300 digits)
        return "a number has too many digits"
    return text if text and len(text) < 120 and "Decimal" not in text else "not valid JSON"


def ascii_header(headers, name: str) -> str | None:
    """A request header's value, "" when absent, None when it holds anything but ASCII.

    aiohttp hands undecodable header bytes over as surrogate escapes (`\\xe9` -> "\\udce9"), which
    no `.encode()` or `hmac.compare_digest` accepts; a credential is ASCII in every provider, so
    callers answer None with their own 401."""
    value = headers.get(name, "")
    return value if value.isascii() else None


async def read_json(request: web.Request, *, required: bool = True, **kw: Any) -> Any:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise BadRequest("Request body is required")
        return {}
    return parse_json(raw, **kw)


def query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    """A non-negative integer query parameter, or BadRequest naming it."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name} must be an integer") from None
    if value < 0:
        raise BadRequest(f"query parameter {name} must not be negative")
    return value


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        if not obj.is_finite() or abs(obj.adjusted()) > 300:
            return str(obj)  # no JSON number can carry it faithfully; never Infinity
        if obj.as_tuple().exponent >= 0:
            return int(obj)
        return float(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(payload: Any) -> str:
    """JSON any client parses: no Infinity/NaN (JavaScript's JSON.parse and Go refuse them)."""
    return json.dumps(payload, default=_default, ensure_ascii=False, allow_nan=False)


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(text=dumps(payload), status=status, headers=headers,
                        content_type="application/json")


def render_admin_error(err: SandboxError) -> web.Response:
    """The admin API's one error shape: {"error": {"message", "status"[, "details"]}}."""
    body = {"error": {"message": err.message, "status": err.status}}
    if err.details:
        body["error"]["details"] = err.details
    return json_response(body, status=err.status)
