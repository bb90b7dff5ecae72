"""The shop against the sandbox: real HTTP both ways, signed webhooks, virtual time."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shop import NETWORKS, CryptoPayment, Order


def test_a_paid_order_is_marked_paid(sandbox, shop, sandbox_contracts):
    status, order = shop.request("POST", "/orders", {"amount_usd": "50.00", "network": "trc20"})
    assert status == 201 and order["status"] == "awaiting_payment"

    sandbox.pay("cryptopayment", invoice=order["invoice_id"])
    sandbox.advance("5m")                                  # 19 TRC-20 confirmations, in no time

    paid = shop.order(order["id"])
    assert paid["status"] == "paid" and paid["txid"]
    assert paid["events"] == ["payment.detected", "payment.confirmed"]
    deliveries = sandbox.deliveries("cryptopayment", ref=order["invoice_id"])
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]
    for delivery in deliveries:                            # what the shop's handler was given
        sandbox_contracts.assert_valid("cryptopayment", "webhook", delivery["body"], strict=True)


def test_an_underpaid_order_is_not_paid_when_the_invoice_expires(sandbox, shop):
    _, order = shop.request("POST", "/orders", {"amount_usd": "50.00", "network": "trc20"})
    sandbox.pay("cryptopayment", invoice=order["invoice_id"], amount=20)
    sandbox.advance("31m")                                 # past the 30-minute expiry

    unpaid = shop.order(order["id"])
    assert unpaid["status"] == "awaiting_payment" and Decimal(unpaid["paid_amount"]) == 20
    assert unpaid["events"] == ["payment.detected"]


def test_a_forged_webhook_is_rejected_and_a_duplicate_acknowledged(sandbox, shop):
    _, order = shop.request("POST", "/orders", {"amount_usd": "10", "network": "trc20"})
    sandbox.pay("cryptopayment", invoice=order["invoice_id"])
    sandbox.advance("5m")
    [confirmed] = sandbox.deliveries("cryptopayment", event="payment.confirmed")
    body = json.loads(confirmed["body"])

    forged = {**body, "signature": body["signature"][:-1] + ("0" if body["signature"][-1] != "0" else "1")}
    assert shop.request("POST", "/webhooks/cryptopayment", forged)[0] == 400
    assert shop.request("POST", "/webhooks/cryptopayment", raw=b"not json")[0] == 400
    assert shop.request("POST", "/webhooks/cryptopayment", raw=confirmed["body"].encode())[0] == 200
    assert shop.order(order["id"])["status"] == "paid"


@pytest.mark.parametrize("network", NETWORKS)
def test_the_invoice_request_keeps_to_the_contract(network, sandbox_contracts):
    order = Order(id="ORD-0001", amount_usd=Decimal("12.50"), network=network)
    body = CryptoPayment.invoice_request(order)
    # strict: a key the provider would silently ignore (say `orderId`) fails here
    sandbox_contracts.assert_valid("cryptopayment", "invoice-create.request", body, strict=True)


def test_bad_orders_are_refused_before_reaching_the_provider(sandbox, shop):
    assert shop.request("POST", "/orders", {"amount_usd": "0.5", "network": "trc20"})[0] == 400
    assert shop.request("POST", "/orders", {"amount_usd": "5", "network": "doge"})[0] == 400
    assert sandbox.journal(provider="cryptopayment") == []
