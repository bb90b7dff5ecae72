"""Every class of bad input: a 4xx in the provider's shape, no traceback, and nothing changed."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest
from jsonschema import Draft202012Validator

from cp_support import CONTRACTS

ERROR_SCHEMA = Draft202012Validator(json.loads((CONTRACTS / "error.json").read_text()))
TRC20_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
INVOICE_CONTRACT = "cryptopayment/invoice-create.request#"
WITHDRAWAL_CONTRACT = "cryptopayment/withdrawal-create.request#"


def js(obj) -> bytes:
    return json.dumps(obj).encode()


# (id, method, path, raw body or None, expected status, expected violation schema path or None)
CASES = [
    # malformed JSON
    ("truncated", "POST", "/invoices", b'{"network": "trc20",', 400, None),
    ("single-quotes", "POST", "/invoices", b"{'network': 'trc20', 'amount_usd': 5}", 400, None),
    ("not-utf8", "POST", "/invoices", b'{"network": "\xff\xfe"}', 400, None),
    ("empty-body", "POST", "/invoices", b"", 400, None),
    ("blank-body", "POST", "/invoices", b"  \n ", 400, None),
    ("trailing-garbage", "POST", "/invoices", b'{"network": "trc20", "amount_usd": 5} x', 400, None),
    ("deep-nesting", "POST", "/invoices", b"[" * 100_000 + b"]" * 100_000, 400, None),
    # JSON that is not an object
    ("array", "POST", "/invoices", b"[]", 422, INVOICE_CONTRACT + "/type"),
    ("string", "POST", "/invoices", b'"trc20"', 422, INVOICE_CONTRACT + "/type"),
    ("number", "POST", "/invoices", b"42", 422, INVOICE_CONTRACT + "/type"),
    ("null", "POST", "/invoices", b"null", 422, INVOICE_CONTRACT + "/type"),
    ("withdrawal-array", "POST", "/withdrawals", b"[1, 2]", 422, WITHDRAWAL_CONTRACT + "/type"),
    # wrong types
    ("network-int", "POST", "/invoices", js({"network": 5, "amount_usd": 5}), 422,
     INVOICE_CONTRACT + "/properties/network/enum"),
    ("amount-string", "POST", "/invoices", js({"network": "trc20", "amount_usd": "50"}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/type"),
    ("amount-bool", "POST", "/invoices", js({"network": "trc20", "amount_usd": True}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/type"),
    ("amount-list", "POST", "/invoices", js({"network": "trc20", "amount_usd": [50]}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/type"),
    ("order-id-int", "POST", "/invoices", js({"network": "trc20", "amount_usd": 5, "order_id": 7}), 422,
     INVOICE_CONTRACT + "/properties/order_id/type"),
    ("metadata-string", "POST", "/invoices", js({"network": "trc20", "amount_usd": 5, "metadata": "x"}), 422,
     INVOICE_CONTRACT + "/properties/metadata/type"),
    ("metadata-list", "POST", "/invoices", js({"network": "trc20", "amount_usd": 5, "metadata": [1]}), 422,
     INVOICE_CONTRACT + "/properties/metadata/type"),
    ("withdrawal-amount-string", "POST", "/withdrawals",
     js({"coin": "USDT-TRC20", "amount": "10", "address": TRC20_ADDRESS}), 422,
     WITHDRAWAL_CONTRACT + "/properties/amount/type"),
    ("withdrawal-address-int", "POST", "/withdrawals",
     js({"coin": "USDT-TRC20", "amount": 10, "address": 12345678901234567890123}), 422,
     WITHDRAWAL_CONTRACT + "/properties/address/type"),
    # huge strings and bodies
    ("order-id-300", "POST", "/invoices", js({"network": "trc20", "amount_usd": 5, "order_id": "x" * 300}), 422,
     INVOICE_CONTRACT + "/properties/order_id/maxLength"),
    ("order-id-900k", "POST", "/invoices", js({"network": "trc20", "amount_usd": 5, "order_id": "x" * 900_000}),
     422, INVOICE_CONTRACT + "/properties/order_id/maxLength"),
    ("metadata-101-keys", "POST", "/invoices",
     js({"network": "trc20", "amount_usd": 5, "metadata": {f"k{i}": i for i in range(101)}}), 422,
     INVOICE_CONTRACT + "/properties/metadata/maxProperties"),
    ("body-over-1mib", "POST", "/invoices",
     js({"network": "trc20", "amount_usd": 5, "metadata": {"pad": "x" * (1024 * 1024)}}), 413, None),
    ("withdrawal-over-1mib", "POST", "/withdrawals", b" " * (1024 * 1024 + 1), 413, None),
    ("address-129", "POST", "/withdrawals", js({"coin": "USDT-TRC20", "amount": 10, "address": "T" * 129}), 422,
     WITHDRAWAL_CONTRACT + "/properties/address/maxLength"),
    # missing fields
    ("empty-object", "POST", "/invoices", b"{}", 422, INVOICE_CONTRACT + "/required"),
    ("no-amount", "POST", "/invoices", js({"network": "trc20"}), 422, INVOICE_CONTRACT + "/required"),
    ("no-network", "POST", "/invoices", js({"amount_usd": 50}), 422, INVOICE_CONTRACT + "/required"),
    ("withdrawal-no-address", "POST", "/withdrawals", js({"coin": "USDT-TRC20", "amount": 10}), 422,
     WITHDRAWAL_CONTRACT + "/required"),
    # unsupported network / coin
    ("network-doge", "POST", "/invoices", js({"network": "doge", "amount_usd": 5}), 422,
     INVOICE_CONTRACT + "/properties/network/enum"),
    ("network-uppercase", "POST", "/invoices", js({"network": "TRC20", "amount_usd": 5}), 422,
     INVOICE_CONTRACT + "/properties/network/enum"),
    ("network-empty", "POST", "/invoices", js({"network": "", "amount_usd": 5}), 422,
     INVOICE_CONTRACT + "/properties/network/enum"),
    ("coin-doge", "POST", "/withdrawals", js({"coin": "DOGE", "amount": 10, "address": TRC20_ADDRESS}), 422,
     WITHDRAWAL_CONTRACT + "/properties/coin/enum"),
    # amounts: below minimum, negative, zero, too large, non-numeric
    ("amount-0.99", "POST", "/invoices", js({"network": "trc20", "amount_usd": 0.99}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/minimum"),
    ("amount-zero", "POST", "/invoices", js({"network": "trc20", "amount_usd": 0}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/minimum"),
    ("amount-negative", "POST", "/invoices", js({"network": "trc20", "amount_usd": -50}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/minimum"),
    ("amount-tiny", "POST", "/invoices", b'{"network": "trc20", "amount_usd": 1e-9}', 422,
     INVOICE_CONTRACT + "/properties/amount_usd/minimum"),
    ("amount-1e400", "POST", "/invoices", b'{"network": "trc20", "amount_usd": 1e400}', 422,
     INVOICE_CONTRACT + "/properties/amount_usd/maximum"),
    ("amount-word", "POST", "/invoices", js({"network": "trc20", "amount_usd": "fifty"}), 422,
     INVOICE_CONTRACT + "/properties/amount_usd/type"),
    ("withdrawal-below-minimum", "POST", "/withdrawals",
     js({"coin": "USDT-TRC20", "amount": 4.99, "address": TRC20_ADDRESS}), 422, None),
    ("withdrawal-negative", "POST", "/withdrawals",
     js({"coin": "USDT-TRC20", "amount": -10, "address": TRC20_ADDRESS}), 422,
     WITHDRAWAL_CONTRACT + "/properties/amount/exclusiveMinimum"),
    ("withdrawal-zero", "POST", "/withdrawals",
     js({"coin": "USDT-TRC20", "amount": 0, "address": TRC20_ADDRESS}), 422,
     WITHDRAWAL_CONTRACT + "/properties/amount/exclusiveMinimum"),
    # NaN / Infinity literals are not JSON
    ("amount-NaN", "POST", "/invoices", b'{"network": "trc20", "amount_usd": NaN}', 400, None),
    ("amount-Infinity", "POST", "/invoices", b'{"network": "trc20", "amount_usd": Infinity}', 400, None),
    ("amount--Infinity", "POST", "/invoices", b'{"network": "trc20", "amount_usd": -Infinity}', 400, None),
    ("withdrawal-NaN", "POST", "/withdrawals",
     b'{"coin": "USDT-TRC20", "amount": NaN, "address": "%s"}' % TRC20_ADDRESS.encode(), 400, None),
    ("withdrawal-Infinity", "POST", "/withdrawals",
     b'{"coin": "USDT-TRC20", "amount": Infinity, "address": "%s"}' % TRC20_ADDRESS.encode(), 400, None),
    # unknown ids, wrong routes and methods
    ("unknown-invoice", "GET", "/invoices/3f1c2b4a-0d9e-4f7a-8b6c-5d4e3f2a1b0c", None, 404, None),
    ("not-a-uuid", "GET", "/invoices/INV-1", None, 404, None),
    ("unknown-withdrawal", "GET", "/withdrawals/3f1c2b4a-0d9e-4f7a-8b6c-5d4e3f2a1b0c", None, 404, None),
    ("unknown-route", "GET", "/payouts", None, 404, None),
    ("wrong-method", "DELETE", "/invoices", None, 405, None),
    ("wrong-method-balances", "POST", "/balances", js({}), 405, None),
    # path traversal in ids, encoded
    ("traversal-encoded", "GET", "/invoices/..%2F..%2Fbalances", None, 404, None),
    ("traversal-double-encoded", "GET", "/invoices/..%252F..%252F..%252Fetc%252Fpasswd", None, 404, None),
    ("traversal-backslash", "GET", "/invoices/..%5C..%5Cbalances", None, 404, None),
    ("nul-byte", "GET", "/invoices/%00", None, 404, None),
]


async def snapshot(cp, world) -> dict:
    backend = world.backend("cryptopayment")
    _, text = await cp.call("GET", "/invoices", expect=200)
    return {"total": json.loads(text)["pagination"]["total"], "balances": await cp.balances(),
            "invoices": len(backend.invoices), "withdrawals": len(backend.withdrawals),
            "deliveries": len(await cp.deliveries()), "events": len(world.scheduler)}


@pytest.fixture
async def funded(cp, world):
    """A merchant with one confirmed payment, so balance changes would show."""
    inv = await cp.create("trc20", 100)
    await cp.pay(inv["id"])
    await cp.simulate("confirm", invoice=inv["id"])
    assert (await cp.balances())["USDT-TRC20"]["available"] == 100
    return cp


def assert_provider_error(status: int, text: str, content_type: str) -> dict:
    assert 400 <= status < 500, (status, text)
    assert content_type == "application/json"
    assert "Traceback" not in text and 'File "' not in text
    body = json.loads(text)
    assert ERROR_SCHEMA.is_valid(body), body
    return body


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_bad_input(funded, world, case):
    cp = funded
    _id, method, path, body, status, violation = case
    before = await snapshot(cp, world)
    since = (await cp.admin("GET", "/journal?limit=1"))[-1]["seq"]
    headers = {**cp.auth, "Content-Type": "application/json"}
    resp, text = await cp.call(method, path, data=body, headers=headers)
    assert resp.status == status, text
    assert_provider_error(resp.status, text, resp.content_type)
    header = resp.headers.get("X-Sandbox-Contract-Violation")
    assert header == violation
    api = await cp.admin("GET", f"/journal?kind=api&since={since}")
    assert [(e["method"], e["status"]) for e in api] == [(method, status)]
    if violation:
        contract, schema_path = violation.split("#")
        assert api[0]["violation"]["contract"] == contract
        assert api[0]["violation"]["schema_path"] == schema_path
    assert await snapshot(cp, world) == before


GOOD_KEY = "pk_sandbox_4f3c2a1b9d8e7f60"
GOOD_SECRET = "sk_sandbox_9a8b7c6d5e4f3a2b1c0d"
AUTH_CASES = {
    "none": None,
    "bearer-only": "Bearer",
    "bearer-space": "Bearer ",
    "basic-junk": "Basic x",
    "basic-with-the-right-pair": "Basic " + base64.b64encode(f"{GOOD_KEY}:{GOOD_SECRET}".encode()).decode(),
    "token-scheme": f"Token {GOOD_KEY}:{GOOD_SECRET}",
    "wrong-secret": f"Bearer {GOOD_KEY}:wrong",
    "empty-secret": f"Bearer {GOOD_KEY}:",
    "no-colon": f"Bearer {GOOD_KEY}{GOOD_SECRET}",
    "space-not-colon": f"Bearer {GOOD_KEY} {GOOD_SECRET}",
    "unknown-key": f"Bearer pk_sandbox_0000000000000000:{GOOD_SECRET}",
    "empty-key": f"Bearer :{GOOD_SECRET}",
    "secret-with-suffix": f"Bearer {GOOD_KEY}:{GOOD_SECRET}x",
    "secret-prefix-only": f"Bearer {GOOD_KEY}:{GOOD_SECRET[:-1]}",
    "key-and-secret-swapped": f"Bearer {GOOD_SECRET}:{GOOD_KEY}",
    "unicode-junk": "Bearer \u2603\u00e9:\u4e2d\u6587\U0001F4A9",
    "unicode-secret": f"Bearer {GOOD_KEY}:sk_sandbox_9a8b7c6d5e4f3a2b1c0\u0434",
}


@pytest.mark.parametrize("name", sorted(AUTH_CASES))
@pytest.mark.parametrize("method,path,body", [
    ("POST", "/invoices", {"network": "trc20", "amount_usd": 50}),
    ("GET", "/balances", None),
    ("POST", "/withdrawals", {"coin": "USDT-TRC20", "amount": 10, "address": TRC20_ADDRESS}),
])
async def test_bad_credentials(funded, world, name, method, path, body):
    cp = funded
    assert (cp.merchant["api_key"], cp.merchant["api_secret"]) == (GOOD_KEY, GOOD_SECRET)
    before = await snapshot(cp, world)
    header = AUTH_CASES[name]
    resp, text = await cp.call(method, path, json_body=body,
                               headers={} if header is None else {"Authorization": header})
    assert resp.status == 401, text
    assert_provider_error(resp.status, text, resp.content_type)
    assert await snapshot(cp, world) == before


async def test_bad_credentials_on_invoice_lookup_reveal_nothing(funded):
    cp = funded
    inv = await cp.create("trc20", 5)
    resp, text = await cp.call("GET", f"/invoices/{inv['id']}", headers={"Authorization": f"Bearer {GOOD_KEY}:x"})
    assert resp.status == 401 and inv["id"] not in text and inv["address"] not in text


@pytest.mark.parametrize("raw_path", [
    "/cryptopayment/api/v1/invoices/../../../etc/passwd",
    "/cryptopayment/api/v1/invoices/../balances",
    "/cryptopayment/api/v1/invoices/%2e%2e/balances",     # a client library would decode these dots
    "/cryptopayment/api/v1/invoices/..\\..\\balances",
    "/cryptopayment/api/v1/invoices/../../../../../../_sandbox/health",
])
async def test_unencoded_path_traversal(funded, world, client, raw_path):
    """Sent byte for byte over a socket: an HTTP client library would normalise the dots away.
    The server does not resolve dot segments, so none of these reaches another route."""
    cp = funded
    before = await snapshot(cp, world)
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(f"GET {raw_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {cp.auth['Authorization']}"
                 "\r\nConnection: close\r\n\r\n".encode())
    raw = await reader.read()
    writer.close()
    head, _, text = raw.decode().partition("\r\n\r\n")
    status = int(head.split()[1])
    assert status == 404
    assert_provider_error(status, text, "application/json")
    assert "balances" not in json.loads(text) and '"status": "ok"' not in text
    assert await snapshot(cp, world) == before
