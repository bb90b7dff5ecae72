"""POST /invoices, GET /invoices/{id}, GET /invoices?page=N: shapes, addresses, pagination."""
from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest

from cp_support import base58check_decode, bech32_decode, dec, instant, witness_program

# network -> (coin, label, confirmations required, amount_crypto for $50 at the sandbox prices)
NETWORKS = {
    "btc": ("BTC", "Bitcoin (BTC)", 2, "0.00083333"),      # 50 / 60000
    "ltc": ("LTC", "Litecoin (LTC)", 6, "0.625"),          # 50 / 80
    "eth": ("ETH", "Ethereum (ETH)", 12, "0.01666667"),    # 50 / 3000
    "trc20": ("USDT", "USDT (TRC20)", 19, "50"),
    "bep20": ("USDT", "USDT (BEP20)", 15, "50"),
}


async def test_create_invoice_documented_request(cp):
    resp, text = await cp.call("POST", "/invoices", json_body={
        "network": "trc20", "amount_usd": 50.00, "order_id": "ORD-12345",
        "metadata": {"customer_id": "usr_001"}}, expect=201)
    assert resp.content_type == "application/json"
    data = json.loads(text)
    assert data["success"] is True
    inv = data["invoice"]
    assert set(inv) == {"id", "order_id", "status", "network", "network_label", "coin", "amount_usd",
                        "amount_crypto", "address", "paid_amount", "txid", "confirmations",
                        "expires_at", "created_at"}
    assert uuid.UUID(inv["id"]).version == 4
    assert inv["order_id"] == "ORD-12345"
    assert inv["status"] == "pending"
    assert (inv["network"], inv["network_label"], inv["coin"]) == ("trc20", "USDT (TRC20)", "USDT")
    assert inv["amount_usd"] == 50 and inv["amount_crypto"] == 50
    assert inv["paid_amount"] == 0 and inv["txid"] is None
    assert inv["confirmations"] == {"received": 0, "required": 19}
    created, expires = instant(inv["created_at"]), instant(inv["expires_at"])
    assert created == await cp.now()
    assert expires - created == timedelta(minutes=30)
    # ISO 8601 with an explicit offset and whole seconds, as the docs show
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", inv["created_at"])
    assert data["checkout_url"].endswith(f"/cryptopayment/pay/{inv['id']}")


async def test_get_invoice_matches_create(cp):
    created = await cp.create("btc", 120, order_id="A-1")
    got = await cp.invoice(created["id"])
    assert got == created
    resp, text = await cp.call("GET", f"/invoices/{created['id']}", expect=200)
    assert set(json.loads(text)) == {"success", "invoice"}


async def test_order_id_and_metadata_are_optional(cp):
    inv = await cp.create("eth", 10)
    assert inv["order_id"] is None


@pytest.mark.parametrize("network", sorted(NETWORKS))
async def test_network_coin_label_confirmations_and_amount(cp, network):
    coin, label, required, crypto = NETWORKS[network]
    inv = await cp.create(network, 50)
    assert (inv["coin"], inv["network_label"]) == (coin, label)
    assert inv["confirmations"] == {"received": 0, "required": required}
    assert dec(inv["amount_crypto"]) == dec(crypto)


@pytest.mark.parametrize("network", sorted(NETWORKS))
async def test_each_invoice_gets_a_unique_address_of_the_network_shape(cp, network):
    addresses = [(await cp.create(network, 5))["address"] for _ in range(3)]
    assert len(set(addresses)) == 3
    for address in addresses:
        if network == "btc":
            assert address.startswith("tb1q") and len(address) == 42
            hrp, data = bech32_decode(address)
            version, program = witness_program(data)
            assert (hrp, version, len(program)) == ("tb", 0, 20)
        elif network == "ltc":
            assert address.startswith("tltc1q")
            hrp, data = bech32_decode(address)
            version, program = witness_program(data)
            assert (hrp, version, len(program)) == ("tltc", 0, 20)
        elif network in ("eth", "bep20"):
            assert re.fullmatch(r"0x[0-9a-f]{40}", address)
        else:  # trc20: Tron base58check, version byte 0x41, 34 characters
            assert address.startswith("T") and len(address) == 34
            raw = base58check_decode(address)
            assert raw is not None and raw[0] == 0x41 and len(raw) == 21


async def test_checksum_verifiers_reject_a_corrupted_address(cp):
    """The test's own verifiers are not vacuous: one changed character breaks each checksum."""
    btc = (await cp.create("btc", 5))["address"]
    trc = (await cp.create("trc20", 5))["address"]
    bad_btc = btc[:-1] + ("q" if btc[-1] != "q" else "p")
    assert bech32_decode(btc) and not bech32_decode(bad_btc)
    bad_trc = trc[:-1] + ("2" if trc[-1] != "2" else "3")
    assert base58check_decode(trc) and base58check_decode(bad_trc) is None


async def test_list_pages_of_twenty_newest_first(cp):
    ids = [(await cp.create("trc20", 1 + i, order_id=f"ORD-{i}"))["id"] for i in range(45)]
    newest_first = ids[::-1]
    pages = {}
    for page in (1, 2, 3, 4):
        _, text = await cp.call("GET", f"/invoices?page={page}", expect=200)
        pages[page] = json.loads(text)
    assert [len(pages[p]["invoices"]) for p in (1, 2, 3, 4)] == [20, 20, 5, 0]
    listed = [i["id"] for p in (1, 2, 3) for i in pages[p]["invoices"]]
    assert listed == newest_first
    assert pages[1]["invoices"][0]["order_id"] == "ORD-44"
    assert pages[3]["invoices"][-1]["order_id"] == "ORD-0"
    for page in (1, 2, 3, 4):
        assert pages[page]["success"] is True
        assert pages[page]["pagination"] == {"page": page, "per_page": 20, "total": 45, "pages": 3}
    # no page parameter means page 1
    _, text = await cp.call("GET", "/invoices", expect=200)
    assert json.loads(text)["invoices"] == pages[1]["invoices"]


async def test_list_is_empty_for_a_new_merchant(cp):
    _, text = await cp.call("GET", "/invoices", expect=200)
    assert json.loads(text) == {"success": True, "invoices": [],
                                "pagination": {"page": 1, "per_page": 20, "total": 0, "pages": 0}}


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "%C2%B2", "1e3", "99999999999"])
async def test_list_rejects_bad_page_numbers(cp, page):
    await cp.create("trc20", 5)
    resp, text = await cp.call("GET", f"/invoices?page={page}")
    assert resp.status == 422, text
    assert json.loads(text)["success"] is False


async def test_list_reflects_status_changes(cp):
    inv = await cp.create("trc20", 5)
    await cp.pay(inv["id"])
    _, text = await cp.call("GET", "/invoices", expect=200)
    assert json.loads(text)["invoices"][0]["status"] == "confirming"


async def test_checkout_page_for_unknown_invoice_is_404(cp):
    resp = await cp.client.get(f"/cryptopayment/pay/{uuid.uuid4()}")
    assert resp.status == 404
    assert await resp.json() == {"success": False, "error": "Invoice not found"}
