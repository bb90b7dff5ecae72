"""Regressions the state machines found: `confirm` on an object whose transfers all have their
confirmations was a 200 that did nothing (CryptoPayment.center, ALPPAY, ALT 5 Pay), although
the verb is not offered there; it is a 409 that changes nothing."""
from __future__ import annotations

import pytest

from machine import START, image
from sandbox_harness import Served
from mockserver.config import SandboxConfig

CASES = {
    "cryptopayment": ("POST", "/cryptopayment/api/v1/invoices", {"network": "trc20", "amount_usd": 50},
                      lambda a: {"invoice": a["invoice"]["id"]}),
    "alppay": ("POST", "/alppay/v2/payment", {"amount": "250.00", "asset": {"short": "USDT", "network": "tron"},
                                              "customer": {"id": 1, "name": "B", "email": "b@example.com"},
                                              "invoice": "INV-1"}, lambda a: {"payment": a["id"]}),
    "alt5pay": ("POST", "/alt5pay/usr/wallet/btc/create", {"ref_id": "R-1", "currency": "USD"},
                lambda a: {"address": a["data"]["address"]}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_confirm_with_every_transfer_confirmed_is_a_409_that_changes_nothing(name):
    method, path, body, target = CASES[name]
    served = Served(lambda url: SandboxConfig(seed=3, start=START, self_check=True,
                                              providers={name: {"merchants": [{"webhook_url": url}]}})).start()
    try:
        created = served.call(name, method, path, body)
        assert created.status in (200, 201), created.text
        params = target(created.json)
        paid = served.admin("POST", f"/simulate/{name}/pay", {**params, **({"amount": "0.01"} if name == "alt5pay" else {})})
        assert paid.status == 200, paid.text
        assert served.admin("POST", f"/simulate/{name}/confirm", params).status == 200
        served.admin("POST", "/clock/advance", {"by": "2h"})
        before = image(served.world)
        again = served.admin("POST", f"/simulate/{name}/confirm", params)
        assert again.status == 409, again.text
        assert image(served.world) == before
    finally:
        served.close()


@pytest.mark.parametrize("name", ["cryptopayment", "alt5pay"])
def test_expire_on_what_has_expired_already_is_a_409_that_changes_nothing(name):
    method, path, body, target = CASES[name]
    served = Served(lambda url: SandboxConfig(seed=3, start=START, self_check=True,
                                              providers={name: {"merchants": [{"webhook_url": url}]}})).start()
    try:
        params = target(served.call(name, method, path, body).json)
        assert served.admin("POST", f"/simulate/{name}/expire", params).status == 200
        before = image(served.world)
        again = served.admin("POST", f"/simulate/{name}/expire", params)
        assert again.status == 409, again.text
        assert image(served.world) == before
    finally:
        served.close()


def test_alfabit_confirm_on_a_withdrawal_paid_out_and_confirmed_is_a_409():
    served = Served(lambda url: SandboxConfig(seed=3, start=START, self_check=True,
                                              providers={"alfabit": {"merchants": [{"webhook_url": url}]}})).start()
    try:
        assert served.admin("POST", "/simulate/alfabit/credit", {"amount": "50"}).status == 200
        order = served.call("alfabit", "POST", "/alfabit/api/v1/integration/orders/withdraw",
                            {"amount": "5", "toCurrencyCode": "USDTTRC20",
                             "recipient": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}).json["data"]["uid"]
        served.admin("POST", "/clock/advance", {"by": "2h"})
        view = served.admin("POST", "/simulate/alfabit/state", {"order": order}).json
        assert view["status"] == "success", view
        before = image(served.world)
        again = served.admin("POST", "/simulate/alfabit/confirm", {"order": order})
        assert again.status == 409, again.text
        assert image(served.world) == before
    finally:
        served.close()
