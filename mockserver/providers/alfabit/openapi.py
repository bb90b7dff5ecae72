"""How AlfaBit Pay's routes map to its contracts and auth, for the generated OpenAPI."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

V1 = "/api/v1/integration"

API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", f"{V1}/orders/invoice"): Operation(
            "Create an invoice", request="invoice.request", response="order.response", status=201),
        ("POST", f"{V1}/orders/invoice/without-amount"): Operation(
            "Create an invoice without amount", request="invoice-without-amount.request",
            response="order.response", status=201),
        ("GET", f"{V1}/orders/{{uid}}"): Operation("Get an order", response="order.response"),
        ("GET", f"{V1}/orders"): Operation(
            "List orders (v1)", query="orders-list-v1.query", response="orders-list.response"),
        ("GET", "/api/v2/integration/orders"): Operation(
            "List orders", query="orders-list.query", response="orders-list.response"),
        ("POST", f"{V1}/orders/withdraw"): Operation(
            "Withdraw from the balance", request="withdraw.request", response="order.response", status=201),
        ("POST", f"{V1}/orders/withdraw-with-exchange"): Operation(
            "Withdraw, paid from the balance of another asset", request="withdraw-with-exchange.request",
            response="order.response", status=201),
        ("GET", f"{V1}/merchant"): Operation("The merchant", response="merchant.response"),
        ("GET", f"{V1}/merchant/balances"): Operation("Balances", response="balances.response"),
        ("GET", f"{V1}/assets"): Operation("Assets", response="assets.response"),
        ("GET", f"{V1}/assets/currencies"): Operation("Currencies", response="currencies.response"),
        ("GET", f"{V1}/assets/exchange-rate"): Operation(
            "Exchange rates", query="exchange-rate.query", response="exchange-rate.response"),
        ("GET", f"{V1}/assets/withdraw-fee"): Operation("Withdraw fees", response="withdraw-fee.response"),
        ("GET", f"{V1}/merchant/fiat-config"): Operation(
            "Fiat configuration (not emulated)", response="error", status=404,
            description="Called by a public fiat payout class; the sandbox runs no fiat rails and answers "
                        "AlfaBit's 404 [assumed]."),
        ("POST", f"{V1}/orders/fiat-withdraw"): Operation(
            "Fiat withdrawal (not emulated)", response="error", status=404,
            description="Called by a public fiat payout class; the sandbox runs no fiat rails and answers "
                        "AlfaBit's 404 after its usual checks [assumed]."),
        ("GET", "/invoice/{uid}"): Operation("Hosted invoice page", media="text/html", security=()),
        ("GET", "/qr-code/{uid}"): Operation("QR code of an invoice's requisites", media="image/svg+xml",
                                             security=()),
    },
    security_schemes={"x-api-key": {"type": "apiKey", "in": "header", "name": "x-api-key",
                                    "description": "The merchant's API key; nothing else is signed."}},
    security=("x-api-key",),
    webhooks={"callback": Webhook(
        "Order callback", "callback.webhook",
        "The order object POSTed to its callbackUrl on every status change, only from AlfaBit's published "
        "IPs (the documented check: allow-list the source address). `signature`: no formula is published; by "
        "default it carries a value no merchant can verify; with the merchant setting callback_signature=hmac "
        "it is hex HMAC-SHA256(key = API key, msg = compact JSON of the order without `signature`) [assumed].")},
)
