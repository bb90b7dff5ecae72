"""Deposit addresses and wallets, as the docs' pages show them: create (batch and sticky, TON's
dest_tag), funds landing with no open payment (a payment is created, the deposit-detected /
AML / status webhooks follow, the balance moves), wallets-by-client, wallets-balances,
network-fee and the client-wallet report."""
from __future__ import annotations

import json
import re

from ap_support import compact, x_hmac

TRON = re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$")


async def _addresses(ap, body: dict, expect: int | None = 200):
    return await ap.call("POST", "/deposit-addresses/create", body, expect=expect)


async def test_batch_addresses_have_the_network_shape(ap):
    _, out = await _addresses(ap, {"assetNetwork": "tron", "assetShort": "USDT", "number": 5})
    assert out["success"] is True and len(out["addresses"]) == 5
    assert all(set(a) == {"symbol", "address"} and a["symbol"] == "USDT" and TRON.match(a["address"])
               for a in out["addresses"])
    assert len({a["address"] for a in out["addresses"]}) == 5
    # [D] "Automatically converted to lowercase / uppercase"
    _, out = await _addresses(ap, {"assetNetwork": "Ethereum", "assetShort": "usdc", "number": 1})
    assert out["addresses"][0]["symbol"] == "USDC" and out["addresses"][0]["address"].startswith("0x")


async def test_sticky_address_is_the_clients_payment_address_and_ton_carries_the_tag(ap):
    _, ton = await _addresses(ap, {"assetNetwork": "ton", "assetShort": "TON", "clientId": "AA-BB-CC"})
    [item] = ton["addresses"]
    assert item["symbol"] == "TON" and item["dest_tag"] == "AA-BB-CC"      # [D] dest_tag = clientId
    _, again = await _addresses(ap, {"assetNetwork": "ton", "assetShort": "TON", "clientId": "AA-BB-CC"})
    assert again["addresses"] == [item]
    payment = await ap.create(amount="5.00", short="TON", network="ton", clientId="AA-BB-CC")
    assert payment["addressTo"] == item["address"] and payment["destTag"] == "AA-BB-CC"
    assert payment["confirmsNeeded"] == 1
    _, batch = await _addresses(ap, {"assetNetwork": "ton", "assetShort": "TON", "number": 1})
    assert batch["addresses"][0]["dest_tag"]                                # always returned on TON


async def test_refusals_change_nothing(ap, world):
    state = world.rng.getstate()
    for body, field in (({"assetNetwork": "tron", "assetShort": "USDT"}, "number"),
                        ({"assetNetwork": "tron", "assetShort": "USDT", "number": 101}, "number"),
                        ({"assetNetwork": "dogechain", "assetShort": "USDT", "number": 1}, "assetNetwork"),
                        ({"assetNetwork": "bitcoin", "assetShort": "USDT", "number": 1}, "assetShort")):
        status, out = await _addresses(ap, body, expect=None)
        assert (status, out["field"]) == (422, field), out
    status, _ = await ap.call("POST", "/deposit-addresses/create",
                              raw=compact({"assetShort": "USDT", "assetNetwork": "tron", "number": 1}))
    assert status == 400                                                    # documented field order
    assert world.rng.getstate() == state and not world.backend("alppay").wallets


