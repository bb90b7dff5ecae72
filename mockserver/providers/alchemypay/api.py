"""Alchemy Pay ramp HTTP API (orders and tokens), mounted at /alchemypay (= https://openapi-test.alchemypay.org).

Documented [D]: POST /open/api/v4/merchant/getToken, POST /open/api/v4/merchant/trade/create
(on-ramp only: "Pass value: BUY"; the Standard API "Only support On-Ramp"),
GET /open/api/v4/merchant/query/trade. Called by public clients [C]:
POST /open/api/v4/merchant/order/create (orderType "4" buy, "6" sell),
GET /open/api/v4/merchant/order/detail?orderNo=. The quote and crypto/fiat queries are in
catalog.py, the hosted ramp pages (the documented off-ramp) in pages.py.

Authentication on every call: headers appId (or appid — header names are case-insensitive),
timestamp (13-digit ms, at most 5 minutes from real time) and sign (v4 HMAC, or the legacy
SHA1 that production clients still send, unless the merchant/option ``strict_sign`` is true).
Assumptions:
- The 5-minute window is measured against real (wall-clock) time, which clients sign with, not
  the virtual clock (that runs ahead after an advance); the setting
  ``timestamp_window`` (merchant or provider option: a duration, or "off") changes it.
- ``access-token`` (tokens.py): mandatory on trade/create [D]; missing, unknown or expired ->
  returnCode 81004 [A], HTTP 401. The Query Order page lists only appid/timestamp/sign, so
  query/trade does not ask for it [D]. order/create and order/detail are called by public clients
  without it [C]: accepted without, but a token that is sent must be valid [A].
- trade/create with ``side: SELL`` is refused (10005) as the docs say SELL is not supported there;
  the merchant/option setting ``api_sell: true`` turns on the sandbox extension that accepts it
  [A, extension]. Off-ramp orders come from the hosted page /index/rampPageSell (pages.py) or
  from order/create with orderType 6 [C].
- [A] A body nested deeper than 16 levels is a parameter error.
- [A] Empty values ("" / null) in a body or query count as absent (they are not signed either).
- [A] Checks run in this order: JSON body, appId, timestamp, sign, access-token, then the request
  contract, so an unsigned bad request is refused as unsigned. A refused request changes nothing.
- The body sent must be the bodyString signed (auth.py): an unsorted body, or one carrying empty
  values, is 81003 [C]; spacing/escape variants signed as sent pass unless ``strict`` [A].
- Order parameters as production checks them: ``payWayCode`` one of fiat/list's for the fiat and
  side [D: "Get from Fiat Query"], 10005 otherwise; ``address`` of its network's shape
  (addresses.py), 10005 otherwise; a fiat ``amount`` with no more decimals than the fiat takes
  [D: INR, JPY, KRW, ... none; A: others 2], 10005 otherwise. [A] ``depositType`` "2" (a string) is
  taken for the int 2 unless ``strict``.
- [A] A buy order made through order/create without ``address`` gets a made-up user wallet; a
  sell order always gets a fresh deposit address on the simulated chain. ``email`` defaults to a
  made-up one.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from mockserver.core.time.durations import parse_duration
from mockserver.core.http.context import provider_base, world_of
from mockserver.core.http.jsonio import ascii_header, json_response, parse_json
from mockserver.core.http.reasons import explained, reason

from mockserver.core.basics.errors import Unprocessable

from . import auth, model
from .addresses import address_problem
from .backend import PROVIDER_NAME, AlchemyBackend, watch_deposits
from .errors import (APP_ID_INVALID, MERCHANT_KEY, SIGN_ERROR, TIMESTAMP_INVALID, TOKEN_INVALID, auth_error,
                     not_supported, param_error, wrap)
from .model import BUY, SELL
from .views import query_data

PREFIX = "/alchemypay"
V4 = "/open/api/v4/merchant"
DEFAULT_WINDOW_MS = 5 * 60 * 1000   # [D] "valid within 5 minutes"
MAX_DEPTH = 16                      # [A] deeper bodies are refused before any recursive work
RAW_BODY: web.RequestKey = web.RequestKey("alchemypay.raw_body", str)   # the body text as it arrived


def _world(request: web.Request):
    return world_of(request)


def _backend(request: web.Request) -> AlchemyBackend:
    return _world(request).backend(PROVIDER_NAME)


async def _body(request: web.Request) -> Any:
    if request.method == "GET":
        return None
    raw = await request.read()
    body = parse_json(raw) if raw.strip() else {}
    request[RAW_BODY] = raw.decode("utf-8")      # parse_json has checked it is UTF-8
    if not isinstance(body, dict):
        raise param_error("the body must be a JSON object")
    if auth.depth(body, MAX_DEPTH) > MAX_DEPTH:
        raise param_error(f"the body is nested deeper than {MAX_DEPTH} levels")
    return body


def check_fresh(request: web.Request, merchant: dict, timestamp: str) -> None:
    """13-digit ms within the merchant's window of real (wall-clock) time, else 81002."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) == 13):  # "²".isdigit() too
        raise explained(auth_error(TIMESTAMP_INVALID, "timestamp must be 13-digit milliseconds"),
                        reason("timestamp refused", formula="timestamp: 13-digit milliseconds of the client's real clock",
                               differed=f"the timestamp has {len(timestamp)} characters"
                                        + (" (seconds? multiply by 1000)" if len(timestamp) == 10 else "")))
    window = _window_ms(_backend(request), merchant)
    now_ms = int(_world(request).clock.wall_now().timestamp() * 1000)  # clients sign with real time
    if window is not None and abs(now_ms - int(timestamp)) > window:
        raise explained(auth_error(TIMESTAMP_INVALID, "timestamp expired (more than 5 minutes from server time)"),
                        reason("timestamp refused", formula="timestamp: 13-digit milliseconds of the client's real clock",
                               differed=f"timestamp window: {timestamp} is {abs(now_ms - int(timestamp)) / 1000:.0f} s "
                                        f"from the sandbox's wall clock (allowed: {window / 1000:.0f} s)"))


