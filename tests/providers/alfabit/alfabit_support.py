"""What an AlfaBit Pay merchant would write, independently of the sandbox's code: a thin client
that sends only `x-api-key` (as the public clients do), the labelled callback-signature formula,
and the admin hands a tester uses. Nothing here imports mockserver.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path

BASE = "/alfabit"
INVOICE = BASE + "/api/v1/integration/orders/invoice"
OPEN_INVOICE = INVOICE + "/without-amount"
ORDER = BASE + "/api/v1/integration/orders/"
ORDERS = BASE + "/api/v2/integration/orders"
WITHDRAW = BASE + "/api/v1/integration/orders/withdraw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "alfabit"
CALLBACK_IPS = ["18.194.211.115", "3.70.205.120", "3.250.143.116", "185.252.146.25"]
TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def sample_order() -> dict:
    return json.loads((FIXTURES / "sample_order.json").read_text(encoding="utf-8"))


def expected_signature(api_key: str, body: bytes) -> str:
    """[A] hex HMAC-SHA256(key=api key, msg=compact JSON of the order without `signature`)."""
    order = json.loads(body)
    order.pop("signature", None)
    msg = json.dumps(order, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(api_key.encode(), msg, hashlib.sha256).hexdigest()


def dec(text: str) -> Decimal:
    assert isinstance(text, str), f"amounts are strings, got {text!r}"
    return Decimal(text)


class AlfaBit:
    def __init__(self, client, merchant: dict):
        self.client = client
        self.merchant = merchant
        self.headers = {"x-api-key": merchant["api_key"]}

    async def call(self, method: str, path: str, *, json_body=None, data=None, headers=None,
                   expect: int | None = None) -> tuple[int, dict]:
        hdrs = dict(self.headers if headers is None else headers)
        resp = await self.client.request(method, path, json=json_body, data=data, headers=hdrs)
        text = await resp.text()
        if expect is not None:
            assert resp.status == expect, (resp.status, text)
        return resp.status, json.loads(text)

    async def create(self, currency: str = "USDTTRC20", amount: str | None = "25", **extra) -> dict:
        """What the public clients do: ignore the status code; require message ok, uid, requisites."""
        path, body = (INVOICE, {"currencyInCode": currency, "invoiceAmount": amount, **extra}) if amount \
            else (OPEN_INVOICE, {"currencyInCode": currency, **extra})
        _, answer = await self.call("POST", path, json_body=body)
        assert answer["message"] == "ok", answer
        return answer["data"]

    async def order(self, uid: str) -> dict:
        _, answer = await self.call("GET", ORDER + uid, expect=200)
        assert answer["message"] == "ok"
        return answer["data"]

    async def balance(self) -> Decimal:
        _, answer = await self.call("GET", BASE + "/api/v1/integration/merchant/balances", expect=200)
        return dec(next(b for b in answer["data"] if b["currencyCode"] == "USDT-INTERNAL")["balance"])

    # admin hands ------------------------------------------------------------------------------
    async def admin(self, method: str, path: str, body=None, expect: int = 200):
        resp = await self.client.request(method, "/_sandbox" + path, json=body)
        out = await resp.json()
        assert resp.status == expect, (resp.status, out)
        return out

    async def simulate(self, verb: str, expect: int = 200, **params):
        return await self.admin("POST", f"/simulate/alfabit/{verb}", params, expect=expect)

    async def advance(self, by: str) -> dict:
        return await self.admin("POST", "/clock/advance", {"by": by})

    async def set_merchant(self, **settings) -> dict:
        return await self.admin("PATCH", "/providers/alfabit/merchant", settings)

    async def deliveries(self, **query) -> list[dict]:
        qs = "&".join(f"{k}={v}" for k, v in {"provider": "alfabit", **query}.items())
        return await self.admin("GET", "/deliveries?" + qs)
