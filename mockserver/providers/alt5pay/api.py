"""ALT 5 Pay's HTTP API, paths as on https://api.digitalpaydev.com [D].

Every success is HTTP 200 `{"status":"success","data":...}` (the provider's WooCommerce plugin
treats any other status as a failure); every error is `{"status":"error","message":...}`.
Responses are printed as a Node server prints JSON (numbers in JavaScript form).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from ...core.basics.errors import BadRequest, NotFound
from ...core.http.context import provider_base, world_of
from . import jsjson, pricing
from .assets import ASSETS, FEES, asset_listing
from .errors import COULD_NOT_CREATE
from .auth import authenticate_request, parse_body, plain
from .backend import Alt5Backend
from .model import FIAT, Payment
from .views import (invoice_view, merchant_transaction_view, payment_view, settlement_view, stamp_iso,
                    stamp_space)
from .pages import invoice_page

PROVIDER = "alt5pay"
MAX_TOTAL = Decimal("1e12")     # [A] beyond any real invoice; keeps totals exact as JS numbers
routes = web.RouteTableDef()


def respond(world, contract: str, data: Any) -> web.Response:
    payload = {"status": "success", "data": data}
    world.contracts(PROVIDER).audit(contract, payload)
    return web.Response(text=jsjson.dumps(payload), status=200, content_type="application/json")


def _all(body: dict) -> bool:
    return body.get("all") is True


def _transactions(world, payments: list[Payment], body: dict, missing: str) -> web.Response:
    """Latest transaction (object), or all of them newest first (array) when `all` is true."""
    now = world.clock.now()
    ordered = sorted(payments, key=lambda p: p.transfer.seen_at, reverse=True)
    if _all(body):
        return respond(world, "transactions.response", [payment_view(p, now) for p in ordered])
    if not ordered:
        raise NotFound(missing)
    return respond(world, "transactions.response", payment_view(ordered[0], now))


async def _create_wallet(request: web.Request, asset_path: str) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "wallet-create.request")
    asset = ASSETS.get(asset_path)
    if asset is None:
        raise NotFound(COULD_NOT_CREATE, headers={"X-Sandbox-Reason": f"unknown asset {asset_path!r}"})
    if not asset.sandbox:
        raise BadRequest(COULD_NOT_CREATE, headers={"X-Sandbox-Reason": f"{asset_path} has no sandbox (docs: 'Sandbox NA')"})
    wallet = backend.create_wallet(merchant, asset, body["ref_id"], body.get("currency", "USD"),
                                   body.get("url") or None)
    data = {"ref_id": wallet.ref_id, "price": wallet.price, "address": wallet.address,
            "coin": asset.coin, "expires": stamp_space(wallet.expires_at)}
    if wallet.tag:
        data["tag"] = wallet.tag
    return respond(world, "wallet-create.response", data)


@routes.post("/usr/wallet/{asset}/create")
async def create_wallet(request: web.Request) -> web.Response:
    return await _create_wallet(request, request.match_info["asset"])


@routes.post("/usr/wallet/erc20/{token}/create")
async def create_erc20_wallet(request: web.Request) -> web.Response:
    return await _create_wallet(request, "erc20/" + request.match_info["token"])


@routes.post("/usr/wallet/transactions")
async def transactions_by_address(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "transactions.request")
    wallet = backend.wallets.get(body["address"])
    if wallet is None or wallet.merchant_id != merchant["merchant_id"]:
        raise NotFound("Address Not Found")
    return _transactions(world, wallet.payments, body, "No Transactions Found")


@routes.post("/usr/wallet/transactionsbytx")
async def transactions_by_txid(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "transactionsbytx.request")
    payment = backend.payments.get(body["txid"])
    if payment is None or payment.wallet.merchant_id != merchant["merchant_id"]:
        raise NotFound("Transaction Not Found")
    return _transactions(world, [payment], body, "Transaction Not Found")


@routes.post("/usr/wallet/transactionsbyref")
async def transactions_by_ref(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "transactionsbyref.request")
    wallets = backend.wallets_for_ref(merchant["merchant_id"], body["ref_id"])
    if not wallets:
        raise NotFound("Reference Not Found")
    return _transactions(world, [p for w in wallets for p in w.payments], body, "No Transactions Found")


@routes.post("/usr/wallet/addressbyref")
async def address_by_ref(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "addressbyref.request")
    wallets = backend.wallets_for_ref(merchant["merchant_id"], body["ref_id"])
    if not wallets:
        raise NotFound("Reference Not Found")
    return respond(world, "addressbyref.response", [
        {"address": w.address, "tag": w.tag, "coin": w.asset.coin, "date": stamp_iso(w.created_at)}
        for w in wallets])


@routes.post("/usr/price")
async def price(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "price.request")
    coin, currency = body["coin"].upper(), body.get("currency", "USD")
    if coin not in pricing.USD_PRICES:
        raise BadRequest("Invalid Coin")
    now = world.clock.now()
    return respond(world, "price.response", {
        "price": format(pricing.price(coin, currency, now), "f"), "coin": coin,
        "date_time": stamp_space(now), "currency": currency})


@routes.post("/usr/invoice/create")
async def create_invoice(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "invoice-create.request")
    total = Decimal(str(body["total_amount"]))
    if not total.is_finite() or total <= 0 or total > MAX_TOTAL:
        raise BadRequest("total_amount must be a positive amount")
    currency = body.get("currency", "USD")
    invoice = backend.create_invoice(merchant, body["ref_id"], total, currency, body.get("url"), body)
    base = provider_base(request, world, f"/{PROVIDER}")
    data = {"invoice_id": invoice.invoice_id,
            "invoice_url": f"{base}/payinvoice/?inv={invoice.invoice_id}",
            "ref_id": invoice.ref_id}
    if body.get("type") == "widget":
        data["widget_url"] = f"{base}/widget/?inv={invoice.invoice_id}"
    return respond(world, "invoice-create.response", data)


@routes.post("/invoice/{invoice_id}")
async def invoice_status(request: web.Request) -> web.Response:
    """No authentication [C]: the WooCommerce plugin calls it with an empty body after an IPN."""
    world = world_of(request)
    backend: Alt5Backend = world.backend(PROVIDER)
    invoice = backend.invoices.get(request.match_info["invoice_id"])
    if invoice is None:
        raise NotFound("Invoice Not Found")
    return respond(world, "invoice-status.response", invoice_view(invoice, world.clock.now()))


@routes.post("/usr/balances")
async def balances(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "balances.request")
    return respond(world, "balances.response", backend.balances(merchant["merchant_id"]))


@routes.get("/payinvoice/")
@routes.get("/widget/")
async def pay_invoice_page(request: web.Request) -> web.Response:
    world = world_of(request)
    invoice = world.backend(PROVIDER).invoices.get(request.query.get("inv", ""))
    if invoice is None:
        raise NotFound("Invoice Not Found")
    return web.Response(text=invoice_page(world.providers[PROVIDER], invoice, world.clock.now()), content_type="text/html")


# -- account endpoints of the docs v2.10.10: fees, transactions, assets, payouts -------------------

def _raw(world, contract: str, payload: dict) -> web.Response:
    world.contracts(PROVIDER).audit(contract, payload)
    return web.Response(text=jsjson.dumps(payload), status=200, content_type="application/json")


_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day(value: str, name: str) -> date:
    try:
        if _DAY.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadRequest(f"{name} must be a date YYYY-MM-DD")


def _date_range(body: dict) -> tuple[date, date] | None:
    """startDate/endDate, both or neither [D for /usr/payments; A for /usr/transactions]; inclusive [A]."""
    start, end = body.get("startDate"), body.get("endDate")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise BadRequest("startDate and endDate go together")
    first, last = _day(start, "startDate"), _day(end, "endDate")
    if first > last:
        raise BadRequest("startDate is after endDate")
    return first, last


def _in_range(moment: datetime, span: tuple[date, date] | None) -> bool:
    return span is None or span[0] <= moment.date() <= span[1]


@routes.post("/usr/fees")
async def fees(request: web.Request) -> web.Response:
    """[D] The answer carries `fees` (not `data`), keys spelled as in the sample (`feeprecent`)."""
    world, backend, merchant, body = await authenticate_request(request, "fees.request")
    return _raw(world, "fees.response", {"status": "success", "fees": {
        group: {"feeprecent": percent, "extrafee": fixed} for group, (percent, fixed) in FEES.items()}})


@routes.post("/usr/transactions")
async def merchant_transactions(request: web.Request) -> web.Response:
    """Every payment to the merchant's addresses seen in the date range, newest first [A order]."""
    world, backend, merchant, body = await authenticate_request(request, "merchant-transactions.request")
    span = _date_range(body)
    now = world.clock.now()
    payments = sorted((p for p in backend.payments.values()
                       if p.wallet.merchant_id == merchant["merchant_id"] and _in_range(p.transfer.seen_at, span)),
                      key=lambda p: p.transfer.seen_at, reverse=True)
    return respond(world, "merchant-transactions.response", [merchant_transaction_view(p, now) for p in payments])


