"""How ALT 5 Pay's routes map to its contracts and auth, for the generated OpenAPI."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

_SIGNED = "Signed: see the `authentication` security scheme; every body carries timestamp and nonce."


def _call(summary: str, name: str, response: str | None = None) -> Operation:
    return Operation(summary, request=f"{name}.request", response=response or f"{name}.response",
                     description=_SIGNED)


API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", "/usr/wallet/{asset}/create"): _call("Create a deposit address", "wallet-create"),
        ("POST", "/usr/wallet/erc20/{token}/create"): _call("Create an ERC-20 deposit address", "wallet-create"),
        ("POST", "/usr/wallet/transactions"): _call("Transactions of an address", "transactions"),
        ("POST", "/usr/wallet/transactionsbytx"): _call(
            "A transaction by txid", "transactionsbytx", "transactions.response"),
        ("POST", "/usr/wallet/transactionsbyref"): _call(
            "Transactions by ref_id", "transactionsbyref", "transactions.response"),
        ("POST", "/usr/wallet/addressbyref"): _call("Addresses by ref_id", "addressbyref"),
        ("POST", "/usr/price"): _call("Price of a coin", "price"),
        ("POST", "/usr/invoice/create"): _call("Create an invoice", "invoice-create"),
        ("POST", "/invoice/{invoice_id}"): Operation(
            "Invoice status (no auth, empty body: what the WooCommerce plugin calls)",
            response="invoice-status.response", security=()),
        ("POST", "/usr/balances"): _call("Balances per coin", "balances"),
        ("GET", "/payinvoice/"): Operation("Hosted invoice page (?inv=)", media="text/html", security=()),
        ("GET", "/widget/"): Operation("Hosted invoice widget (?inv=)", media="text/html", security=()),
        ("POST", "/usr/fees"): _call("Fee table", "fees"),
        ("POST", "/usr/transactions"): _call("Merchant transactions in a date range", "merchant-transactions"),
        ("GET", "/assets"): Operation("Asset list", response="assets.response", security=()),
        ("POST", "/assets"): Operation("Asset list", request="assets.request", response="assets.response",
                                       body_required=False, security=()),
        ("POST", "/usr/request_payment"): _call("Request a settlement payout", "request-payment"),
        ("POST", "/usr/payments"): _call("Settlement payouts in a date range", "payments"),
    },
    security_schemes={
        "apikey": {"type": "apiKey", "in": "header", "name": "apikey", "description": "The merchant's API key."},
        "merchant_id": {"type": "apiKey", "in": "header", "name": "merchant_id",
                        "description": "The merchant's id."},
        "authentication": {
            "type": "apiKey", "in": "header", "name": "authentication",
            "description": "base64(apikey + ':' + hex(HMAC-SHA512(key = secret, msg = bodyString))); "
                           "bodyString = every body key as k=v joined by '&' (the docs' key order, or the "
                           "body's own), values raw. The body's timestamp must be within 300 s of real "
                           "time and a (timestamp, nonce, signature) is accepted once."},
    },
    security=("apikey", "merchant_id", "authentication"),
    webhooks={"ipn": Webhook(
        "Payment notification (IPN)", "ipn.webhook",
        "POSTed to the address's url, else the merchant's webhook URL; header `signature` = "
        "hex HMAC-SHA512(key = secret, msg = raw body).")},
)
