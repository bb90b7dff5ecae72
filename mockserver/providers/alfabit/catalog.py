"""The merchant and the reference data: what public clients read before they create anything.

- GET /api/v1/integration/merchant [C] -> {uid, id, name, callbackUrl, callbackIps [D], balanceUsd,
  equal} (a front-end reads `balanceUsd` and `equal`).
- GET /api/v1/integration/merchant/balances [C] -> [{code, type, currencyCode, assetCode, balance,
  balanceUsd}]: the payout module keeps reserves by `code`, the fiat payout class by `type` and
  `code`, the NestJS service reads `assetCode`, `currencyCode`, `balance`, `balanceUsd`.
- GET /api/v1/integration/assets/currencies, /assets, /assets/exchange-rate, /assets/withdraw-fee:
  assets.py says what each item carries and why.
- GET /api/v1/integration/merchant/fiat-config [C, the fiat payout class]: [A] 404 in the
  provider's shape: the sandbox does not emulate fiat rails (no FIAT currency is listed either).

[A] every balance is listed, zero or not (`code` is the asset, `type` COIN); `balanceUsd` at the
sandbox's prices, 2 decimals; exchange-rate takes optional `fromAssetCode` / `toAssetCode` filters.
"""
from __future__ import annotations


from aiohttp import web

from ...core.basics.errors import NotFound
from .api import V1, context, respond
from .assets import (COIN, CURRENCIES, asset_items, currency_item, exchange_rate_items, quantize,
                     withdraw_fee_items)
from .assets import text as amount
from .queries import parse as parse_query
from .views import merchant_view, ok

routes = web.RouteTableDef()


@routes.get(V1 + "/merchant")
async def merchant_info(request: web.Request) -> web.Response:
    world, backend, merchant = context(request)
    return respond(world, "merchant.response", ok(merchant_view(merchant, backend)))


@routes.get(V1 + "/merchant/balances")
async def balances(request: web.Request) -> web.Response:
    world, backend, merchant = context(request)
    rows = []
    for c in CURRENCIES.values():
        if c.internal:
            held = backend.balance(merchant, c.code)
            rows.append({"code": c.asset, "type": COIN, "currencyCode": c.code, "assetCode": c.asset,
                         "balance": amount(held), "balanceUsd": amount(quantize(held * backend.rates[c.asset], 2))})
    return respond(world, "balances.response", ok(rows))


@routes.get(V1 + "/merchant/fiat-config")
async def fiat_config(request: web.Request) -> web.Response:
    context(request)
    raise NotFound("Fiat is not available for this merchant")


@routes.get(V1 + "/assets/currencies")
async def currencies(request: web.Request) -> web.Response:
    world, backend, _ = context(request)
    return respond(world, "currencies.response", ok([
        currency_item(c, backend.rates[c.asset]) for c in CURRENCIES.values()]))


@routes.get(V1 + "/assets")
async def assets(request: web.Request) -> web.Response:
    world, _, _ = context(request)
    return respond(world, "assets.response", ok(asset_items()))


@routes.get(V1 + "/assets/exchange-rate")
async def exchange_rate(request: web.Request) -> web.Response:
    world, backend, merchant = context(request)
    query = parse_query(request, "exchange-rate.query", world, merchant, arrays=(),
                        scalars=("fromAssetCode", "toAssetCode"))
    return respond(world, "exchange-rate.response", ok(exchange_rate_items(
        backend.rate, query.get("fromAssetCode"), query.get("toAssetCode"))))


@routes.get(V1 + "/assets/withdraw-fee")
async def withdraw_fee(request: web.Request) -> web.Response:
    world, backend, _ = context(request)
    return respond(world, "withdraw-fee.response", ok(withdraw_fee_items(backend.fees)))

