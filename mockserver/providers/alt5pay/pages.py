"""The hosted invoice page (invoice_url / widget_url): what the payer sees, in the sandbox."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from . import pricing

if TYPE_CHECKING:
    from .model import Invoice

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {ref} - ALT 5 Pay (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}</style></head>
<body>
<h1>Invoice {ref}</h1>
<p>Total: <strong>{total} {currency}</strong> &middot; Paid: <span id="paid">{paid}</span> {currency}</p>
<p>Status: <strong id="status">{status}</strong></p>
{panel}
</body></html>
"""


def invoice_page(provider, invoice: "Invoice", now: datetime) -> str:
    return PAGE.format(ref=escape(invoice.ref_id), total=invoice.total_amount,
                       currency=escape(invoice.currency), paid=pricing.fiat(invoice.paid_amount(now)),
                       status=escape(invoice.payment_status(now)),
                       panel=provider.sandbox_panel("invoice", invoice.invoice_id))
