"""AlfaBit Pay's order endpoints, mounted at /alfabit: invoices, orders, lists, withdrawals.

Each handler reads the body as the provider's framework does (validation.py), authenticates
(`x-api-key`), validates the whole request against its contract, and only then touches state (ids,
uuids, addresses and balances are taken after validation, so a refused request changes nothing).
Success is {"message": "ok", "data": ...} [D/C].
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ...core.basics.errors import BadRequest, Forbidden, NotFound
from ...core.http.context import provider_base, world_of
from ...core.http.jsonio import json_response
from . import queries
from .assets import CURRENCIES, INTERNAL, SERVICE_FEE, internal_code, quantize, recipient_ok
from .assets import text as amount
from .auth import authenticate
from .backend import Backend, open_invoice, start_withdrawal
from .errors import Invalid
from .model import EXCHANGE_WITHDRAW, INVOICE, NAME, OPEN_INVOICE, WITHDRAW, Order
from .validation import check, read_body, strict
from .views import ok, order_view

routes = web.RouteTableDef()
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_DIGITS = 15          # [A] integer digits of any amount
V1 = "/api/v1/integration"


def context(request: web.Request) -> tuple[Any, Backend, dict]:
    world = world_of(request)
    backend: Backend = world.backend(NAME)
    return world, backend, authenticate(request, backend.merchant_by_key)


async def _request(request: web.Request) -> tuple[Any, Backend, dict, Any]:
    """The body first (the framework parses it before any guard runs), then the key."""
    body = await read_body(request)
    world, backend, merchant = context(request)
    return world, backend, merchant, body


def respond(world, contract: str, payload: dict, status: int = 200) -> web.Response:
    world.contracts(NAME).audit(contract, payload)
    return json_response(payload, status=status)


def _amount(raw: Any, name: str, decimals: int, merchant: dict) -> Decimal:
    if strict(merchant) and not isinstance(raw, str):
        raise Invalid([f"{name} must be a number string"])   # [A] a JSON number, refused when strict
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    except InvalidOperation:
        raise Invalid([f"{name} must be a positive number string"]) from None
    if not value.is_finite() or value <= 0:
        raise Invalid([f"{name} must be a positive number string"])
    if value.adjusted() >= MAX_DIGITS:
        raise Invalid([f"{name} must not be greater than {'9' * MAX_DIGITS}"])
    if value.normalize().as_tuple().exponent < -decimals:
        raise Invalid([f"{name} must have at most {decimals} decimal places"])
    return value


def _owned(backend: Backend, merchant: dict, uid: str) -> Order:
    order = backend.orders.get(uid) if UID.fullmatch(uid) else None
    if order is None or order.merchant is not merchant:
        raise NotFound("Order not found")
    return order


async def _create_invoice(request: web.Request, with_amount: bool) -> web.Response:
    world, backend, merchant, raw = await _request(request)
    body = check(world, "invoice.request" if with_amount else "invoice-without-amount.request", raw, merchant,
                 integers=("expiryDurationMinutes",))
    currency = CURRENCIES[body["currencyInCode"]]
    buyer_pays = bool(body.get("isBayerPaysService") or False)
    minutes = body.get("expiryDurationMinutes") or backend.default_expiry
    asset, out, invoice_amount, expected = body.get("invoiceAssetCode"), CURRENCIES[INTERNAL], Decimal(0), Decimal(0)
    if with_amount:
        if asset is None and strict(merchant):   # [A] the asset defaults to the coin's, unless strict
            raise Invalid(["invoiceAssetCode should not be empty"])
        asset = asset or currency.asset
        invoice_amount = _amount(body["invoiceAmount"], "invoiceAmount", 18, merchant)
        expected = invoice_amount * backend.rate(asset, currency.asset)
        if buyer_pays:  # [A] the payer covers the service fee: the merchant gets the full amount
            expected = expected / (1 - SERVICE_FEE)
        expected = quantize(expected, currency.decimals, ROUND_UP)
    elif asset is not None:   # [C] "Convert to": the payment is credited converted into this asset
        out = CURRENCIES[internal_code(asset)]
    now = world.clock.now()
    order = Order(
        id=backend.next_id(), uid=world.new_uuid(), merchant=merchant,
        type=INVOICE if with_amount else OPEN_INVOICE, currency_in=currency, currency_out=out,
        created_at=now, origin=provider_base(request, world, "/alfabit"), invoice_asset=asset,
        invoice_amount=invoice_amount, amount_in_expected=expected,
        hedge_rate=backend.rate(currency.asset, out.asset), comment=body.get("comment"),
        public_comment=body.get("publicComment"), callback_url=body.get("callbackUrl"),
        redirect_url=body.get("redirectUrl"), buyer_pays=buyer_pays,
        expires_at=now + timedelta(minutes=int(minutes)))
    # [A] isAwaitRequisites defaults to true: the answer carries the requisites
    open_invoice(world, backend, order, body.get("isAwaitRequisites") is not False)
    return respond(world, "order.response", ok(order_view(order, backend, now)), status=201)


@routes.post(V1 + "/orders/invoice")
async def create_invoice(request: web.Request) -> web.Response:
    return await _create_invoice(request, with_amount=True)


@routes.post(V1 + "/orders/invoice/without-amount")
async def create_open_invoice(request: web.Request) -> web.Response:
    return await _create_invoice(request, with_amount=False)


async def _list(request: web.Request, contract: str) -> web.Response:
    world, backend, merchant = context(request)
    query = queries.parse(request, contract, world, merchant)
    now = world.clock.now()
    chosen = queries.select(backend.by_merchant.get(merchant["api_key"], []), query, now)
    return respond(world, "orders-list.response", ok([order_view(o, backend, now) for o in chosen]))


@routes.get(V1 + "/orders")
async def list_orders_v1(request: web.Request) -> web.Response:
    return await _list(request, "orders-list-v1.query")


@routes.get("/api/v2/integration/orders")
async def list_orders(request: web.Request) -> web.Response:
    return await _list(request, "orders-list.query")


@routes.post(V1 + "/orders/withdraw")
async def withdraw(request: web.Request) -> web.Response:
    return await _withdraw(request, exchange=False)


@routes.post(V1 + "/orders/withdraw-with-exchange")
async def withdraw_with_exchange(request: web.Request) -> web.Response:
    return await _withdraw(request, exchange=True)


async def _withdraw(request: web.Request, exchange: bool) -> web.Response:
    world, backend, merchant, raw = await _request(request)
    if merchant.get("withdrawals_enabled") is False:
        raise Forbidden("Withdrawals are not allowed for this API key")  # [A] a key's permission
    if isinstance(raw, dict) and "amount" not in raw and "volume" in raw \
            and merchant.get("withdraw_volume_field") is True and not strict(merchant):
        # [A] opt-in reading of a public gateway's body: `volume` for `amount`, `walletId` ignored
        raw = {k: v for k, v in raw.items() if k not in ("volume", "walletId")} | {"amount": raw["volume"]}
    body = check(world, "withdraw-with-exchange.request" if exchange else "withdraw.request", raw, merchant)
    currency = CURRENCIES[body["toCurrencyCode"]]
    value = _amount(body["amount"], "amount", currency.decimals, merchant)
    low, high = backend.fees.limits(currency)
    if not low <= value <= high:
        raise Invalid([f"amount must not be {'less' if value < low else 'greater'} than "
                       f"{amount(low if value < low else high)}"])
    recipient = body["recipient"]
    if not recipient_ok(currency, recipient, strict(merchant)):
        raise Invalid([f"recipient must be a {currency.code} address"])
    source = CURRENCIES[internal_code(body["fromAssetCode"] if exchange else currency.asset)]
    cost, net, service = backend.fees.cost(currency, value, source)
    if cost > backend.balance(merchant, source.code):
        raise BadRequest(f"Insufficient funds: {amount(cost)} {source.code} needed, "
                         f"{amount(backend.balance(merchant, source.code))} available")
    now = world.clock.now()
    order = Order(
        id=backend.next_id(), uid=world.new_uuid(), merchant=merchant,
        type=EXCHANGE_WITHDRAW if exchange else WITHDRAW, currency_in=source, currency_out=currency,
        created_at=now, origin=provider_base(request, world, "/alfabit"), amount_in_expected=cost, amount_out_expected=value,
        hedge_rate=backend.rate(currency.asset, source.asset), comment=body.get("comment"),
        callback_url=body.get("callbackUrl"), requisites=recipient,
        memo=body.get("requisitesMemoTag") or None, fee=net, service_fee=service)
    start_withdrawal(world, backend, order)
    return respond(world, "order.response", ok(order_view(order, backend, now)), status=201)


@routes.post(V1 + "/orders/fiat-withdraw")
async def fiat_withdraw(request: web.Request) -> web.Response:
    """[A] the fiat rails are not emulated: the provider's 404, after its usual checks."""
    await _request(request)
    raise NotFound("Fiat withdrawals are not available for this merchant")


@routes.get(V1 + "/orders/{uid}")
async def get_order(request: web.Request) -> web.Response:
    world, backend, merchant = context(request)
    order = _owned(backend, merchant, request.match_info["uid"])
    return respond(world, "order.response", ok(order_view(order, backend, world.clock.now())))
