"""Test-side knowledge of CryptoPayment.center, written from its docs (not the server's helpers)."""
import base64
import hashlib
import hmac
import json

from mockserver.providers.cryptopayment import PROVIDER

MERCHANT = PROVIDER.default_merchants()[0]  # fake sandbox credentials, as the banner shows them


def documented_signature(app_key_b64: str, invoice_id: str, event: str) -> str:
    """hex(HMAC-SHA256(key=base64decode(APP_KEY), msg=invoice_id + "." + event)), per the docs."""
    return hmac.new(base64.b64decode(app_key_b64), f"{invoice_id}.{event}".encode(), hashlib.sha256).hexdigest()


def signature_ok(body: bytes) -> bool:
    data = json.loads(body)
    expected = documented_signature(MERCHANT["app_key"], data.get("invoice_id", ""), data.get("event", ""))
    return hmac.compare_digest(expected, str(data.get("signature", "")))


def bearer() -> dict:
    return {"Authorization": f"Bearer {MERCHANT['api_key']}:{MERCHANT['api_secret']}",
            "Content-Type": "application/json"}
