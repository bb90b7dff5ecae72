"""A refused credential or signature says why, on every provider (issue 24, item 3): in the
X-Sandbox-Reason header and the journal entry, the formula, the exact string the sandbox signed
(with its length and hash) and the part that differed; never a secret.

Signatures here are computed independently, from each provider's published formula."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

CP_KEY, CP_SECRET = "pk_sandbox_4f3c2a1b9d8e7f60", "sk_sandbox_9a8b7c6d5e4f3a2b1c0d"
ALT5 = ("1238d6999a60383a1d641db885decbc1fe8e9953",
        "5f5eee0a43c72a165c5eef6a37155e6ce581ed31b70037d03239bc0dd84330ed", "62456d5a-b18d-8820-01a8-63cba95fca3d")
ALCHEMY = ("sbx7alc0d3k9q2mp", "T5wQ8nY2rK4hS6jD")
ALPPAY = ("ak_sandbox_7c1e4b9a2f6d8035", "sk_sandbox_3b8f0d6a9e2c4f1a")
ALFABIT_KEY = "afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2"
SECRETS = (CP_SECRET, ALT5[1], ALCHEMY[1], ALPPAY[1], "c2FuZGJveC1hcHAta2V5LWZvci13ZWJob29rcy0wMDE=")


async def _refused(client, method, path, *, expect_status, **kw) -> str:
    resp = await client.request(method, path, **kw)
    assert resp.status == expect_status, await resp.text()
    why = resp.headers.get("X-Sandbox-Reason")
    assert why, "no X-Sandbox-Reason on a refused credential"
    assert not [secret for secret in SECRETS if secret in why], "a reason never shows a secret"
    journal = await (await client.get("/_sandbox/journal?kind=api")).json()
    entries = journal["entries"] if isinstance(journal, dict) else journal
    assert entries[-1].get("reason", "").startswith(why[:200]), "the journal entry carries the reason"
    return why


def _alchemy_sign(ts: str, method: str, path: str, body: str) -> str:
    return base64.b64encode(hmac.new(ALCHEMY[1].encode(), f"{ts}{method}{path}{body}".encode(),
                                     hashlib.sha256).digest()).decode()


async def test_cryptopayment_names_the_secret_not_it(client):
    why = await _refused(client, "GET", "/cryptopayment/api/v1/balances", expect_status=401,
                         headers={"Authorization": f"Bearer {CP_KEY}:sk_wrong"})
    assert "Bearer API_KEY:API_SECRET" in why and "the secret after ':'" in why
    why = await _refused(client, "GET", "/cryptopayment/api/v1/balances", expect_status=401,
                         headers={"Authorization": f"Basic {CP_KEY}:{CP_SECRET}"})
    assert "not Bearer" in why


async def test_alt5pay_shows_the_body_string_it_signed(client):
    apikey, secret, merchant = ALT5
    body = {"ref_id": "R-1", "url": "http://127.0.0.1:9/ipn", "timestamp": int(time.time()), "nonce": 7,
            "currency": "USD"}
    wrong = "&".join(f"{k}={body[k]}" for k in sorted(body))    # sorted: neither order the docs allow
    digest = hmac.new(secret.encode(), wrong.encode(), hashlib.sha512).hexdigest()
    auth = base64.b64encode(f"{apikey}:{digest}".encode()).decode()
    why = await _refused(client, "POST", "/alt5pay/usr/wallet/btc/create", expect_status=401, json=body,
                         headers={"apikey": apikey, "merchant_id": merchant, "authentication": auth})
    docs_string = f"ref_id=R-1&url=http://127.0.0.1:9/ipn&timestamp={body['timestamp']}&nonce=7&currency=USD"
    assert f'the sandbox signed "{docs_string}" ({len(docs_string)} bytes, sha256 ' \
           f'{hashlib.sha256(docs_string.encode()).hexdigest()[:16]})' in why
    assert "key order" in why and "HMAC-SHA512" in why


async def test_alchemypay_names_the_slip(client):
    app_id, _secret = ALCHEMY
    ts = str(int(time.time() * 1000))
    path = "/open/api/v4/merchant/query/trade"
    query = {"side": "BUY", "merchantOrderNo": "ORD-1"}
    headers = {"appId": app_id, "timestamp": ts, "sign": _alchemy_sign(ts, "GET", path, "")}   # the query left out
    why = await _refused(client, "GET", f"/alchemypay{path}", params=query, expect_status=401, headers=headers)
    assert "query string was left out" in why and f"{ts}GET{path}?merchantOrderNo=ORD-1&side=BUY" in why
    # the body signed in the order a JS client wrote it, sent sorted
    fields = {"email": "a@example.com", "amount": "1"}
    sent = json.dumps(dict(sorted(fields.items())), separators=(",", ":"))
    token_path = "/open/api/v4/merchant/getToken"
    headers = {"appId": app_id, "timestamp": ts, "Content-Type": "application/json",
               "sign": _alchemy_sign(ts, "POST", token_path, json.dumps(fields, separators=(",", ":")))}
    why = await _refused(client, "POST", f"/alchemypay{token_path}", data=sent, expect_status=401, headers=headers)
    assert "key order" in why
    headers = {"appId": app_id, "timestamp": str(int(time.time() * 1000) - 900_000), "sign": "x"}
    why = await _refused(client, "GET", f"/alchemypay{path}", params=query, expect_status=401, headers=headers)
    assert "timestamp window" in why and "900 s" in why


async def test_alppay_says_what_was_signed_instead(client):
    api_key, hmac_key = ALPPAY
    body = {"amount": "250.00", "asset": {"short": "USDT", "network": "tron"}, "invoice": "INV-1"}
    spaced = json.dumps(body).encode()                      # what was sent: ", " and ": " spacing
    compact = json.dumps(body, separators=(",", ":")).encode()
    sig = hmac.new(hmac_key.encode(), compact, hashlib.sha256).hexdigest()   # what was signed
    why = await _refused(client, "POST", "/alppay/v2/payment", data=spaced, expect_status=401,
                         headers={"API-KEY": api_key, "X-HMAC": sig, "Content-Type": "application/json"})
    assert "compact re-serialisation" in why and f"({len(spaced)} bytes" in why
    b64 = base64.b64encode(hmac.new(hmac_key.encode(), compact, hashlib.sha256).digest()).decode()
    why = await _refused(client, "POST", "/alppay/v2/payment", data=compact, expect_status=401,
                         headers={"API-KEY": api_key, "X-HMAC": b64, "Content-Type": "application/json"})
    assert "base64; ALPPAY wants hex" in why


async def test_alfabit_names_the_missing_or_unknown_key(client):
    why = await _refused(client, "GET", "/alfabit/api/v1/integration/merchant", expect_status=401,
                         headers={"x-api-key": "afb_sbx_unknown"})
    assert "no merchant has the key" in why and "x-api-key: API_KEY" in why
    why = await _refused(client, "GET", "/alfabit/api/v1/integration/merchant", expect_status=401)
    assert "no x-api-key header" in why
