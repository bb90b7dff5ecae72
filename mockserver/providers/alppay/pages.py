"""The hosted payment page a payment's `paymentRedirectUrl` points at [A: a plain sandbox page
with the amount, the address and the status; the real page's look is not published]."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from .views import money

if TYPE_CHECKING:
    from .model import Payment


def payment_page(provider, payment: "Payment", now: datetime) -> str:
    asset = payment.asset
    rows = "".join(
        f"<tr><td>{escape(d.transfer.txid)}</td><td>{escape(money(d.amount))}</td></tr>"
        for d in payment.deposits)
    back = (f'<p><a href="{escape(payment.checkout_url, quote=True)}">Back to the shop</a></p>'
            if payment.checkout_url else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ALPPAY sandbox payment {escape(payment.id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}</style></head>
<body>
<h1>Pay {escape(payment.amount_text)} {escape(asset.short)} ({escape(asset.network)})</h1>
<p>Send to <code id="address">{escape(payment.address)}</code></p>
<p>Status: <b id="status">{escape(payment.status(now))}</b> /
   <b id="display-status">{escape(payment.display_status(now))}</b>;
   received {escape(money(payment.received()))}; invoice {escape(payment.invoice)}</p>
<table><tr><th>Transaction</th><th>Amount</th></tr>{rows}</table>
{back}
{provider.sandbox_panel("payment", payment.id)}
</body></html>
"""
