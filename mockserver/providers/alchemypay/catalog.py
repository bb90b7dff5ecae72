"""What the sandbox offers, and the endpoints that tell clients: quote, crypto list, fiat list.

- ``POST /open/api/v4/merchant/quotes`` [D, "Quote Query"]: body ``{crypto, network, fiat, amount,
  side}`` (amount: fiat for BUY, crypto for SELL) -> ``data {crypto, cryptoPrice, cryptoQuantity,
  fiat, rampFee, networkFee}`` [D]. ``POST /open/api/v4/merchant/order/quote`` [D, the older
  "Price Query" page; called by public clients C] answers the same. SELL answers
  ``cryptoQuantity: null`` and adds ``fiatQuantity`` (gross fiat for the crypto sold) [C].
  ``type`` [D]: ONE (default) "the quote of the best-priced payment method", ALL "the quotes of all
  payment methods", BUY only (ALL with SELL is 10005). [A] ALL answers ``data`` as a list of the ONE
  object, one per payment method fiat/list offers, in its order; ONE is the first of them (every
  method costs the same in the sandbox) unless ``payWayCode`` names one.
  The Estimate Price Query is in estimate.py.
- ``GET /open/api/v4/merchant/crypto/list?fiat=`` [C; the docs' "Crypto Query" page]: one row per
  crypto and network ``{crypto, network, buyEnable, sellEnable, minPurchaseAmount,
  maxPurchaseAmount, address, icon, minSellAmount, maxSellAmount}`` [C].
- ``GET /open/api/v4/merchant/fiat/list?type=BUY|SELL`` [C; "Fiat Query"]: one row per fiat and
  payment method ``{currency, country, countryName, payWayCode, payWayName, fixedFee, feeRate,
  payMin, payMax}`` [C].
All three take the API's appId/timestamp/sign and no access-token [D].

Assumptions:
- [A] The crypto/network pairs (model.CRYPTO_NETWORKS) are the sandbox's; an order or quote for another pair is
  refused with 10002. Limits are model.limits (10 to 10,000 USD worth); buyEnable/sellEnable 1.
- [A] A quote uses the same prices and fees as the order it predicts, in the same number formats
  (8 decimals), so a quote's cryptoQuantity is the cryptoQuantity of the order made right after.
- [A] Payment methods: BUY 10001 (Visa/Mastercard) and 701 (Google Pay) for every fiat [D codes];
  SELL 10001 (bank transfer, as the off-ramp sample's paymentType). Fees as model (3.99 % / 1.75 %).
- [A] ``address`` (the token's contract) and ``icon`` are null; ``country`` is one country per fiat.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.core.http.context import world_of

from . import auth, model
from .api import V4, _body, _ok, authenticate, check_amount, check_pair
from .backend import PROVIDER_NAME
from .errors import not_supported, param_error
from .model import BUY, PAY_WAYS, SELL, fmt8

COUNTRIES = {"USD": ("US", "United States"), "EUR": ("DE", "Germany"), "GBP": ("GB", "United Kingdom"),
             "JPY": ("JP", "Japan"), "INR": ("IN", "India"), "PHP": ("PH", "Philippines"),
             "AUD": ("AU", "Australia"), "CAD": ("CA", "Canada"), "BRL": ("BR", "Brazil"),
             "NGN": ("NG", "Nigeria"), "KRW": ("KR", "South Korea"), "TRY": ("TR", "Turkey"),
             "MXN": ("MX", "Mexico"), "HKD": ("HK", "Hong Kong"), "SGD": ("SG", "Singapore")}


def _number(value) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def crypto_rows(fiat: str) -> list[dict[str, Any]]:
    rows = []
    for crypto, networks in model.CRYPTO_NETWORKS.items():
        buy_low, buy_high = model.limits(BUY, crypto, fiat)
        sell_low, sell_high = model.limits(SELL, crypto, fiat)
        for network in networks:
            rows.append({"crypto": crypto, "network": network, "buyEnable": 1, "sellEnable": 1,
                         "minPurchaseAmount": _number(buy_low), "maxPurchaseAmount": _number(buy_high),
                         "minSellAmount": _number(sell_low), "maxSellAmount": _number(sell_high),
                         "address": None, "icon": None})
    return rows


def fiat_rows(side: str) -> list[dict[str, Any]]:
    rate = model.ON_RAMP_FEE_RATE if side == BUY else model.OFF_RAMP_FEE_RATE
    rows = []
    for fiat in model.FIAT_PER_USD:
        country, name = COUNTRIES[fiat]
        low, high = model.limits(BUY, "USDT", fiat)      # fiat bounds, whatever the side
        for code, way in PAY_WAYS[side]:
            rows.append({"currency": fiat, "country": country, "countryName": name, "payWayCode": code,
                         "payWayName": way, "fixedFee": 0, "feeRate": float(rate),
                         "payMin": _number(low), "payMax": _number(high)})
    return rows


async def crypto_list(request: web.Request) -> web.Response:
    authenticate(request, None)
    query = auth.drop_empty(dict(request.query))
    world_of(request).contracts(PROVIDER_NAME).check_request("crypto-list.request", query)
    fiat = query.get("fiat", "USD")
    if fiat not in model.FIAT_PER_USD:
        raise not_supported(f"fiat {fiat} is not supported")
    return _ok(request, crypto_rows(fiat), "crypto-list.response")


async def fiat_list(request: web.Request) -> web.Response:
    authenticate(request, None)
    query = auth.drop_empty(dict(request.query))
    world_of(request).contracts(PROVIDER_NAME).check_request("fiat-list.request", query)
    return _ok(request, fiat_rows(query.get("type", BUY)), "fiat-list.response")


async def quote(request: web.Request) -> web.Response:
    body = await _body(request)
    authenticate(request, body)
    body = auth.drop_empty(body)
    world_of(request).contracts(PROVIDER_NAME).check_request("quote.request", body)
    side, crypto, network, fiat = body["side"], body["crypto"], body["network"], body["fiat"]
    if body.get("type") == "ALL" and side != BUY:
        raise param_error('type ALL is for side BUY only')
    check_pair(crypto, network, fiat)
    amount = check_amount(side, crypto, network, fiat, body["amount"])
    if body.get("type") == "ALL":
        data: Any = [_quote(side, crypto, network, fiat, amount, code) for code, _ in PAY_WAYS[BUY]]
    else:
        data = _quote(side, crypto, network, fiat, amount, str(body.get("payWayCode", PAY_WAYS[BUY][0][0])))
    return _ok(request, data, "quote.response")


def _quote(side: str, crypto: str, network: str, fiat: str, amount, pay_way: str) -> dict[str, Any]:
    q = model.quote(side, crypto, network, fiat, amount)
    data: dict[str, Any] = {"crypto": crypto, "network": network, "fiat": fiat,
                            "cryptoPrice": fmt8(q["crypto_price"]), "rampFee": fmt8(q["ramp_fee"]),
                            "networkFee": fmt8(q["network_fee"])}
    if side == BUY:
        net = amount - q["ramp_fee"] - q["network_fee"]
        data["cryptoQuantity"] = fmt8(model.crypto_for(net, q["crypto_price"]))
        data["payWayCode"] = pay_way
    else:
        data["cryptoQuantity"] = None
        data["fiatQuantity"] = fmt8(amount * q["crypto_price"])
    return data


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{V4}/crypto/list", crypto_list)
    app.router.add_get(f"{V4}/fiat/list", fiat_list)
    app.router.add_post(f"{V4}/quotes", quote)
    app.router.add_post(f"{V4}/order/quote", quote)
