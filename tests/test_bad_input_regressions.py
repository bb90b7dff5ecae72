"""Regression tests for issue 9's defects, one reproducer each (found by test_fuzz_bad_input.py).

Every refusal here must also leave the World's state fingerprint unchanged.
"""
from __future__ import annotations

import json

import pytest

from fuzzing import raw_request, relative, state_diff, state_image
from mockserver.core.http.jsonio import dumps

CREATE = {
    "cryptopayment": ("POST", "/cryptopayment/api/v1/invoices", {"amount_usd": 10, "network": "btc"}),
    "alt5pay": ("POST", "/alt5pay/usr/invoice/create", {"ref_id": "r-1", "total_amount": "10", "currency": "USD"}),
    "alchemypay": ("POST", "/alchemypay/open/api/v4/merchant/order/create", {
        "orderType": "4", "merchantOrderNo": "MO-1", "amount": "100", "fiatCurrency": "USD",
        "cryptoCurrency": "USDT", "depositType": 2, "network": "TRX", "payWayCode": "10001",
        "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8"}),
}


def signed(world, provider: str, method: str, path: str, body):
    p = world.providers[provider]
    return p.client_request(world.backend(provider).merchants[0], method, relative(p, path), body)


async def send(client, world, provider, body, path=None, raw: bytes | None = None):
    method, default_path, _ = CREATE[provider]
    headers, signed_raw = signed(world, provider, method, path or default_path, body)
    resp = await client.request(method, path or default_path, headers=headers,
                                data=raw if raw is not None else signed_raw)
    return resp.status, await resp.text()


class Unchanged:
    """Asserts the World's state is the same at the end of the block as at its start. What was
    already due runs first (the scheduler drives events in the background), and what the block
    made due runs before the comparison."""

    def __init__(self, world):
        self.world = world

    async def __aenter__(self):
        await self.world.scheduler.settle()
        self.before = state_image(self.world)
        return self

    async def __aexit__(self, *exc):
        if exc[0] is None:
            await self.world.scheduler.settle()
            after = state_image(self.world)
            assert after == self.before, state_diff(self.before, after)


@pytest.mark.parametrize("provider,header,value", [
    ("cryptopayment", b"Authorization", b"Bearer pk_sandbox_4f3c2a1b9d8e7f60:\xe9"),
    ("alt5pay", b"authentication", b"MTIzOGQ2OTk5YTYwMzgzYTFkNjQxZGI4ODVkZWNiYzFmZThlOTk1MzrDqQ=="),  # key:é
    ("alt5pay", b"apikey", b"\xe9"),
    ("alchemypay", b"sign", b"\xc3\xa9"),
    ("alchemypay", b"sign", b"\xe9"),
    ("alchemypay", b"appId", b"sbx7alc0d3k9q2mp\xe9"),
])
async def test_non_ascii_credential_header_is_401(client, world, provider, header, value):
    method, path, body = CREATE[provider]
    headers, raw = signed(world, provider, method, path, body)
    pairs = [(k.encode(), v.encode()) for k, v in headers.items() if k.lower() != header.decode().lower()]
    async with Unchanged(world):
        status, _, text = await raw_request(client.host, client.port, method, path, pairs + [(header, value)], raw)
    assert status == 401, text


@pytest.mark.parametrize("provider", sorted(CREATE))
async def test_lone_surrogate_in_a_json_string_is_400(client, world, provider):
    method, path, body = CREATE[provider]
    headers, _ = signed(world, provider, method, path, body)
    raw = json.dumps({**body, "ref_id": "\ud800", "merchantOrderNo": "a\udfffb", "order_id": "\ud800"}).encode()
    async with Unchanged(world):
        resp = await client.request(method, path, headers=headers, data=raw)
    assert resp.status == 400, await resp.text()


