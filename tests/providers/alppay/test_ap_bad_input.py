"""Every class of bad input: a 4xx in the provider's shape (contracts/alppay/error.json), no
traceback, and nothing changed - nothing stored, no random number drawn, no balance moved."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from ap_support import CONTRACTS, payment_body, withdrawal_body

ERROR = Draft202012Validator(json.loads((CONTRACTS / "error.json").read_text()))


def js(obj) -> bytes:
    """Compact, in the documented order: only the field under test is wrong."""
    return json.dumps(obj, separators=(",", ":")).encode()


def deep(n: int) -> bytes:
    return b'{"amount":' + b"[" * n + b"]" * n + b"}"


CASES = [
    ("truncated", "/payment", b'{"amount": "1",', 400, None),
    ("empty", "/payment", b"", 400, None),
    ("not-utf8", "/payment", b'{"amount": "\xff"}', 400, None),
    ("nan", "/payment", b'{"amount": NaN}', 400, None),
    ("lone-surrogate", "/payment", b'{"amount": "1", "invoice": "\\ud800"}', 400, None),
    ("surrogate-key", "/withdrawal", b'{"\\udfff": 1}', 400, None),
    ("deep-nesting", "/payment", deep(100_000), 400, None),
    ("moderately-deep", "/payment", deep(500), 422, None),
    ("array", "/payment", b"[]", 422, None),
    ("null", "/withdrawal", b"null", 422, None),
    ("amount-number", "/payment", js({**payment_body(), "amount": 100}), 422, "amount"),
    ("amount-1e400", "/payment", js(payment_body())[:-1] + b',"amount":1e400}', 422, "amount"),
    ("amount-exp-string", "/payment", js(payment_body(amount="1e-30")), 422, "amount"),
    ("amount-negative", "/payment", js(payment_body(amount="-5")), 422, "amount"),
    ("amount-9dp", "/payment", js(payment_body(amount="1.000000001")), 422, "amount"),
    ("amount-huge", "/payment", js(payment_body(amount="9" * 40)), 422, "amount"),
    ("short-unknown", "/payment", js(payment_body(short="DOGE")), 422, "asset.short"),
    ("pair-not-offered", "/payment", js(payment_body(short="BTC", network="tron")), 422, "asset"),
    ("withdrawal-bsc", "/withdrawal", js(withdrawal_body(network="bsc")), 422, "asset.network"),
    ("asset-string", "/payment", js({**payment_body(), "asset": "USDT"}), 422, "asset"),
    ("customer-id-string", "/payment", js({**payment_body(), "customer": {"id": "1", "name": "a", "email": "a@b.c"}}), 422, "customer.id"),
    ("customer-id-float", "/payment", js({**payment_body(), "customer": {"id": 1.5, "name": "a", "email": "a@b.c"}}), 422, "customer.id"),
    ("customer-id-huge", "/payment", js({**payment_body(), "customer": {"id": 10 ** 30, "name": "a", "email": "a@b.c"}}), 422, "customer.id"),
    ("customer-email", "/payment", js({**payment_body(), "customer": {"id": 1, "name": "a", "email": "nope"}}), 422, "customer.email"),
    ("client-id-space", "/payment", js(payment_body(clientId="a b")), 422, "clientId"),
    ("client-id-unicode", "/payment", js(payment_body(clientId="клиент")), 422, "clientId"),
    ("invoice-int", "/payment", js(payment_body(invoice=7)), 422, "invoice"),
    ("invoice-long", "/payment", js(payment_body(invoice="x" * 300)), 422, "invoice"),
    ("checkout-not-url", "/payment", js(payment_body(checkoutUrl="javascript:alert(1)")), 422, "checkoutUrl"),
    ("withdrawal-missing", "/withdrawal", js({"amount": "1"}), 422, "asset"),
    ("withdrawal-transfer-all-str", "/withdrawal", js(withdrawal_body(transferAll="yes")), 422, "transferAll"),
    ("withdrawal-dest-tag-int", "/withdrawal", js(withdrawal_body(destTag=5)), 422, "destTag"),
    ("withdrawal-address-empty", "/withdrawal", js(withdrawal_body(addressTo="")), 422, "addressTo"),
    ("withdrawal-too-much", "/withdrawal", js(withdrawal_body(amount="9" * 40)), 422, "amount"),
    ("withdrawal-9dp", "/withdrawal", js(withdrawal_body(amount="1.000000001")), 422, "amount"),
    ("confirm-array", "/payment/00000000-0000-4000-8000-000000000000/confirm", b"[1]", 422, None),
]


@pytest.mark.parametrize("name, path, raw, status, field", CASES, ids=[c[0] for c in CASES])
async def test_bad_body_is_a_provider_shaped_4xx_and_changes_nothing(ap, world, name, path, raw, status, field):
    await ap.simulate("fund", method="USDT_tron", amount="100")
    backend = world.backend("alppay")
    before = (world.rng.getstate(), dict(backend.balances), len(backend.payments), len(backend.withdrawals),
              len(world.outbox.list()))
    got, out = await ap.call("POST", path, raw=raw)
    assert got == status, out
    assert not list(ERROR.iter_errors(out)) and out["code"] == status
    if field:
        assert out.get("field") == field, out
    after = (world.rng.getstate(), dict(backend.balances), len(backend.payments), len(backend.withdrawals),
             len(world.outbox.list()))
    assert after == before


@pytest.mark.parametrize("headers", [{"API-KEY": "\u00e9\u00e9"}, {"API-KEY": "x" * 8000},
                                     {"X-HMAC": "\u00e9" * 64}, {"API-KEY": "\udce9"}])
async def test_hostile_headers_are_4xx(ap, headers):
    status, out = await ap.call("POST", "/payment", payment_body(), headers=headers)
    assert 400 <= status < 500 and not list(ERROR.iter_errors(out))


async def test_forwarded_for_junk_is_ignored_unless_a_proxy_is_trusted(ap):
    status, _ = await ap.call("POST", "/payment", payment_body(), headers={"X-Forwarded-For": "\u00e9"})
    assert status == 200


async def test_an_undecodable_search_finds_nothing(ap):
    await ap.create()
    _, out = await ap.call("GET", "/payment?search=%ed%a0%80", expect=200)
    assert out["results"] == []


@pytest.mark.parametrize("path", ["/payment?statuses=%ff", "/payment/%00",
                                  "/withdrawal?page=99999999999999999999", "/payment?ids=" + "é" * 300])
async def test_hostile_queries_are_4xx(ap, path):
    status, out = await ap.call("GET", path)
    assert 400 <= status < 500 and not list(ERROR.iter_errors(out)), (status, out)


async def test_wrong_method_and_unknown_route_are_provider_shaped(ap, client):
    resp = await client.delete("/alppay/v2/payment")
    assert resp.status == 405 and (await resp.json())["code"] == 405
    resp = await client.get("/alppay/v2/nowhere")
    assert resp.status == 404 and (await resp.json()) == {"code": 404, "message": "Not found"}
