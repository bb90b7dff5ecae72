"""Seeded random bodies and queries, field by field from each request contract's fields: never a
5xx, every refusal in the error shape, and the app's own output always within its contracts
(the `app` fixture checks that at teardown)."""
from __future__ import annotations

import json
import random

from alfabit_support import BASE, INVOICE, OPEN_INVOICE, ORDERS, WITHDRAW

NASTY = [None, True, False, 0, -1, 1.5, 1e308, "", " ", "0", "-0", "1e-30", "1e400", "NaN", "Infinity",
         "٣", "²", "\u202e", "\ud800", "x" * 3000, [], [1], {}, {"a": {"b": {}}}, "USDTTRC20", "TON",
         "25", "0.000001", "1" * 20, "http://127.0.0.1/x", "javascript:alert(1)", 10 ** 40, -10 ** 40]
FIELDS = {
    INVOICE: ["currencyInCode", "invoiceAssetCode", "invoiceAmount", "comment", "publicComment", "callbackUrl",
              "redirectUrl", "isBayerPaysService", "isAwaitRequisites", "expiryDurationMinutes"],
    OPEN_INVOICE: ["currencyInCode", "comment", "callbackUrl", "isAwaitRequisites", "expiryDurationMinutes"],
    WITHDRAW: ["amount", "toCurrencyCode", "recipient", "requisitesMemoTag", "callbackUrl", "comment"],
}
BASELINE = {
    INVOICE: {"currencyInCode": "USDTTRC20", "invoiceAmount": "10"},
    OPEN_INVOICE: {"currencyInCode": "TON"},
    WITHDRAW: {"amount": "1", "toCurrencyCode": "USDTTRC20", "recipient": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
}
QUERY_KEYS = ["statuses[]", "types[]", "assets[]", "networks[]", "createdAtSince", "createdAtBefore", "search",
              "orderBy", "page", "limit", "statuses[0]", "page[]", "from", "to"]
QUERY_VALUES = ["", "success", "invoice", "USDT", "TON", "2025-01-15T10:00:00Z", "2025-13-45T99:99:99Z", "%ff",
                "%ed%a0%80", "createdAt:asc", "0", "1", "100", "101", "-1", "٣", "x" * 300, "%00"]


async def test_random_bodies_and_queries_never_break_the_sandbox(ab):
    rng = random.Random(20250115)
    await ab.simulate("credit", amount="1000")
    for _ in range(400):
        path = rng.choice(list(FIELDS))
        body = dict(BASELINE[path])
        for field in rng.sample(FIELDS[path], rng.randint(1, 3)):
            body[field] = rng.choice(NASTY)
        raw = json.dumps(body).encode("utf-8", "surrogatepass")
        resp = await ab.client.post(path, data=raw, headers={**ab.headers, "Content-Type": "application/json"})
        answer = await resp.json()
        assert resp.status in (201, 400, 413), (body, resp.status, answer)
        assert (answer["message"] == "ok") == (resp.status == 201), answer
    for _ in range(200):
        pairs = [(rng.choice(QUERY_KEYS), rng.choice(QUERY_VALUES)) for _ in range(rng.randint(1, 4))]
        path = rng.choice([ORDERS, BASE + "/api/v1/integration/assets/exchange-rate"])
        query = "&".join(f"{k}={v}" for k, v in pairs)
        resp = await ab.client.get(f"{path}?{query}", headers=ab.headers)
        answer = await resp.json()
        assert resp.status in (200, 400), (query, resp.status, answer)
