"""Alchemy Pay's published formulas, written out again for the tests (never the server's code)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

APP_ID = "sbx7alc0d3k9q2mp"
SECRET = "T5wQ8nY2rK4hS6jD"
V4 = "/open/api/v4/merchant"
# a TRX address of the shape Alchemy's Network Code table gives (^T + 33 base58 characters); the
# webhook sample's "TKBSr2wessawfsBra9p7opSyRGfuXrrT" is two characters short of it
TRX_ADDRESS = "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8"


def _clean(value):
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", {}, [])}
    return value


def sorted_body(body: dict | None) -> str:
    if not body:
        return ""
    return json.dumps(_clean(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def post_wire(client, world, path: str, wire: bytes, signed: str, token: str | None = None):
    """POST `wire` as the body with a v4 sign over `signed` (what a client got wrong, or right)."""
    ts = ms(world)
    headers = {"appId": APP_ID, "timestamp": ts, "sign": hmac_b64(SECRET, ts + "POST" + path + signed),
               "Content-Type": "application/json"}
    if token:
        headers["access-token"] = token
    return await client.post("/alchemypay" + path, data=wire, headers=headers)


def hmac_b64(secret: str, message: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


def v4_headers(ts: str, method: str, path: str, query: dict | None = None, body: dict | None = None,
               *, app_id: str = APP_ID, secret: str = SECRET, header_name: str = "appId") -> dict:
    pairs = sorted((k, str(v)) for k, v in (query or {}).items() if v not in (None, ""))
    signed_path = path + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")
    sign = hmac_b64(secret, ts + method + signed_path + (sorted_body(body) if method == "POST" else ""))
    return {header_name: app_id, "timestamp": ts, "sign": sign}


def legacy_headers(ts: str, *, app_id: str = APP_ID, secret: str = SECRET) -> dict:
    return {"appId": app_id, "timestamp": ts,
            "sign": hashlib.sha1((app_id + secret + ts).encode()).hexdigest()}


def ms(world) -> str:
    return str(int(world.clock.wall_now().timestamp() * 1000))


AUTO = object()
USER_EMAIL = "buyer@example.com"


async def get_token(client, world, email: str = USER_EMAIL, **kw) -> str:
    """A login-free user token from POST getToken, as the docs' Create Order expects."""
    body = {"email": email}
    headers = v4_headers(ms(world), "POST", f"{V4}/getToken", body=body, **kw)
    resp = await client.post(f"/alchemypay{V4}/getToken", data=sorted_body(body),
                             headers={**headers, "Content-Type": "application/json"})
    data = await resp.json()
    assert resp.status == 200, data
    return data["data"]["accessToken"]


async def post(client, world, path: str, body: dict, *, raw: bytes | None = None, token=AUTO, **kw):
    """A signed POST; trade/create also carries an access-token (token=None sends none)."""
    headers = v4_headers(ms(world), "POST", path, body=body, **kw)
    if token is AUTO:
        token = await get_token(client, world, **kw) if path.endswith("/trade/create") else None
    if token:
        headers["access-token"] = token
    data = raw if raw is not None else sorted_body(body).encode()
    return await client.post("/alchemypay" + path, data=data,
                             headers={**headers, "Content-Type": "application/json"})


async def get(client, world, path: str, query: dict, **kw):
    headers = v4_headers(ms(world), "GET", path, query=query, **kw)
    # the query goes out unsorted on purpose: the signature covers the sorted form
    qs = urlencode(list(reversed(list(query.items()))))
    return await client.get(f"/alchemypay{path}?{qs}", headers=headers)


def buy_body(**over) -> dict:
    body = {"side": "BUY", "merchantOrderNo": "ORD-1", "amount": "100", "fiatCurrency": "USD",
            "cryptoCurrency": "USDT", "depositType": 2, "address": TRX_ADDRESS,
            "network": "TRX", "payWayCode": "10001", "alpha2": "US", "redirectUrl": "",
            "callbackUrl": "http://127.0.0.1:9/never"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def sell_body(**over) -> dict:
    body = {"side": "SELL", "merchantOrderNo": "SELL-1", "amount": "100", "fiatCurrency": "USD",
            "cryptoCurrency": "USDT", "depositType": 2, "network": "TRX", "payWayCode": "10001",
            "alpha2": "US", "callbackUrl": "http://127.0.0.1:9/never"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def webhook_signature(payload: dict, secret: str = SECRET) -> str:
    p = payload
    text = p["appId"] + secret + p["appId"] + p["orderNo"] + p["crypto"] + p["network"] + p["address"]
    return hashlib.sha1(text.encode()).hexdigest()


def webhook_new_signature(payload: dict, timestamp: str, callback_path: str, secret: str = SECRET) -> str:
    unsigned = {k: v for k, v in payload.items() if k not in ("signature", "newSignature")}
    return hmac_b64(secret, timestamp + "POST" + callback_path + sorted_body(unsigned))


PAGES = {"buy": "/index/rampPageBuy", "sell": "/index/rampPageSell"}


def ramp_query(side: str, params: dict, ts: str, *, app_id: str = APP_ID, secret: str = SECRET) -> dict:
    """A hosted ramp page's query as the docs sign it: timestamp + GET + page path + ? + sorted
    non-empty parameters (decoded), HMAC-SHA256 with the appSecret, base64."""
    query = {k: str(v) for k, v in params.items() if v not in (None, "")}
    query.update(appId=app_id, timestamp=ts)
    signed = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    query["sign"] = hmac_b64(secret, ts + "GET" + PAGES[side] + "?" + signed)
    return query


async def open_page(client, world, side: str, path: str | None = None, **params):
    query = ramp_query(side, params, ms(world))
    return await client.get("/alchemypay" + (path or PAGES[side]), params=query)


async def sell_on_page(client, world, body: dict) -> str:
    """Open the off-ramp page for a sell_body()-shaped order; the orderNo, found as a merchant would
    find it: query/trade by its merchantOrderNo."""
    params = {"crypto": body["cryptoCurrency"], "network": body["network"], "fiat": body["fiatCurrency"],
              "cryptoAmount": body["amount"], "merchantOrderNo": body["merchantOrderNo"],
              "country": body.get("alpha2"), "callbackUrl": body.get("callbackUrl"), "showTable": "sell",
              "type": "sell"}
    resp = await open_page(client, world, "sell", **params)
    assert resp.status == 200, await resp.text()
    found = await get(client, world, f"{V4}/query/trade", {"merchantOrderNo": body["merchantOrderNo"], "side": "SELL"})
    data = await found.json()
    assert found.status == 200, data
    return data["data"]["orderNo"]
