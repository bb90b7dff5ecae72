"""The hosted invoice page (`invoicePublicUrl`) and the `requisitesQrCode` image.

[A] The QR image is an SVG placeholder showing the requisites as text, not a scannable code:
the sandbox carries no QR encoder, and no client reads the image. [A] The invoice's `redirectUrl`
(sent by public clients, absent from the order object) is where the page's "Back to the shop" link
goes.
"""
from __future__ import annotations

from html import escape

from aiohttp import web

from ...core.basics.errors import NotFound
from ...core.http.context import world_of
from .api import UID
from .model import NAME
from .views import iso


routes = web.RouteTableDef()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AlfaBit Pay invoice {uid} (sandbox)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
code{{word-break:break-all;background:#f4f4f4;padding:.2rem .4rem}}button{{margin:.3rem .3rem 0 0;padding:.5rem 1rem}}
</style><link rel="icon" href="data:,"></head>
<body>
<h1>{title}</h1>
<p>{public_comment}</p>
<p>Send <strong>{amount}</strong> ({network}) to</p>
<p><code id="requisites">{requisites}</code></p>{memo}
<p>Status: <strong id="status">{status}</strong> &middot; received: {fact} {asset}</p>
<p>Expires at {expires}</p>{back}
{panel}</body></html>
"""
QR = """<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80" viewBox="0 0 320 80">
<rect width="320" height="80" fill="#fff" stroke="#000"/>
<text x="8" y="30" font-family="monospace" font-size="10">sandbox QR placeholder</text>
<text x="8" y="55" font-family="monospace" font-size="8">{text}</text></svg>"""


def _invoice(request: web.Request):
    world = world_of(request)
    uid = request.match_info["uid"]
    order = world.backend(NAME).orders.get(uid) if UID.fullmatch(uid) else None
    if order is None or order.is_withdrawal:
        raise NotFound("Order not found")
    return world, order


@routes.get("/invoice/{uid}")
async def invoice_page(request: web.Request) -> web.Response:
    world, order = _invoice(request)
    asset = order.currency_in.asset
    due = f"{order.amount_in_expected} {asset}" if order.amount_in_expected else f"any amount of {asset}"
    html = PAGE.format(
        uid=escape(order.uid), title=escape(f"Pay {due}"), public_comment=escape(order.public_comment or ""),
        amount=escape(due), network=escape(order.currency_in.network or ""),
        requisites=escape(order.requisites or "(requisites are being issued)"),
        memo=f"<p>Memo (required): <code>{escape(order.memo)}</code></p>" if order.memo else "",
        status=escape(order.status(world.clock.now())), fact=order.amount_in_fact(), asset=escape(asset),
        expires=escape(iso(order.expires_at) or "-"),
        back=f'<p><a href="{escape(order.redirect_url)}">Back to the shop</a></p>' if order.redirect_url else "",
        panel=world.providers[NAME].sandbox_panel("invoice", order.uid))
    return web.Response(text=html, content_type="text/html")


@routes.get("/qr-code/{uid}")
async def qr_code(request: web.Request) -> web.Response:
    _, order = _invoice(request)
    text = escape(order.requisites or "") + (f" memo {escape(order.memo)}" if order.memo else "")
    return web.Response(text=QR.format(text=text), content_type="image/svg+xml")
