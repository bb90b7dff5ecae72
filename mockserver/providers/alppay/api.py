"""ALPPAY's HTTP API for payments and withdrawals, mounted at /alppay: /v2/payment...,
/v2/withdrawal..., and the hosted page. Deposit addresses and wallets are in wallets_api.py;
what every handler does first (auth, the signed body's form, contracts) is in inbound.py.

Every refusal happens before anything is stored or any random number is drawn, so a refused
request leaves the World exactly as it was.
"""
from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from ...core.basics.errors import BadRequest, NotFound, Unprocessable
from . import inbound
from . import lifecycle
from .assets import ASSETS, WITHDRAWAL_ASSETS, Asset
from .inbound import PROVIDER, UUID, context, owned, respond
from .model import DEFAULT_TIMEOUT, Payment, Withdrawal
from .pages import payment_page
from .queries import filter_payments, filter_withdrawals, page_of, payment_query, withdrawal_query
from .views import money, payment_view, withdrawal_view

routes = web.RouteTableDef()


def _amount(text: str, name: str = "amount", allow_zero: bool = False) -> Decimal:
    amount = Decimal(text)  # the contract's pattern already made it a plain decimal string
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Unprocessable(f"{name} must be greater than 0", details={"field": name})
    return amount


def _asset(body: dict, offered: dict[tuple[str, str], Asset]) -> Asset:
    asset = offered.get((body["asset"]["short"], body["asset"]["network"]))
    if asset is None:
        pairs = ", ".join(f"{s} on {n}" for s, n in offered)
        raise Unprocessable(f"asset: {body['asset']['short']} is not offered on {body['asset']['network']} "
                            f"(offered: {pairs})", details={"field": "asset"})
    return asset


def _customer(body: dict) -> dict:
    """Only the documented keys are kept (extra ones are accepted and ignored [A])."""
    return {k: body["customer"][k] for k in ("id", "name", "email") if k in body["customer"]}


# payments ---------------------------------------------------------------------------------------
@routes.post("/v2/payment")
@routes.post("/api/v2/payments")   # [D] the Client ID page's path for the same call [A: an alias]
async def create_payment(request: web.Request) -> web.Response:
    world, backend, merchant, raw = await context(request)
    body = inbound.body(world, request, merchant, raw, "payment-create.request")
    amount = _amount(body["amount"])
    asset = _asset(body, ASSETS)
    now = world.clock.now()
    client_id = body.get("clientId") or None
    timeout = int(merchant.get("payment_timeout") or DEFAULT_TIMEOUT)   # bounded when it is set
    # everything is checked: from here on nothing can fail (draws, then the store)
    payment_id = world.new_uuid()
    base = inbound.base(world, request)
    wallet = backend.sticky_wallet(merchant, asset, client_id) if client_id else None
    if client_id and wallet is None:
        wallet = backend.new_wallet(merchant, asset, client_id, base)
        lifecycle.watch_wallet(world, backend, wallet)
    address = wallet.address if wallet is not None else world.chain.new_address(asset.chain)
    payment = Payment(
        id=payment_id, merchant=merchant, amount=amount, amount_text=body["amount"], asset=asset,
        address=address, customer=_customer(body), client_id=client_id,
        invoice=body.get("invoice") or "", checkout_url=body.get("checkoutUrl") or "",
        redirect_url=f"{base}/payment-invoice?id={payment_id}", timeout=timeout,
        created_at=now, updated_at=now, dest_tag=wallet.dest_tag if wallet and asset.tagged else None)
    lifecycle.open_payment(world, backend, payment)
    return respond(world, "payment.response", payment_view(payment, now))


