"""What `mockserver certify` needs to judge an ALPPAY webhook handler.

[D] `X-HMAC` is hex HMAC-SHA256 of the raw body with the merchant's HMAC key: any changed byte,
a re-serialised body included, needs a new signature. [A] only 200 acknowledges; anything else is
retried after 1 min, 5 min, 15 min, 1 h and 4 h.
Unknown object [A]: the docs name no answer for it; 200 is what ends the retries.
"""
from __future__ import annotations

import json

from ...core.webhooks.outbox import ack_http_200
from ..base import Certification
from .auth import sign as hmac_sign


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(merchant: dict, body: dict, headers: dict, url: str) -> tuple[dict, bytes]:
    raw = encode(body)
    out = {k: v for k, v in headers.items() if k.lower() != "x-hmac"}
    return {**out, "X-HMAC": hmac_sign(str(merchant.get("hmac_key", "")), raw)}, raw


def other_key(merchant: dict) -> dict:
    return {**merchant, "hmac_key": "sk_sandbox_another_merchant_0001"}


CERTIFICATION = Certification(
    drive={"payment": [{"pay": {"payment": "{ref}"}}, {"advance": "1m"}]},
    events=("payment.OPEN", "payment.COMPLETED"),
    object_fields=("id", "invoice"),
    encode=encode, sign=sign, signatures=("header:X-HMAC",),
    tamper=("status", "COMPLETED"),
    other_key=other_key,
    ack=ack_http_200, ack_rule="HTTP 200 (any body)",
    unknown_object="200: nothing makes the payment known later, and any other answer is retried for 5h21m [A]",
)
