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

Assumptions:
- [A] Opening a correctly signed page is the user confirming the order at once: the order is
  created (buy: PENDING, no webhook; sell: status "1", with its webhook) and the page shows it,
  with a sell order's deposit address. Reopening a link whose merchantOrderNo already has an order
  on that side shows that order again; a link without merchantOrderNo makes a new order each time
  (with a made-up merchantOrderNo).
- [A] The page needs crypto and network, and the amount (fiatAmount for buy, cryptoAmount for
  sell) that the real page would let the user type; fiat defaults to USD. Values are checked as the
  API checks them (pairs, limits): 10002 / 10005.
- [A] The same timestamp window as the API (5 minutes of real time, setting ``timestamp_window``).
- [A] Refusals (81001 unknown appId, 81002 timestamp, 81003 sign, 10005 parameters) are answered
  in the API's JSON error shape with its HTTP statuses, and create nothing.
- [A] A sell order from the page pays out by bank transfer: ``paymentType`` "10001" (the sample's).
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mockserver.core.http.context import world_of

from . import auth
from .api import _backend, check_fresh, create_order, order_fields
from .backend import PROVIDER_NAME
from .errors import APP_ID_INVALID, SIGN_ERROR, auth_error
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


def _merchant(request: web.Request, page_path: str) -> dict:
    query = request.query
    app_id = query.get("appId", "")
    merchant = _backend(request).merchant(app_id) if app_id else None
    if merchant is None:
        raise auth_error(APP_ID_INVALID, "appId is missing or unknown")
    check_fresh(request, merchant, query.get("timestamp", ""))
    sign = query.get("sign", "")
    expected = auth.ramp_page_sign(merchant["app_secret"], query["timestamp"], page_path, query.items())
    if not sign or sign != expected:
        raise auth_error(SIGN_ERROR, "sign error" if sign else "sign parameter is required")
    return merchant


def _fields(query: dict[str, str], side: str) -> dict[str, Any]:
    """The page's parameters under the API's names (order_fields reads those)."""
    amount = query["fiatAmount"] if side == BUY else query["cryptoAmount"]
    return {"cryptoCurrency": query["crypto"], "network": query["network"],
            "fiatCurrency": query.get("fiat", "USD"), "amount": amount, "address": query.get("address", ""),
            "merchantOrderNo": query.get("merchantOrderNo", ""), "payWayCode": "10001",
            "alpha2": query.get("country", ""), "callbackUrl": query.get("callbackUrl", ""),
            "redirectUrl": query.get("redirectUrl", ""), "email": query.get("email", "")}


async def _page(request: web.Request, side: str) -> web.Response:
    world = world_of(request)
    merchant = _merchant(request, PAGES[side])
    query = auth.drop_empty(dict(request.query))
    world.contracts(PROVIDER_NAME).check_request(f"ramp-page-{side.lower()}.request", query)
    backend = _backend(request)
    order = None
    if query.get("merchantOrderNo"):
        order = backend.existing(merchant["app_id"], side, query["merchantOrderNo"])
    if order is None:
        fields = _fields(query, side)
        if not fields["merchantOrderNo"]:
            fields["merchantOrderNo"] = f"RAMP{world.rng.randrange(10**11, 10**12)}"
        order = create_order(backend, merchant, order_fields(world, fields, side, "page"))
    return _render(order, world.clock.now(), world.providers[PROVIDER_NAME])


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


async def pay_page(request: web.Request) -> web.Response:
    """The payUrl target: a plain page naming the order and how to move it on in the sandbox."""
    backend = _backend(request)
    order = backend.get(request.match_info["order_no"])
    return _render(order, backend.world.clock.now(), backend.world.providers[PROVIDER_NAME])


def add_routes(app: web.Application) -> None:
    app.router.add_get(PAGES[BUY], ramp_page_buy)
    app.router.add_get(PAGES[SELL], ramp_page_sell)
    app.router.add_get("/ramp", ramp_root)
    app.router.add_get("/ramp/", ramp_root)
    app.router.add_get("/pay/{order_no}", pay_page)
