"""Hosted pages: the ramp pages a merchant links its users to, and the payUrl page.

Alchemy's documented off-ramp is the hosted page [D: the Standard API "Only support On-Ramp"].
A merchant builds a link to ``https://ramptest.alchemypay.org?appId=..&crypto=..&network=..
&showTable=sell&cryptoAmount=..&timestamp=..&sign=..`` whose ``sign`` is
``base64(HMAC-SHA256(appSecret, timestamp + "GET" + "/index/rampPageSell" + "?" + sortedQuery))``
[D, "Ramp Signature Description"; on-ramp the same with ``/index/rampPageBuy``].
In the sandbox (ramp host -> ``http://HOST:PORT/alchemypay/ramp``):
- ``GET /alchemypay/index/rampPageBuy?...`` and ``GET /alchemypay/index/rampPageSell?...``: the
  pages under the paths the sign covers;
- ``GET /alchemypay/ramp?...showTable=buy|sell`` [A]: the ramp host's root, as real links are
  built, served as the page ``showTable`` names (buy when absent).
Parameters (on/off-ramp custom parameters [D]; ``callbackUrl`` as public clients send it [C]):
appId, timestamp, sign, crypto, network, fiat, fiatAmount (buy), cryptoAmount (sell), address
(buy), merchantOrderNo, redirectUrl, callbackUrl, email, showTable, and any others (signed, ignored).

Off-ramp links [D, Off Ramp Custom Parameters]: appId, timestamp, ``type`` (fixed ``sell``),
``merchantOrderNo`` ("cannot be duplicated"), sign, cryptoAmount, crypto and network are mandatory,
and ``country`` is "a must" when ``fiat`` is passed; "the link will take effect only after the
mandatory parameters are sent". A link missing one is refused (10005) and opens nothing. (The
Ramp Signature Description's example link has none of type, merchantOrderNo or country; the sandbox
follows the custom-parameters page.)
On-ramp links [D, On Ramp Custom Parameters]: ``fiatAmount`` is optional ("If passed, the user will
not be able to modify the order amount"): without it the page shows an amount field, and the order
is made when the user submits it.

Assumptions:
- [A] Opening a correctly signed link that names every amount is the user confirming the order at
  once: the order is created (buy: PENDING, no webhook; sell: status "1", with its webhook) and the
  page shows it, with a sell order's deposit address. A buy link without fiatAmount creates nothing
  until its form is posted (``POST`` to the same link: the link's sign is checked again, its age is
  not, since a user may take longer than the 5 minutes to type).
- merchantOrderNo "cannot be duplicated" [D]: a link whose merchantOrderNo already has an order on
  that side is 10006 (HTTP 409) and creates nothing. [A] The very same link opened again (a reload:
  same sign) shows its order; under the merchant setting ``strict`` that is 10006 too.
- [A] A buy link without merchantOrderNo gets a made-up one (one version of the on-ramp page marks it
  mandatory, its example link has none); ``strict`` refuses it (10005).
- [A] The page needs crypto and network, which the real page would let the user pick; fiat
  defaults to USD. Values are checked as the API checks them (pairs, limits, payment method,
  address shape, fiat decimals): 10002 / 10005.
- [A] The same timestamp window as the API (5 minutes of real time, setting ``timestamp_window``).
- [A] Refusals (81001 unknown appId, 81002 timestamp, 81003 sign, 10005 parameters, 10006 duplicate)
  are answered in the API's JSON error shape with its HTTP statuses, and create nothing.
- [A] A sell order from the page pays out by bank transfer: ``paymentType`` "10001" (the sample's).
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mockserver.core.http.context import world_of

from . import auth, model
from .api import _backend, check_fresh, create_order, order_fields
from .backend import PROVIDER_NAME
from .errors import APP_ID_INVALID, MERCHANT_KEY, SIGN_ERROR, auth_error, duplicate, param_error
from .model import BUY, SELL
from .views import query_data

PAGES = {BUY: "/index/rampPageBuy", SELL: "/index/rampPageSell"}
SHOW_TABLE = {"buy": BUY, "sell": SELL}


def signed_link(merchant: dict, side: str, params: dict[str, Any], timestamp: str) -> str:
    """The page link a merchant's backend builds (path relative to the sandbox's /alchemypay)."""
    query = {k: str(v) for k, v in params.items() if v not in (None, "")}
    query.update(appId=merchant["app_id"], timestamp=timestamp)
    query["sign"] = auth.ramp_page_sign(merchant["app_secret"], timestamp, PAGES[side], query.items())
    return f"{PAGES[side]}?{urlencode(sorted(query.items()))}"


def _merchant(request: web.Request, page_path: str, *, fresh: bool = True) -> dict:
    query = request.query
    app_id = query.get("appId", "")
    merchant = _backend(request).merchant(app_id) if app_id else None
    if merchant is None:
        raise auth_error(APP_ID_INVALID, "appId is missing or unknown")
    request[MERCHANT_KEY] = merchant
    if fresh:
        check_fresh(request, merchant, query.get("timestamp", ""))
    sign = query.get("sign", "")
    expected = auth.ramp_page_sign(merchant["app_secret"], query.get("timestamp", ""), page_path, query.items())
    if not sign or sign != expected:
        raise auth_error(SIGN_ERROR, "sign error" if sign else "sign parameter is required")
    return merchant


def _fields(query: dict[str, str], side: str, amount: str) -> dict[str, Any]:
    """The page's parameters under the API's names (order_fields reads those)."""
    return {"cryptoCurrency": query["crypto"], "network": query["network"],
            "fiatCurrency": query.get("fiat", "USD"), "amount": amount, "address": query.get("address", ""),
            "merchantOrderNo": query.get("merchantOrderNo", ""), "payWayCode": "10001",
            "alpha2": query.get("country", ""), "callbackUrl": query.get("callbackUrl", ""),
            "redirectUrl": query.get("redirectUrl", ""), "email": query.get("email", "")}


def _checked_query(request: web.Request, side: str, *, fresh: bool = True) -> tuple[dict, dict]:
    """(merchant, query) of a correctly signed link with its contract's parameters, else the error."""
    merchant = _merchant(request, PAGES[side], fresh=fresh)
    query = auth.drop_empty(dict(request.query))
    world_of(request).contracts(PROVIDER_NAME).check_request(f"ramp-page-{side.lower()}.request", query)
    if side == BUY and not query.get("merchantOrderNo") and _backend(request).strict(merchant):
        raise param_error("merchantOrderNo is mandatory (strict)")
    return merchant, query


