"""The Estimate Price Query: ``POST /open/api/v4/merchant/order/quoted/result`` [D].

"The estimated fiat amount you need to pay or the crypto amount you can receive ... this API does
not facilitate order creation." Headers appid, timestamp, sign (no access-token) [D].
Body [D]: ``side`` (BUY, SELL; mandatory), ``fiatAmount``, ``fiatCurrency``, ``cryptoQuantity``,
``cryptoCurrency``, ``network``, ``payWayCode`` (all optional). Answer [D, the v4 page's sample]:
``data`` a list holding ``{cryptoPrice, side, fiatAmount, cryptoQuantity, rampFee, networkFee, fiat,
crypto, payWayCode}``, in that order, every value a string. Return codes [D]: ``3102`` "Quote amount
is out of the range, The Min purchase amount is XX, The max purchase amount is XX"; fiat amounts
for INR, CLP, COP, HUF, IDR, JPY, KRW, VND take no decimals.

Assumptions:
- [A] Exactly one of ``fiatAmount`` and ``cryptoQuantity`` is sent (10005 otherwise): BUY with
  fiatAmount answers the crypto it buys, BUY with cryptoQuantity the fiat it costs (rounded up to
  the fiat's decimals); SELL with cryptoQuantity the fiat it is worth, ramp fee included (as the
  off-ramp webhook's fiatAmount), SELL with fiatAmount the crypto to sell for it.
- [A] Defaults: fiatCurrency USD, cryptoCurrency USDT, network the crypto's first in crypto/list,
  payWayCode the first fiat/list offers for the side; a payWayCode fiat/list does not offer is 10005.
- [A] The range is the order limits (model.limits): BUY in fiat, SELL in crypto; 3102 outside,
  HTTP 400 (the HTTP status of every Alchemy error is the sandbox's, errors.py).
- [A] A later revision of the page shows ``data`` as one object with ``cryptoNetworkFee`` too; the
  sandbox follows the list form the page with the 3102 code shows. Figures: prices and fiat
  amounts with 2 decimals, crypto with 8 (the sample's).
"""
from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import Any

from aiohttp import web

from mockserver.core.http.context import world_of

from . import auth, model
from .api import V4, _amount, _body, _ok, authenticate, check_fiat_decimals, check_pair, check_pay_way
from .backend import PROVIDER_NAME
from .errors import out_of_range, param_error
from .model import BUY, fmt2, fmt8


def _fiat_for_crypto(side: str, crypto: str, network: str, fiat: str, quantity: Decimal) -> Decimal:
    """BUY: the fiat whose net buys `quantity` (fee rate and network fee grossed up), rounded up."""
    price = model.CRYPTO_USD[crypto] * model.FIAT_PER_USD[fiat]
    if side != BUY:
        return quantity * price
    network_fee = model.NETWORK_FEE_USD.get(network, model.DEFAULT_NETWORK_FEE_USD) * model.FIAT_PER_USD[fiat]
    gross = (quantity * price + network_fee) / (1 - model.ON_RAMP_FEE_RATE)
    return gross.quantize(Decimal(1).scaleb(-model.fiat_decimals(fiat)), ROUND_UP)


def _check_range(side: str, crypto: str, fiat: str, fiat_amount: Decimal, quantity: Decimal) -> None:
    low, high = model.limits(side, crypto, fiat)
    value = fiat_amount if side == BUY else quantity
    if not low <= value <= high:
        raise out_of_range(low, high)


def estimate_data(body: dict) -> dict[str, Any]:
    side = body["side"]
    fiat = body.get("fiatCurrency", "USD")
    crypto = body.get("cryptoCurrency", "USDT")
    network = body.get("network") or model.CRYPTO_NETWORKS.get(crypto, ("",))[0]
    check_pair(crypto, network, fiat)
    if ("fiatAmount" in body) == ("cryptoQuantity" in body):
        raise param_error("send one of fiatAmount and cryptoQuantity")
    pay_way = check_pay_way(side, fiat, body.get("payWayCode")) or model.PAY_WAYS[side][0][0]
    price = model.CRYPTO_USD[crypto] * model.FIAT_PER_USD[fiat]
    if "fiatAmount" in body:
        fiat_amount = _amount(body["fiatAmount"])
        check_fiat_decimals(fiat, fiat_amount)
        quantity = Decimal(0)        # computed below, once the amount is known to be in range
    else:
        quantity = _amount(body["cryptoQuantity"])
        fiat_amount = _fiat_for_crypto(side, crypto, network, fiat, quantity)
    if "fiatAmount" in body and side != BUY:
        quantity = model.crypto_for(fiat_amount, price)
    _check_range(side, crypto, fiat, fiat_amount, quantity)
    q = model.quote(side, crypto, network, fiat, fiat_amount if side == BUY else quantity)
    if side == BUY and "fiatAmount" in body:
        net = fiat_amount - q["ramp_fee"] - q["network_fee"]
        if net <= 0:
            raise out_of_range(*model.limits(side, crypto, fiat))
        quantity = model.crypto_for(net, price)
    return {"cryptoPrice": fmt2(price), "side": side, "fiatAmount": fmt2(fiat_amount),
            "cryptoQuantity": fmt8(quantity), "rampFee": fmt2(q["ramp_fee"]), "networkFee": fmt2(q["network_fee"]),
            "fiat": fiat, "crypto": crypto, "payWayCode": pay_way}


async def estimate(request: web.Request) -> web.Response:
    body = await _body(request)
    authenticate(request, body)
    body = auth.drop_empty(body)
    world_of(request).contracts(PROVIDER_NAME).check_request("estimate.request", body)
    return _ok(request, [estimate_data(body)], "estimate.response")


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{V4}/order/quoted/result", estimate)