async def test_lone_surrogate_to_the_admin_api_is_400_and_patch_not_applied(client, world):
    async with Unchanged(world):
        resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", data=b'{"webhook_url": "\\ud800"}',
                                  headers={"Content-Type": "application/json"})
    assert resp.status == 400
    resp = await client.get("/_sandbox/providers")
    assert resp.status == 200


def test_json_output_never_carries_infinity():
    with pytest.raises(ValueError):
        dumps({"amount": float("inf")})


@pytest.mark.parametrize("params", [{"amount": 1e400}, {"amount": "1e400"}, {"amount": 1e30},
                                    {"fraction": "1e-30"}, {"fraction": 1e-30}, {"fraction": "1e30"}])
async def test_cryptopayment_simulate_pay_out_of_range_is_4xx(client, world, params):
    status, text = await send(client, world, "cryptopayment", CREATE["cryptopayment"][2])
    invoice = json.loads(text)["invoice"]["id"]
    async with Unchanged(world):
        resp = await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice, **params})
    assert 400 <= resp.status < 500, await resp.text()


@pytest.mark.parametrize("amount", ["1e30", "1e-30", "0.0000000001"])
async def test_cryptopayment_create_refuses_out_of_range_amounts(client, world, amount):
    raw = b'{"amount_usd": ' + amount.encode() + b', "network": "btc"}'
    async with Unchanged(world):
        status, text = await send(client, world, "cryptopayment", None, raw=raw)
    assert status == 422, text


async def test_alchemypay_create_refuses_out_of_range_amounts(client, world):
    body = {**CREATE["alchemypay"][2], "amount": "1" + "0" * 30}
    async with Unchanged(world):
        status, text = await send(client, world, "alchemypay", body)
    assert 400 <= status < 500, text


async def test_advance_to_year_9999_is_refused_and_creates_still_work(client, world):
    async with Unchanged(world):
        resp = await client.post("/_sandbox/clock/advance", json={"to": "9999-12-31T23:59:00Z"})
        assert resp.status == 400
        resp = await client.post("/_sandbox/clock/advance", json={"by": "2900000d"})
        assert resp.status == 400
    for provider in CREATE:
        status, text = await send(client, world, provider, CREATE[provider][2])
        assert status in (200, 201), (provider, text)



@pytest.mark.parametrize("path, body", [
    ("/_sandbox/clock/advance", {"to": "9999-12-31T23:59:59-14:00"}),   # past what UTC can hold
    ("/_sandbox/reset", {"start": "9999-12-31T23:59:59-14:00"}),
    ("/_sandbox/clock/advance", {"by": "99999999999999999999d"}),
])
async def test_an_instant_or_duration_past_the_clocks_range_is_a_400_in_words(client, world, path, body):
    """Issue 23: these were 500s (OverflowError). A 400 naming the rule, no Python in it."""
    async with Unchanged(world):
        resp = await client.post(path, json=body)
        text = await resp.text()
        assert resp.status == 400, text
        assert "Overflow" not in text and "Error" not in text and "datetime" not in text, text

async def test_alchemypay_duplicate_order_draws_nothing(client, world):
    status, _ = await send(client, world, "alchemypay", CREATE["alchemypay"][2])
    assert status == 200
    async with Unchanged(world):
        status, text = await send(client, world, "alchemypay", CREATE["alchemypay"][2])
    assert status == 409, text


async def test_alt5pay_refused_simulate_pay_creates_no_address(client, world):
    status, text = await send(client, world, "alt5pay", CREATE["alt5pay"][2])
    invoice = json.loads(text)["data"]["invoice_id"]
    for params in ({"amount": "-1"}, {"fiat": "1e400"}, {"fraction": "0"}, {"source_address": ""}, {"asset": "nope"}):
        async with Unchanged(world):
            resp = await client.post("/_sandbox/simulate/alt5pay/pay", json={"invoice": invoice, **params})
        assert resp.status == 400, (params, await resp.text())


