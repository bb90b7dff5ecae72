"""The hosted checkout page: what the customer sees, with the sandbox's simulate buttons."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from .model import Invoice

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay {amount} {coin} - CryptoPayment (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
code{{word-break:break-all;background:#f4f4f4;padding:.2rem .4rem}}</style></head>
<body>
<h1>Pay {amount} {coin}</h1>
<p>Network: <strong>{label}</strong> &middot; Order: {order}</p>
<p>Send exactly <strong id="amount">{amount} {coin}</strong> to</p>
<p><code id="address">{address}</code></p>
<p>Status: <strong id="status">{status}</strong> &middot; Paid: <span id="paid">{paid}</span> {coin}
 &middot; Confirmations: {received}/{required}</p>
<p>Expires at {expires}</p>
{panel}
</body></html>
"""


def checkout_page(provider, invoice: "Invoice", now: datetime) -> str:
    return PAGE.format(
        amount=invoice.amount_crypto, coin=escape(invoice.network.coin),
        label=escape(invoice.network.label), order=escape(invoice.order_id or "-"),
        address=escape(invoice.address), status=invoice.status(now), paid=invoice.paid_amount(),
        received=invoice.confirmations_received(now), required=invoice.network.confirmations,
        expires=invoice.expires_at.isoformat(),
        panel=provider.sandbox_panel("invoice", invoice.id))
