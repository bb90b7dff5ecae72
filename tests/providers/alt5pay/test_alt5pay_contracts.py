"""The contracts accept the provider's own published samples and carry every assumption."""
from __future__ import annotations

import json

import pytest

from mockserver.core.contracts.contract_set import load_contracts

CONTRACTS = load_contracts("alt5pay")

# Samples from ALT 5 Pay's API docs (v2.10.10), as published (the IPN's source_address keeps its
# leading space).
DOC_IPN = {"ref_id": "wm_123323", "price": 8550.26, "amount": 0.0006, "total": 5.13, "date_time": "1588354319000",
           "transaction_id": "c3c2920e4705cc37c57d0937576d6346c27ca81f2b9e507fd47a1de113b7bba9", "coin": "BTC",
           "network": "testnet", "currency": "USD", "confirmation": "6", "status": "Paid", "fee": "0.2",
           "source_address": " 0x3C965939Ca2d63962b4D0bdF84863262870eE198", "type": "Payment"}
DOC_TX = {"date_time": "2022-08-02T17:45:15.000Z", "address": "0xEAF8C52666d55D763aF5865a0189922384a6aE02",
          "status": "Paid", "payment_amount": 0.03, "total_payment": 49.4,
          "txid": "0x5c413b29ef14416a7d438110200d57f55358b36a69020b40f893b94a7bf0ee66", "price": 1646.71,
          "currency": "USD", "coin": "ETH", "source_address": "0x3C965939Ca2d63962b4D0bdF84863262870eE198"}
DOC_SAMPLES = [
    ("ipn.webhook", DOC_IPN),
    ("transactions.response", {"status": "success", "data": DOC_TX}),
    ("transactions.response", {"status": "success", "data": [DOC_TX, DOC_TX]}),
    ("wallet-create.response", {"status": "success", "data": {"ref_id": "cor121121", "price": 8632.59,
                                "address": "moep287CANJhZoyssrigoHtkMwBiz6uhDt", "coin": "BTC",
                                "expires": "2020-05-04 14:32:46.480"}}),
    ("error", {"status": "error", "message": "Access Invalid"}),
    ("price.response", {"status": "success", "data": {"price": "11314.69", "coin": "BTC",
                        "date_time": "2020-08-28 11:04:02.460", "currency": "USD"}}),
    ("addressbyref.response", {"status": "success", "data": [{"address": "tb1qhc0fkupe0n50dcv4rkl545x7494grk9t2wyhmk",
                               "tag": "", "coin": "BTC", "date": "2022-08-25T14:34:26.263Z"}]}),
    ("wallet-create.request", {"ref_id": "cor121121", "url": "https://yourwebhookurl.com", "timestamp": 1550838976,
                               "nonce": 693795, "currency": "USD"}),
    ("invoice-create.request", {"contact": {"email": "name@email.com", "firstname": "first name"}, "ref_id": "r",
                                "items": [{"item": "product name", "cost": "5", "quantity": "2"}], "total_amount": "10",
                                "currency": "USD", "due_date": "2021-07-23", "sendemail": False,
                                "url": "https://yourwebhookurl", "timestamp": 1627050940, "nonce": 51487}),
]


@pytest.mark.parametrize("name,sample", DOC_SAMPLES, ids=[n for n, _ in DOC_SAMPLES])
def test_docs_samples_validate(name, sample):
    assert CONTRACTS.validate(name, sample) == []


@pytest.mark.parametrize("name", CONTRACTS.names())
def test_every_contract_is_described_and_its_examples_validate(name):
    schema = CONTRACTS.schemas[name]
    assert schema["$id"].endswith(f"/alt5pay/{name}.json")
    assert schema.get("description") or schema.get("title")
    for example in schema.get("examples", []):
        assert CONTRACTS.validate(name, example) == [], example


def test_assumptions_are_written_in_the_contracts():
    text = json.dumps(CONTRACTS.schemas)
    for needle in ["300 s", "blalance", "minute 1275", "all_delays", "docs' fixed order", "ipn_pending", "60 minutes", "Unpaid", "401", "Reused",
                   "re-priced", "PHP", "Pending"]:
        assert needle in text, needle


@pytest.mark.parametrize("broken", [
    {**DOC_IPN, "ref_id": ""}, {**DOC_IPN, "price": 0}, {**DOC_IPN, "date_time": ""},
    {k: v for k, v in DOC_IPN.items() if k != "network"}, {**DOC_IPN, "extra": 1}])
def test_ipn_contract_refuses_what_php_handlers_would_drop(broken):
    assert CONTRACTS.validate("ipn.webhook", broken)
