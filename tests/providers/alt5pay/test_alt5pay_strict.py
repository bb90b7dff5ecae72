"""Issue 21 for ALT 5 Pay: the rows of docs/providers/alt5pay.md "What production refuses" where the
sandbox is lenient on its own assumption, refused under the merchant setting `strict: true`
(audit rows A4, A5). Signatures computed here from the published formula."""
from __future__ import annotations

import base64

from alt5pay_helpers import M1, cryptojs_hmac_sha512_hex, headers_for

CREATE = "/alt5pay/usr/wallet/btc/create"


def now_ts(world) -> int:
    return int(world.clock.wall_now().timestamp())


async def post(client, path: str, raw: str, headers: dict) -> tuple[int, dict]:
    resp = await client.post(path, data=raw.encode(), headers=headers)
    return resp.status, await resp.json()


async def strict(client, on: bool = True) -> None:
    resp = await client.patch("/_sandbox/providers/alt5pay/merchant", json={"strict": on})
    assert resp.status == 200, await resp.text()


def upper_headers(body_string: str) -> dict:
    digest = cryptojs_hmac_sha512_hex(M1["secret"], body_string).upper()
    token = base64.b64encode(f"{M1['apikey']}:{digest}".encode()).decode()
    return {**headers_for(M1, body_string), "authentication": token}


async def test_uppercase_hex_digest_passes_unless_strict(client, world):
    """A4: the docs compute the digest with CryptoJS.enc.Hex (lowercase) and say nothing of case.
    [A] the sandbox compares case-insensitively; strict wants the lowercase CryptoJS prints."""
    ts = now_ts(world)
    raw = f'{{"ref_id":"up-1","timestamp":{ts},"nonce":501}}'
    status, body = await post(client, CREATE, raw, upper_headers(f"ref_id=up-1&timestamp={ts}&nonce=501"))
    assert status == 200, body
    await strict(client)
    raw = f'{{"ref_id":"up-2","timestamp":{ts},"nonce":502}}'
    status, body = await post(client, CREATE, raw, upper_headers(f"ref_id=up-2&timestamp={ts}&nonce=502"))
    assert status == 401 and body == {"status": "error", "message": "Access Invalid"}, body
    status, body = await post(client, CREATE, raw, headers_for(M1, f"ref_id=up-2&timestamp={ts}&nonce=502"))
    assert status == 200, body


async def test_the_json_bodys_own_key_order_passes_unless_strict(client, world):
    """A5: the docs fix the bodyString's order ("url and/or currency ... must be added as follows":
    ref_id, url, timestamp, nonce, currency). Public Node clients sign their body's own order (url
    last) [C]; production's choice is not known. The sandbox takes both; strict only the docs'."""
    ts = now_ts(world)
    raw = f'{{"ref_id":"n-1","timestamp":{ts},"nonce":601,"currency":"CAD","url":"https://shop.example/ipn"}}'
    own = f"ref_id=n-1&timestamp={ts}&nonce=601&currency=CAD&url=https://shop.example/ipn"
    docs = f"ref_id=n-1&url=https://shop.example/ipn&timestamp={ts}&nonce=601&currency=CAD"
    status, body = await post(client, CREATE, raw, headers_for(M1, own))
    assert status == 200, body
    await strict(client)
    raw2, own2, docs2 = (text.replace("n-1", "n-2").replace("601", "602") for text in (raw, own, docs))
    status, body = await post(client, CREATE, raw2, headers_for(M1, own2))
    assert status == 401 and body["message"] == "Access Invalid", body
    status, body = await post(client, CREATE, raw2, headers_for(M1, docs2))   # the docs' order, same JSON
    assert status == 200, body


async def test_php_json_encode_nesting_passes_unless_strict(client, world):
    """[A] A nested value signed the way PHP's json_encode prints it (`\\/`, `\\u00e9`) passes; strict
    wants the compact JSON the docs' example shows (`/` and non-ASCII as they are)."""
    ts = now_ts(world)

    def request(ref: str, nonce: int) -> tuple[str, str]:
        raw = (f'{{"contact":{{"email":"ana@example.com","firstname":"Andr\u00e9","postal_zip":"H2X/1Y4"}},'
               f'"ref_id":"{ref}","items":[{{"item":"Tea","cost":5,"quantity":1}}],"total_amount":5,'
               f'"currency":"USD","due_date":"2025-01-20","sendemail":false,"timestamp":{ts},"nonce":{nonce}}}')
        php = ('contact={"email":"ana@example.com","firstname":"Andr\\u00e9","postal_zip":"H2X\\/1Y4"}'
               f'&ref_id={ref}&items=[{{"item":"Tea","cost":5,"quantity":1}}]&total_amount=5&currency=USD'
               f'&due_date=2025-01-20&sendemail=false&timestamp={ts}&nonce={nonce}')
        return raw, php

    raw, php = request("PHP-1", 701)
    status, body = await post(client, "/alt5pay/usr/invoice/create", raw, headers_for(M1, php))
    assert status == 200, body
    await strict(client)
    raw, php = request("PHP-2", 702)
    status, body = await post(client, "/alt5pay/usr/invoice/create", raw, headers_for(M1, php))
    assert status == 401, body


# The IPN fields in the order the docs list them (and their sample shows).
IPN_ORDER = ["ref_id", "price", "amount", "total", "date_time", "transaction_id", "coin", "network", "currency",
             "confirmation", "status", "fee", "source_address", "type"]


async def test_ipn_keys_follow_the_docs_order(api, admin, receiver):
    rec = await receiver([200])
    await admin("/providers/alt5pay/merchant", {"webhook_url": rec.url}, method="PATCH")
    _, created = await api("/usr/wallet/btc/create", {"ref_id": "order-ipn"})
    await admin("/simulate/alt5pay/pay", {"address": created["data"]["address"], "amount": "0.001"})
    await admin("/clock/run", {})
    raw = rec.requests[0]["body"]
    import json
    assert [k for k, _ in json.loads(raw, object_pairs_hook=lambda pairs: pairs)] == IPN_ORDER
