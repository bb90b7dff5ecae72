"""What an ALPPAY merchant would write, independently of the sandbox's code: X-HMAC from the
published formula (hex HMAC-SHA256 of the raw body bytes with the HMAC key) and a thin client.

Nothing here imports mockserver, so a bug in the sandbox's signing cannot hide itself.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

API = "/alppay/v2"
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "alppay"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "alppay"
TRON_TO = "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"
CUSTOMER = {"id": 12312312, "name": "John", "email": "john@example.com"}


def x_hmac(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


# The documented field order of each request body (the docs' samples): the hmac page asks for
# it, and a client that builds its bodies this way is what the sandbox expects by default.
PAYMENT_ORDER = ("amount", "asset", "customer", "clientId", "invoice", "checkoutUrl")
WITHDRAWAL_ORDER = ("amount", "asset", "addressTo", "customer", "destTag", "invoice", "addressFrom",
                    "clientId", "transferAll")


def in_order(body: dict, order: tuple[str, ...]) -> dict:
    """Documented fields in the documented order, anything else after them."""
    return {**{k: body[k] for k in order if k in body}, **{k: v for k, v in body.items() if k not in order}}


def payment_body(amount="100.00", short="USDT", network="tron", **extra) -> dict:
    body = {"amount": amount, "asset": {"short": short, "network": network}, "customer": CUSTOMER, **extra}
    return in_order(body, PAYMENT_ORDER)


def withdrawal_body(amount="10", short="USDT", network="tron", **extra) -> dict:
    body = {"amount": amount, "asset": {"short": short, "network": network}, "addressTo": TRON_TO,
            "customer": {"id": 1, "name": "Customer Name", "email": "customer@example.com"},
            "destTag": "", "invoice": "W-1", **extra}
    return in_order(body, WITHDRAWAL_ORDER)


class AP:
    """A merchant's client and the tester's admin hands, over real HTTP against the app."""

    def __init__(self, client, merchant: dict):
        self.client = client
        self.merchant = merchant

    @property
    def key(self) -> str:
        return self.merchant["hmac_key"]

    async def call(self, method: str, path: str, json_body=None, *, raw: bytes | None = None,
                   headers: dict | None = None, sign: bool = True, expect: int | None = None,
                   session=None, base: str = ""):
        body = raw if raw is not None else (compact(json_body) if json_body is not None else None)
        hdrs = {"API-KEY": self.merchant["api_key"]}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
            if sign:
                hdrs["X-HMAC"] = x_hmac(self.key, body)
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        if session is None:
            resp = await self.client.request(method, API + path, data=body, headers=hdrs)
        else:
            resp = await session.request(method, base + API + path, data=body, headers=hdrs)
        text = await resp.text()
        if expect is not None:
            assert resp.status == expect, (resp.status, text)
        return resp.status, (json.loads(text) if text else None)

    async def create(self, **kw) -> dict:
        _, out = await self.call("POST", "/payment", payment_body(**kw), expect=200)
        return out

    async def payment(self, payment_id: str) -> dict:
        _, out = await self.call("GET", f"/payment/{payment_id}", expect=200)
        return out["data"]

    async def withdraw(self, expect: int = 200, **kw):
        _, out = await self.call("POST", "/withdrawal", withdrawal_body(**kw), expect=expect)
        return out

    # admin hands ------------------------------------------------------------------------------
    async def admin(self, method: str, path: str, body=None, expect: int = 200):
        resp = await self.client.request(method, "/_sandbox" + path, json=body)
        out = await resp.json()
        assert resp.status == expect, (resp.status, out)
        return out

    async def simulate(self, action: str, expect: int = 200, **params):
        return await self.admin("POST", f"/simulate/alppay/{action}", params, expect=expect)

    async def pay(self, payment_id: str, **params) -> dict:
        return await self.simulate("pay", payment=payment_id, **params)

    async def advance(self, by: str) -> dict:
        return await self.admin("POST", "/clock/advance", {"by": by})

    async def set_merchant(self, **settings) -> dict:
        self.merchant = await self.admin("PATCH", "/providers/alppay/merchant", settings)
        return self.merchant

    async def balances(self) -> dict:
        return await self.simulate("balances")

    async def deliveries(self) -> list[dict]:
        return await self.admin("GET", "/deliveries?provider=alppay")
