"""Authentication as ALT 5 Pay documents it, and as its public clients really sign."""
from __future__ import annotations

import json

import pytest
from alt5pay_helpers import M1, M2, NODE, authentication, headers_for, node_eval

CREATE = "/alt5pay/usr/wallet/btc/create"


def now_ts(world) -> int:
    return int(world.clock.wall_now().timestamp())  # a client signs with real time


async def post(client, path, raw: bytes | str, headers):
    resp = await client.post(path, data=raw.encode() if isinstance(raw, str) else raw, headers=headers)
    return resp.status, resp.headers, await resp.json()


async def test_docs_order_url_second_verifies(client, world):
    ts = now_ts(world)
    raw = (f'{{"ref_id":"mk1231sa11","url":"https://yourwebhookurl.com","timestamp":{ts},'
           f'"nonce":900288,"currency":"USD"}}')
    # The docs' own example string, keys in body order.
    body_string = f"ref_id=mk1231sa11&url=https://yourwebhookurl.com&timestamp={ts}&nonce=900288&currency=USD"
    status, _, body = await post(client, CREATE, raw, headers_for(M1, body_string))
    assert status == 200, body
    assert body["status"] == "success" and body["data"]["ref_id"] == "mk1231sa11"


def signed_orders(world) -> list[str]:
    return [e["signed"] for e in world.journal.query(kind="alt5pay.auth")]


async def test_node_order_url_last_verifies(client, world):
    ts = now_ts(world)
    raw = f'{{"ref_id":"n-1","timestamp":{ts},"nonce":4242,"currency":"CAD","url":"https://shop.example/ipn?a=1&b=2"}}'
    body_string = f"ref_id=n-1&timestamp={ts}&nonce=4242&currency=CAD&url=https://shop.example/ipn?a=1&b=2"
    status, _, body = await post(client, CREATE, raw, headers_for(M1, body_string))
    assert status == 200, body
    assert signed_orders(world) == ["body order"]


async def test_docs_fixed_order_verifies_whatever_the_json_order(client, world):
    """[D] url second and currency last, as the docs place them, even when the JSON has them elsewhere."""
    ts = now_ts(world)
    raw = (f'{{"currency":"EUR","nonce":4243,"url":"https://shop.example/ipn?a=1&b=2",'
           f'"timestamp":{ts},"ref_id":"d-1"}}')
    docs = f"ref_id=d-1&url=https://shop.example/ipn?a=1&b=2&timestamp={ts}&nonce=4243&currency=EUR"
    status, _, body = await post(client, CREATE, raw, headers_for(M1, docs))
    assert status == 200, body
    assert body["data"]["ref_id"] == "d-1"
    # The same JSON signed in its own order verifies too (a Node client), recorded as such.
    raw2 = raw.replace("4243", "4244")
    own = f"currency=EUR&nonce=4244&url=https://shop.example/ipn?a=1&b=2&timestamp={ts}&ref_id=d-1"
    status, _, body = await post(client, CREATE, raw2, headers_for(M1, own))
    assert status == 200, body
    assert signed_orders(world) == ["docs order", "body order"]


async def test_docs_order_of_another_endpoint_sample(client, world):
    """Each endpoint's own docs sample fixes its order: /usr/price signs coin, currency, timestamp, nonce."""
    ts = now_ts(world)
    raw = f'{{"timestamp":{ts},"nonce":77,"currency":"CAD","coin":"ETH"}}'
    status, _, body = await post(client, "/alt5pay/usr/price", raw,
                                 headers_for(M1, f"coin=ETH&currency=CAD&timestamp={ts}&nonce=77"))
    assert status == 200, body
    assert signed_orders(world) == ["docs order"]


