"""The hosted checkout page: what the customer sees, with buttons that pay through the admin API."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Invoice

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay {amount} {coin} - CryptoPayment (sandbox)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
code{{word-break:break-all;background:#f4f4f4;padding:.2rem .4rem}}button{{margin:.3rem .3rem 0 0;padding:.5rem 1rem}}
.sandbox{{border:2px dashed #c80;padding:1rem;margin-top:2rem}}</style></head>
<body>
<h1>Pay {amount} {coin}</h1>
<p>Network: <strong>{label}</strong> &middot; Order: {order}</p>
<p>Send exactly <strong id="amount">{amount} {coin}</strong> to</p>
<p><code id="address">{address}</code></p>
<p>Status: <strong id="status">{status}</strong> &middot; Paid: <span id="paid">{paid}</span> {coin}
 &middot; Confirmations: {received}/{required}</p>
<p>Expires at {expires}</p>
<div class="sandbox"><p><strong>Sandbox</strong>: simulate the customer.</p>
<button data-kind="exact">Pay exact</button><button data-kind="partial">Pay half</button>
<button data-kind="over">Overpay</button><button id="confirm">Confirm now</button>
<pre id="result"></pre></div>
<script>
async function call(action, body) {{
  const r = await fetch('/_sandbox/simulate/cryptopayment/' + action,
    {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify(body)}});
  document.getElementById('result').textContent = JSON.stringify(await r.json(), null, 2);
  setTimeout(() => location.reload(), 800);
}}
document.querySelectorAll('button[data-kind]').forEach(b =>
  b.onclick = () => call('pay', {{invoice: '{id}', kind: b.dataset.kind}}));
document.getElementById('confirm').onclick = () => call('confirm', {{invoice: '{id}'}});
</script></body></html>
"""


def checkout_page(invoice: "Invoice", now: datetime) -> str:
    return PAGE.format(
        id=escape(invoice.id), amount=invoice.amount_crypto, coin=escape(invoice.network.coin),
        label=escape(invoice.network.label), order=escape(invoice.order_id or "-"),
        address=escape(invoice.address), status=invoice.status(now), paid=invoice.paid_amount(),
        received=invoice.confirmations_received(now), required=invoice.network.confirmations,
        expires=invoice.expires_at.isoformat())