def _existing(request: web.Request, merchant: dict, side: str, query: dict):
    """The order this link already made (a reload), or None; 10006 for another link's number."""
    backend = _backend(request)
    number = query.get("merchantOrderNo")
    order = backend.existing(merchant["app_id"], side, number) if number else None
    if order is None:
        return None
    if order.link_sign != query["sign"] or backend.strict(merchant):
        raise duplicate(f"merchantOrderNo {number} already exists")
    return order


def _create(request: web.Request, merchant: dict, side: str, query: dict, amount: str):
    world, backend = world_of(request), _backend(request)
    fields = _fields(query, side, amount)
    if not fields["merchantOrderNo"]:
        fields["merchantOrderNo"] = f"RAMP{world.rng.randrange(10**11, 10**12)}"
    checked = order_fields(world, fields, side, "page", strict=backend.strict(merchant))
    checked["link_sign"] = query["sign"]
    return create_order(backend, merchant, checked)


async def _page(request: web.Request, side: str) -> web.Response:
    world = world_of(request)
    merchant, query = _checked_query(request, side)
    order = _existing(request, merchant, side, query)
    if order is None:
        if side == BUY and not query.get("fiatAmount"):
            return _amount_form(query, world.providers[PROVIDER_NAME])
        order = _create(request, merchant, side, query, query["fiatAmount"] if side == BUY else query["cryptoAmount"])
    return _render(order, world.clock.now(), world.providers[PROVIDER_NAME])


