"""The shop's Alchemy Pay side (card to crypto, "on-ramp"), written from the provider's docs.

Requests carry `appId`, `timestamp` (ms) and `sign` = base64(HMAC-SHA256(appSecret, timestamp +
METHOD + path + body)), the body as sent: compact JSON, keys sorted, empty values left out.
A webhook is genuine when its `timestamp` header is recent (the shop's own rule: 5 minutes, so a
recorded delivery cannot be replayed), `signature` = SHA1(appId + appSecret + appId + orderNo +
crypto + network + address) and `newSignature` = the request formula over "POST", the webhook
path and the body without both signatures. Only `newSignature` covers the status: checking
`signature` alone would take a copy claiming FINISHED. The answer that stops the retries is
HTTP 200 with the word `success`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any, Mapping

FRESH_MS = 5 * 60 * 1000
WALLET = "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8"     # where the shop's USDT (TRC-20) goes


class AlchemyPayError(Exception):
    """Alchemy Pay refused a call or could not be reached."""


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", {}, [])}
    if isinstance(value, list):
        return [v for v in (_without_empty(v) for v in value) if v not in (None, "", {}, [])]
    return value


def body_text(body: Mapping | None) -> str:
    """What is signed and sent: compact JSON, keys sorted, empty values left out."""
    cleaned = _without_empty(dict(body or {}))
    return json.dumps(cleaned, sort_keys=True, separators=(",", ":"), ensure_ascii=False) if cleaned else ""


def sign(secret: str, timestamp: str, method: str, path: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}{method}{path}{body}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class AlchemyPay:
    def __init__(self, base_url: str, app_id: str, app_secret: str, timeout: float = 10.0):
        self.base_url, self.app_id, self.secret, self.timeout = base_url.rstrip("/"), app_id, app_secret, timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def create_order(self, order_id: str, amount_usd: str, email: str = "buyer@example.com") -> dict:
        """A card-to-USDT order for `order_id`; its orderNo and payUrl (the provider's payment page)."""
        token = self._call("POST", "/open/api/v4/merchant/getToken", {"email": email})["accessToken"]
        return self._call("POST", "/open/api/v4/merchant/trade/create", {
            "side": "BUY", "merchantOrderNo": order_id, "amount": amount_usd, "fiatCurrency": "USD",
            "cryptoCurrency": "USDT", "depositType": 2, "address": WALLET, "network": "TRX",
            "payWayCode": "10001", "alpha2": "US"}, {"access-token": token})

    def _call(self, method: str, path: str, body: dict, headers: dict | None = None) -> dict:
        text, timestamp = body_text(body), str(int(time.time() * 1000))
        request = urllib.request.Request(self.base_url + path, data=text.encode(), method=method, headers={
            "appId": self.app_id, "timestamp": timestamp, "sign": sign(self.secret, timestamp, method, path, text),
            "Content-Type": "application/json", **(headers or {})})
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                answer = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise AlchemyPayError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None
        except (OSError, ValueError) as exc:
            raise AlchemyPayError(f"{method} {path}: {exc}") from None
        if not answer.get("success"):
            raise AlchemyPayError(f"{method} {path}: {answer.get('returnCode')} {answer.get('returnMsg')}")
        return answer["data"]

    def genuine(self, timestamp: str, path: str, raw: bytes) -> dict | None:
        """The webhook's body when it is genuine and recent, else None."""
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > FRESH_MS:
            return None
        try:
            event = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(event, dict) or event.get("appId") != self.app_id:
            return None
        parts = [str(event.get(k, "")) for k in ("orderNo", "crypto", "network", "address")]
        old = hashlib.sha1(f"{self.app_id}{self.secret}{self.app_id}{''.join(parts)}".encode()).hexdigest()
        unsigned = {k: v for k, v in event.items() if k not in ("signature", "newSignature")}
        new = sign(self.secret, timestamp, "POST", path, body_text(unsigned))
        if not (hmac.compare_digest(old, str(event.get("signature", "")))
                and hmac.compare_digest(new, str(event.get("newSignature", "")))):
            return None
        return event