OFF = ("off", "none", "false", "0")     # timestamp_window values meaning no window


def _window_ms(backend: AlchemyBackend, merchant: dict) -> int | None:
    setting = backend.setting(merchant, "timestamp_window", None)
    if setting is None:
        return DEFAULT_WINDOW_MS
    if str(setting).strip().lower() in OFF:
        return None
    try:
        return int(parse_duration(setting).total_seconds() * 1000)
    except ValueError:
        return DEFAULT_WINDOW_MS


def sign_reason(secret: str, timestamp: str, request: web.Request, path: str, query: list, raw: str,
                sign: str) -> str:
    signed_text, differed = auth.sign_mismatch(secret, timestamp, request.method, path, query, raw, sign, PREFIX)
    return reason("sign refused", formula=auth.SIGN_FORMULA, signed_text=signed_text, differed=differed)


def authenticate(request: web.Request, body: Any) -> dict:
    """The merchant whose appId/timestamp/sign headers are valid, else the provider's 401."""
    backend = _backend(request)
    headers = request.headers  # case-insensitive: appId and appid both match
    app_id, timestamp, sign = (ascii_header(headers, name) for name in ("appId", "timestamp", "sign"))
    if app_id is None:
        raise auth_error(APP_ID_INVALID, "appId must be ASCII")
    if timestamp is None:
        raise auth_error(TIMESTAMP_INVALID, "timestamp must be 13-digit milliseconds")
    if sign is None:
        raise auth_error(SIGN_ERROR, "sign must be ASCII (base64 or hex)")
    merchant = backend.merchant(app_id) if app_id else None
    if merchant is None:
        raise auth_error(APP_ID_INVALID, "appId is missing or unknown" if app_id else "appId header is required")
    request[MERCHANT_KEY] = merchant        # its settings shape the error answers from here on
    check_fresh(request, merchant, timestamp)
    if not sign:
        raise auth_error(SIGN_ERROR, "sign header is required")
    path = request.path[len(PREFIX):] if request.path.startswith(PREFIX) else request.path
    raw = request.get(RAW_BODY, "") if request.method != "GET" else ""
    query = list(request.query.items())
    scheme = auth.verify_request_sign(
        app_id=app_id, secret=merchant["app_secret"], timestamp=timestamp, method=request.method,
        path=path, query=query, raw_body=raw, sign=sign,
        allow_legacy=not backend.setting(merchant, "strict_sign", False), strict=backend.strict(merchant))
    if scheme is None:
        if raw and not auth.signed_body_candidates(raw, strict=backend.strict(merchant)):
            raise explained(auth_error(SIGN_ERROR, "sign error: the body sent must be the bodyString signed "
                                                   "(keys sorted, empty values removed, compact JSON)"),
                            sign_reason(merchant["app_secret"], timestamp, request, path, query, raw, sign))
        raise explained(auth_error(SIGN_ERROR),
                        sign_reason(merchant["app_secret"], timestamp, request, path, query, raw, sign))
    return merchant


