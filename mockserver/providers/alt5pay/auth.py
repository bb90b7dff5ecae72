"""ALT 5 Pay request authentication (pure functions, then the request door) and IPN signing.

Request headers [D]: `apikey`, `merchant_id`, `authentication` =
`base64(apikey + ":" + hex(HMAC-SHA512(key=secret, msg=bodyString)))`.
bodyString [D/C] = every body key as `k=v`, joined by `&`. Two key orders verify:
- the docs' order [D]: the docs sign `ref_id=mk1231sa11&timestamp=1588364168&nonce=900288` and say
  that `url` and `currency`, when passed, "must be added as follows":
  `ref_id=…&url=…&timestamp=…&nonce=…&currency=…`. That is a fixed place for each key, whatever
  order the JSON body has; clients that build the string by hand follow it. For every endpoint the
  sandbox takes the key order of the docs' own request sample (`DOCS_ORDER`); keys the sample
  lacks follow, in body order [A];
- the body's own key order [C]: public Node clients sign `Object.entries(body)`, so `url` comes
  wherever it sits in their body (often last).
[A] Taking the body's own order as well is the sandbox's leniency (production's choice between the
two is not known); the merchant setting ``strict`` takes the docs' order only.
The 401's X-Sandbox-Reason names both orders tried; an accepted request's journal entry
(`alt5pay.auth`, field `signed`) says which one matched. Values are raw: strings unescaped and not URL-encoded, numbers exactly as
written in the JSON text (`10.50` stays `10.50`), booleans `true`/`false`, nested objects and
arrays as compact JSON (JavaScript style: `/` and non-ASCII not escaped, numbers as written).

Assumptions ([A], also in contracts/alt5pay/error.json):
- `null` values are signed as `null` (what JavaScript's template strings print);
- a nested value may also be signed the way PHP's default `json_encode` prints it (`\\/` and
  `\\uXXXX`), since PHP integrations build the bodyString with it; not under ``strict``;
- the hex digest is compared case-insensitively (the docs' CryptoJS.enc.Hex prints lowercase and
  they say nothing of case); ``strict`` wants lowercase;
- replay protection: a request whose timestamp is more than `TIMESTAMP_TOLERANCE` seconds away
  from real time (`clock.wall_now()`) is refused, and so is an exact replay (same timestamp, nonce and
  signature). A nonce repeated with another timestamp is accepted: the provider's WooCommerce
  plugin derives nonce = timestamp/1000 and so repeats it for about 16 minutes.

IPN [D]: header `signature` = hex HMAC-SHA512(key=secret, msg=raw body).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ...core.basics.errors import BadRequest
from ...core.http.context import world_of
from ...core.http.jsonio import ascii_header, reject_lone_surrogates
from .errors import access_invalid

if TYPE_CHECKING:
    from .backend import Alt5Backend

TIMESTAMP_TOLERANCE = 300       # seconds either side of the clock [A]


class JsonNumber(str):
    """A JSON number kept as the literal text the client wrote (`10.50`, `1e3`, `-0`)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_NUMBER_CHARS = 4300    # Python's int-from-text limit; no amount, count or id needs a fraction of it


def _number(text: str) -> JsonNumber:
    if len(text) > MAX_NUMBER_CHARS:     # int() of it later would be an error, not a refusal
        raise ValueError("a number has too many digits")
    return JsonNumber(text)


def parse_body(raw: bytes) -> dict:
    """Parse a request body keeping key order and the literal text of every number.

    Raises ValueError for anything but a JSON object.
    """
    text = raw.decode("utf-8") if raw.strip() else "{}"
    value = reject_lone_surrogates(text, json.loads(text, parse_float=_number, parse_int=_number,
                                                    parse_constant=_reject_constant))
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _nested(value: Any, php: bool) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, JsonNumber):
        return str(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=php)
        return text.replace("/", "\\/") if php else text
    if isinstance(value, dict):
        return "{" + ",".join(f"{_nested(str(k), php)}:{_nested(v, php)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_nested(v, php) for v in value) + "]"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    raise TypeError(f"cannot render {type(value).__name__}")


def render_value(value: Any, php: bool = False) -> str:
    """One bodyString value: raw text for strings and numbers, JSON for the rest."""
    if isinstance(value, (dict, list)):
        return _nested(value, php)
    if isinstance(value, str):          # JsonNumber included: its literal text
        return str(value)
    return _nested(value, php)


def body_string(body: dict, php: bool = False) -> str:
    return "&".join(f"{key}={render_value(value, php)}" for key, value in body.items())


