"""Requests for the load generator: each provider's create and get call with its real auth.

Providers that sign per request with a timestamp and a nonce (ALT 5 Pay, Alchemy Pay) get a pool
of distinct pre-signed requests, signed with the current time just before the run (ALT 5 Pay
refuses a replayed nonce; both check a few minutes of real time). The signatures follow the
published formulas, written out here independently of the server's code.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
from typing import Callable

Request = tuple[str, str, dict, str]   # method, path, headers, body
MAX_RATE = 10_000   # req/s a pre-signed pool is sized for; beyond it requests repeat (and are refused)


def _call(origin: str, method: str, path: str, headers: dict, body: str) -> dict:
    req = urllib.request.Request(origin + path, data=body.encode() if body else None, method=method,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def merchants(origin: str) -> dict:
    return {name: info["merchants"][0] for name, info in _call(origin, "GET", "/_sandbox/providers", {}, "").items()}


# -- CryptoPayment.center: Bearer key:secret ------------------------------------------------------
def cryptopayment(origin: str, m: dict, n: int) -> tuple[list[Request], list[Request]]:
    auth = {"Authorization": f"Bearer {m['api_key']}:{m['api_secret']}", "Content-Type": "application/json"}
    body = json.dumps({"network": "trc20", "amount_usd": 50.00, "order_id": "ORD-BENCH",
                       "metadata": {"customer_id": "usr_001"}})
    create = ("POST", "/cryptopayment/api/v1/invoices", auth, body)
    invoice = _call(origin, *create)["invoice"]["id"]
    return [create], [("GET", f"/cryptopayment/api/v1/invoices/{invoice}", auth, "")]


# -- AlfaBit Pay: x-api-key -------------------------------------------------------------------------
def alfabit(origin: str, m: dict, n: int) -> tuple[list[Request], list[Request]]:
    headers = {"x-api-key": m["api_key"], "Content-Type": "application/json"}
    create = ("POST", "/alfabit/api/v1/integration/orders/invoice", headers,
              json.dumps({"currencyInCode": "USDTTRC20", "invoiceAmount": "25"}))
    uid = _call(origin, *create)["data"]["uid"]
    return [create], [("GET", f"/alfabit/api/v1/integration/orders/{uid}", {"x-api-key": m["api_key"]}, "")]


# -- ALPPAY: API-KEY + X-HMAC (hex HMAC-SHA256 of the raw body) -------------------------------------
def alppay(origin: str, m: dict, n: int) -> tuple[list[Request], list[Request]]:
    body = json.dumps({"amount": "100.00", "asset": {"short": "USDT", "network": "tron"},
                       "customer": {"id": 12312312, "name": "John", "email": "john@example.com"}},
                      separators=(",", ":"))
    headers = {"API-KEY": m["api_key"], "Content-Type": "application/json",
               "X-HMAC": hmac.new(m["hmac_key"].encode(), body.encode(), hashlib.sha256).hexdigest()}
    create = ("POST", "/alppay/v2/payment", headers, body)
    payment = _call(origin, *create)["id"]
    return [create], [("GET", f"/alppay/v2/payment/{payment}", {"API-KEY": m["api_key"]}, "")]


# -- ALT 5 Pay: body stamped with timestamp + nonce, HMAC-SHA512 over the Node bodyString ----------
def _alt5_signed(m: dict, path: str, body: dict) -> Request:
    body_string = "&".join(f"{k}={v}" for k, v in body.items())
    digest = hmac.new(m["secret"].encode(), body_string.encode(), hashlib.sha512).hexdigest()
    headers = {"apikey": m["apikey"], "merchant_id": m["merchant_id"], "Content-Type": "application/json",
               "authentication": base64.b64encode(f"{m['apikey']}:{digest}".encode()).decode()}
    return "POST", path, headers, json.dumps(body, separators=(",", ":"))


def alt5pay(origin: str, m: dict, n: int) -> tuple[list[Request], list[Request]]:
    now = int(time.time())
    create = [_alt5_signed(m, "/alt5pay/usr/invoice/create",
                           {"ref_id": f"B{i}", "total_amount": 25, "currency": "USD", "timestamp": now,
                            "nonce": 10_000_000 + i}) for i in range(n + 1)]
    invoice = _call(origin, *create.pop())["data"]["invoice_id"]
    # the status call has no authentication [C]: a WooCommerce plugin posts an empty body
    return create, [("POST", f"/alt5pay/invoice/{invoice}", {}, "")]


# -- Alchemy Pay v4: appId, timestamp (ms), sign = b64 HMAC-SHA256(ts+method+path[?q]+sortedBody) --
V4 = "/open/api/v4/merchant"


def _alchemy_signed(m: dict, method: str, path: str, ts: str, query: str = "", body: dict | None = None,
                    extra: dict | None = None) -> Request:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")) if body else ""
    message = ts + method + path + (f"?{query}" if query else "") + raw
    sign = base64.b64encode(hmac.new(m["app_secret"].encode(), message.encode(), hashlib.sha256).digest()).decode()
    headers = {"appId": m["app_id"], "timestamp": ts, "sign": sign, **(extra or {})}
    if body:
        headers["Content-Type"] = "application/json"
    return method, "/alchemypay" + path + (f"?{query}" if query else ""), headers, raw


def alchemypay(origin: str, m: dict, n: int) -> tuple[list[Request], list[Request]]:
    ms = int(time.time() * 1000)
    token = _call(origin, *_alchemy_signed(m, "POST", f"{V4}/getToken", str(ms),
                                           body={"email": "buyer@example.com"}))["data"]["accessToken"]
    create = []
    for i in range(n + 1):
        body = {"side": "BUY", "merchantOrderNo": f"B-{i}", "amount": "100", "fiatCurrency": "USD",
                "cryptoCurrency": "USDT", "depositType": 2, "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8",
                "network": "TRX", "payWayCode": "10001", "alpha2": "US",
                "callbackUrl": "http://127.0.0.1:9/never"}
        create.append(_alchemy_signed(m, "POST", f"{V4}/trade/create", str(ms + i), body=body,
                                      extra={"access-token": token}))
    order = _call(origin, *create.pop())["data"]["orderNo"]
    get = [_alchemy_signed(m, "GET", f"{V4}/order/detail", str(ms + i), query=f"orderNo={order}")
           for i in range(min(n, 2000))]   # no replay check on reads: a smaller pool is enough
    return create, get


PROVIDERS: dict[str, Callable[[str, dict, int], tuple[list[Request], list[Request]]]] = {
    "cryptopayment": cryptopayment, "alt5pay": alt5pay, "alchemypay": alchemypay,
    "alfabit": alfabit, "alppay": alppay}


def pool_file(pool: list[Request]) -> str:
    """One request a line (tab-separated method, path, headers, body; headers as key\x1fvalue
    pairs joined by \x1e), the count first: read by LUA_SCRIPT at wrk's thread start."""
    lines = [str(len(pool))]
    for method, path, headers, body in pool:
        fields = (method, path, "\x1e".join(f"{k}\x1f{v}" for k, v in headers.items()), body)
        assert not any(ch in f for f in fields for ch in "\t\n"), "a request field holds a tab or newline"
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


# With two threads each takes every other request, so no pre-signed request is sent twice until
# the pool wraps.
LUA_SCRIPT = """
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
local reqs, i = {}, 0
function init(args)
  local total, k = nil, 0
  for line in io.lines(args[1]) do
    if total == nil then
      total = tonumber(line)
    else
      k = k + 1
      if total == 1 or (k - 1) % 2 == id then
        local method, path, hdrs, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
        local headers = {}
        for pair in hdrs:gmatch("[^\x1e]+") do
          local key, value = pair:match("^([^\x1f]*)\x1f(.*)$")
          headers[key] = value
        end
        reqs[#reqs + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
      end
    end
  end
end
function request() i = i % #reqs + 1; return reqs[i] end
"""
