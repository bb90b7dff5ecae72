"""The hosted payment page a payment's `paymentRedirectUrl` points at [A: a plain sandbox page
with the amount, the address and the status; the real page's look is not published]."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from .views import money

if TYPE_CHECKING:
    from .model import Payment


def payment_page(payment: "Payment", now: datetime) -> str:
    asset = payment.asset
    rows = "".join(
        f"<tr><td>{escape(d.transfer.txid)}</td><td>{escape(money(d.amount))}</td></tr>"
        for d in payment.deposits)
    back = (f'<p><a href="{escape(payment.checkout_url, quote=True)}">Back to the shop</a></p>'
            if payment.checkout_url else "")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>ALPPAY sandbox payment {escape(payment.id)}</title></head>
<body>
<h1>Pay {escape(payment.amount_text)} {escape(asset.short)} ({escape(asset.network)})</h1>
<p>Send to <code id="address">{escape(payment.address)}</code></p>
<p>Status: <b id="status">{escape(payment.status(now))}</b> /
   <b id="display-status">{escape(payment.display_status(now))}</b>;
   received {escape(money(payment.received()))}; invoice {escape(payment.invoice)}</p>
<table><tr><th>Transaction</th><th>Amount</th></tr>{rows}</table>
{back}
<p><small>Sandbox page: pay with POST /_sandbox/simulate/alppay/pay {{"payment": "{escape(payment.id)}"}}</small></p>
</body></html>
"""
