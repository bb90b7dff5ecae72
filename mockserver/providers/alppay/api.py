"""ALPPAY's HTTP API, mounted at /alppay: /v2/payment..., /v2/withdrawal..., and the hosted page.

Every refusal happens before anything is stored or any random number is drawn, so a refused
request leaves the World exactly as it was.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from ...core.basics.errors import BadRequest, NotFound, Unprocessable
from ...core.http.context import provider_base, world_of
from ...core.http.jsonio import json_response, parse_json
from . import backend as lifecycle
from .auth import authenticate
from .backend import Backend
from .model import ASSETS, DEFAULT_TIMEOUT, Payment, Withdrawal
from .pages import payment_page
from .queries import filter_payments, filter_withdrawals, page_of, payment_query, withdrawal_query
from .views import money, payment_view, withdrawal_view

PROVIDER = "alppay"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

routes = web.RouteTableDef()


def _world_backend(request: web.Request) -> tuple[Any, Backend]:
    world = world_of(request)
    return world, world.backend(PROVIDER)


async def _context(request: web.Request) -> tuple[Any, Backend, dict, bytes]:
    world, backend = _world_backend(request)
    merchant, raw = await authenticate(request, backend.merchant_by_key)
    return world, backend, merchant, raw


def _no_surrogates(value: Any) -> None:
    """JSON may spell lone surrogates (\\ud800); no real text contains them, and they cannot be
    written back out as UTF-8: refuse them as malformed, iteratively (nesting is unbounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest("Malformed JSON body: invalid Unicode (lone surrogate)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _body(world, raw: bytes, contract: str) -> dict:
    if not raw.strip():
        raise BadRequest("Request body is required")
    body = parse_json(raw)
    _no_surrogates(body)
    world.contracts(PROVIDER).check_request(contract, body)
    return body


def _respond(world, contract: str, payload: dict) -> web.Response:
    world.contracts(PROVIDER).audit(contract, payload)
    return json_response(payload)


def _owned(table: dict, merchant: dict, object_id: str, what: str):
    found = table.get(object_id) if UUID.match(object_id) else None
    if found is None or found.merchant is not merchant:
        raise NotFound(f"{what} not found")
    return found


def _amount(text: str, name: str = "amount", allow_zero: bool = False) -> Decimal:
    amount = Decimal(text)  # the contract's pattern already made it a plain decimal string
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Unprocessable(f"{name} must be greater than 0", details={"field": name})
    return amount


def _customer(body: dict) -> dict:
    """Only the documented keys are kept (extra ones are accepted and ignored [A])."""
    return {k: body["customer"][k] for k in ("id", "name", "email") if k in body["customer"]}


def _base(world, request: web.Request) -> str:
    return provider_base(request, world, "/alppay")


# payments ---------------------------------------------------------------------------------------
@routes.post("/v2/payment")
async def create_payment(request: web.Request) -> web.Response:
    world, backend, merchant, raw = await _context(request)
    body = _body(world, raw, "payment-create.request")
    amount = _amount(body["amount"])
    asset = ASSETS[(body["asset"]["short"], body["asset"]["network"])]
    now = world.clock.now()
    client_id = body.get("clientId") or None
    payment_id = world.new_uuid()
    payment = Payment(
        id=payment_id, merchant=merchant, amount=amount, amount_text=body["amount"], asset=asset,
        address=backend.deposit_address(merchant, asset, client_id), customer=_customer(body),
        client_id=client_id, invoice=body.get("invoice") or "", checkout_url=body.get("checkoutUrl") or "",
        redirect_url=f"{_base(world, request)}/payment-invoice?id={payment_id}",
        timeout=int(merchant.get("payment_timeout") or DEFAULT_TIMEOUT), created_at=now, updated_at=now)
    lifecycle.open_payment(world, backend, payment)
    return _respond(world, "payment.response", payment_view(payment, now))


@routes.get("/v2/payment/{payment_id}")
async def get_payment(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await _context(request)
    payment = _owned(backend.payments, merchant, request.match_info["payment_id"], "Payment")
    return _respond(world, "payment-get.response", {"data": payment_view(payment, world.clock.now())})


@routes.get("/v2/payment")
async def list_payments(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await _context(request)
    query = payment_query(request)
    now = world.clock.now()
    chosen = filter_payments(backend.mine(merchant), query, now)
    items, total = page_of(chosen, query["page"] - 1, query["limit"])
    return _respond(world, "payment-list.response", {
        "data": [payment_view(p, now) for p in items],
        "page": query["page"], "limit": query["limit"], "total": total})


def _open_payment(request: web.Request, backend: Backend, merchant: dict, now) -> Payment:
    payment = _owned(backend.payments, merchant, request.match_info["payment_id"], "Payment")
    status = payment.status(now)
    if status != "OPEN":
        raise Unprocessable(f"Payment is {status}: only an OPEN payment can be changed",
                            details={"field": "status"})
    return payment


@routes.post("/v2/payment/{payment_id}/confirm")
async def confirm_payment(request: web.Request) -> web.Response:
    """[A] invoice confirmation: the merchant accepts an OPEN payment as it stands (e.g. an
    underpayment); it needs a received, fully confirmed, AML-clean transfer."""
    world, backend, merchant, raw = await _context(request)
    if raw.strip():
        _body(world, raw, "payment-action.request")
    now = world.clock.now()
    payment = _open_payment(request, backend, merchant, now)
    if payment.danger():
        raise Unprocessable("Payment is held by the AML check", details={"field": "transactions"})
    if not payment.deposits or not payment.all_confirmed(now):
        raise Unprocessable("Nothing received and confirmed yet", details={"field": "totalReceivedAmount"})
    lifecycle.confirm_payment(world, payment)
    return _respond(world, "payment.response", payment_view(payment, now))


@routes.post("/v2/payment/{payment_id}/cancel")
async def cancel_payment(request: web.Request) -> web.Response:
    """[A] invoice cancellation: an OPEN payment is closed at once (status EXPIRED); transfers
    already received stay on it (displayStatus UNDERPAID), later ones are not counted."""
    world, backend, merchant, raw = await _context(request)
    if raw.strip():
        _body(world, raw, "payment-action.request")
    now = world.clock.now()
    payment = _open_payment(request, backend, merchant, now)
    lifecycle.cancel_payment(world, payment)
    return _respond(world, "payment.response", payment_view(payment, now))


# withdrawals ------------------------------------------------------------------------------------
@routes.post("/v2/withdrawal")
async def create_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant, raw = await _context(request)
    if not raw.strip():
        raise BadRequest("Request body is required")
    body = parse_json(raw)
    _no_surrogates(body)
    if isinstance(body, dict) and (("addressFrom" in body) != ("clientId" in body)):
        # [D] "addressFrom and clientId must both be provided together ... 400 Bad Request"
        raise BadRequest("addressFrom and clientId must be provided together")
    world.contracts(PROVIDER).check_request("withdrawal-create.request", body)
    asset = ASSETS[(body["asset"]["short"], body["asset"]["network"])]
    transfer_all = bool(body.get("transferAll"))
    amount = _amount(body["amount"], allow_zero=transfer_all)
    client_id, address_from = body.get("clientId"), body.get("addressFrom")
    if client_id is not None:
        owner = backend.client_addresses.get((merchant["api_key"], client_id, asset.short, asset.network))
        if owner != address_from:
            raise Unprocessable("addressFrom is not the deposit address of this clientId for this asset",
                                details={"field": "addressFrom"})
        available = backend.address_balances.get(address_from, Decimal(0))
    else:
        available = backend.balance(merchant, asset)
    if transfer_all:
        amount = available          # [D] "withdraws the entire balance from the source address"
    if amount <= 0 or amount > available:
        raise Unprocessable(f"Insufficient {asset.short} balance on {asset.network}", details={"field": "amount"})
    now = world.clock.now()
    withdrawal = Withdrawal(
        id=world.new_uuid(), merchant=merchant, amount=amount,
        amount_text=money(amount) if transfer_all else body["amount"], asset=asset,
        address_to=body["addressTo"], dest_tag=body.get("destTag"), customer=_customer(body),
        invoice=body.get("invoice") or "", address_from=address_from or "", client_id=client_id,
        transfer_all=transfer_all, created_at=now, updated_at=now)
    lifecycle.open_withdrawal(world, backend, withdrawal)
    return _respond(world, "withdrawal.response", withdrawal_view(withdrawal))


@routes.get("/v2/withdrawal/{withdrawal_id}")
async def get_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await _context(request)
    withdrawal = _owned(backend.withdrawals, merchant, request.match_info["withdrawal_id"], "Withdrawal")
    return _respond(world, "withdrawal.response", withdrawal_view(withdrawal))


@routes.get("/v2/withdrawal")
async def list_withdrawals(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await _context(request)
    query = withdrawal_query(request)
    mine = [w for w in backend.withdrawals.values() if w.merchant is merchant]
    items, total = page_of(filter_withdrawals(mine, query), query["page"], query["limit"])
    return _respond(world, "withdrawal-list.response", {
        "data": [withdrawal_view(w) for w in items],
        "page": query["page"], "limit": query["limit"], "total": total})


# the hosted payment page (paymentRedirectUrl) -----------------------------------------------------
@routes.get("/payment-invoice")
async def hosted_page(request: web.Request) -> web.Response:
    world, backend = _world_backend(request)
    payment_id = request.query.get("id", "")
    payment = backend.payments.get(payment_id) if UUID.match(payment_id) else None
    if payment is None:
        raise NotFound("Payment not found")
    return web.Response(text=payment_page(world.providers[PROVIDER], payment, world.clock.now()), content_type="text/html")