# The key order of each endpoint's request sample in the docs [D] (what hand-built bodyStrings follow).
DOCS_ORDER: dict[str, tuple[str, ...]] = {
    "wallet-create.request": ("ref_id", "url", "timestamp", "nonce", "currency"),
    "transactions.request": ("address", "all", "timestamp", "nonce"),
    "transactionsbytx.request": ("txid", "all", "timestamp", "nonce"),
    "transactionsbyref.request": ("ref_id", "all", "timestamp", "nonce"),
    "addressbyref.request": ("ref_id", "timestamp", "nonce"),
    "price.request": ("coin", "currency", "timestamp", "nonce"),
    "invoice-create.request": ("contact", "ref_id", "items", "total_amount", "currency", "due_date",
                               "sendemail", "url", "timestamp", "nonce"),
    "balances.request": ("timestamp", "nonce"),
    "fees.request": ("timestamp", "nonce"),
    "merchant-transactions.request": ("timestamp", "nonce", "startDate", "endDate"),
    "request-payment.request": ("currency", "type", "timestamp", "nonce"),
    "payments.request": ("timestamp", "nonce", "startDate", "endDate"),
}
DEFAULT_DOCS_ORDER = ("ref_id", "url", "timestamp", "nonce", "currency")   # the docs' general example
BODY_ORDER, DOCS = "body order", "docs order"


def docs_ordered(body: dict, contract: str | None = None) -> dict:
    """The body's keys in the docs' fixed order for `contract`; keys it does not name follow [A]."""
    order = DOCS_ORDER.get(contract or "", DEFAULT_DOCS_ORDER)
    known = [k for k in order if k in body]
    return {**{k: body[k] for k in known}, **{k: v for k, v in body.items() if k not in order}}


def candidate_body_strings(body: dict, contract: str | None = None, *,
                           strict: bool = False) -> list[tuple[str, str]]:
    """(label, bodyString) a genuine client may have signed: body order, then the docs' order;
    nested values JS style first, then PHP style [A]. Duplicates are dropped. `strict`: the docs'
    order with JS-style nesting only."""
    if strict:
        return [(DOCS, body_string(docs_ordered(body, contract)))]
    out: dict[str, str] = {}
    for label, ordered in ((BODY_ORDER, body), (DOCS, docs_ordered(body, contract))):
        for php in (False, True):
            out.setdefault(body_string(ordered, php=php), label + (" (PHP json_encode nesting)" if php else ""))
    return [(label, text) for text, label in out.items()]


def hmac_hex(secret: str, message: str | bytes) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha512).hexdigest()


def authentication_header(apikey: str, secret: str, body_str: str) -> str:
    """What a client puts in the `authentication` header."""
    token = f"{apikey}:{hmac_hex(secret, body_str)}"
    return base64.b64encode(token.encode("utf-8")).decode("ascii")


def decode_authentication(header: str) -> tuple[str, str] | None:
    """(apikey, hex digest) from an `authentication` header, or None when it is not one."""
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    apikey, sep, digest = decoded.rpartition(":")
    if not sep or not apikey or not digest or not decoded.isascii():  # "key:é": no hex digest
        return None
    return apikey, digest


def signature_matches(secret: str, digest: str, body: dict, contract: str | None = None, *,
                      strict: bool = False) -> str | None:
    """The label of the bodyString the digest signs (e.g. "docs order"), or None."""
    if strict and digest != digest.lower():
        return None                     # [A] uppercase hex only without strict
    digest = digest.lower()
    for label, text in candidate_body_strings(body, contract, strict=strict):
        if hmac.compare_digest(hmac_hex(secret, text), digest):
            return label
    return None


def _keys_hint(body: dict) -> str:
    """`ref_id,url,timestamp` with anything but plain printable ASCII escaped (a header value)."""
    text = ",".join(json.dumps(str(k))[1:-1] for k in body)
    return text if len(text) <= 200 else text[:200] + "..."


def mismatch_hint(body: dict, contract: str | None, *, strict: bool = False) -> str:
    docs = docs_ordered(body, contract)
    if strict:
        return (f"HMAC-SHA512 of the bodyString does not match; strict: tried the docs' fixed order "
                f"({_keys_hint(docs)}) with a lowercase hex digest only")
    tried = f"the body's key order ({_keys_hint(body)})"
    if list(docs) != list(body):
        tried += f" and the docs' fixed order ({_keys_hint(docs)})"
    else:
        tried += " (which is also the docs' fixed order)"
    return f"HMAC-SHA512 of the bodyString does not match; tried {tried}"