async def test_signature_in_neither_order_names_both_in_the_hint(client, world):
    ts = now_ts(world)
    raw = f'{{"ref_id":"x-1","timestamp":{ts},"nonce":5,"currency":"CAD","url":"https://h.example/i"}}'
    wrong = f"url=https://h.example/i&ref_id=x-1&timestamp={ts}&nonce=5&currency=CAD"   # neither order
    status, headers, body = await post(client, CREATE, raw, headers_for(M1, wrong))
    assert (status, body) == (401, {"status": "error", "message": "Access Invalid"})
    reason = headers["X-Sandbox-Reason"]
    assert "body's key order (ref_id,timestamp,nonce,currency,url)" in reason
    assert "docs' fixed order (ref_id,url,timestamp,nonce,currency)" in reason
    assert signed_orders(world) == [] and world.backend("alt5pay").wallets == {}


async def test_hint_with_odd_keys_is_a_safe_header(client, world):
    ts = now_ts(world)
    raw = json.dumps({"ref_id": "o", "k\r\nX-Evil: 1": "v", "ключ": 1, "timestamp": ts, "nonce": 6},
                     ensure_ascii=False, separators=(",", ":"))
    status, headers, body = await post(client, CREATE, raw, headers_for(M1, "nope"))
    assert status == 401 and "X-Evil" not in headers
    assert "\\u043a" in headers["X-Sandbox-Reason"]


async def test_woocommerce_pretty_body_numbers_as_written(client, world):
    """Pretty-printed JSON; bodyString with nested compact JSON, `false`, numbers as written."""
    ts = now_ts(world)
    nonce = ts // 1000
    raw = f"""{{
    "contact": {{"email": "ana@example.com", "firstname": "Ana", "postal_zip": "H2X/1Y4"}},
    "ref_id": "WC-1001",
    "items": [{{"item": "Café crème", "cost": 10.50, "quantity": 1}}],
    "total_amount": 10.50,
    "currency": "USD",
    "due_date": "2025-01-20",
    "sendemail": false,
    "url": "https://shop.example/?wc-api=alt5pay",
    "timestamp": {ts},
    "nonce": {nonce}
}}"""
    body_string = ('contact={"email":"ana@example.com","firstname":"Ana","postal_zip":"H2X/1Y4"}'
                   '&ref_id=WC-1001&items=[{"item":"Café crème","cost":10.50,"quantity":1}]'
                   '&total_amount=10.50&currency=USD&due_date=2025-01-20&sendemail=false'
                   f'&url=https://shop.example/?wc-api=alt5pay&timestamp={ts}&nonce={nonce}')
    status, _, body = await post(client, "/alt5pay/usr/invoice/create", raw, headers_for(M1, body_string))
    assert status == 200, body
    assert body["data"]["ref_id"] == "WC-1001"
    # The plugin repeats its nonce (timestamp/1000) for ~16 minutes: a new timestamp is fine.
    world.clock.advance(__import__("datetime").timedelta(seconds=7))
    ts2 = ts + 7
    raw2 = raw.replace(f'"timestamp": {ts}', f'"timestamp": {ts2}')
    status, _, body = await post(client, "/alt5pay/usr/invoice/create", raw2,
                                 headers_for(M1, body_string.replace(f"timestamp={ts}", f"timestamp={ts2}")))
    assert status == 200, body


async def test_reformatted_number_does_not_verify(client, world):
    ts = now_ts(world)
    raw = f'{{"ref_id":"r","total_amount":10.50,"timestamp":{ts},"nonce":7}}'
    status, _, _ = await post(client, "/alt5pay/usr/invoice/create", raw,
                              headers_for(M1, f"ref_id=r&total_amount=10.5&timestamp={ts}&nonce=7"))
    assert status == 401


@pytest.mark.parametrize("case", ["wrong_key", "wrong_merchant", "bad_signature", "unknown_key",
                                  "missing_header", "not_base64", "no_timestamp", "millis"])
