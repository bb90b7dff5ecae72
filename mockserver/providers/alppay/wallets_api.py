"""ALPPAY's deposit-address and wallet endpoints, mounted at /alppay.

[D] POST /deposit-addresses/create {assetNetwork, assetShort, number | clientId} ->
{"addresses": [{symbol, address, dest_tag (TON)}], "success": true}; GET /wallets-by-client
(page, pageSize) -> an array of wallet objects with a clientId; GET /wallets-balances ->
{deposit, withdraw, cold}; GET /network-fee (assetNetwork, addressFrom, addressTo, assetShort?)
-> {assetNetwork, fees: [...]}; GET /api/v2/merchants/wallets/info (clientId, dateFrom, dateTo).
[A] see each handler and docs/providers/alppay.md: the client-wallet report's shape (its page
could not be read past the request), what the balance totals count, fee values.
"""
from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal

from aiohttp import web

from ...core.basics.errors import Unprocessable
from . import inbound, lifecycle
from .assets import ASSETS, NETWORKS, coins_on, network_fee
from .inbound import context, respond
from .queries import MAX_TEXT, wallets_query
from .views import money, plain, wallet_info_view, wallet_view, deposit_address_view

routes = web.RouteTableDef()


def _field(name: str, why: str) -> Unprocessable:
    return Unprocessable(f"{name} {why}", details={"field": name})


@routes.post("/v2/deposit-addresses/create")
async def create_deposit_addresses(request: web.Request) -> web.Response:
    world, backend, merchant, raw = await context(request)
    body = inbound.body(world, request, merchant, raw, "deposit-address-create.request")
    # [D] "Automatically converted to lowercase" / "to uppercase"
    network, short = body["assetNetwork"].lower(), body["assetShort"].upper()
    if network not in NETWORKS:
        raise _field("assetNetwork", f"must be one of {', '.join(NETWORKS)}")
    asset = ASSETS.get((short, network))
    if asset is None:
        raise _field("assetShort", f"{short} is not offered on {network}")
    client_id = body.get("clientId") or None
    if client_id is None and body.get("number") is None:
        raise _field("number", "is required when clientId is not provided (1-100)")
    base = inbound.base(world, request)
    if client_id is not None:
        # [D] "the system returns exactly 1 address bound to this client"; [A] the same address
        # a payment with that clientId uses (one per clientId and asset)
        wallet = backend.sticky_wallet(merchant, asset, client_id)
        if wallet is None:
            wallet = backend.new_wallet(merchant, asset, client_id, base)
            lifecycle.watch_wallet(world, backend, wallet)
        made = [wallet]
    else:
        made = []
        for _ in range(body["number"]):
            made.append(backend.new_wallet(merchant, asset, None, base))
            lifecycle.watch_wallet(world, backend, made[-1])
    return respond(world, "deposit-address-create.response",
                   {"addresses": [deposit_address_view(w) for w in made], "success": True})


@routes.get("/v2/wallets-by-client")
async def wallets_by_client(request: web.Request) -> web.Response:
    """[A] oldest first (by wallet id); blocked wallets stay listed."""
    world, backend, merchant, _ = await context(request)
    query = wallets_query(request)
    mine = backend.client_wallets(merchant)
    start = (query["page"] - 1) * query["pageSize"]
    return respond(world, "wallets-by-client.response",
                   [wallet_view(backend, w) for w in mine[start:start + query["pageSize"]]])


def _usd_total(backend, merchant: dict) -> Decimal:
    return sum((asset.usd(backend.balance(merchant, asset)) for asset in ASSETS.values()), Decimal(0))


@routes.get("/v2/wallets-balances")
async def wallets_balances(request: web.Request) -> web.Response:
    """[A] the sandbox keeps one ledger per merchant and asset: `deposit` is its value in USD
    (reference prices), `withdraw` and `cold` are "0" (nothing is swept between wallets)."""
    world, backend, merchant, _ = await context(request)
    return respond(world, "wallets-balances.response",
                   {"deposit": plain(_usd_total(backend, merchant)), "withdraw": "0", "cold": "0"})


def _query_text(request: web.Request, name: str, required: bool = True) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        if required:
            raise _field(name, "is required")
        return None
    if len(value) > MAX_TEXT or not value.isprintable():
        raise _field(name, f"must be printable text of at most {MAX_TEXT} characters")
    return value


def _merchant_addresses(backend, merchant: dict, network: str) -> set[str]:
    chain = NETWORKS[network].chain
    mine = {w.address for w in backend.wallets.values() if w.merchant is merchant and w.asset.network == network}
    mine |= {p.address for p in backend.mine(merchant) if p.asset.network == network}
    mine |= {a for (key, c), a in backend.hot_wallets.items() if key == merchant["api_key"] and c == chain}
    return mine


@routes.get("/v2/network-fee")
async def estimate_network_fee(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    network = _query_text(request, "assetNetwork")
    if network not in NETWORKS:
        raise _field("assetNetwork", f"must be one of {', '.join(NETWORKS)}")
    address_from = _query_text(request, "addressFrom")
    _query_text(request, "addressTo")
    short = _query_text(request, "assetShort", required=False)
    if address_from not in _merchant_addresses(backend, merchant, network):
        # [D] "Must be one of your existing wallet addresses on this network"
        raise _field("addressFrom", f"is not one of your wallet addresses on {network}")
    coins = coins_on(network)
    if short is not None:
        coins = [a for a in coins if a.short == short]
        if not coins:
            raise _field("assetShort", f"{short} is not offered on {network}")
    fees = []
    for asset in coins:
        fee, details = network_fee(asset)
        fees.append({"assetShort": asset.short, "fee": fee, "feeCurrency": NETWORKS[network].fee_coin,
                     "canProceed": True, "details": details})
    return respond(world, "network-fee.response", {"assetNetwork": network, "fees": fees})


def _instant(request: web.Request, name: str, end: bool) -> datetime | None:
    """[A] an ISO 8601 date (the whole day) or date-time; naive ones are UTC."""
    raw = _query_text(request, name, required=False)
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            day = datetime.fromisoformat(raw).date()
            return datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _field(name, "must be an ISO 8601 date or date-time (2025-01-31, 2025-01-31T12:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@routes.get("/api/v2/merchants/wallets/info")
@routes.get("/v2/merchants/wallets/info")     # [A] the same report under the API's base URL
async def client_wallets_info(request: web.Request) -> web.Response:
    world, backend, merchant, _ = await context(request)
    client_id = _query_text(request, "clientId")
    since, until = _instant(request, "dateFrom", end=False), _instant(request, "dateTo", end=True)
    if since is not None and until is not None and since > until:
        raise _field("dateFrom", "must not be after dateTo")
    query = wallets_query(request)
    wallets = backend.client_wallets(merchant, client_id)
    start = (query["page"] - 1) * query["pageSize"]
    shown = [wallet_info_view(backend, w, since, until) for w in wallets[start:start + query["pageSize"]]]
    total = sum((w.asset.usd(backend.address_balances.get(w.address, Decimal(0))) for w in wallets), Decimal(0))
    return respond(world, "wallets-info.response", {
        "clientId": client_id, "wallets": shown, "totalBalanceUsd": money(total.quantize(Decimal("0.01"))),
        "page": query["page"], "pageSize": query["pageSize"], "total": len(wallets)})
