"""AlfaBit Pay's integration API, mounted at /alfabit: every endpoint public clients call.

Each handler: authenticate (`x-api-key`), validate the whole request against its contract, and
only then touch state (ids, uuids, addresses and balances are taken after validation, so a refused
request changes nothing). Success is {"message": "ok", "data": ...} [D/C].
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ...core.basics.errors import BadRequest, Forbidden, NotFound
from ...core.http.context import provider_base, world_of
from ...core.http.jsonio import json_response, read_json
from . import model
from .auth import authenticate
from .model import CURRENCIES, INTERNAL, INVOICE, NAME, OPEN_INVOICE, SERVICE_FEE, WITHDRAW, Order
from .backend import Backend, open_invoice, start_withdrawal
from .views import amount, currency_view, merchant_view, ok, order_view

routes = web.RouteTableDef()
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_DEPTH = 16
MAX_DIGITS = 15          # [A] integer digits of any amount
# [A] recipient shapes per chain (mainnet and testnet forms); checked after the contract.
RECIPIENT = {
    "btc": re.compile(r"(bc1|tb1|bcrt1)[02-9ac-hj-np-z]{20,80}|[123mn][1-9A-HJ-NP-Za-km-z]{25,34}"),
    "eth": re.compile(r"0x[0-9a-fA-F]{40}"),
    "bsc": re.compile(r"0x[0-9a-fA-F]{40}"),
    "tron": re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}"),
    "ton": re.compile(r"[A-Za-z0-9_-]{48}|-?[01]:[0-9a-fA-F]{64}"),
    "sol": re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}"),
}
LIST_ARRAYS = ("statuses", "types", "assets", "networks")
LIST_SCALARS = ("createdAtSince", "createdAtBefore", "search", "orderBy", "page", "limit")
QUERY_KEY = re.compile(r"([A-Za-z]+)(\[\d{0,4}\])?")


def _context(request: web.Request) -> tuple[Any, Backend, dict]:
    world = world_of(request)
    backend: Backend = world.backend(NAME)
    return world, backend, authenticate(request, backend.merchant_by_key)


def _text(value: str, name: str = "value") -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{name} is not valid Unicode") from None
    return value


def _clean(value: Any, depth: int = 0) -> None:
    """Lone surrogates (which no response could carry) and silly nesting, anywhere in a body."""
    if depth > MAX_DEPTH:
        raise BadRequest("body is nested too deeply")
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text(key, "a key")
            _clean(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _clean(item, depth + 1)


async def _body(request: web.Request, world, contract: str) -> dict:
    body = await read_json(request)
    _clean(body)
    world.contracts(NAME).check_request(contract, body)   # a violation renders as 400
    return body


def _check(world, contract: str, instance: Any) -> None:
    _clean(instance)
    world.contracts(NAME).check_request(contract, instance)


def _respond(world, contract: str, payload: dict, status: int = 200) -> web.Response:
    world.contracts(NAME).audit(contract, payload)
    return json_response(payload, status=status)


def _amount(raw: Any, name: str, decimals: int) -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    except InvalidOperation:
        raise BadRequest(f"{name} must be a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise BadRequest(f"{name} must be greater than 0")
    if value.adjusted() >= MAX_DIGITS:
        raise BadRequest(f"{name} is too large")
    if value.normalize().as_tuple().exponent < -decimals:
        raise BadRequest(f"{name} allows at most {decimals} decimal places")
    return value


def _origin(request: web.Request, world) -> str:
    """Where this order's public links start (its page, its QR code)."""
    return provider_base(request, world, "/alfabit")


def _owned(backend: Backend, merchant: dict, uid: str) -> Order:
    order = backend.orders.get(uid) if UID.fullmatch(uid) else None
    if order is None or order.merchant is not merchant:
        raise NotFound("Order not found")
    return order