async def test_rejections_use_the_error_shape_and_change_nothing(client, world, case):
    ts = now_ts(world)
    body = {"ref_id": "rej-1", "timestamp": ts, "nonce": 11}
    if case == "no_timestamp":
        del body["timestamp"]
    if case == "millis":
        body["timestamp"] = ts * 1000
    raw = json.dumps(body, separators=(",", ":"))
    bs = "&".join(f"{k}={v}" for k, v in body.items())
    headers = headers_for(M1, bs)
    if case == "wrong_key":         # a well-formed header made with another merchant's secret
        headers["authentication"] = authentication({**M1, "secret": M2["secret"]}, bs)
    elif case == "wrong_merchant":
        headers["merchant_id"] = M2["merchant_id"]
    elif case == "bad_signature":
        headers["authentication"] = authentication(M1, bs + "x")
    elif case == "unknown_key":
        headers["apikey"] = "0" * 40
    elif case == "missing_header":
        del headers["merchant_id"]
    elif case == "not_base64":
        headers["authentication"] = "%%%not-base64%%%"
    status, resp_headers, payload = await post(client, CREATE, raw, headers)
    assert status == 401
    assert payload == {"status": "error", "message": "Access Invalid"}
    assert resp_headers["X-Sandbox-Reason"]
    assert world.backend("alt5pay").wallets == {}


async def test_replay_is_refused_but_not_a_repeated_nonce(client, world):
    ts = now_ts(world)
    raw = f'{{"ref_id":"rp","timestamp":{ts},"nonce":5}}'
    headers = headers_for(M1, f"ref_id=rp&timestamp={ts}&nonce=5")
    assert (await post(client, CREATE, raw, headers))[0] == 200
    status, resp_headers, payload = await post(client, CREATE, raw, headers)
    assert (status, payload["message"]) == (401, "Access Invalid")
    assert "replay" in resp_headers["X-Sandbox-Reason"]
    assert len(world.backend("alt5pay").wallets) == 1
    # Same nonce, next second: a new request.
    raw2 = f'{{"ref_id":"rp","timestamp":{ts + 1},"nonce":5}}'
    assert (await post(client, CREATE, raw2, headers_for(M1, f"ref_id=rp&timestamp={ts + 1}&nonce=5")))[0] == 200


async def test_stale_timestamp_is_refused(client, world):
    ts = now_ts(world)
    fresh = f'{{"ref_id":"s","timestamp":{ts},"nonce":1}}'
    assert (await post(client, CREATE, fresh, headers_for(M1, f"ref_id=s&timestamp={ts}&nonce=1")))[0] == 200
    old = ts - 302  # real time may tick a second between signing and checking: keep a margin
    raw = f'{{"ref_id":"s","timestamp":{old},"nonce":2}}'
    status, resp_headers, payload = await post(client, CREATE, raw, headers_for(M1, f"ref_id=s&timestamp={old}&nonce=2"))
    assert (status, payload["message"]) == (401, "Access Invalid")
    assert "from real time" in resp_headers["X-Sandbox-Reason"]
    within = ts - 298
    raw = f'{{"ref_id":"s","timestamp":{within},"nonce":3}}'
    assert (await post(client, CREATE, raw, headers_for(M1, f"ref_id=s&timestamp={within}&nonce=3")))[0] == 200


async def test_window_is_300s_either_side_of_real_time_whatever_the_virtual_clock(client, world):
    await client.post("/_sandbox/clock/advance", json={"by": "6h"})   # virtual time runs ahead
    ts = now_ts(world)
    for offset, expected in ((-302, 401), (302, 401), (-298, 200), (298, 200), (0, 200)):
        raw = f'{{"ref_id":"c","timestamp":{ts + offset},"nonce":9}}'
        status, _, _ = await post(client, CREATE, raw, headers_for(M1, f"ref_id=c&timestamp={ts + offset}&nonce=9"))
        assert status == expected, offset


@pytest.mark.parametrize("raw,status", [
    (b"{not json", 400), (b"[1,2]", 400), (b"\xff\xfe", 400), (b'{"a":NaN}', 400)])
async def test_malformed_bodies_are_400_in_provider_shape(client, raw, status):
    resp = await client.post(CREATE, data=raw, headers={"apikey": M1["apikey"]})
    assert resp.status == status
    assert (await resp.json())["status"] == "error"