async def buy_form_posted(request: web.Request) -> web.Response:
    """The amount the user typed on a buy link without fiatAmount: the order is made now."""
    world = world_of(request)
    merchant, query = _checked_query(request, BUY, fresh=False)
    form = await request.post()
    amount = str(form.get("fiatAmount", "")).strip()
    if query.get("fiatAmount") or not amount:
        raise param_error("fiatAmount is typed on the page only when the link has none")
    order = _existing(request, merchant, BUY, query) or _create(request, merchant, BUY, query, amount)
    return _render(order, world.clock.now(), world.providers[PROVIDER_NAME])


def _amount_form(query: dict, provider) -> web.Response:
    fiat, crypto = query.get("fiat", "USD"), query["crypto"]
    low, high = model.limits(BUY, crypto, fiat) if fiat in model.FIAT_PER_USD and crypto in model.CRYPTO_USD \
        else (None, None)
    bounds = f' min="{low}" max="{high}"' if low is not None else ""
    step = "1" if model.fiat_decimals(fiat) == 0 else "0.01"
    text = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Alchemy Pay sandbox - buy {html.escape(crypto)}"
            f"</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" "
            f"href=\"data:,\"><style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}}"
            f"</style></head><body><h1>Alchemy Pay sandbox ramp - BUY</h1>"
            f"<p>Buy {html.escape(crypto)} on {html.escape(query['network'])}: how much {html.escape(fiat)} do you pay?</p>"
            f"<form method=\"post\" id=\"amount-form\"><label>Amount ({html.escape(fiat)}) "
            f"<input name=\"fiatAmount\" id=\"fiatAmount\" type=\"number\" step=\"{step}\"{bounds} required></label> "
            f"<button type=\"submit\">Continue</button></form></body></html>")
    return web.Response(text=text, content_type="text/html")


def _render(order, now, provider) -> web.Response:
    data = query_data(order, now)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in data.items() if v not in ("", None))
    if order.side == SELL:
        task = (f"Send {order.amount} {order.crypto} on {order.network} to <code id=\"address\">"
                f"{html.escape(order.address)}</code>")
    else:
        task = f"Pay {order.amount} {order.fiat} for {order.crypto} to {html.escape(order.address)}"
    text = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Alchemy Pay sandbox - "
            f"{order.side} {order.order_no}</title><meta name=\"viewport\" content=\"width=device-width, "
            f"initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><style>body{{font-family:system-ui,"
            f"sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}}</style></head><body>"
            f"<h1>Alchemy Pay sandbox ramp - {order.side}</h1>"
            f"<p id=\"order\" data-order-no=\"{order.order_no}\" data-status=\"{data['status']}\">"
            f"Order {order.order_no}, status {data['status']}</p><p>{task}</p><table>{rows}</table>"
            f"{provider.sandbox_panel('order', order.order_no)}</body></html>")
    return web.Response(text=text, content_type="text/html")


async def ramp_page_buy(request: web.Request) -> web.Response:
    return await _page(request, BUY)


async def ramp_page_sell(request: web.Request) -> web.Response:
    return await _page(request, SELL)


async def ramp_root(request: web.Request) -> web.Response:
    side = SHOW_TABLE.get(request.query.get("showTable", "buy").lower(), BUY)
    return await _page(request, side)


async def ramp_root_posted(request: web.Request) -> web.Response:
    """The amount form of a buy link built on the ramp host's root."""
    if SHOW_TABLE.get(request.query.get("showTable", "buy").lower(), BUY) != BUY:
        raise param_error("only a buy link takes a typed amount")
    return await buy_form_posted(request)


async def pay_page(request: web.Request) -> web.Response:
    """The payUrl target: a plain page naming the order and how to move it on in the sandbox."""
    backend = _backend(request)
    order = backend.get(request.match_info["order_no"])
    return _render(order, backend.world.clock.now(), backend.world.providers[PROVIDER_NAME])


def add_routes(app: web.Application) -> None:
    app.router.add_get(PAGES[BUY], ramp_page_buy)
    app.router.add_post(PAGES[BUY], buy_form_posted)
    app.router.add_get(PAGES[SELL], ramp_page_sell)
    app.router.add_get("/ramp", ramp_root)
    app.router.add_get("/ramp/", ramp_root)
    app.router.add_post("/ramp", ramp_root_posted)
    app.router.add_post("/ramp/", ramp_root_posted)
    app.router.add_get("/pay/{order_no}", pay_page)
