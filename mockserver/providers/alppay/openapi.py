"""How ALPPAY's routes map to its contracts and auth, for the generated OpenAPI.

Routes the sandbox offers and ALPPAY does not (invoice confirm/cancel) carry `x-sandbox-only:
true` and say so in their summary; the documented way to the same outcome is in their
description (and in scenarios/alppay/invoice_outcomes_documented_way.yaml)."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

_HMAC = "A request with a body carries X-HMAC; the caller's IP must be on the merchant's whitelist."
_BODY = (" The signed body is compact JSON with the documented fields in the docs' order (else 400), "
         "unless the merchant setting signed_body is as_sent.")
_SIGNED = ("API-KEY", "X-HMAC")
SANDBOX_ONLY = "POST /payment/{id}/confirm, POST /payment/{id}/cancel"
_OWN = {"x-sandbox-only": True}

API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", "/v2/payment"): Operation(
            "Create a payment", request="payment-create.request", response="payment.response",
            security=_SIGNED, description=_HMAC + _BODY),
        ("POST", "/api/v2/payments"): Operation(
            "Create a payment (the Client ID page's path)", request="payment-create.request",
            response="payment.response", security=_SIGNED,
            description="The same call as POST /v2/payment, at the path the Client ID page shows. " + _HMAC),
        ("GET", "/v2/payment/{payment_id}"): Operation("Get a payment", response="payment-get.response"),
        ("GET", "/v2/payment"): Operation(
            "List payments", response="payment-list.response",
            description="statuses filters by display status; CANCELLED and AML_CHECK_FAILED (the older "
                        "page's words) are accepted."),
        ("POST", "/v2/payment/{payment_id}/confirm"): Operation(
            "Confirm a payment (sandbox only: ALPPAY documents no such endpoint)",
            request="payment-action.request", response="payment.response", body_required=False,
            extensions=_OWN,
            description="The sandbox's own route for the guide's 'invoice confirmation' test. In production "
                        "a payment completes when its transfers cover the amount and are confirmed. "
                        "404 under the merchant setting strict. " + _HMAC),
        ("POST", "/v2/payment/{payment_id}/cancel"): Operation(
            "Cancel a payment (sandbox only: ALPPAY documents no such endpoint)",
            request="payment-action.request", response="payment.response", body_required=False,
            extensions=_OWN,
            description="The sandbox's own route for the guide's 'invoice cancellation' test. In production "
                        "a payment expires after its timeout, or when a new payment is created for the same "
                        "clientId. 404 under the merchant setting strict. " + _HMAC),
        ("POST", "/v2/withdrawal"): Operation(
            "Create a withdrawal", request="withdrawal-create.request", response="withdrawal.response",
            security=_SIGNED, description=_HMAC + _BODY),
        ("GET", "/v2/withdrawal/{withdrawal_id}"): Operation("Get a withdrawal", response="withdrawal.response"),
        ("GET", "/v2/withdrawal"): Operation("List withdrawals", response="withdrawal-list.response"),
        ("POST", "/v2/deposit-addresses/create"): Operation(
            "Create deposit addresses", request="deposit-address-create.request",
            response="deposit-address-create.response", security=_SIGNED, description=_HMAC + _BODY),
        ("GET", "/v2/wallets-by-client"): Operation(
            "Wallets bound to a clientId (page, pageSize)", response="wallets-by-client.response"),
        ("GET", "/v2/wallets-balances"): Operation(
            "Aggregated wallet balances", response="wallets-balances.response"),
        ("GET", "/v2/network-fee"): Operation(
            "Estimate the network fee of a withdrawal (assetNetwork, addressFrom, addressTo, assetShort?)",
            response="network-fee.response"),
        ("GET", "/api/v2/merchants/wallets/info"): Operation(
            "A client's wallets, balances and transactions (clientId, dateFrom, dateTo)",
            response="wallets-info.response"),
        ("GET", "/v2/merchants/wallets/info"): Operation(
            "A client's wallets, balances and transactions (the same report under the API base URL)",
            response="wallets-info.response"),
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