async def _create_invoice(request: web.Request, with_amount: bool) -> web.Response:
    world, backend, merchant = _context(request)
    body = await _body(request, world, "invoice.request" if with_amount else "invoice-without-amount.request")
    currency = CURRENCIES[body["currencyInCode"]]
    buyer_pays = bool(body.get("isBayerPaysService") or False)
    await_requisites = body.get("isAwaitRequisites")
    minutes = body.get("expiryDurationMinutes") or backend.default_expiry
    asset, invoice_amount, expected = None, Decimal(0), Decimal(0)
    if with_amount:
        asset = body.get("invoiceAssetCode") or currency.asset
        invoice_amount = _amount(body["invoiceAmount"], "invoiceAmount", 18)
        expected = invoice_amount * backend.rate(asset, currency.asset)
        if buyer_pays:  # [A] the payer covers the service fee: the merchant gets the full amount
            expected = expected / (1 - SERVICE_FEE)
        expected = model.quantize(expected, currency.decimals, ROUND_UP)
    now = world.clock.now()
    order = Order(
        id=backend.next_id(), uid=world.new_uuid(), merchant=merchant,
        type=INVOICE if with_amount else OPEN_INVOICE, currency_in=currency,
        currency_out=CURRENCIES[INTERNAL], created_at=now, origin=_origin(request, world),
        invoice_asset=asset, invoice_amount=invoice_amount, amount_in_expected=expected,
        hedge_rate=backend.rate(currency.asset, "USDT"), comment=body.get("comment"),
        public_comment=body.get("publicComment"), callback_url=body.get("callbackUrl"),
        redirect_url=body.get("redirectUrl"), buyer_pays=buyer_pays,
        expires_at=now + timedelta(minutes=int(minutes)))
    # [A] isAwaitRequisites defaults to true: the answer carries the requisites
    open_invoice(world, backend, order, await_requisites is not False)
    return _respond(world, "order.response", ok(order_view(order, backend, now)), status=201)


@routes.post("/api/v1/integration/orders/invoice")
async def create_invoice(request: web.Request) -> web.Response:
    return await _create_invoice(request, with_amount=True)


@routes.post("/api/v1/integration/orders/invoice/without-amount")
async def create_open_invoice(request: web.Request) -> web.Response:
    return await _create_invoice(request, with_amount=False)