async def test_contract_violation_is_4xx_and_changes_nothing(client, world):
    ts = now_ts(world)
    raw = f'{{"ref_id":"","timestamp":{ts},"nonce":1,"currency":"GBP"}}'
    status, headers, payload = await post(client, CREATE, raw,
                                          headers_for(M1, f"ref_id=&timestamp={ts}&nonce=1&currency=GBP"))
    assert status == 422 and payload["status"] == "error"
    assert "X-Sandbox-Contract-Violation" in headers
    assert world.backend("alt5pay").wallets == {}
    # Not remembered as seen: the corrected request with the same nonce passes.
    raw = f'{{"ref_id":"ok","timestamp":{ts},"nonce":1}}'
    assert (await post(client, CREATE, raw, headers_for(M1, f"ref_id=ok&timestamp={ts}&nonce=1")))[0] == 200


async def test_unknown_route_and_method_use_provider_shape(client):
    resp = await client.post("/alt5pay/usr/nothing")
    assert resp.status == 404 and (await resp.json())["status"] == "error"
    resp = await client.get("/alt5pay/usr/price")
    assert resp.status == 405 and (await resp.json())["status"] == "error"


@pytest.mark.skipif(not NODE, reason="node not installed")
async def test_a_node_crypto_client_signature_verifies(client, world):
    """The Node client shape: Object.entries -> k=v, JSON.stringify for objects, createHmac."""
    ts = now_ts(world)
    script = f"""
const crypto = require('crypto');
const body = {{ref_id: 'node-∆', items: [{{item: 'x/y', cost: 2.5}}], all: false, timestamp: {ts}, nonce: 77,
  url: 'https://h.example/ipn'}};
const bodyString = Object.entries(body).map(([k, v]) => `${{k}}=${{typeof v === 'object' ? JSON.stringify(v) : v}}`).join('&');
const digest = crypto.createHmac('sha512', '{M1["secret"]}').update(bodyString).digest('hex');
process.stdout.write(JSON.stringify({{raw: JSON.stringify(body),
  auth: Buffer.from('{M1["apikey"]}:' + digest).toString('base64')}}));
"""
    out = json.loads(node_eval(script))
    headers = {"apikey": M1["apikey"], "merchant_id": M1["merchant_id"], "authentication": out["auth"]}
    status, _, body = await post(client, CREATE, out["raw"], headers)
    assert status == 200, body


ENDPOINTS = ["/usr/wallet/btc/create", "/usr/wallet/transactions", "/usr/wallet/transactionsbytx",
             "/usr/wallet/transactionsbyref", "/usr/wallet/addressbyref", "/usr/price",
             "/usr/invoice/create", "/usr/balances", "/usr/fees", "/usr/transactions", "/usr/request_payment",
             "/usr/payments"]
TAKES_NO_REQUIRED_PARAMS = {"/usr/balances", "/usr/fees", "/usr/transactions", "/usr/payments"}
BAD_BODIES = [
    {"ref_id": 5, "address": 5, "txid": 5, "coin": 5, "total_amount": [], "all": "yes"},
    {"ref_id": {"a": [1, None]}, "address": None, "txid": [], "coin": None, "currency": "XXX", "all": 1},
    {"ref_id": "x" * 5000, "total_amount": "1e13", "currency": "usd"},
    {"total_amount": 1e300, "ref_id": "big", "coin": "BTC", "address": "a", "txid": "t", "currency": 5},
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("bad", range(len(BAD_BODIES)))
async def test_bad_input_is_4xx_in_provider_shape_everywhere(api, world, path, bad):
    status, body = await api(path, BAD_BODIES[bad])
    if path in TAKES_NO_REQUIRED_PARAMS:
        assert status == 200        # nothing required: unknown keys are ignored
        return
    assert 400 <= status < 500, (path, body)
    assert body["status"] == "error" and body["message"]
    backend = world.backend("alt5pay")
    assert backend.wallets == {} and backend.invoices == {} and backend.settlements == []


async def test_absurdly_deep_json_is_400(client, world):
    ts = now_ts(world)
    deep = "[" * 900 + "]" * 900
    raw = f'{{"ref_id":"d","x":{deep},"timestamp":{ts},"nonce":1}}'
    resp = await client.post(CREATE, data=raw, headers=headers_for(M1, f"ref_id=d&x={deep}&timestamp={ts}&nonce=1"))
    assert 400 <= resp.status < 500
    assert (await resp.json())["status"] == "error"