async def test_alt5pay_refused_signed_request_can_be_sent_again(client, world):
    path = "/alt5pay/usr/wallet/addressbyref"
    headers, raw = signed(world, "alt5pay", "POST", path, {"ref_id": "nobody"})
    async with Unchanged(world):
        first = await client.post(path, headers=headers, data=raw)
    assert first.status == 404
    again = await client.post(path, headers=headers, data=raw)
    assert again.status == 404, await again.text()   # not "Access Invalid" (replay)


async def test_alchemypay_unparsable_callback_url_is_refused_before_storing(client, world):
    body = {**CREATE["alchemypay"][2], "callbackUrl": "http://[::1"}
    async with Unchanged(world):
        status, text = await send(client, world, "alchemypay", body)
    assert status == 400, text


@pytest.mark.parametrize("amount", ["1e400", 1e30])
async def test_alchemypay_simulate_deposit_out_of_range_is_400(client, world, amount):
    body = {**CREATE["alchemypay"][2], "orderType": "6"}
    status, text = await send(client, world, "alchemypay", body)
    order = json.loads(text)["data"]["orderNo"]
    async with Unchanged(world):
        resp = await client.post("/_sandbox/simulate/alchemypay/deposit", json={"order": order, "amount": amount})
    assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("amount", ["1e400", "1e16", "-1", "0"])
async def test_chain_transfer_out_of_range_is_400(client, world, amount):
    async with Unchanged(world):
        resp = await client.post("/_sandbox/chain/transfers", json={"network": "btc", "address": "x", "amount": amount})
    assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("change", [{"api_key": [1]}, {"api_secret": 5}, {"api_key": {"a": 1}}])
async def test_patch_merchant_keeps_credentials_strings(client, world, change):
    async with Unchanged(world):
        resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", json=change)
    assert resp.status == 400, await resp.text()
    status, text = await send(client, world, "cryptopayment", CREATE["cryptopayment"][2])
    assert status == 201, text


async def test_inbox_keeps_undecodable_header_bytes_and_pages_still_render(client, world):
    status, _, _ = await raw_request(client.host, client.port, "POST", "/_sandbox/inbox/shop",
                                     [(b"X-Junk", b"\xe9\xed\xa0\x80")], b"{}")
    assert status == 200
    status, _, _ = await raw_request(client.host, client.port, "POST", "/_sandbox/inbox/%ED%A0%80", [], b"{}")
    assert status < 500
    for path in ("/_sandbox/inbox/shop", "/_sandbox/ui/inbox"):
        resp = await client.get(path)
        assert resp.status < 500, (path, await resp.text())


async def test_a_lone_surrogate_in_an_inbox_body_does_not_break_the_inbox_page(client):
    """A JSON body holding "\\ud800" is kept by the inbox; the dashboard pretty-prints it, and the
    page answered 500 (UnicodeEncodeError) instead of showing it."""
    posted = await client.post("/_sandbox/inbox/shop", data=b'{"a": "\\ud800"}',
                               headers={"Content-Type": "application/json"})
    assert posted.status < 500
    for path in ("/_sandbox/ui/inbox", "/_sandbox/ui/inbox?name=shop"):
        resp = await client.get(path)
        assert resp.status == 200, (path, resp.status)
        assert "text/html" in resp.headers["Content-Type"]


async def test_a_lone_surrogate_in_a_badly_signed_alppay_body_is_a_401(client):
    """The X-HMAC refusal tries re-serialisations of the body; one holding "\\udfff" has none."""
    merchant = (await (await client.get("/_sandbox/providers")).json())["alppay"]["merchants"][0]
    resp = await client.post("/alppay/v2/payment", data=b'{"orderNo": "a\\udfffb"}',
                             headers={"API-KEY": merchant["api_key"], "X-HMAC": "0" * 64,
                                      "Content-Type": "application/json"})
    assert resp.status == 401, await resp.text()