async def test_funds_on_a_deposit_address_create_a_payment_with_the_webhook_sequence(hooked):
    ap, rec = hooked
    _, out = await _addresses(ap, {"assetNetwork": "tron", "assetShort": "USDT", "clientId": "top-up-1"})
    address = out["addresses"][0]["address"]
    sent = await ap.simulate("pay", address=address, amount="2.50")
    payment = sent["payment"]
    # [D] webhookSequence, webhook 1: OPEN/OPEN, confirmsNeeded 0, timeout 0, AML fields empty
    assert (payment["status"], payment["displayStatus"], payment["amount"]) == ("OPEN", "OPEN", "2.50")
    assert (payment["confirmsNeeded"], payment["timeout"], payment["checkoutUrl"], payment["invoice"]) == (0, 0, "", "")
    assert "customer" not in payment and payment["clientId"] == "top-up-1" and payment["destTag"] == ""
    await ap.advance("1m")
    bodies = [json.loads(r["body"]) for r in rec.requests]
    assert [(b["status"], b["displayStatus"]) for b in bodies] == [("OPEN", "OPEN"), ("OPEN", "OPEN"),
                                                                  ("COMPLETED", "COMPLETED")]
    first, checked = bodies[0]["transactions"][0], bodies[1]["transactions"][0]
    assert (first["riskScore"], first["riskCheckedAt"], first["amlPriceUsd"]) == (0, None, "0")
    assert checked["riskCheckedAt"] is not None and checked["amlPriceUsd"] == "2.50"
    assert all(r["headers"]["X-HMAC"] == x_hmac(ap.key, r["body"]) for r in rec.requests)
    assert (await ap.balances())["USDT_tron"] == "2.49"                     # 2.50 less 0.5 % (0.01)
    _, listed = await ap.call("GET", "/payment?search=top-up-1", expect=200)
    assert [p["id"] for p in listed["results"]] == [payment["id"]]


async def test_a_clients_address_after_its_payment_completed_takes_a_new_deposit(hooked):
    ap, rec = hooked
    first = await ap.create(amount="10.00", clientId="client-7")
    await ap.pay(first["id"])
    await ap.advance("1m")
    sent = await ap.simulate("pay", address=first["addressTo"], amount="7")   # no open payment now
    assert sent["payment"]["id"] != first["id"] and sent["payment"]["amount"] == "7.00"
    await ap.advance("1m")
    assert (await ap.payment(sent["payment"]["id"]))["status"] == "COMPLETED"
    assert (await ap.balances())["USDT_tron"] == "16.91"                    # 9.95 + 6.96 (fees 0.05, 0.035 -> 0.04)


async def test_wallets_by_client_lists_client_wallets_with_their_state(ap):
    await _addresses(ap, {"assetNetwork": "tron", "assetShort": "USDT", "number": 2})    # no clientId: not listed
    held = await ap.create(amount="10.00", clientId="c-1")
    await _addresses(ap, {"assetNetwork": "ethereum", "assetShort": "USDT", "clientId": "c-2"})
    _, wallets = await ap.call("GET", "/wallets-by-client?page=1&pageSize=20", expect=200)
    assert [w["clientId"] for w in wallets] == ["c-1", "c-2"]
    one = wallets[0]
    assert list(one) == ["id", "address", "assetShort", "assetNetwork", "statusValue", "statusDate",
                         "merchantName", "destinationTag", "merchantId", "comment", "blockedAt", "createdAt",
                         "updatedAt", "lastActionUser", "riskScore", "riskCheckedAt", "isDanger", "clientId"]
    assert one["address"] == held["addressTo"] and one["statusValue"] == "LOCKED"   # an OPEN payment holds it
    assert isinstance(one["id"], int) and isinstance(one["merchantId"], int)
    assert one["blockedAt"] == "0001-01-01T00:00:00Z" and wallets[1]["statusValue"] == "UNLOCKED"
    _, page2 = await ap.call("GET", "/wallets-by-client?page=2&pageSize=1", expect=200)
    assert [w["clientId"] for w in page2] == ["c-2"]
    status, out = await ap.call("GET", "/wallets-by-client?pageSize=0")
    assert (status, out["field"]) == (422, "pageSize")


async def test_a_flagged_transfer_blocks_the_wallet_and_the_client_gets_a_new_address(ap):
    created = await ap.create(amount="10.00", clientId="risky")
    await ap.pay(created["id"], risk="danger")
    await ap.advance("1m")
    _, [wallet] = await ap.call("GET", "/wallets-by-client", expect=200)
    assert (wallet["statusValue"], wallet["isDanger"], wallet["riskScore"]) == ("BLOCKED", True, 85)
    assert wallet["blockedAt"] != "0001-01-01T00:00:00Z"
    renewed = await ap.create(amount="10.00", clientId="risky")
    assert renewed["addressTo"] != created["addressTo"]
    _, wallets = await ap.call("GET", "/wallets-by-client", expect=200)
    assert [w["statusValue"] for w in wallets] == ["BLOCKED", "LOCKED"]     # the old one stays listed