def access_token(request: web.Request, merchant: dict, *, required: bool):
    """The valid AccessToken of the ``access-token`` header; None when absent and not required."""
    token = request.headers.get("access-token", "")
    if not token and not required:
        return None
    found = _backend(request).tokens.valid(merchant["app_id"], token) if token else None
    if found is None:
        raise auth_error(TOKEN_INVALID, "access-token header is required" if not token else
                         "access-token is invalid or expired")
    return found


def _ok(request: web.Request, data: Any, contract: str) -> web.Response:
    world = _world(request)
    body = wrap(data, f"{world.rng.getrandbits(128):032x}")     # a success draws from the seeded generator
    world.contracts(PROVIDER_NAME).audit(contract, body)
    return json_response(body)


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise param_error("amount must be a decimal number") from None
    if not amount.is_finite() or amount <= 0 or amount > Decimal("1000000000"):
        raise param_error("amount must be a positive number")
    return amount


def _check_urls(body: dict) -> None:
    """The callbackUrl must parse: "http://[::1" passed the contract's ^https?:// pattern, was
    stored, and the webhook signed over its path answered 500. (Redirects are only echoed.)"""
    for key in ("callbackUrl",):
        if isinstance(body.get(key), str) and body[key]:
            try:
                parts = urlsplit(body[key])
                parts.port  # noqa: B018 - raises ValueError for a port out of range
            except ValueError:
                raise param_error(f"{key} is not a valid URL") from None
            if not parts.hostname:
                raise param_error(f"{key} has no host")


def check_pair(crypto: str, network: str, fiat: str) -> None:
    """10002 for a crypto, network or fiat the sandbox does not offer (see catalog.py)."""
    if crypto not in model.CRYPTO_USD:
        raise not_supported(f"crypto {crypto} is not supported")
    if network not in model.NETWORKS:
        raise not_supported(f"network {network} is not supported")
    if fiat not in model.FIAT_PER_USD:
        raise not_supported(f"fiat {fiat} is not supported")
    if network not in model.CRYPTO_NETWORKS.get(crypto, ()):
        raise not_supported(f"{crypto} is not supported on network {network}")


def check_amount(side: str, crypto: str, network: str, fiat: str, value: Any) -> Decimal:
    """The amount (BUY: fiat, SELL: crypto) as a Decimal within the sandbox's limits, else 10005."""
    amount = _amount(value)
    low, high = model.limits(side, crypto, fiat)
    if not low <= amount <= high:
        unit = fiat if side == BUY else crypto
        raise param_error(f"amount must be between {low} and {high} {unit}")
    if side == BUY:
        quote = model.quote(BUY, crypto, network, fiat, amount)
        if amount - quote["ramp_fee"] - quote["network_fee"] <= 0:
            raise param_error("amount is below the minimum (it does not cover the fees)")
    return amount


def check_fiat_decimals(fiat: str, amount: Decimal) -> None:
    """10005 for a fiat amount with more decimals than the fiat has (see model.fiat_decimals)."""
    places = model.fiat_decimals(fiat)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise param_error(f"amount {amount} has more decimals than {fiat} takes ({places})"
                          if places else f"amount for {fiat} must be an integer")


def check_pay_way(side: str, fiat: str, code: Any) -> str:
    """The payWayCode as a string, when fiat/list offers it for this fiat and side; else 10005."""
    text = "" if code is None else str(code)
    offered = [c for c, _ in model.PAY_WAYS[side]]
    if text and text not in offered:
        raise param_error(f"payWayCode {text} is not a {side} payment method for {fiat} "
                          f"(fiat/list offers {', '.join(offered)})")
    return text


def order_fields(world, body: dict, side: str, family: str, email: str = "", *,
                 strict: bool = False) -> dict[str, Any]:
    """Checked order fields from an API body (or a ramp page's query, mapped to API names)."""
    _check_urls(body)
    crypto, network, fiat = body["cryptoCurrency"], body["network"], body["fiatCurrency"]
    check_pair(crypto, network, fiat)
    amount = check_amount(side, crypto, network, fiat, body["amount"])
    if side == BUY:
        check_fiat_decimals(fiat, amount)
    pay_way = check_pay_way(side, fiat, body.get("payWayCode"))
    if side == BUY and body.get("address"):
        problem = address_problem(network, str(body["address"]), strict=strict)
        if problem:
            raise param_error(problem)
    chain_net = model.NETWORKS[network]
    if side == BUY:
        address = body.get("address") or world.chain.new_address(chain_net)
    else:
        address = world.chain.new_address(chain_net)
    return {
        "side": side, "merchant_order_no": body["merchantOrderNo"], "crypto": crypto, "network": network,
        "fiat": fiat, "amount": amount, "address": address, "pay_way_code": pay_way,
        "alpha2": body.get("alpha2", ""), "callback_url": body.get("callbackUrl", ""),
        "redirect_url": body.get("redirectUrl", ""),
        "email": email or body.get("email") or world.faker.email(),
        "merchant_uid": str(body.get("merchantUid") or body.get("userAccountId") or ""),
        "request": body, "api_family": family,
    }


