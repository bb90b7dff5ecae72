"""mockserver.contracts: the public API and the `sandbox_contracts` fixture for merchants' tests."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from mockserver.contracts import UnknownContract, assert_valid, messages, validate
from mockserver.core.contracts.contract_set import load_contracts

pytest_plugins = ["pytester"]

PROVIDERS = ["cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay"]

WEBHOOK = {
    "event": "payment.confirmed", "invoice_id": "inv_1", "order_id": "ORD-1", "status": "confirmed",
    "network": "trc20", "coin": "USDT", "amount_usd": 50.0, "amount_crypto": 50.0,
    "paid_amount": 50.0, "txid": "a1b2", "confirmations": 19, "address": "TXyz",
    "timestamp": "2024-01-15T10:05:00+00:00", "signature": "ab12"}


def test_messages_lists_the_provider_contracts():
    names = messages("cryptopayment")
    assert "invoice-create.request" in names and "webhook" in names
    assert names == sorted(names)


def test_a_typo_passes_the_provider_but_not_strict_mode():
    body = {"network": "trc20", "amount_usd": 50, "orderId": "ORD-1"}
    assert validate("cryptopayment", "invoice-create.request", body) == []   # the provider ignores it
    [violation] = validate("cryptopayment", "invoice-create.request", body, strict=True)
    assert violation.instance_path == "/orderId"
    assert violation.schema_path == "/properties"
    assert violation.contract == "cryptopayment/invoice-create.request"
    assert "did you mean 'order_id'" in violation.message


def test_assert_valid_names_path_problem_contract_and_schema_rule():
    with pytest.raises(AssertionError) as info:
        assert_valid("cryptopayment", "invoice-create.request",
                     {"network": "doge", "amountUsd": 5}, strict=True)
    text = str(info.value)
    assert text.startswith("cryptopayment/invoice-create.request (strict): 3 violations")
    assert '/network: "doge" is not one of "btc"' in text
    assert "[cryptopayment/invoice-create.request#/properties/network/enum]" in text
    assert '/: "amount_usd" is required' in text
    assert "/amountUsd: unknown key 'amountUsd'" in text and "did you mean 'amount_usd'" in text
    assert_valid("cryptopayment", "invoice-create.request", {"network": "trc20", "amount_usd": 5})


def test_strict_follows_refs_into_nested_objects():
    body = {"success": True, "invoice": {**_invoice(), "paidAmount": 1}}
    assert validate("cryptopayment", "invoice-get.response", body) == []
    [violation] = validate("cryptopayment", "invoice-get.response", body, strict=True)
    assert violation.instance_path == "/invoice/paidAmount"
    assert violation.schema_path == "/properties/invoice/$ref/properties"
    assert "did you mean 'paid_amount'" in violation.message


def test_free_form_objects_stay_free_and_maps_are_checked_per_value():
    body = {"network": "trc20", "amount_usd": 5, "metadata": {"anything": 1, "goes": [2]}}
    assert validate("cryptopayment", "invoice-create.request", body, strict=True) == []
    balances = {"success": True, "balances": {"BTC": {"available": 1, "pending": 0, "reserved": 2}}}
    [violation] = validate("cryptopayment", "balances.response", balances, strict=True)
    assert violation.instance_path == "/balances/BTC/reserved"


def test_a_key_the_contract_already_forbids_is_reported_once():
    body = {"success": False, "error": "x", "code": 1}
    violations = validate("cryptopayment", "error", body, strict=True)
    assert len(violations) == 1 and "additionalProperties" in violations[0].schema_path


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_contract_example_passes_strict_and_an_extra_key_fails_it(provider):
    contracts = load_contracts(provider)
    checked = 0
    for name in messages(provider):
        for example in contracts.schemas[name].get("examples", []):
            assert validate(provider, name, example, strict=True) == [], (name, example)
            if isinstance(example, dict) and example:
                typo = {**example, "zz_unknown": 1}
                paths = [v.instance_path for v in validate(provider, name, typo, strict=True)]
                assert "/zz_unknown" in paths or "/" in paths, (name, paths)
                checked += 1
    assert checked


def test_decimals_floats_and_raw_bodies_validate_alike():
    raw = json.dumps(WEBHOOK).replace('"confirmations": 19', '"confirmations": 19.0')
    as_decimal = json.loads(raw, parse_float=Decimal)
    assert isinstance(as_decimal["amount_usd"], Decimal)
    for instance in (WEBHOOK, json.loads(raw), as_decimal, raw, raw.encode()):
        assert validate("cryptopayment", "webhook", instance, strict=True) == []
    [violation] = validate("cryptopayment", "webhook", b'{"event": ')
    assert violation.instance_path == "/" and "not a JSON document" in violation.message
    bad = {**as_decimal, "confirmations": Decimal("19.5")}
    assert [v.instance_path for v in validate("cryptopayment", "webhook", bad)] == ["/confirmations"]


def test_unknown_provider_or_message_says_so():
    with pytest.raises(UnknownContract, match="no contracts for provider 'stripe'"):
        validate("stripe", "webhook", {})
    with pytest.raises(UnknownContract, match="did you mean 'webhook'"):
        validate("cryptopayment", "webhooks", {})


def test_the_fixture_in_a_merchant_project(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_merchant="""
        import pytest

        def test_outgoing_request(sandbox_contracts):
            body = {"network": "trc20", "amount_usd": 50, "order_id": "ORD-1"}
            sandbox_contracts.assert_valid("cryptopayment", "invoice-create.request", body, strict=True)
            assert "webhook" in sandbox_contracts.messages("cryptopayment")

        def test_typo(sandbox_contracts):
            body = {"network": "trc20", "amount_usd": 50, "orderId": "ORD-1"}
            assert sandbox_contracts.validate("cryptopayment", "invoice-create.request", body) == []
            sandbox_contracts.assert_valid("cryptopayment", "invoice-create.request", body, strict=True)
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*cryptopayment/invoice-create.request (strict): 1 violation",
        "*/orderId: unknown key 'orderId', not in the contract; did you mean 'order_id'?"
        "  [[]cryptopayment/invoice-create.request#/properties[]]",
    ])


def _invoice() -> dict:
    return {"id": "inv_1", "order_id": "ORD-1", "status": "pending", "network": "trc20",
            "network_label": "USDT (TRC20)", "coin": "USDT", "amount_usd": 50, "amount_crypto": 50,
            "address": "TXyz", "paid_amount": 0, "txid": None,
            "confirmations": {"received": 0, "required": 19},
            "expires_at": "2024-01-15T10:30:00+00:00", "created_at": "2024-01-15T10:00:00+00:00"}
