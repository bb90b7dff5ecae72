"""What `mockserver certify` needs to judge a CryptoPayment.center webhook handler.

[D] the signature covers only `invoice_id + "." + event`: a copy claiming another event, or
naming another invoice, no longer verifies; amounts are not signed (a handler re-reads them).
[D] 200 acknowledges; anything else is retried after 1 min, 5 min, 15 min, 1 h and 6 h.
Unknown object [A]: the docs name no answer for it; since every other answer is retried for
7 h 21 min and nothing will make the invoice known, the answer that ends it is 200.
"""
from __future__ import annotations

import base64
import json

from ...core.webhooks.outbox import ack_http_200
from ..base import Certification
from .auth import webhook_signature


def encode(body: dict) -> bytes:
    """Compact, in the given order, as the webhooks go out (money as parsed: 50.0, not 50.00)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def sign(merchant: dict, body: dict, headers: dict, url: str) -> tuple[dict, bytes]:
    signed = {**body, "signature": webhook_signature(str(merchant.get("app_key", "")),
                                                     str(body.get("invoice_id", "")), str(body.get("event", "")))}
    return headers, encode(signed)


def other_key(merchant: dict) -> dict:
    return {**merchant, "app_key": base64.b64encode(b"another-merchant-app-key-000001").decode()}


CERTIFICATION = Certification(
    drive={"invoice": [{"pay": {"invoice": "{ref}"}}, {"advance": "5m"}]},
    events=("payment.detected", "payment.confirmed"),
    object_fields=("invoice_id", "order_id"),
    encode=encode, sign=sign, signatures=("field:signature",),
    tamper=("event", "payment.confirmed"),
    other_key=other_key,
    ack=ack_http_200, ack_rule="HTTP 200 (any body)",
    unknown_object="200: the invoice will never be known, and any other answer is retried for 7h21m [A]",
)
