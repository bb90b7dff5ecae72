"""As strict as production: each row of docs/providers/alppay.md's table "what production refuses
-> what the sandbox does". Rows marked [A] there are the sandbox's own leniencies: accepted by
default, refused under the merchant setting `strict: true`."""
from __future__ import annotations

import json

import pytest

from ap_support import compact, payment_body, withdrawal_body, x_hmac


async def _post(ap, path: str, raw: bytes, **headers):
    return await ap.call("POST", path, raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw), **headers})


# documented refusals: the default ----------------------------------------------------------------
async def test_s1_a_body_with_extra_spaces_is_400(ap, world):
    for raw in (json.dumps(payment_body()).encode(), json.dumps(payment_body(), indent=2).encode(),
                compact(payment_body()) + b"\n"):
        status, out = await _post(ap, "/payment", raw)
        assert (status, out["code"]) == (400, 400) and "compact JSON" in out["message"]
    assert not world.backend("alppay").payments
    await ap.set_merchant(signed_body="as_sent")               # [A] the other reading: the bytes as signed
    status, _ = await _post(ap, "/payment", json.dumps(payment_body(), indent=2).encode())
    assert status == 200


@pytest.mark.parametrize("body", [
    {"asset": {"short": "USDT", "network": "tron"}, "amount": "10.00",
     "customer": {"id": 1, "name": "a", "email": "a@b.example"}},                      # sorted keys
    {"amount": "10.00", "asset": {"network": "tron", "short": "USDT"},
     "customer": {"id": 1, "name": "a", "email": "a@b.example"}},                      # nested order
    {"amount": "10.00", "asset": {"short": "USDT", "network": "tron"},
     "customer": {"email": "a@b.example", "id": 1, "name": "a"}},
    {"amount": "10.00", "asset": {"short": "USDT", "network": "tron"},
     "customer": {"id": 1, "name": "a", "email": "a@b.example"}, "invoice": "I-1", "clientId": "c-1"},
])
async def test_s2_fields_out_of_the_documented_order_are_400(ap, world, body):
    status, out = await _post(ap, "/payment", compact(body))
    assert status == 400 and out["message"].startswith("Incorrect field order")
    assert not world.backend("alppay").payments


async def test_s2_withdrawal_and_deposit_address_bodies_too(ap):
    await ap.simulate("fund", method="USDT_tron", amount="50")
    body = withdrawal_body()
    reordered = {"invoice": body["invoice"], **{k: v for k, v in body.items() if k != "invoice"}}
    assert (await _post(ap, "/withdrawal", compact(reordered)))[0] == 400
    assert (await _post(ap, "/deposit-addresses/create",
                        compact({"number": 1, "assetNetwork": "tron", "assetShort": "USDT"})))[0] == 400


@pytest.mark.parametrize("headers, status", [
    ({"X-HMAC": None}, 401), ({"X-HMAC": "0" * 64}, 401), ({"API-KEY": None}, 401), ({"API-KEY": "ak_x"}, 401),
])
async def test_s3_to_s5_key_and_signature(ap, headers, status):
    got, _ = await ap.call("POST", "/payment", payment_body(), headers=headers)
    assert got == status


async def test_s6_a_caller_off_the_whitelist_is_403(ap):
    await ap.set_merchant(ip_whitelist=["198.51.100.0/24"])
    assert (await ap.call("GET", "/payment"))[0] == 403


@pytest.mark.parametrize("body, status, field", [
    (withdrawal_body(addressFrom="TXkFpL3HmzE9KPpXGWNXdCbNcDYYn73U4C"), 400, None),
    (withdrawal_body(amount="1.000000001"), 422, "amount"),
    (withdrawal_body(network="bsc"), 422, "asset.network"),
    (withdrawal_body(short="BTC"), 422, "asset.short"),
])
async def test_s7_to_s9_withdrawal_refusals(ap, body, status, field):
    await ap.simulate("fund", method="USDT_tron", amount="50")
    got, out = await ap.call("POST", "/withdrawal", body)
    assert got == status and out.get("field") == field


async def test_s10_a_payment_without_customer_is_422(ap):
    got, out = await ap.call("POST", "/payment", {"amount": "5", "asset": {"short": "USDT", "network": "tron"}})
    assert (got, out["field"]) == (422, "customer")


async def test_s11_s12_deposit_address_and_network_fee_refusals(ap):
    got, out = await ap.call("POST", "/deposit-addresses/create", {"assetNetwork": "tron", "assetShort": "USDT"})
    assert (got, out["field"]) == (422, "number")
    got, out = await ap.call("GET", "/network-fee?assetNetwork=tron&addressFrom=TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"
                                    "&addressTo=TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n")
    assert (got, out["field"]) == (422, "addressFrom")


# the sandbox's own leniencies: accepted by default, refused under strict ------------------------
async def _both(ap, attempt) -> tuple[int, int]:
    lenient = await attempt()
    await ap.set_merchant(strict=True)
    return lenient, await attempt()


async def test_t1_upper_case_hex(ap):
    raw = compact(payment_body())

    async def attempt():
        return (await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw).upper()}))[0]
    assert await _both(ap, attempt) == (200, 401)


async def test_t2_unknown_fields(ap):
    async def attempt():
        return (await ap.call("POST", "/payment", payment_body(merchant={"id": 1})))[0]
    assert await _both(ap, attempt) == (200, 422)


async def test_t3_null_for_an_optional_field(ap):
    async def attempt():
        return (await ap.call("POST", "/payment", payment_body(clientId=None, invoice=None, checkoutUrl=None)))[0]
    assert await _both(ap, attempt) == (200, 422)


async def test_t4_a_body_without_json_content_type(ap):
    async def attempt():
        return (await ap.call("POST", "/payment", payment_body(), headers={"Content-Type": "text/plain"}))[0]
    assert await _both(ap, attempt) == (200, 400)


async def test_t5_the_sandbox_only_routes(ap):
    first, second = await ap.create(), await ap.create()
    lenient = (await ap.call("POST", f"/payment/{first['id']}/cancel"))[0]
    await ap.set_merchant(strict=True)
    strict = (await ap.call("POST", f"/payment/{second['id']}/cancel"))
    assert (lenient, strict[0], strict[1]["code"]) == (200, 404, 404)
    assert (await ap.payment(second["id"]))["status"] == "OPEN"


async def test_t6_camel_case_sort_field_and_repeated_list_parameters(ap):
    async def attempt():
        return ((await ap.call("GET", "/payment?sortField=createdAt"))[0],
                (await ap.call("GET", "/payment?statuses=NEW&statuses=OPEN"))[0])
    assert await _both(ap, attempt) == ((200, 200), (422, 422))