async def test_wallets_balances_and_network_fee(ap):
    created = await ap.create(amount="100.00")
    await ap.pay(created["id"])
    await ap.advance("1m")
    await ap.simulate("fund", method="BTC_bitcoin", amount="0.001")
    _, out = await ap.call("GET", "/wallets-balances", expect=200)
    assert out == {"deposit": "159.5", "withdraw": "0", "cold": "0"}        # 99.50 USDT + 0.001 BTC at 60000
    query = f"/network-fee?assetNetwork=tron&addressFrom={created['addressTo']}&addressTo=TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"
    _, out = await ap.call("GET", query + "&assetShort=USDT", expect=200)
    assert out == {"assetNetwork": "tron", "fees": [{"assetShort": "USDT", "fee": "27.00000000", "feeCurrency": "TRX",
                   "canProceed": True, "details": {"energy": 130000, "bandwidth": 345, "isActivated": True,
                                                   "resource": {"energy": 0, "bandwidth": 0}}}]}
    _, out = await ap.call("GET", query, expect=200)
    assert {f["assetShort"] for f in out["fees"]} == {"USDT", "USDC", "TRX"}
    status, out = await ap.call("GET", query.replace(created["addressTo"], "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"))
    assert (status, out["field"]) == (422, "addressFrom")                   # not one of the merchant's
    status, out = await ap.call("GET", "/network-fee?assetNetwork=tron")
    assert (status, out["field"]) == (422, "addressFrom")


async def test_client_wallet_report(ap):
    paid = await ap.create(amount="10.00", clientId="c-9")
    await ap.pay(paid["id"])
    await ap.advance("1m")
    await ap.create(amount="3.00", short="USDC", network="solana", clientId="c-9")
    _, out = await ap.call("GET", "/merchants/wallets/info?clientId=c-9", expect=200)
    assert out["clientId"] == "c-9" and out["total"] == 2 and out["totalBalanceUsd"] == "9.95"
    usdt, usdc = out["wallets"]
    assert (usdt["assetShort"], usdt["balance"], usdt["balanceUsd"]) == ("USDT", "9.95", "9.95")
    assert usdt["transactions"][0]["amount"] == "10.00" and usdt["transactions"][0]["paymentId"] == paid["id"]
    assert (usdc["assetNetwork"], usdc["statusValue"], usdc["transactions"]) == ("solana", "LOCKED", [])
    resp = await ap.client.get("/alppay/api/v2/merchants/wallets/info?clientId=c-9&dateFrom=2025-01-16",
                               headers={"API-KEY": ap.merchant["api_key"]})
    later = await resp.json()
    assert resp.status == 200 and later["wallets"][0]["transactions"] == []   # transfers were on the 15th
    status, out = await ap.call("GET", "/merchants/wallets/info?clientId=c-9&dateFrom=yesterday")
    assert (status, out["field"]) == (422, "dateFrom")
    status, out = await ap.call("GET", "/merchants/wallets/info")
    assert (status, out["field"]) == (422, "clientId")


async def test_a_late_transfer_to_a_clients_address_is_a_new_deposit(ap):
    """The client's address is a deposit address: after its payment expired, funds on it make a
    new payment (webhookSequence) instead of being lost as late; a one-off address's stay late."""
    expired = await ap.create(amount="10.00", clientId="late-client")
    one_off = await ap.create(amount="10.00")
    await ap.advance("2h31m")
    sent = await ap.simulate("pay", payment=expired["id"])
    assert sent["payment"]["id"] != expired["id"] and sent["payment"]["amount"] == "10.00"
    late = await ap.simulate("pay", payment=one_off["id"])
    assert late["payment"]["id"] == one_off["id"] and late["payment"]["totalReceivedAmount"] == "0.00"
