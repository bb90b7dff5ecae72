"""How Alchemy Pay's routes map to its contracts and auth, for the generated OpenAPI."""
from __future__ import annotations

from ...core.contracts.openapi import ApiDescription, Operation, Webhook

V4 = "/open/api/v4/merchant"
_PAGE = "Hosted ramp page; appId, timestamp and sign travel in the query (see the contract)."

API_DESCRIPTION = ApiDescription(
    operations={
        ("POST", f"{V4}/getToken"): Operation(
            "Get an access-token for a user", request="get-token.request", response="get-token.response"),
        ("POST", f"{V4}/trade/create"): Operation(
            "Create an on-ramp order", request="trade-create.request", response="trade-create.response",
            security=("appId", "timestamp", "sign", "access-token")),
        ("GET", f"{V4}/query/trade"): Operation(
            "Query an order", query="query-trade.request", response="query-trade.response"),
        ("POST", f"{V4}/order/create"): Operation(
            "Create an order (order/create flavour; access-token optional)",
            request="order-create.request", response="trade-create.response"),
        ("GET", f"{V4}/order/detail"): Operation(
            "Order detail (legacy status words)", query="order-detail.request",
            response="order-detail.response"),
        ("GET", f"{V4}/crypto/list"): Operation(
            "Cryptocurrencies and networks", query="crypto-list.request", response="crypto-list.response"),
        ("GET", f"{V4}/fiat/list"): Operation(
            "Fiat currencies and payment methods", query="fiat-list.request", response="fiat-list.response"),
        ("POST", f"{V4}/quotes"): Operation("A price quote", request="quote.request", response="quote.response"),
        ("POST", f"{V4}/order/quote"): Operation(
            "A price quote (older path); type ALL: one per payment method", request="quote.request",
            response="quote.response"),
        ("POST", f"{V4}/order/quoted/result"): Operation(
            "Estimate Price Query (3102 when out of range)", request="estimate.request",
            response="estimate.response"),
        ("GET", "/index/rampPageBuy"): Operation(
            "Hosted on-ramp page", query="ramp-page-buy.request", media="text/html", security=(),
            description=_PAGE),
        ("GET", "/index/rampPageSell"): Operation(
            "Hosted off-ramp page", query="ramp-page-sell.request", media="text/html", security=(),
            description=_PAGE),
        ("POST", "/index/rampPageBuy"): Operation(
            "The amount the user types on a buy link without fiatAmount (form field fiatAmount)",
            query="ramp-page-buy.request", media="text/html", security=(), description=_PAGE),
        ("POST", "/ramp"): Operation("The typed amount of a buy link on the ramp host's root", media="text/html",
                                     security=(), description=_PAGE),
        ("POST", "/ramp/"): Operation("The typed amount of a buy link on the ramp host's root", media="text/html",
                                      security=(), description=_PAGE),
        ("GET", "/ramp"): Operation("Hosted ramp page (showTable=buy|sell)", media="text/html",
                                    security=(), description=_PAGE),
        ("GET", "/ramp/"): Operation("Hosted ramp page (showTable=buy|sell)", media="text/html",
                                     security=(), description=_PAGE),
        ("GET", "/pay/{order_no}"): Operation("An order's payUrl page", media="text/html", security=()),
    },
    security_schemes={
        "appId": {"type": "apiKey", "in": "header", "name": "appId", "description": "The merchant's appId."},
        "timestamp": {"type": "apiKey", "in": "header", "name": "timestamp",
                      "description": "Milliseconds since the epoch; within 5 minutes of real time."},
        "sign": {"type": "apiKey", "in": "header", "name": "sign",
                 "description": "base64(HMAC-SHA256(key = appSecret, msg = timestamp + METHOD + requestPath "
                                "+ bodyString)); requestPath has its query sorted by name, empty values "
                                "dropped; bodyString is the body with empty values dropped and keys sorted "
                                "at every depth, as compact JSON (\"\" for GET)."},
        "access-token": {"type": "apiKey", "in": "header", "name": "access-token",
                         "description": "accessToken from getToken (trade/create requires it)."},
    },
    security=("appId", "timestamp", "sign"),
    webhooks={
        "on-ramp": Webhook("On-ramp order status (PAY_SUCCESS, PAY_FAIL, FINISHED, ...)", "webhook.on-ramp",
                           "POSTed to the order's callbackUrl; `signature` = hex SHA1(appId + appSecret + "
                           "appId + orderNo + crypto + network + address); `newSignature` = base64(HMAC-"
                           "SHA256(appSecret, timestamp + 'POST' + callbackPath + bodyString))."),
        "off-ramp": Webhook("Off-ramp order status (1..7)", "webhook.off-ramp",
                            "POSTed to the order's callbackUrl, signed as the on-ramp webhook."),
    },
)
