"""/_sandbox/*: the admin API's happy paths and its errors, always {"error": {"message", "status"}}."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)  # tests/conftest.py's start instant

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


async def now(client) -> datetime:
    resp = await client.get("/_sandbox/clock")
    return datetime.fromisoformat((await resp.json())["now"])


async def test_health(client):
    resp = await client.get("/_sandbox/health")
    body = await resp.json()
    assert resp.status == 200
    assert body["status"] == "ok" and body["seed"] == 1234
    assert "cryptopayment" in body["providers"]
    assert body["clock"]["mode"] == "virtual"


async def test_clock_view_and_advance(client):
    resp = await client.get("/_sandbox/clock")
    view = await resp.json()
    assert datetime.fromisoformat(view["now"]) == START == datetime.fromisoformat(view["start"])
    assert view["elapsed"] == "0s" and view["pending_events"] == 0 and view["next_event_at"] is None

    resp = await client.post("/_sandbox/clock/advance", json={"by": "5m"})
    out = await resp.json()
    assert resp.status == 200 and out["elapsed"] == "5m" and out["events_run"] == 0
    resp = await client.post("/_sandbox/clock/advance?by=1h30m")
    assert (await resp.json())["elapsed"] == "1h35m"
    target = START + timedelta(days=1)
    resp = await client.post("/_sandbox/clock/advance", json={"to": target.isoformat().replace("+00:00", "Z")})
    assert resp.status == 200 and await now(client) == target
    resp = await client.post("/_sandbox/clock/advance", json={"to": target.isoformat()})  # same instant is fine
    assert resp.status == 200 and await now(client) == target


async def test_clock_run_goes_to_the_last_event(client):
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                              json={"network": "trc20", "amount_usd": 5})
    assert resp.status == 201
    view = await (await client.get("/_sandbox/clock")).json()
    assert view["pending_events"] == 1
    assert datetime.fromisoformat(view["next_event_at"]) == START + timedelta(minutes=30)
    resp = await client.post("/_sandbox/clock/run", json={})
    out = await resp.json()
    assert out["events_run"] == 1 and datetime.fromisoformat(out["now"]) == START + timedelta(minutes=30)
    assert out["pending_events"] == 0


async def test_clock_run_respects_the_horizon(client):
    await client.post("/cryptopayment/api/v1/invoices", headers=AUTH, json={"network": "trc20", "amount_usd": 5})
    out = await (await client.post("/_sandbox/clock/run", json={"horizon": "10m"})).json()
    assert out["events_run"] == 0 and out["pending_events"] == 1
    assert datetime.fromisoformat(out["now"]) == START


async def test_reset_forgets_everything(client):
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                             json={"network": "trc20", "amount_usd": 5})
    invoice = (await resp.json())["invoice"]
    await client.post("/_sandbox/clock/advance", json={"by": "1h"})
    out = await (await client.post("/_sandbox/reset")).json()
    assert out["status"] == "reset" and out["seed"] == 1234
    assert await now(client) == START
    assert await (await client.get("/_sandbox/journal")).json() == []
    assert await (await client.get("/_sandbox/deliveries")).json() == []
    resp = await client.get(f"/cryptopayment/api/v1/invoices/{invoice['id']}", headers=AUTH)
    assert resp.status == 404
    # same seed, same story: the first id after a reset is the first id after start
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                             json={"network": "trc20", "amount_usd": 5})
    again = (await resp.json())["invoice"]
    assert (again["id"], again["address"]) == (invoice["id"], invoice["address"])


async def test_providers_listing(client):
    out = await (await client.get("/_sandbox/providers")).json()
    cp = out["cryptopayment"]
    assert cp["base_url"].endswith("/cryptopayment/api/v1")
    assert cp["replaces"] == "https://cryptopayment.center/api/v1"
    assert set(cp["simulations"]) >= {"pay", "confirm", "expire", "approve_withdrawal", "reject_withdrawal"}


# (method, path, body (raw bytes or JSON-able), expected status)
ADMIN_ERRORS = {
    "unknown-provider-simulate": ("POST", "/_sandbox/simulate/nope/pay", {}, 404),
    "unknown-provider-merchant": ("PATCH", "/_sandbox/providers/nope/merchant", {"webhook_url": "x"}, 404),
    "unknown-simulation": ("POST", "/_sandbox/simulate/cryptopayment/explode", {}, 404),
    "simulate-body-not-object": ("POST", "/_sandbox/simulate/cryptopayment/pay", [1], 400),
    "simulate-bad-amount": ("POST", "/_sandbox/simulate/cryptopayment/pay", {"invoice": "x", "amount": "abc"}, 404),
    "bad-duration-word": ("POST", "/_sandbox/clock/advance", {"by": "soon"}, 400),
    "bad-duration-unit": ("POST", "/_sandbox/clock/advance", {"by": "5x"}, 400),
    "negative-duration": ("POST", "/_sandbox/clock/advance", {"by": "-5m"}, 400),
    "negative-seconds": ("POST", "/_sandbox/clock/advance", {"by": -1}, 400),
    "bool-duration": ("POST", "/_sandbox/clock/advance", {"by": True}, 400),
    "list-duration": ("POST", "/_sandbox/clock/advance", {"by": [5]}, 400),
    "empty-duration": ("POST", "/_sandbox/clock/advance", {"by": ""}, 400),
    "huge-float-duration": ("POST", "/_sandbox/clock/advance", {"by": 1e308}, 400),
    "huge-days": ("POST", "/_sandbox/clock/advance", {"by": "99999999999999d"}, 400),
    "past-year-9999": ("POST", "/_sandbox/clock/advance", {"by": "9000000d"}, 400),
    "bad-duration-query": ("POST", "/_sandbox/clock/advance?by=later", None, 400),
    "clock-backwards": ("POST", "/_sandbox/clock/advance", {"to": "2020-01-01T00:00:00Z"}, 400),
    "clock-to-garbage": ("POST", "/_sandbox/clock/advance", {"to": "next tuesday"}, 400),
    "advance-body-not-object": ("POST", "/_sandbox/clock/advance", [], 400),
    "advance-malformed-json": ("POST", "/_sandbox/clock/advance", b'{"by": ', 400),
    "advance-nan": ("POST", "/_sandbox/clock/advance", b'{"by": NaN}', 400),
    "run-bad-horizon": ("POST", "/_sandbox/clock/run", {"horizon": "forever"}, 400),
    "run-huge-horizon": ("POST", "/_sandbox/clock/run", {"horizon": "9000000d"}, 400),
    "run-body-not-object": ("POST", "/_sandbox/clock/run", [1], 400),
    "unknown-delivery": ("GET", "/_sandbox/deliveries/dlv_424242", None, 404),
    "redeliver-unknown": ("POST", "/_sandbox/deliveries/../redeliver", None, 404),
    "deliveries-bad-limit": ("GET", "/_sandbox/deliveries?limit=ten", None, 400),
    "journal-negative-since": ("GET", "/_sandbox/journal?since=-1", None, 400),
    "journal-bad-limit": ("GET", "/_sandbox/journal?limit=abc", None, 400),
    "merchant-bad-timeout": ("PATCH", "/_sandbox/providers/cryptopayment/merchant", {"webhook_timeout": "slow"}, 400),
    "merchant-zero-timeout": ("PATCH", "/_sandbox/providers/cryptopayment/merchant", {"webhook_timeout": 0}, 400),
    "merchant-huge-timeout": ("PATCH", "/_sandbox/providers/cryptopayment/merchant", {"webhook_timeout": 500}, 400),
    "merchant-index": ("PATCH", "/_sandbox/providers/cryptopayment/merchant?index=7", {"webhook_url": "x"}, 404),
    "merchant-body-list": ("PATCH", "/_sandbox/providers/cryptopayment/merchant", ["x"], 400),
    "chain-unknown-network": ("POST", "/_sandbox/chain/transfers", {"network": "nope", "address": "a", "amount": 1}, 400),
    "chain-negative": ("POST", "/_sandbox/chain/transfers", {"network": "btc", "address": "a", "amount": -1}, 400),
    "chain-no-address": ("POST", "/_sandbox/chain/transfers", {"network": "btc", "amount": 1}, 400),
    "unknown-admin-route": ("GET", "/_sandbox/nothing-here", None, 404),
}


@pytest.mark.parametrize("name", sorted(ADMIN_ERRORS))
async def test_admin_errors(client, world, name):
    method, path, body, status = ADMIN_ERRORS[name]
    before_clock = await now(client)
    before_merchant = dict(world.backend("cryptopayment").merchants[0])
    kwargs = ({"data": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, bytes)
              else ({"json": body} if body is not None else {}))
    resp = await client.request(method, path, **kwargs)
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == "application/json"
    assert "Traceback" not in text
    out = json.loads(text)
    assert set(out) == {"error"} and set(out["error"]) >= {"message", "status"}
    assert out["error"]["status"] == status and isinstance(out["error"]["message"], str) and out["error"]["message"]
    assert await now(client) == before_clock
    assert world.backend("cryptopayment").merchants[0] == before_merchant


async def test_unknown_provider_error_names_the_known_ones(client):
    out = await (await client.post("/_sandbox/simulate/nope/pay", json={})).json()
    assert "nope" in out["error"]["message"] and "cryptopayment" in out["error"]["message"]


async def test_chain_transfer_to_any_address(client):
    resp = await client.post("/_sandbox/chain/transfers",
                             json={"network": "btc", "address": "tb1qexampleaddress", "amount": "0.5"})
    tx = await resp.json()
    assert resp.status == 201 and tx["amount"] == "0.5" and tx["confirmations"] == 0
    await client.post("/_sandbox/clock/advance", json={"by": "30m"})
    listed = await (await client.get("/_sandbox/chain/transfers?address=tb1qexampleaddress")).json()
    assert [(t["txid"], t["confirmations"]) for t in listed] == [(tx["txid"], 3)]


async def test_journal_query_and_export(client):
    await client.post("/cryptopayment/api/v1/invoices", headers=AUTH, json={"network": "trc20", "amount_usd": 5})
    await client.get("/cryptopayment/api/v1/balances", headers=AUTH)
    entries = await (await client.get("/_sandbox/journal?kind=api&provider=cryptopayment")).json()
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 201), ("GET", 200)]
    last = await (await client.get("/_sandbox/journal?limit=1")).json()
    assert last == entries[-1:]
    after = await (await client.get(f"/_sandbox/journal?since={entries[0]['seq']}")).json()
    assert after == entries[1:]
    resp = await client.get("/_sandbox/journal/export")
    assert resp.content_type == "application/x-ndjson"
    lines = (await resp.text()).splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [e["seq"] for e in entries]


@pytest.mark.parametrize("provider, body, field", [
    ("cryptopayment", {"webhook_url": "http://[::1"}, "webhook_url"),
    ("cryptopayment", {"webhook_url": 123}, "webhook_url"),
    ("cryptopayment", {"webhook_url": "/relative/hook"}, "webhook_url"),
    ("cryptopayment", {"webhook_url": "http://192.0.2.1/hook"}, "webhook_url"),
    ("cryptopayment", {"app_key": "not base64!"}, "app_key"),
    ("cryptopayment", {"api_key": "k\u00e9y"}, "api_key"),
    ("cryptopayment", {"webhook_timeout": "soon"}, "webhook_timeout"),
    ("alt5pay", {"webhook_url": "http://127.0.0.1:99999/x"}, "webhook_url"),
    ("alppay", {"ip_whitelist": ["10.0.0.300"]}, "ip_whitelist"),
    ("alfabit", {"webhook_url": "ftp://127.0.0.1/x"}, "webhook_url"),
])
async def test_merchant_settings_are_refused_when_set_and_nothing_changes(client, world, provider, body, field):
    """A setting that would break deliveries or calls later is a 400 naming the field now, and a
    refused PATCH leaves the merchant as it was."""
    before = dict(world.backend(provider).merchants[0])
    resp = await client.patch(f"/_sandbox/providers/{provider}/merchant", json=body)
    assert resp.status == 400
    assert field in (await resp.json())["error"]["message"]
    assert world.backend(provider).merchants[0] == before


async def test_a_usable_webhook_url_is_accepted_and_a_timeout_normalised(client, world):
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_url": "http://127.0.0.1:9/hook", "webhook_timeout": 3})
    assert resp.status == 200
    merchant = world.backend("cryptopayment").merchants[0]
    assert merchant["webhook_url"] == "http://127.0.0.1:9/hook" and merchant["webhook_timeout"] == 3.0


async def test_objects_lists_what_a_merchants_app_created_with_its_reference(client):
    auth = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
    assert await (await client.get("/_sandbox/objects?provider=cryptopayment")).json() == []
    created = await (await client.post("/cryptopayment/api/v1/invoices", headers=auth,
                                       json={"network": "trc20", "amount_usd": 5, "order_id": "ORD-9"})).json()
    listed = await (await client.get("/_sandbox/objects?provider=cryptopayment")).json()
    assert listed == [{"provider": "cryptopayment", "kind": "invoice", "id": created["invoice"]["id"],
                       "status": "pending", "reference": "ORD-9", "created": created["invoice"]["created_at"]}]
    assert [o["id"] for o in await (await client.get("/_sandbox/objects")).json()] == [created["invoice"]["id"]]
    unknown = await client.get("/_sandbox/objects?provider=nope")
    assert unknown.status == 404 and "unknown provider" in (await unknown.json())["error"]["message"]
