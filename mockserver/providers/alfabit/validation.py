"""Requests read as AlfaBit's framework reads them: NestJS on Express (its error body, the
`ValidationPipe` answering validation failures with `message` as an array of strings).

Body [A, inference from the framework]: only `application/json` (any case, `charset=utf-*` or
none) is parsed, as Express's JSON parser does; a body sent with no `Content-Type`, or another
type, is not parsed at all, so the fields are missing and validation refuses them (400, every
required field named). A charset that is not UTF is a 415; bytes that are not JSON in the declared
charset a 400 naming the position, as the parser words it. (NestJS also parses form bodies by
default; the sandbox does not: no client sends one, and the docs show JSON only.)

Validation [A]: the request's contract (contracts/alfabit/) decides; each failing field gives
class-validator's wording for its rule, never the sandbox's internals. Unknown fields and query
parameters are ignored, unless the merchant is `strict` (then "property x should not exist", as
the pipe's forbidNonWhitelisted says).
"""
from __future__ import annotations

import codecs
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from ...core.basics.errors import SandboxError
from ...core.http.jsonio import bounded_decimal, reject_lone_surrogates
from .assets import ASSETS, DEPOSIT_CODES
from .errors import Invalid
from .model import NAME

MAX_DEPTH = 16
ONE_OF = "must be one of the following values: "
STATUS_WORDS = ("created", "success", "warning", "failed", "inProgress", "invoiceWaitCreate", "invoiceNotCreated",
                "invoiceWaitRequisites", "invoiceWaitPay", "invoiceWaitConfirms", "invoiceWaitCheck",
                "invoiceNotPayed", "invoiceCheckBlocked", "withdrawBlocked", "waitRefundRequisites",
                "waitRefundRequisitesCheck", "waitToRefund", "refunded", "revoked", "blocked",
                "transferWaitDone", "transferWaitCheck", "waitNextHop", "exchangeBlocked")
TYPE_WORDS = ("invoice", "invoice-without-amount", "payment", "payment-without-amount", "exchange", "withdraw",
              "withdraw-with-exchange", "currency-to-currency", "deposit", "account-transfer", "account-deposit")
NETWORKS = ("BTC", "ETH", "TRON", "BSC", "TON", "SOL")
# What each field must be, in class-validator's words (the wording of each rule it applies).
RULES = {
    "currencyInCode": "currencyInCode " + ONE_OF + ", ".join(DEPOSIT_CODES),
    "toCurrencyCode": "toCurrencyCode " + ONE_OF + ", ".join(DEPOSIT_CODES),
    "invoiceAssetCode": "invoiceAssetCode " + ONE_OF + ", ".join(ASSETS),
    "fromAssetCode": "fromAssetCode " + ONE_OF + ", ".join(ASSETS),
    "invoiceAmount": "invoiceAmount must be a positive number string",
    "amount": "amount must be a positive number string",
    "comment": "comment must be shorter than or equal to 1000 characters",
    "publicComment": "publicComment must be shorter than or equal to 1000 characters",
    "callbackUrl": "callbackUrl must be a URL address",
    "redirectUrl": "redirectUrl must be a URL address",
    "isBayerPaysService": "isBayerPaysService must be a boolean value",
    "isAwaitRequisites": "isAwaitRequisites must be a boolean value",
    "expiryDurationMinutes": "expiryDurationMinutes must be an integer number between 1 and 10080",
    "recipient": "recipient must be a string shorter than or equal to 128 characters",
    "requisitesMemoTag": "requisitesMemoTag must contain only letters, numbers, spaces, - and _ (64 at most)",
    "page": "page must be a positive integer",
    "limit": "limit must be an integer between 1 and 100",
    "orderBy": "orderBy must be a field name, optionally prefixed with - for descending (e.g. -createdAt)",
    "statuses": "each value in statuses " + ONE_OF + ", ".join(STATUS_WORDS),
    "types": "each value in types " + ONE_OF + ", ".join(TYPE_WORDS),
    "assets": "each value in assets " + ONE_OF + ", ".join(ASSETS),
    "networks": "each value in networks " + ONE_OF + ", ".join(NETWORKS),
    "merchantsUids": "each value in merchantsUids must be a UUID",
    "billingTags": "each value in billingTags must be shorter than or equal to 200 characters",
    "createdAtSince": "createdAtSince must be a valid ISO 8601 date string",
    "createdAtBefore": "createdAtBefore must be a valid ISO 8601 date string",
    "search": "search must be shorter than or equal to 200 characters",
    "showProtectedMerchantsOrders": "showProtectedMerchantsOrders must be a boolean value",
    "toAssetCode": "toAssetCode " + ONE_OF + ", ".join(ASSETS),
}


