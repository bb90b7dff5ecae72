"""The provider's published samples validate against contracts/alppay, and what the sandbox
sends validates against the same contracts (the suite's self_check covers every response)."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ap_support import CONTRACTS, FIXTURES, x_hmac


def _validator(name: str) -> Draft202012Validator:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in CONTRACTS.glob("*.json")]
    schema = json.loads((CONTRACTS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=Registry().with_resources(resources))


@pytest.mark.parametrize("fixture, contract", [
    ("create-payment.request.json", "payment-create.request"),
    ("webhook.payment.json", "payment.webhook"),
    ("get-payment.response.json", "payment-get.response"),
    ("create-withdrawal.request.json", "withdrawal-create.request"),
    ("webhook.withdrawal.json", "withdrawal.webhook"),
])
def test_published_samples_fit_the_contracts(fixture, contract):
    sample = json.loads((FIXTURES / fixture).read_text())
    assert not [e.message for e in _validator(contract).iter_errors(sample)]


def test_every_contract_says_where_it_assumes():
    text = "".join(p.read_text() for p in CONTRACTS.glob("*.json"))
    assert text.count('"x-assumption"') >= 20


async def test_the_published_create_request_works_as_the_docs_curl_sends_it(ap):
    """The page shows the body pretty-printed and sends it compact (`curl -d '{"amount":...}'`),
    as the hmac page asks: the compact form is accepted, the pretty one is a 400 by default."""
    pretty = (FIXTURES / "create-payment.request.json").read_bytes()
    raw = json.dumps(json.loads(pretty), separators=(",", ":")).encode()
    status, out = await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw)})
    assert status == 200 and out["invoice"] == "INV-001" and out["clientId"] == "your_client_id"
    assert not list(_validator("payment.response").iter_errors(out))
    status, out = await ap.call("POST", "/payment", raw=pretty, headers={"X-HMAC": x_hmac(ap.key, pretty)})
    assert status == 400 and "compact JSON" in out["message"]


async def test_the_sandbox_only_routes_are_marked_in_the_openapi_document_and_the_dashboard(client):
    spec = await (await client.get("/_sandbox/openapi/alppay.json")).json()
    marked = sorted(f"{method.upper()} {path}" for path, ops in spec["paths"].items()
                    for method, op in ops.items() if op.get("x-sandbox-only"))
    assert marked == ["POST /v2/payment/{payment_id}/cancel", "POST /v2/payment/{payment_id}/confirm"]
    for path in ("/v2/deposit-addresses/create", "/v2/wallets-by-client", "/v2/wallets-balances",
                 "/v2/network-fee", "/api/v2/merchants/wallets/info", "/api/v2/payments"):
        assert path in spec["paths"] and not any(op.get("x-sandbox-only") for op in spec["paths"][path].values())
    page = await (await client.get("/_sandbox/ui/")).text()
    assert "sandbox-only routes" in page and "POST /payment/{id}/confirm" in page