@routes.get("/api/v1/integration/orders/{uid}")
async def get_order(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    order = _owned(backend, merchant, request.match_info["uid"])
    return _respond(world, "order.response", ok(order_view(order, backend, world.clock.now())))


def _list_query(request: web.Request) -> dict:
    """statuses[]=a&statuses[]=b (axios), statuses[0]=a (PHP) and statuses=a all mean a list."""
    out: dict[str, Any] = {}
    for key, value in request.query.items():
        match = QUERY_KEY.fullmatch(key)
        if match is None:
            continue  # [A] unknown query parameters are ignored
        name, brackets = match.groups()
        _text(value, name)
        if name in LIST_ARRAYS:
            out.setdefault(name, []).append(value)
        elif name in LIST_SCALARS:
            if brackets or name in out:
                raise BadRequest(f"{name} must be given once")
            out[name] = value
    return out


def _instant(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 instant") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@routes.get("/api/v2/integration/orders")
async def list_orders(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    query = _list_query(request)
    _check(world, "orders-list.query", query)
    since = _instant(query["createdAtSince"], "createdAtSince") if "createdAtSince" in query else None
    before = _instant(query["createdAtBefore"], "createdAtBefore") if "createdAtBefore" in query else None
    page, limit = int(query.get("page", 1)), int(query.get("limit", 20))
    field, _, direction = query.get("orderBy", "createdAt:desc").partition(":")
    now = world.clock.now()
    wanted = {k: set(query[k]) for k in LIST_ARRAYS if k in query}
    search = query.get("search", "").lower()

    def keep(o: Order) -> bool:
        return ((since is None or o.created_at >= since) and (before is None or o.created_at < before)
                and ("statuses" not in wanted or o.status(now) in wanted["statuses"])
                and ("types" not in wanted or o.type in wanted["types"])
                and ("assets" not in wanted or bool({o.currency_in.asset, o.currency_out.asset} & wanted["assets"]))
                and ("networks" not in wanted
                     or bool({o.currency_in.network, o.currency_out.network} & wanted["networks"]))
                and (not search or any(search in str(v).lower() for v in (
                    o.uid, o.id, o.comment, o.public_comment, o.requisites, o.tx_id()) if v is not None)))

    found = [o for o in backend.by_merchant.get(merchant["api_key"], []) if keep(o)]
    attr = "created_at" if field == "createdAt" else "updated_at"
    found.sort(key=lambda o: (getattr(o, attr) or o.created_at, o.id), reverse=direction == "desc")
    chosen = found[(page - 1) * limit: page * limit]
    return _respond(world, "orders-list.response", ok({
        "items": [order_view(o, backend, now) for o in chosen], "total": len(found),
        "page": page, "limit": limit, "pages": (len(found) + limit - 1) // limit}))


@routes.post("/api/v1/integration/orders/withdraw")
async def withdraw(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    if merchant.get("withdrawals_enabled") is False:
        raise Forbidden("Withdrawals are not allowed for this API key")  # [A] a key's permission
    body = await _body(request, world, "withdraw.request")
    currency = CURRENCIES[body["toCurrencyCode"]]
    value = _amount(body["amount"], "amount", currency.decimals)
    recipient = body["recipient"]
    if not RECIPIENT[currency.chain].fullmatch(recipient):
        raise BadRequest(f"recipient is not a valid {currency.code} address")
    cost = backend.withdraw_cost(currency, value)
    if cost > backend.balance(merchant):
        raise BadRequest(f"Insufficient funds: {amount(cost)} {INTERNAL} needed, "
                         f"{amount(backend.balance(merchant))} available")
    now = world.clock.now()
    order = Order(
        id=backend.next_id(), uid=world.new_uuid(), merchant=merchant, type=WITHDRAW,
        currency_in=CURRENCIES[INTERNAL], currency_out=currency, created_at=now,
        origin=_origin(request, world), amount_in_expected=cost, amount_out_expected=value,
        hedge_rate=backend.rate(currency.asset, "USDT"), comment=body.get("comment"),
        callback_url=body.get("callbackUrl"), requisites=recipient,
        memo=body.get("requisitesMemoTag") or None, fee=currency.withdraw_fee)
    start_withdrawal(world, backend, order)
    return _respond(world, "order.response", ok(order_view(order, backend, now)), status=201)


@routes.get("/api/v1/integration/merchant")
async def merchant_info(request: web.Request) -> web.Response:
    world, _, merchant = _context(request)
    return _respond(world, "merchant.response", ok(merchant_view(merchant)))


@routes.get("/api/v1/integration/merchant/balances")
async def balances(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    internal = CURRENCIES[INTERNAL]
    return _respond(world, "balances.response", ok([{
        "currencyCode": internal.code, "assetCode": internal.asset,
        "balance": amount(backend.balance(merchant))}]))


@routes.get("/api/v1/integration/assets/currencies")
async def currencies(request: web.Request) -> web.Response:
    world, _, _ = _context(request)
    return _respond(world, "currencies.response", ok([currency_view(code) for code in CURRENCIES]))


@routes.get("/api/v1/integration/assets/exchange-rate")
async def exchange_rate(request: web.Request) -> web.Response:
    world, backend, _ = _context(request)
    query = {k: _text(v, k) for k, v in request.query.items() if k in ("from", "to")}
    if len(request.query.getall("from", [])) > 1 or len(request.query.getall("to", [])) > 1:
        raise BadRequest("from and to must be given once")
    _check(world, "exchange-rate.query", query)
    to = query.get("to", "USDT")
    sources = [query["from"]] if "from" in query else [a for a in backend.rates if a != to]
    return _respond(world, "exchange-rate.response", ok([
        {"from": a, "to": to, "rate": amount(model.quantize(backend.rate(a, to), 12).normalize())}
        for a in sources]))
