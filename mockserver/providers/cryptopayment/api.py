"""CryptoPayment.center's HTTP API: /api/v1/... plus the checkout page /pay/{id}."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from ...core.basics.errors import NotFound, Unprocessable
from ...core.http.context import provider_base, world_of
from ...core.http.jsonio import json_response, read_json
from .auth import authenticate
from .pages import checkout_page
from .backend import Backend, open_invoice, start_withdrawal
from .model import BY_BALANCE_KEY, NETWORKS, REVIEW_OVER_USD, WITHDRAWAL_RULES, Withdrawal
from .views import invoice_view, money, withdrawal_view

PROVIDER = "cryptopayment"
PER_PAGE = 20
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# [A] address shapes a withdrawal must match, per coin (mainnet and testnet forms).
ADDRESS_SHAPES = {
    "BTC": re.compile(r"^(bc1|tb1|bcrt1)[02-9ac-hj-np-z]{20,80}$|^[123mn][1-9A-HJ-NP-Za-km-z]{25,34}$"),
    "LTC": re.compile(r"^(ltc1|tltc1)[02-9ac-hj-np-z]{20,80}$|^[LMmn23Q][1-9A-HJ-NP-Za-km-z]{25,34}$"),
    "ETH": re.compile(r"^0x[0-9a-fA-F]{40}$"),
    "USDT-TRC20": re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$"),
    "USDT-BEP20": re.compile(r"^0x[0-9a-fA-F]{40}$"),
}

routes = web.RouteTableDef()


def _context(request: web.Request) -> tuple[Any, Backend, dict]:
    world = world_of(request)
    backend: Backend = world.backend(PROVIDER)
    merchant = authenticate(request, backend.merchant_by_key)
    return world, backend, merchant


def _respond(world, contract: str, payload: dict, status: int = 200) -> web.Response:
    world.contracts(PROVIDER).audit(contract, payload)
    return json_response(payload, status=status)


# The fields each request documents [D]; others are ignored [A], refused under the merchant setting strict.
DOCUMENTED_FIELDS = {"invoice-create.request": ("network", "amount_usd", "order_id", "metadata"),
                     "withdrawal-create.request": ("coin", "amount", "address")}


async def _body(request: web.Request, world, contract: str, merchant: dict) -> dict:
    body = await read_json(request)
    world.contracts(PROVIDER).check_request(contract, body)
    unknown = sorted(set(body) - set(DOCUMENTED_FIELDS[contract])) if isinstance(body, dict) else []
    if unknown and merchant.get("strict"):
        raise Unprocessable(f"Unknown field: {', '.join(unknown)[:200]}")
    return body


def _owned_invoice(backend: Backend, merchant: dict, invoice_id: str):
    invoice = backend.invoices.get(invoice_id) if UUID.match(invoice_id) else None
    if invoice is None or invoice.merchant is not merchant:
        raise NotFound("Invoice not found")
    return invoice


@routes.post("/api/v1/invoices")
async def create_invoice(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    body = await _body(request, world, "invoice-create.request", merchant)
    invoice = backend.new_invoice(merchant, NETWORKS[body["network"]], Decimal(body["amount_usd"]),
                                  body.get("order_id"), body.get("metadata"))
    open_invoice(world, backend, invoice)
    base = provider_base(request, world, "/cryptopayment")
    return _respond(world, "invoice-create.response", {
        "success": True,
        "invoice": invoice_view(invoice, world.clock.now()),
        "checkout_url": f"{base}/pay/{invoice.id}",
    }, status=201)


@routes.get("/api/v1/invoices/{invoice_id}")
async def get_invoice(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    invoice = _owned_invoice(backend, merchant, request.match_info["invoice_id"])
    return _respond(world, "invoice-get.response",
                    {"success": True, "invoice": invoice_view(invoice, world.clock.now())})


@routes.get("/api/v1/invoices")
async def list_invoices(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    raw = request.query.get("page", "1")
    # isascii: str.isdigit() accepts "²", which int() refuses
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1_000_000:
        raise Unprocessable("page must be a positive integer")
    page = int(raw)
    mine = backend.invoices_by_merchant.get(merchant["api_key"], [])
    total = len(mine)
    # newest first: slice from the end of the creation-ordered list, O(page size)
    end = max(total - (page - 1) * PER_PAGE, 0)
    chosen = mine[max(end - PER_PAGE, 0):end][::-1]
    now = world.clock.now()
    return _respond(world, "invoice-list.response", {
        "success": True,
        "invoices": [invoice_view(i, now) for i in chosen],
        "pagination": {"page": page, "per_page": PER_PAGE, "total": total,
                       "pages": (total + PER_PAGE - 1) // PER_PAGE},
    })


@routes.get("/api/v1/balances")
async def balances(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    pending = backend.pending_balances(merchant)
    out = {key: {"available": money(backend.merchant_balance(merchant, key)), "pending": money(pending.get(key, Decimal(0)))}
           for key in BY_BALANCE_KEY}
    return _respond(world, "balances.response", {"success": True, "balances": out})


@routes.post("/api/v1/withdrawals")
async def create_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    body = await _body(request, world, "withdrawal-create.request", merchant)
    coin, amount, address = body["coin"], Decimal(body["amount"]), body["address"]
    minimum, fee = WITHDRAWAL_RULES[coin]
    if amount < minimum:
        raise Unprocessable(f"Minimum withdrawal for {coin} is {minimum}")
    if not ADDRESS_SHAPES[coin].fullmatch(address):  # `$` alone would let "...\n" through
        raise Unprocessable(f"Invalid {coin} address")
    if amount > backend.merchant_balance(merchant, coin):
        raise Unprocessable(f"Insufficient {coin} balance")
    usd = backend.usd_value(coin, amount)
    review = usd > REVIEW_OVER_USD
    withdrawal = Withdrawal(
        id=world.new_uuid(), merchant=merchant, coin=coin, amount=amount, fee=fee, address=address,
        amount_usd=usd, created_at=world.clock.now(),
        status="pending_review" if review else "processing", requires_review=review)
    backend.withdrawals[withdrawal.id] = withdrawal
    backend.credit(merchant, coin, -amount)  # held at once, released if rejected
    start_withdrawal(world, withdrawal)
    return _respond(world, "withdrawal.response",
                    {"success": True, "withdrawal": withdrawal_view(withdrawal)}, status=201)


@routes.get("/api/v1/withdrawals/{withdrawal_id}")
async def get_withdrawal(request: web.Request) -> web.Response:
    world, backend, merchant = _context(request)
    withdrawal = backend.withdrawals.get(request.match_info["withdrawal_id"])
    if withdrawal is None or withdrawal.merchant is not merchant:
        raise NotFound("Withdrawal not found")
    return _respond(world, "withdrawal.response", {"success": True, "withdrawal": withdrawal_view(withdrawal)})


@routes.get("/pay/{invoice_id}")
async def checkout(request: web.Request) -> web.Response:
    world = world_of(request)
    invoice_id = request.match_info["invoice_id"]
    invoice = world.backend(PROVIDER).invoices.get(invoice_id) if UUID.match(invoice_id) else None
    if invoice is None:
        raise NotFound("Invoice not found")
    return web.Response(text=checkout_page(world.providers[PROVIDER], invoice, world.clock.now()),
                        content_type="text/html")