@routes.get("/v2/payment/{payment_id}")
async def get_payment(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    payment = owned(backend.payments, merchant, request.match_info["payment_id"], "Payment")
    return respond(world, "payment-get.response", {"data": payment_view(payment, world.clock.now())})


@routes.get("/v2/payment")
async def list_payments(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    query = payment_query(request, inbound.strict(merchant))
    now = world.clock.now()
    chosen = filter_payments(backend.mine(merchant), query, now)
    items, total = page_of(chosen, query["page"] - 1, query["limit"])
    # [D] the newest listPayments page answers {"results": [...]}; [A] page, limit and total as
    # the older page has them; `payment_list: data` gives the older page's {"data": [...], ...}
    key = "data" if merchant.get("payment_list") == "data" else "results"
    return respond(world, "payment-list.response", {
        key: [payment_view(p, now) for p in items],
        "page": query["page"], "limit": query["limit"], "total": total})


async def _open_payment(request: web.Request) -> tuple:
    world, backend, merchant, raw = await context(request)
    if inbound.strict(merchant):
        raise NotFound("Not found")     # [A] the sandbox's own routes: production has none
    if raw.strip():
        inbound.body(world, request, merchant, raw, "payment-action.request")
    now = world.clock.now()
    payment = owned(backend.payments, merchant, request.match_info["payment_id"], "Payment")
    status = payment.status(now)
    if status != "OPEN":
        raise Unprocessable(f"Payment is {status}: only an OPEN payment can be changed",
                            details={"field": "status"})
    return world, payment, now


@routes.post("/v2/payment/{payment_id}/confirm")
async def confirm_payment(request: web.Request) -> web.Response:
    """[A] sandbox-only: invoice confirmation, the merchant accepts an OPEN payment as it stands
    (e.g. an underpayment); it needs a received, fully confirmed, AML-clean transfer."""
    world, payment, now = await _open_payment(request)
    if payment.danger():
        raise Unprocessable("Payment is held by the AML check", details={"field": "transactions"})
    if not payment.deposits or not payment.all_confirmed(now) or payment.aml_pending():
        raise Unprocessable("Nothing received and confirmed yet", details={"field": "totalReceivedAmount"})
    lifecycle.confirm_payment(world, payment)
    return respond(world, "payment.response", payment_view(payment, now))


@routes.post("/v2/payment/{payment_id}/cancel")
async def cancel_payment(request: web.Request) -> web.Response:
    """[A] sandbox-only: invoice cancellation, an OPEN payment is closed at once (status EXPIRED);
    transfers already received stay on it (displayStatus UNDERPAID), later ones are not counted."""
    world, payment, now = await _open_payment(request)
    lifecycle.cancel_payment(world, payment)
    return respond(world, "payment.response", payment_view(payment, now))


# withdrawals ------------------------------------------------------------------------------------
@routes.post("/v2/withdrawal")
async def create_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant, raw = await context(request)
    contract = "withdrawal-create.request"
    parsed = inbound.parse(request, merchant, raw, contract)
    if isinstance(parsed, dict) and ((parsed.get("addressFrom") is None) != (parsed.get("clientId") is None)):
        # [D] "addressFrom and clientId must both be provided together ... 400 Bad Request"
        raise BadRequest("addressFrom and clientId must be provided together")
    body = inbound.checked(world, merchant, parsed, contract)
    asset = _asset(body, WITHDRAWAL_ASSETS)
    transfer_all = body.get("transferAll") is True
    amount = _amount(body["amount"], allow_zero=True)     # [D] "Minimum: 0, no maximum limit"
    client_id, address_from = body.get("clientId"), body.get("addressFrom")
    if client_id is not None:
        owner = backend.client_addresses.get(backend.sticky_key(merchant, client_id, asset))
        if owner != address_from:
            raise Unprocessable("addressFrom is not the deposit address of this clientId for this asset",
                                details={"field": "addressFrom"})
        available = backend.address_balances.get(address_from, Decimal(0))
    else:
        available = backend.balance(merchant, asset)
    if transfer_all:
        amount = available          # [D] "withdraws the entire balance from the source address"
    if amount > available or (transfer_all and amount <= 0):
        raise Unprocessable(f"Insufficient {asset.short} balance on {asset.network}", details={"field": "amount"})
    now = world.clock.now()
    withdrawal = Withdrawal(
        id=world.new_uuid(), merchant=merchant, amount=amount,
        amount_text=money(amount) if transfer_all else body["amount"], asset=asset,
        address_to=body["addressTo"], dest_tag=body.get("destTag"), customer=_customer(body),
        invoice=body.get("invoice") or "", address_from=address_from or "", client_id=client_id,
        transfer_all=transfer_all, created_at=now, updated_at=now)
    lifecycle.open_withdrawal(world, backend, withdrawal)
    return respond(world, "withdrawal.response", withdrawal_view(withdrawal))


@routes.get("/v2/withdrawal/{withdrawal_id}")
async def get_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    withdrawal = owned(backend.withdrawals, merchant, request.match_info["withdrawal_id"], "Withdrawal")
    return respond(world, "withdrawal.response", withdrawal_view(withdrawal))


@routes.get("/v2/withdrawal")
async def list_withdrawals(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    query = withdrawal_query(request, inbound.strict(merchant))
    mine = [w for w in backend.withdrawals.values() if w.merchant is merchant]
    items, total = page_of(filter_withdrawals(mine, query), query["page"], query["limit"])
    return respond(world, "withdrawal-list.response", {
        "data": [withdrawal_view(w) for w in items],
        "page": query["page"], "limit": query["limit"], "total": total})


# the hosted payment page (paymentRedirectUrl) -----------------------------------------------------
@routes.get("/payment-invoice")
async def hosted_page(request: web.Request) -> web.Response:
    world, backend = inbound.world_backend(request)
    payment_id = request.query.get("id", "")
    payment = backend.payments.get(payment_id) if UUID.match(payment_id) else None
    if payment is None:
        raise NotFound("Payment not found")
    return web.Response(text=payment_page(world.providers[PROVIDER], payment, world.clock.now()),
                        content_type="text/html")
