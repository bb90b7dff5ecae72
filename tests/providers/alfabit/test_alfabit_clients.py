"""The public clients' habits: read only the JSON (never the status code), require
message === "ok" and data.uid + data.requisites, answer callbacks "OK"/accepted without looking
at the signature, then poll GET /orders/{uid} until isDone and credit only a `success` whose
requisites and memo match, reading amountInFact as a string."""
from __future__ import annotations

import json
from decimal import Decimal

from alfabit_support import INVOICE, ORDER


class ShopClient:
    """Modelled on the PHP gateway / PremiumExchanger module: x-api-key only, JSON only."""

    def __init__(self, http, api_key: str):
        self.http, self.headers = http, {"x-api-key": api_key}

    async def _json(self, method: str, path: str, body=None) -> dict:
        resp = await self.http.request(method, path, json=body, headers=self.headers)
        return json.loads(await resp.text())       # the status code is never looked at

    async def create_invoice(self, currency: str, amount: str) -> dict | None:
        answer = await self._json("POST", INVOICE, {"currencyInCode": currency, "invoiceAmount": amount,
                                                    "isAwaitRequisites": True, "comment": "ORD-77"})
        if answer.get("message") != "ok" or not answer.get("data", {}).get("uid") \
                or not answer["data"].get("requisites"):
            return None
        return answer["data"]

    async def poll(self, uid: str) -> dict:
        answer = await self._json("GET", ORDER + uid)
        assert answer["message"] == "ok"
        return answer["data"]


async def test_polling_until_is_done_credits_only_a_matching_success(ab, receiver):
    rec = await receiver([(200, "OK")])
    await ab.set_merchant(webhook_url=rec.url)
    shop = ShopClient(ab.client, ab.merchant["api_key"])
    invoice = await shop.create_invoice("USDTTON", "12.5")
    assert invoice is not None and invoice["requisitesMemoTag"]
    await ab.simulate("pay", order=invoice["uid"], amount="12.5")
    polls = 0
    while not (order := await shop.poll(invoice["uid"]))["isDone"]:
        polls += 1
        assert polls < 20
        await ab.advance("15s")
    assert polls >= 2
    credited = (order["status"] == "success" and order["requisites"] == invoice["requisites"]
                and order["requisitesMemoTag"] == invoice["requisitesMemoTag"])
    assert credited and Decimal(order["amountInFact"]) == Decimal("12.5")
    assert all(json.loads(r["body"])["uid"] == invoice["uid"] for r in rec.requests)


async def test_a_refusal_is_seen_as_a_failure_from_the_json_alone(ab):
    shop = ShopClient(ab.client, ab.merchant["api_key"])
    assert await shop.create_invoice("NOPE", "1") is None
    assert await ShopClient(ab.client, "wrong-key").create_invoice("TON", "1") is None


async def test_nest_style_handler_answering_201_accepted_is_acknowledged(ab, receiver):
    rec = await receiver([(201, '{"status":"accepted"}')])
    await ab.set_merchant(webhook_url=rec.url)
    order = await ab.create("TON", amount="1")
    await ab.simulate("pay", order=order["uid"])
    await ab.advance("2m")
    assert [d["status"] for d in await ab.deliveries()] == ["delivered"] * 4
