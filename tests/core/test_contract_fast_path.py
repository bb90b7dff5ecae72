"""The compiled validators (fast path) never accept what jsonschema refuses.

Every contract of every provider: its examples, and each example with every top-level field
swapped for odd values (booleans where numbers go, Decimals, nulls, wrong containers, bad
formats) or removed. When the fast validator accepts an instance, jsonschema must too; when it
refuses, ContractSet.validate asks jsonschema, so messages stay jsonschema's.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from mockserver.core.contracts.contract_set import load_contracts

PROVIDERS = ["cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay"]
ODD = [True, False, 0, 1, -1, Decimal("1.5"), Decimal("1"), 1.0, "", "x", "not-a-date", "2025-01-15",
       "2025-01-15T10:00:00Z", "http://x", "a@b.c", None, [], {}, [1], {"a": 1}, "1" * 300]


def _variants(example):
    yield example
    if isinstance(example, dict):
        for key in example:
            yield {k: v for k, v in example.items() if k != key}
            for odd in ODD:
                yield {**example, key: odd}
            inner = example[key]
            if isinstance(inner, dict):
                for k2 in inner:
                    for odd in ODD:
                        yield {**example, key: {**inner, k2: odd}}
    for odd in ODD:
        yield odd


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fast_validator_agrees_with_jsonschema(provider):
    contracts = load_contracts(provider)
    compiled = 0
    for name in contracts.names():
        fast = contracts._compile(name)
        if fast is None:
            continue
        compiled += 1
        full = contracts._validator(name)
        for instance in _variants(next(iter(contracts.schemas[name].get("examples", [])), {})):
            try:
                fast(instance)
            except Exception:  # noqa: BLE001
                continue
            assert full.is_valid(instance), (name, instance)
    assert compiled == len(contracts.names())


def test_violation_message_names_the_rule_in_plain_words():
    contracts = load_contracts("cryptopayment")
    [first, *_] = contracts.validate("invoice-create.request", {"network": "doge", "amount_usd": 5})
    assert first.message == '"doge" is not one of "btc", "ltc", "eth", "trc20", "bep20"'
    assert first.instance_path == "/network"