def ipn_signature(secret: str, raw_body: bytes) -> str:
    """The IPN `signature` header: hex HMAC-SHA512 of the exact bytes posted."""
    return hmac_hex(secret, raw_body)


def timestamp_value(body: dict) -> int | None:
    """The body's `timestamp` in seconds, or None when missing or not an integer."""
    raw = body.get("timestamp")
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        return None


class ReplayGuard:
    """Remembers (timestamp, nonce, signature) triples inside the tolerance window."""

    def __init__(self, tolerance: int = TIMESTAMP_TOLERANCE):
        self.tolerance = tolerance
        self._seen: dict[tuple[str, str, str], int] = {}
        self._prune_at = 512

    def fresh(self, timestamp: int, now: int) -> bool:
        return abs(now - timestamp) <= self.tolerance

    def seen(self, key: tuple[str, str, str]) -> bool:
        return key in self._seen

    def remember(self, key: tuple[str, str, str], timestamp: int, now: int) -> None:
        if len(self._seen) >= self._prune_at:
            self._prune(now)
            # next scan only when the map has doubled: with thousands of fresh triples in the
            # window, a scan on every request would make each request O(window)
            self._prune_at = max(512, 2 * len(self._seen))
        self._seen[key] = timestamp

    def _prune(self, now: int) -> None:
        # Triples older than the window can no longer pass the timestamp check anyway.
        stale = [k for k, ts in self._seen.items() if now - ts > self.tolerance]
        for key in stale:
            del self._seen[key]


def sign_request(apikey: str, secret: str, merchant_id: str, raw_body: bytes) -> dict[str, str]:
    """Headers a client sends with the JSON text `raw_body` (signed in its own key order)."""
    return {"apikey": apikey, "merchant_id": merchant_id,
            "authentication": authentication_header(apikey, secret, body_string(parse_body(raw_body)))}


# -- the door every authenticated call goes through: parse, authenticate, validate, remember.
# Order matters for "bad input changes no state": the replay guard remembers a request only once
# it has passed authentication and its contract.

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


def check_credentials(backend: "Alt5Backend", headers, body: dict, now: int,
                      contract: str | None = None) -> tuple[dict, tuple, int, str]:
    """The merchant, the replay key, the timestamp and the order signed of a genuine request; else 401."""
    apikey, merchant_id, header = (ascii_header(headers, name) for name in ("apikey", "merchant_id", "authentication"))
    if None in (apikey, merchant_id, header):
        raise access_invalid("apikey, merchant_id and authentication must be ASCII")
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
    strict = bool(merchant.get("strict", backend.options.get("strict", False)))
    signed = signature_matches(str(merchant.get("secret", "")), decoded[1], body, contract, strict=strict)
    if signed is None:
        raise access_invalid(mismatch_hint(body, contract, strict=strict),
                             body_string(docs_ordered(body, contract)))
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
    return merchant, key, timestamp, signed


async def authenticate_request(request: web.Request, contract: str) -> tuple[Any, "Alt5Backend", dict, dict]:
    world = world_of(request)
    backend: "Alt5Backend" = world.backend(PROVIDER)
    raw = await request.read()
    try:
        body = parse_body(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Invalid JSON Body") from None
    now = int(world.clock.wall_now().timestamp())
    try:
        merchant, key, timestamp, signed = check_credentials(backend, request.headers, body, now, contract)
        checked = plain(body)
    except RecursionError:      # absurdly deep nesting: bad input, not a crash
        raise BadRequest("Invalid JSON Body") from None
    world.contracts(PROVIDER).check_request(contract, checked)
    # remembered once the answer is known to be a success (remember_replay_key): a refused
    # request changes nothing, so the same signed request may be sent again
    request[REPLAY_KEY] = (backend, key, timestamp, now)
    world.journal.record("alt5pay.auth", PROVIDER, path=request.path, signed=signed,
                         merchant=merchant.get("merchant_id"))
    return world, backend, merchant, checked


REPLAY_KEY: web.RequestKey = web.RequestKey("alt5pay.replay", tuple) if hasattr(web, "RequestKey") else "alt5pay.replay"


async def remember_replay_key(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: a request answered < 400 cannot be replayed."""
    pending = request.get(REPLAY_KEY)
    if pending is not None and response.status < 400:
        backend, key, timestamp, now = pending
        backend.replay.remember(key, timestamp, now)
