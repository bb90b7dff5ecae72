"""How CryptoPayment.center's routes map to its contracts and auth, for the generated OpenAPI."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", "/api/v1/invoices"): Operation(
            "Create an invoice", request="invoice-create.request", response="invoice-create.response", status=201),
        ("GET", "/api/v1/invoices"): Operation(
            "List invoices, newest first (20 a page)", response="invoice-list.response"),
        ("GET", "/api/v1/invoices/{invoice_id}"): Operation(
            "Get an invoice", response="invoice-get.response"),
        ("GET", "/api/v1/balances"): Operation("Balances per coin", response="balances.response"),
        ("POST", "/api/v1/withdrawals"): Operation(
            "Request a withdrawal", request="withdrawal-create.request", response="withdrawal.response",
            status=201),
        ("GET", "/api/v1/withdrawals/{withdrawal_id}"): Operation(
            "Get a withdrawal", response="withdrawal.response"),
        ("GET", "/pay/{invoice_id}"): Operation(
            "Hosted checkout page", media="text/html", security=()),
    },
    security_schemes={"bearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "api_key:api_secret",
        "description": "Authorization: Bearer {api_key}:{api_secret} (the dashboard's pk_/sk_ pair)."}},
    security=("bearer",),
    webhooks={"invoice-event": Webhook(
        "Invoice event (payment.detected, payment.confirmed, invoice.expired, ...)", "webhook",
        "POSTed to the merchant's webhook_url. `signature` = hex HMAC-SHA256(key = base64-decoded "
        "APP_KEY, msg = invoice_id + '.' + event).")},
)