def strict(merchant: dict) -> bool:
    return merchant.get("strict") is True


async def read_body(request: web.Request) -> Any:
    """The body as Express's JSON parser leaves it: {} when it parses nothing."""
    raw = await request.read()
    media, _, params = request.headers.get("Content-Type", "").partition(";")
    if media.strip().lower() != "application/json":
        return {}
    charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";")
                    if p.strip().lower().startswith("charset=")), "utf-8")
    try:
        if not charset.startswith("utf-"):
            raise LookupError(charset)
        codecs.lookup(charset)
    except LookupError:
        raise SandboxError(f'unsupported charset "{charset.upper()}"', status=415) from None
    text = raw.decode(charset, errors="replace")       # undecodable bytes become U+FFFD, as iconv does
    start = len(text) - len(text.lstrip())
    if start == len(text):
        return {}
    if text[start] not in "{[":                         # the parser's strict mode: objects and arrays
        raise SandboxError(_unexpected(text, start), status=400)
    try:
        value = json.loads(text, parse_float=bounded_decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise SandboxError(_unexpected(text, exc.pos), status=400) from None
    except ValueError:                                  # NaN/Infinity, or a number beyond any amount
        spots = [i for i in (text.find("NaN"), text.find("Infinity")) if i >= 0]
        raise SandboxError(_unexpected(text, min(spots)) if spots else "Unexpected number in JSON",
                           status=400) from None
    except RecursionError:
        raise SandboxError("Request body is nested too deeply", status=400) from None
    try:
        return reject_lone_surrogates(text, value)
    except ValueError:                                  # valid JSON, but no UTF-8 can carry it back
        raise SandboxError("a string holds a lone UTF-16 surrogate", status=400) from None


def _unexpected(text: str, position: int) -> str:
    if position >= len(text.rstrip()):
        return "Unexpected end of JSON input"
    return f"Unexpected token {text[position]} in JSON at position {position}"


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _too_deep(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_too_deep(item, depth + 1) for item in items)


def _integral(body: dict, names: tuple[str, ...]) -> None:
    """A JSON number like 60.0 is the integer 60 to a JavaScript server."""
    for name in names:
        value = body.get(name)
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            body[name] = int(value)


def check(world, contract: str, instance: Any, merchant: dict, *, integers: tuple[str, ...] = (),
          rules: dict[str, str] | None = None) -> dict:
    """Validate a body or query against its contract; 400 with every failing field's rule."""
    body = instance if isinstance(instance, dict) else {}
    if isinstance(instance, dict):
        _integral(body, integers)
    bound = world.contracts(NAME)
    schema = bound.contracts.schemas[contract]
    known = list(schema.get("properties", {}))
    failing = [name for name in schema.get("required", []) if name not in body]
    if _too_deep(body):
        raise Invalid(["body is nested too deeply"])
    for violation in bound.validate(contract, body):
        name = violation.instance_path.strip("/").split("/")[0]
        if name and name not in failing:
            failing.append(name)
    messages = [(rules or {}).get(name) or RULES.get(name) or f"{name} is not valid"
                for name in sorted(failing, key=lambda n: known.index(n) if n in known else len(known))
                if name in known]
    if strict(merchant):
        messages += [f"property {name} should not exist" for name in body if name not in known]
    if messages:
        raise Invalid(messages)
    return body
