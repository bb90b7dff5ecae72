"""Regression the ALPPAY state machine found: a payment paid in full but still gathering
confirmations, expired by hand, turned COMPLETED once the confirmations arrived; a closed
payment's status is final (docs/providers/alppay.md, "Payment lifecycle")."""
from __future__ import annotations

from machine import START
from sandbox_harness import Served
from mockserver.config import SandboxConfig

BODY = {"amount": "250.00", "asset": {"short": "USDT", "network": "tron"},
        "customer": {"id": 1, "name": "B", "email": "b@example.com"}, "invoice": "INV-1"}


def test_an_alppay_payment_expired_while_confirming_stays_expired():
    served = Served(lambda url: SandboxConfig(seed=3, start=START, self_check=True,
                                              providers={"alppay": {"merchants": [{"webhook_url": url}]}})).start()
    try:
        payment = served.call("alppay", "POST", "/alppay/v2/payment", BODY).json["id"]
        assert served.admin("POST", "/simulate/alppay/pay", {"payment": payment}).status == 200
        expired = served.admin("POST", "/simulate/alppay/expire", {"payment": payment})
        assert expired.status == 200 and expired.json["payment"]["status"] == "EXPIRED", expired.text
        served.admin("POST", "/clock/advance", {"by": "2h"})
        assert served.call("alppay", "GET", f"/alppay/v2/payment/{payment}").json["data"]["status"] == "EXPIRED"
    finally:
        served.close()