@routes.post("/assets")
@routes.get("/assets")
async def list_assets(request: web.Request) -> web.Response:
    """No authentication [D: the docs list no headers]; POST with an optional body [D], GET too [A]."""
    world = world_of(request)
    try:
        body = parse_body(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Invalid JSON Body") from None
    world.contracts(PROVIDER).check_request("assets.request", plain(body))
    return respond(world, "assets.response", asset_listing())


@routes.post("/usr/request_payment")
async def request_payment(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "request-payment.request")
    currency, method = body["currency"], body.get("type")
    if currency in FIAT:
        method = method or "Wire"                                   # [A] the sample's method
        if (method == "ACH" and currency != "USD") or (method == "e-Transfer" and currency != "CAD"):
            raise BadRequest(f"{method} is not available for {currency}")
    elif method is not None:
        raise BadRequest("type is only for USD, CAD and EUR payouts")
    settlement = backend.request_payment(merchant["merchant_id"], currency, method)
    if settlement is None:
        raise BadRequest("Insufficient Balance")
    return respond(world, "request-payment.response", {   # told as /usr/payments tells it
        "amount": settlement.amount, "fee": settlement.fee, "currency": settlement.currency,
        "type": settlement.payment_type})


@routes.post("/usr/payments")
async def settlement_payments(request: web.Request) -> web.Response:
    world, backend, merchant, body = await authenticate_request(request, "payments.request")
    span = _date_range(body)
    done = [s for s in backend.settlements
            if s.merchant_id == merchant["merchant_id"] and _in_range(s.created_at, span)]
    return respond(world, "payments.response", [settlement_view(s) for s in reversed(done)])
