"""How ALPPAY's routes map to its contracts and auth, for the generated OpenAPI."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

_HMAC = "A request with a body carries X-HMAC; the caller's IP must be on the merchant's whitelist."

API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", "/v2/payment"): Operation(
            "Create a payment", request="payment-create.request", response="payment.response",
            security=("API-KEY", "X-HMAC"), description=_HMAC),
        ("GET", "/v2/payment/{payment_id}"): Operation("Get a payment", response="payment-get.response"),
        ("GET", "/v2/payment"): Operation("List payments", response="payment-list.response"),
        ("POST", "/v2/payment/{payment_id}/confirm"): Operation(
            "Confirm a payment", request="payment-action.request", response="payment.response",
            body_required=False, description=_HMAC),
        ("POST", "/v2/payment/{payment_id}/cancel"): Operation(
            "Cancel a payment", request="payment-action.request", response="payment.response",
            body_required=False, description=_HMAC),
        ("POST", "/v2/withdrawal"): Operation(
            "Create a withdrawal", request="withdrawal-create.request", response="withdrawal.response",
            security=("API-KEY", "X-HMAC"), description=_HMAC),
        ("GET", "/v2/withdrawal/{withdrawal_id}"): Operation("Get a withdrawal", response="withdrawal.response"),
        ("GET", "/v2/withdrawal"): Operation("List withdrawals", response="withdrawal-list.response"),
        ("GET", "/payment-invoice"): Operation("Hosted payment page (?id=)", media="text/html", security=()),
    },
    security_schemes={
        "API-KEY": {"type": "apiKey", "in": "header", "name": "API-KEY", "description": "The merchant's API key."},
        "X-HMAC": {"type": "apiKey", "in": "header", "name": "X-HMAC",
                   "description": "Lowercase hex HMAC-SHA256(key = HMAC key, msg = the raw body bytes as "
                                  "sent); required when the request has a body."},
    },
    security=("API-KEY",),
    webhooks={
        "payment": Webhook("Payment status change", "payment.webhook",
                           "The payment object; header X-HMAC = hex HMAC-SHA256(HMAC key, raw body)."),
        "withdrawal": Webhook("Withdrawal status change", "withdrawal.webhook",
                              "The withdrawal object, signed as the payment webhook."),
    },
)
