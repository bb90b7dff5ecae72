"""The provider's published samples and the sandbox's own output validate against the same contracts.

Validators are built here from the JSON files with jsonschema directly, not through the sandbox's
contract loader, so a loader bug cannot make both sides agree by accident.
"""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cp_support import CONTRACTS, FIXTURES, expected_signature

SCHEMAS = {p.name[:-5]: json.loads(p.read_text()) for p in sorted(CONTRACTS.glob("*.json"))}
REGISTRY = Registry().with_resources(
    [(name + ".json", Resource.from_contents(s, default_specification=DRAFT202012)) for name, s in SCHEMAS.items()]
    + [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in SCHEMAS.values()])


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY, format_checker=FormatChecker())


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def errors(name: str, instance) -> list[str]:
    return [e.message for e in validator(name).iter_errors(instance)]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_contract_is_a_valid_2020_12_schema_with_an_id(name):
    Draft202012Validator.check_schema(SCHEMAS[name])
    assert SCHEMAS[name]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMAS[name]["$id"].endswith(f"/cryptopayment/{name}.json")


@pytest.mark.parametrize("sample,contract", [
    ("create-invoice.request.json", "invoice-create.request"),
    ("create-invoice.response.json", "invoice-create.response"),
    ("balances.response.json", "balances.response"),
    ("webhook.payment-confirmed.json", "webhook"),
    ("withdrawal.request.json", "withdrawal-create.request"),
])
def test_published_samples_validate(sample, contract):
    assert errors(contract, fixture(sample)) == []


@pytest.mark.parametrize("contract,example_sample", [
    ("invoice-create.request", "create-invoice.request.json"),
    ("balances.response", "balances.response.json"),
    ("webhook", "webhook.payment-confirmed.json"),
    ("withdrawal-create.request", "withdrawal.request.json"),
])
def test_contract_examples_are_the_published_samples(contract, example_sample):
    assert SCHEMAS[contract]["examples"][0] == fixture(example_sample)


@pytest.mark.parametrize("contract,sample,mutate", [
    ("webhook", "webhook.payment-confirmed.json", lambda d: d.update(event="payment.paid")),
    ("webhook", "webhook.payment-confirmed.json", lambda d: d.pop("signature")),
    ("webhook", "webhook.payment-confirmed.json", lambda d: d.update(confirmations="19")),
    ("invoice-create.response", "create-invoice.response.json", lambda d: d["invoice"].update(status="paid")),
    ("invoice-create.response", "create-invoice.response.json", lambda d: d["invoice"].pop("address")),
    ("balances.response", "balances.response.json", lambda d: d["balances"].update(DOGE={"available": 1, "pending": 0})),
    ("invoice-create.request", "create-invoice.request.json", lambda d: d.update(amount_usd=0.5)),
])
def test_contracts_are_not_vacuous(contract, sample, mutate):
    data = fixture(sample)
    mutate(data)
    assert errors(contract, data)


def test_assumptions_are_labelled_in_the_contracts():
    labelled = json.dumps(SCHEMAS)
    for needle in ("btc 2, ltc 6, eth 12, bep20 15", "paid_amount < amount_crypto", "success:false"):
        assert needle in labelled, needle
    for name in ("error", "withdrawal.response", "invoice-list.response", "webhook"):
        assert "x-assumption" in SCHEMAS[name], name


async def test_sandbox_webhooks_validate_against_the_same_contract(hooked):
    cp, rec = hooked
    for network, kind in (("trc20", "partial"), ("btc", "exact"), ("eth", "over"), ("bep20", "exact"), ("ltc", "exact")):
        inv = await cp.create(network, 40, order_id=f"ORD-{network}")
        await cp.pay(inv["id"], kind=kind)
    unordered = await cp.create("trc20", 9)  # order_id null in the webhook
    await cp.pay(unordered["id"])
    await cp.run()
    bodies = [json.loads(r["body"]) for r in rec.requests]
    assert {b["event"] for b in bodies} == {"payment.detected", "payment.confirmed"}
    assert {b["status"] for b in bodies} >= {"pending", "confirming", "confirmed"}
    assert any(b["order_id"] is None for b in bodies)
    for body in bodies:
        assert errors("webhook", body) == [], body
        assert set(body) == set(fixture("webhook.payment-confirmed.json"))  # same fields as the sample
        assert body["signature"] == expected_signature(cp.merchant["app_key"], body["invoice_id"], body["event"])


async def test_sandbox_responses_validate(cp):
    _, text = await cp.call("POST", "/invoices", json_body=fixture("create-invoice.request.json"), expect=201)
    created = json.loads(text)
    assert errors("invoice-create.response", created) == []
    assert set(created) == set(fixture("create-invoice.response.json"))
    assert set(created["invoice"]) == set(fixture("create-invoice.response.json")["invoice"])
    invoice_id = created["invoice"]["id"]
    await cp.pay(invoice_id)
    await cp.simulate("confirm", invoice=invoice_id)
    _, text = await cp.call("GET", f"/invoices/{invoice_id}", expect=200)
    assert errors("invoice-get.response", json.loads(text)) == []
    _, text = await cp.call("GET", "/invoices?page=1", expect=200)
    assert errors("invoice-list.response", json.loads(text)) == []
    _, text = await cp.call("GET", "/balances", expect=200)
    assert errors("balances.response", json.loads(text)) == []
    withdrawal = await cp.withdraw("USDT-TRC20", 10, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert errors("withdrawal.response", withdrawal) == []
    _, text = await cp.call("GET", "/invoices/nope")
    assert errors("error", json.loads(text)) == []
