"""Alchemy Pay as a state machine (tests/stateful/machine.py): on-ramp orders made through its
API (token, then trade/create), their statuses, and the verbs that move them."""
from __future__ import annotations

import json

from hypothesis import strategies as st

from machine import Create, Read, Spec, pick

API = "/alchemypay/open/api/v4/merchant"


def order(data) -> dict:
    return {"side": "BUY", "merchantOrderNo": f"ORD-{data.draw(st.integers(0, 9999))}",
            "amount": pick(data, ["100", "10", "250.5", "9999"]), "fiatCurrency": "USD", "cryptoCurrency": "USDT",
            "depositType": 2, "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8", "network": "TRX",
            "payWayCode": "10001", "alpha2": "US"}


def token(machine) -> dict:
    """A session token from getToken, fetched once per World (a reset forgets it)."""
    if "token" not in machine.extra:
        answer = machine.api("POST", f"{API}/getToken", {"email": "buyer@example.com"},
                             check_unchanged=False)
        machine.extra["token"] = json.loads(answer.body)["data"]["accessToken"]
    return {"access-token": machine.extra["token"]}


def query(data) -> None:
    return None


SPEC = Spec(
    provider="alchemypay",
    creates=[Create("POST", f"{API}/trade/create", order, headers=token)],
    reads=[Read("GET", f"{API}/query/trade?orderNo={{id}}&side=BUY", "order"),
           Read("GET", f"{API}/crypto/list?fiat=USD")],
    transitions={
        # docs/providers/alchemypay.md: on-ramp statuses; INTERIM_PAY_FAIL on a PENDING order (paying
        # after it still works), INVALID_ADDRESS after PAY_SUCCESS (refund may follow); the 24-hour
        # lapse cancels an unpaid order
        "order": {"PENDING": {"PAY_SUCCESS", "PAY_FAIL", "INTERIM_PAY_FAIL", "CANCEL", "RISK_CONTROL"},
                  "INTERIM_PAY_FAIL": {"PAY_SUCCESS", "PAY_FAIL", "CANCEL"},
                  "PAY_SUCCESS": {"TRANSFER", "INVALID_ADDRESS", "RISK_CONTROL", "REFUNDED"},
                  "TRANSFER": {"FINISHED"}, "RISK_CONTROL": {"REFUNDED"}, "INVALID_ADDRESS": {"REFUNDED"},
                  "FINISHED": set(), "REFUNDED": set(), "CANCEL": set(), "PAY_FAIL": set()},
    },
    volatile=set(),
)
