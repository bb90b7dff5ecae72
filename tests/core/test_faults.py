"""Fault injection: each effect seen by a real aiohttp client, counted, seeded, journaled, cleared."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

INVOICE = {"network": "trc20", "amount_usd": 50.0, "order_id": "ORD-F1"}


async def call(client, world, method, path, body=None, provider="cryptopayment", merchant=0, **kw):
    p = world.providers[provider]
    headers, raw = p.client_request(world.backend(provider).merchants[merchant], method, path,
                                    body)
    return await client.request(method, p.api_base + path, headers=headers, data=raw or None, **kw)


async def add(client, **rule):
    resp = await client.post("/_sandbox/faults", json={"provider": "cryptopayment", **rule})
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def invoices(world):
    return len(world.backend("cryptopayment").invoices)


async def test_status_fault_next_n_calls_in_provider_shape(client, world):
    rule = await add(client, route="POST /invoices", status=503, times=2)
    assert rule["times_left"] == 2
    for _ in range(2):
        resp = await call(client, world, "POST", "/invoices", INVOICE)
        assert resp.status == 503
        assert (await resp.json())["success"] is False  # CryptoPayment's own error shape
        assert resp.headers["X-Sandbox-Fault"] == rule["id"]
    assert await invoices(world) == 0  # a faulted call never reached the handler
    resp = await call(client, world, "POST", "/invoices", INVOICE)
    assert resp.status == 201
    assert await invoices(world) == 1
    listed = await (await client.get("/_sandbox/faults")).json()
    (spent,) = listed["faults"]      # a spent rule stays listed: it can be seen to have fired
    assert (spent["id"], spent["times_left"], spent["fired"]) == (rule["id"], 0, 2)
    kinds = [e["kind"] for e in world.journal.query(kind="fault")]
    assert kinds == ["fault.added", "fault", "fault"]


async def test_a_spent_rule_never_fires_again_and_can_be_deleted(client, world):
    rule = await add(client, route="GET /balances", status=500, times=1)
    assert (await call(client, world, "GET", "/balances")).status == 500
    for _ in range(3):
        assert (await call(client, world, "GET", "/balances")).status == 200
    (listed,) = (await (await client.get("/_sandbox/faults")).json())["faults"]
    assert (listed["times_left"], listed["fired"]) == (0, 1)
    resp = await client.delete(f"/_sandbox/faults/{rule['id']}")
    assert resp.status == 200 and await resp.json() == {"cleared": 1}
    assert (await (await client.get("/_sandbox/faults")).json())["faults"] == []


async def test_spent_rules_make_room_for_new_ones_past_the_cap(client, world):
    from mockserver.core.state.fault_rules import MAX_RULES
    first = await add(client, route="GET /balances", status=500, times=1)
    assert (await call(client, world, "GET", "/balances")).status == 500
    for _ in range(MAX_RULES - 1):
        await add(client, route="POST /invoices", status=500)
    newest = await add(client, route="GET /balances", status=502)   # the spent one makes room
    ids = [f["id"] for f in (await (await client.get("/_sandbox/faults")).json())["faults"]]
    assert first["id"] not in ids and newest["id"] in ids and len(ids) == MAX_RULES
    resp = await client.post("/_sandbox/faults", json={"provider": "cryptopayment", "status": 500})
    assert resp.status == 409      # all live: nothing to forget


@pytest.mark.parametrize("rule, message", [
    ({"route": "POST /invoice"}, "unknown route 'POST /invoice' for cryptopayment (did you mean 'POST /invoices'?)"),
    ({"route": "GET /balance"}, "(did you mean 'GET /balances'?)"),
    ({"route": "PUT /invoices"}, "unknown route 'PUT /invoices' for cryptopayment"),
    ({"route": "POST /cryptopayment/api/v1/invoice"}, "(did you mean 'POST /cryptopayment/api/v1/invoices'?)"),
    ({"route": "GET /invoices/{id}"}, "(did you mean 'GET /invoices/{invoice_id}'?)"),
    ({"provider": "cryptopaymnet"}, "unknown provider 'cryptopaymnet' (did you mean 'cryptopayment'?)"),
    ({"provider": "alppay", "route": "POST /payments"}, "for alppay (did you mean 'POST /payment'?)"),
])
async def test_a_rule_that_matches_nothing_is_refused_with_a_did_you_mean(client, world, rule, message):
    resp = await client.post("/_sandbox/faults", json={"provider": "cryptopayment", "status": 503, **rule})
    assert resp.status == 400
    assert message in (await resp.json())["error"]["message"]
    assert world.faults.rules == {}


@pytest.mark.parametrize("provider, route", [
    ("cryptopayment", "POST /invoices"), ("cryptopayment", "* /invoices"), ("cryptopayment", "HEAD /balances"),
    ("cryptopayment", "GET /cryptopayment/api/v1/invoices/{invoice_id}"),
    ("cryptopayment", "GET /cryptopayment/pay/{invoice_id}"),      # a hosted page, outside the API base
    ("alppay", "POST /payment"), ("alt5pay", "POST /usr/wallet/{asset}/create"),
])
async def test_every_mounted_route_is_accepted_full_or_relative(client, world, provider, route):
    resp = await client.post("/_sandbox/faults", json={"provider": provider, "route": route, "status": 503})
    assert resp.status == 201, await resp.text()


async def test_429_with_retry_after_only_on_its_route(client, world):
    await add(client, route="POST /invoices", status=429, retry_after=7)
    resp = await call(client, world, "GET", "/balances")
    assert resp.status == 200  # another route is untouched
    resp = await call(client, world, "POST", "/invoices", INVOICE)
    assert resp.status == 429 and resp.headers["Retry-After"] == "7"


async def test_full_route_template_and_other_provider_untouched(client, world):
    await add(client, route="GET /cryptopayment/api/v1/invoices/{invoice_id}", status=500)
    created = await (await call(client, world, "POST", "/invoices", INVOICE)).json()
    resp = await call(client, world, "GET", f"/invoices/{created['invoice']['id']}")
    assert resp.status == 500


async def test_merchant_header_match(client, world):
    merchants = world.backend("cryptopayment").merchants
    merchants.append({**merchants[0], "api_key": "pk_other_merchant_key_000000000"})
    p = world.providers["cryptopayment"]
    # CryptoPayment's credential: Authorization: Bearer <api_key>:<api_secret>
    value = p.client_request(merchants[1], "GET", "/balances", None)[0]["Authorization"]
    await add(client, header={"Authorization": value}, status=502)
    assert (await call(client, world, "GET", "/balances")).status == 200
    assert (await call(client, world, "GET", "/balances", merchant=1)).status == 502


async def test_empty_answer(client, world):
    await add(client, route="POST /invoices", empty=True, status=200, times=1)
    resp = await call(client, world, "POST", "/invoices", INVOICE)
    assert resp.status == 200 and await resp.read() == b""
    assert await invoices(world) == 0


async def test_reset_drops_the_connection(client, world):
    await add(client, route="POST /invoices", reset=True, times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(client, world, "POST", "/invoices", INVOICE)
    assert await invoices(world) == 0
    assert (await call(client, world, "POST", "/invoices", INVOICE)).status == 201


async def test_malformed_chunk_breaks_the_body(client, world):
    await add(client, route="POST /invoices", malformed_chunk=True, times=1)
    with pytest.raises(aiohttp.ClientPayloadError):
        resp = await call(client, world, "POST", "/invoices", INVOICE)
        await resp.read()
    assert await invoices(world) == 0


async def test_timeout_holds_longer_than_the_client_waits(client, world):
    await add(client, route="POST /invoices", timeout=True, hold_ms=2000, times=1)
    with pytest.raises(asyncio.TimeoutError):
        await call(client, world, "POST", "/invoices", INVOICE,
                   timeout=aiohttp.ClientTimeout(total=0.2))
    assert await invoices(world) == 0


async def test_latency_alone_answers_correctly(client, world):
    await add(client, route="GET /balances", latency_ms=150, times=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    resp = await call(client, world, "GET", "/balances")
    assert resp.status == 200 and loop.time() - started >= 0.14


async def test_probability_is_seeded_and_spares_the_story_rng(client, world):
    rng_state = world.rng.getstate()
    await add(client, route="GET /balances", status=500, probability=0.5)
    first = [(await call(client, world, "GET", "/balances")).status for _ in range(12)]
    assert set(first) == {200, 500}
    assert world.rng.getstate() == rng_state  # ids and addresses of the story do not move
    await client.post("/_sandbox/reset")
    await add(client, route="GET /balances", status=500, probability=0.5)
    again = [(await call(client, world, "GET", "/balances")).status for _ in range(12)]
    assert again == first


async def test_list_delete_one_and_all(client, world):
    one = await add(client, status=500)
    await add(client, status=503)
    listed = (await (await client.get("/_sandbox/faults")).json())["faults"]
    assert [f["id"] for f in listed] == [one["id"], listed[1]["id"]]
    assert (await client.delete(f"/_sandbox/faults/{one['id']}")).status == 200
    assert (await client.delete(f"/_sandbox/faults/{one['id']}")).status == 404
    assert (await (await client.delete("/_sandbox/faults")).json()) == {"cleared": 1}
    assert (await call(client, world, "GET", "/balances")).status == 200


@pytest.mark.parametrize("rule", [
    {}, {"provider": "nope", "status": 500}, {"provider": "cryptopayment"},
    {"provider": "cryptopayment", "status": 200}, {"provider": "cryptopayment", "status": 500, "reset": True},
    {"provider": "cryptopayment", "route": "invoices", "status": 500},
    {"provider": "cryptopayment", "status": 500, "times": 0},
    {"provider": "cryptopayment", "status": 500, "probability": 2},
    {"provider": "cryptopayment", "reset": True, "retry_after": 3},
    {"provider": "cryptopayment", "latency_ms": -1}, {"provider": "cryptopayment", "bogus": 1},
    {"provider": "cryptopayment", "header": {"x": 1}, "status": 500}, [],
])
async def test_bad_rules_are_refused_in_admin_shape(client, world, rule):
    resp = await client.post("/_sandbox/faults", json=rule)
    assert resp.status == 400
    assert "message" in (await resp.json())["error"]
    assert world.faults.rules == {}