def _pay_url(request: web.Request, order_no: str) -> str:
    return f"{provider_base(request, _world(request), PREFIX)}/pay/{order_no}"


async def _create(request: web.Request, contract: str, family: str) -> web.Response:
    world = _world(request)
    body = await _body(request)
    merchant = authenticate(request, body)
    token = access_token(request, merchant, required=family == "trade")
    body = auth.drop_empty(body)     # empty values count as absent, as in the signature [A]
    world.contracts(PROVIDER_NAME).check_request(contract, body)
    backend = _backend(request)
    if family == "order":
        side = model.ORDER_TYPES[str(body["orderType"])]
        if body.get("side") and body["side"] != side:
            raise param_error(f"side {body['side']} does not match orderType {body['orderType']}")
    else:
        side = body["side"]
        if side == SELL and not backend.setting(merchant, "api_sell", False):
            raise param_error("side SELL is not supported by trade/create (on-ramp only); "
                              "off-ramp orders start on the hosted page /index/rampPageSell")
    if backend.strict(merchant) and "depositType" in body and body["depositType"] != 2:
        raise Unprocessable('depositType must be the int 2 (strict: "2" is not taken)')
    backend.check_new(merchant, side, body["merchantOrderNo"])
    email = token.email if token is not None else ""
    fields = order_fields(world, body, side, family, email, strict=backend.strict(merchant))
    order = create_order(backend, merchant, fields)
    return _ok(request, {"orderNo": order.order_no, "payUrl": _pay_url(request, order.order_no)},
               "trade-create.response")


def create_order(backend: AlchemyBackend, merchant: dict, fields: dict[str, Any]):
    """Store the order (a sell order also watches its deposit address)."""
    order = backend.create(merchant, fields)
    if order.side == SELL:
        watch_deposits(backend, order)
    return order


async def get_token(request: web.Request) -> web.Response:
    body = await _body(request)
    merchant = authenticate(request, body)
    body = auth.drop_empty(body)
    _world(request).contracts(PROVIDER_NAME).check_request("get-token.request", body)
    issued = _backend(request).tokens.issue(merchant["app_id"], email=str(body.get("email", "")),
                                            uid=str(body.get("uid", "")))
    return _ok(request, issued.answer(), "get-token.response")


async def trade_create(request: web.Request) -> web.Response:
    return await _create(request, "trade-create.request", "trade")


async def order_create(request: web.Request) -> web.Response:
    return await _create(request, "order-create.request", "order")


async def query_trade(request: web.Request) -> web.Response:
    merchant = authenticate(request, None)     # no access-token: the Query Order page lists none [D]
    query = auth.drop_empty(dict(request.query))
    _world(request).contracts(PROVIDER_NAME).check_request("query-trade.request", query)
    order = _backend(request).find(merchant["app_id"], order_no=query.get("orderNo"),
                                   merchant_order_no=query.get("merchantOrderNo"), side=query["side"])
    return _ok(request, query_data(order, _world(request).clock.now()), "query-trade.response")


async def order_detail(request: web.Request) -> web.Response:
    merchant = authenticate(request, None)
    access_token(request, merchant, required=False)
    query = auth.drop_empty(dict(request.query))
    _world(request).contracts(PROVIDER_NAME).check_request("order-detail.request", query)
    order = _backend(request).find(merchant["app_id"], order_no=query["orderNo"])
    data = query_data(order, _world(request).clock.now(), legacy_words=True)
    return _ok(request, data, "order-detail.response")


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{V4}/getToken", get_token)
    app.router.add_post(f"{V4}/trade/create", trade_create)
    app.router.add_get(f"{V4}/query/trade", query_trade)
    app.router.add_post(f"{V4}/order/create", order_create)
    app.router.add_get(f"{V4}/order/detail", order_detail)
