"""Payments on the simulated chain: Pending -> Paid, partial/exact/over/late, and the IPN each sends once Paid."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alt5pay_helpers import M1, cryptojs_hmac_sha512_hex

IPN_KEYS = ["ref_id", "price", "amount", "total", "date_time", "transaction_id", "coin", "network",
            "currency", "confirmation", "status", "fee", "source_address", "type"]
PHP_NON_EMPTY = ["ref_id", "price", "amount", "total", "date_time", "transaction_id", "coin", "network", "currency"]


async def advance(admin, by: str):
    status, _ = await admin("/clock/advance", {"by": by})
    assert status == 200


def check_ipn(request: dict, secret: str = M1["secret"]) -> dict:
    """What a careful merchant handler checks: signature over the raw body, no empty field."""
    raw = request["body"]
    assert request["headers"]["signature"] == cryptojs_hmac_sha512_hex(secret, raw)
    payload = json.loads(raw)
    assert list(payload) == IPN_KEYS
    assert all(payload[k] not in ("", None, 0, "0") for k in PHP_NON_EMPTY)
    return payload


@pytest.fixture
async def hook(receiver, admin):
    rec = await receiver()
    status, _ = await admin("/providers/alt5pay/merchant", {"webhook_url": rec.url}, method="PATCH")
    assert status == 200
    return rec


async def test_address_payment_pending_then_paid_with_ipns(api, admin, hook, world):
    _, created = await api("/usr/wallet/btc/create", {"ref_id": "ord-1"})
    address, price = created["data"]["address"], Decimal(str(created["data"]["price"]))
    status, paid = await admin("/simulate/alt5pay/pay", {"address": address, "amount": "0.0015"})
    assert status == 200, paid
    txid = paid["txid"]
    assert hook.requests == []                      # first seen: not a confirmed status change
    seen_ms = str(int(world.clock.now().timestamp() * 1000))
    _, tx = await api("/usr/wallet/transactions", {"address": address})
    assert tx["data"]["status"] == "Pending" and tx["data"]["txid"] == txid

    await advance(admin, "50m")                     # five blocks: 5 of 6 confirmations
    assert hook.requests == []
    await advance(admin, "10m")                     # sixth block: Paid, the IPN goes out
    assert len(hook.requests) == 1
    pending = check_ipn(hook.requests[0])
    assert pending == {
        "ref_id": "ord-1", "price": float(price), "amount": 0.0015,
        "total": float((Decimal("0.0015") * price).quantize(Decimal("0.01"))), "date_time": seen_ms,
        "transaction_id": txid, "coin": "BTC", "network": "testnet", "currency": "USD",
        "confirmation": "6", "status": "Paid", "fee": pending["fee"],
        "source_address": pending["source_address"], "type": "Payment"}
    assert Decimal(pending["fee"]) == (Decimal(str(pending["total"])) * 2 / 100).quantize(Decimal("0.01"))
    _, tx = await api("/usr/wallet/transactions", {"address": address})
    assert tx["data"] == {"date_time": datetime.fromtimestamp(int(seen_ms) / 1000, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"), "address": address, "status": "Paid", "payment_amount": 0.0015,
        "total_payment": pending["total"], "txid": txid, "price": float(price), "currency": "USD",
        "coin": "BTC", "source_address": pending["source_address"]}
    await advance(admin, "2h")                      # no further status change, no further IPN
    assert len(hook.requests) == 1
    _, balances = await api("/usr/balances", {})
    assert {d["coin"]: d["blalance"] for d in balances["data"]}["BTC"] == 0.0015


async def test_lookups_by_txid_and_ref_with_all(api, admin, hook):
    _, a = await api("/usr/wallet/ltc/create", {"ref_id": "multi"})
    address = a["data"]["address"]
    _, p1 = await admin("/simulate/alt5pay/pay", {"address": address, "amount": "0.5"})
    await advance(admin, "1m")
    _, p2 = await admin("/simulate/alt5pay/pay", {"address": address, "amount": "0.25"})
    _, one = await api("/usr/wallet/transactionsbytx", {"txid": p1["txid"]})
    assert one["data"]["txid"] == p1["txid"] and one["data"]["payment_amount"] == 0.5
    _, latest = await api("/usr/wallet/transactionsbyref", {"ref_id": "multi"})
    assert latest["data"]["txid"] == p2["txid"]
    _, every = await api("/usr/wallet/transactionsbyref", {"ref_id": "multi", "all": True})
    assert [t["txid"] for t in every["data"]] == [p2["txid"], p1["txid"]]
    _, every = await api("/usr/wallet/transactions", {"address": address, "all": True})
    assert len(every["data"]) == 2
    # The second payment to the same address is "Reused"; each sends its IPN once confirmed.
    await admin("/clock/run", {})
    assert [json.loads(r["body"])["type"] for r in hook.requests] == ["Payment", "Reused"]
    status, missing = await api("/usr/wallet/transactionsbytx", {"txid": "f" * 64})
    assert (status, missing["status"]) == (404, "error")


async def test_no_transaction_yet(api):
    _, a = await api("/usr/wallet/btc/create", {"ref_id": "empty"})
    status, body = await api("/usr/wallet/transactions", {"address": a["data"]["address"]})
    assert (status, body) == (404, {"status": "error", "message": "No Transactions Found"})
    status, body = await api("/usr/wallet/transactions", {"address": a["data"]["address"], "all": True})
    assert (status, body) == (200, {"status": "success", "data": []})


async def test_late_payment_is_repriced(api, admin, hook):
    _, a = await api("/usr/wallet/btc/create", {"ref_id": "late"})
    quoted = a["data"]["price"]
    await advance(admin, "61m")                     # past `expires`
    _, p = await admin("/simulate/alt5pay/pay", {"address": a["data"]["address"], "amount": "0.01"})
    await admin("/simulate/alt5pay/confirm", {"txid": p["txid"]})
    ipn = check_ipn(hook.requests[0])
    assert ipn["price"] != quoted
    assert Decimal(str(ipn["total"])) == (Decimal("0.01") * Decimal(str(ipn["price"]))).quantize(Decimal("0.01"))


async def test_expire_simulation_makes_the_next_payment_late(api, admin, hook):
    _, a = await api("/usr/wallet/eth/create", {"ref_id": "exp"})
    address = a["data"]["address"]
    await advance(admin, "30m")
    _, out = await admin("/simulate/alt5pay/expire", {"address": address})
    assert out["wallets"][0]["expired"] is True
    await admin("/simulate/alt5pay/pay", {"address": address, "amount": "0.2"})
    await admin("/simulate/alt5pay/confirm", {"address": address})
    ipn = check_ipn(hook.requests[0])
    assert ipn["price"] != a["data"]["price"] and ipn["network"] == "goerli"


async def test_url_given_at_creation_overrides_the_merchant_url(api, admin, hook, receiver):
    own = await receiver()
    _, a = await api("/usr/wallet/usdt_tron/create", {"ref_id": "u", "url": own.url})
    _, b = await api("/usr/wallet/usdt_tron/create", {"ref_id": "m", "url": ""})
    await admin("/simulate/alt5pay/pay", {"address": a["data"]["address"], "amount": "25"})
    await admin("/simulate/alt5pay/pay", {"address": b["data"]["address"], "amount": "25"})
    await admin("/clock/run", {})
    assert [json.loads(r["body"])["ref_id"] for r in own.requests] == ["u"]
    assert [json.loads(r["body"])["ref_id"] for r in hook.requests] == ["m"]
    assert json.loads(own.requests[0]["body"])["amount"] == 25       # JS form: 25, never 25.0
    assert b'"amount":25,' in own.requests[0]["body"]


async def invoice(api, total="100", currency="USD"):
    _, out = await api("/usr/invoice/create", {"ref_id": f"INV-{total}", "total_amount": total,
                                               "currency": currency, "sendemail": False})
    return out["data"]["invoice_id"]


async def status_of(client, invoice_id):
    resp = await client.post(f"/alt5pay/invoice/{invoice_id}")
    assert resp.status == 200
    return (await resp.json())["data"]


async def test_invoice_partial_then_exact(api, admin, hook, client):
    inv = await invoice(api)
    _, p = await admin("/simulate/alt5pay/pay", {"invoice": inv, "fraction": 0.4})
    assert (await status_of(client, inv))["payment_status"] == "Unpaid"      # not confirmed yet
    await admin("/simulate/alt5pay/confirm", {"invoice": inv})
    state = await status_of(client, inv)
    assert state["payment_status"] == "Partially Paid" and 40 <= state["paid_amount"] < 40.02
    await admin("/simulate/alt5pay/pay", {"invoice": inv})                   # the rest
    await advance(admin, "60m")                                              # 6 BTC blocks
    state = await status_of(client, inv)
    assert state["payment_status"] == "Paid" and 100 <= state["paid_amount"] < 100.03
    statuses = [(json.loads(r["body"])["ref_id"], json.loads(r["body"])["status"]) for r in hook.requests]
    assert statuses == [("INV-100", "Paid"), ("INV-100", "Paid")]


async def test_invoice_overpaid(api, admin, client, hook):
    inv = await invoice(api, "50", "EUR")
    await admin("/simulate/alt5pay/pay", {"invoice": inv, "asset": "eth", "fiat": 80})
    await admin("/simulate/alt5pay/confirm", {"invoice": inv})
    state = await status_of(client, inv)
    assert state["payment_status"] == "Paid" and state["paid_amount"] >= 80 and state["currency"] == "EUR"
    status, refused = await admin("/simulate/alt5pay/pay", {"invoice": inv})
    assert status == 409


@pytest.mark.parametrize("params,status", [
    ({}, 400), ({"address": "nope", "amount": 1}, 404), ({"invoice": "nope"}, 404),
    ({"address": None, "amount": "-1"}, 404), ({"ref_id": "r0", "amount": "abc"}, 400),
])
async def test_bad_simulation_params_are_4xx(api, admin, world, params, status):
    await api("/usr/wallet/btc/create", {"ref_id": "r0"})
    got, _ = await admin("/simulate/alt5pay/pay", params)
    assert got == status
    assert world.backend("alt5pay").payments == {}


async def test_address_payment_needs_an_amount(api, admin):
    _, a = await api("/usr/wallet/btc/create", {"ref_id": "na"})
    status, body = await admin("/simulate/alt5pay/pay", {"address": a["data"]["address"]})
    assert status == 400


@pytest.mark.parametrize("extra", [{"source_address": 7}, {"source_address": ""}, {"amount": "1e13"},
                                   {"amount": [1]}, {"asset": "erc20/usdt", "invoice": None}])
async def test_more_bad_simulation_params(api, admin, world, extra):
    _, a = await api("/usr/wallet/btc/create", {"ref_id": "bp"})
    params = {"address": a["data"]["address"], "amount": "0.1", **extra}
    if "invoice" in extra:
        params = {"invoice": await invoice(api), "asset": "erc20/usdt"}
    status, _ = await admin("/simulate/alt5pay/pay", params)
    assert 400 <= status < 500
    assert world.backend("alt5pay").payments == {}


async def test_confirm_with_a_non_ascii_digit_count_is_400_and_changes_nothing(api, admin, hook, world):
    _, created = await api("/usr/wallet/btc/create", {"ref_id": "sup-1"})
    address = created["data"]["address"]
    await admin("/simulate/alt5pay/pay", {"address": address, "amount": "0.001"})
    status, body = await admin("/simulate/alt5pay/confirm", {"address": address, "confirmations": "\u00b2"})
    assert status == 400 and "confirmations" in body["error"]["message"]
    assert hook.requests == []  # nothing confirmed, nothing sent
    assert world.backend("alt5pay").wallets[address].payments[0].status(world.clock.now()) == "Pending"
