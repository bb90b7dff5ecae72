"""What `mockserver certify` needs to judge an Alchemy Pay webhook handler.

[D] `signature` = SHA1 over appId, appSecret, orderNo, crypto, network and address only;
`newSignature` = HMAC-SHA256 over the `timestamp` header, "POST", the callback path and every
non-empty field: a handler checking only `signature` takes a copy whose status was changed.
The `timestamp` header (13-digit ms) is what a handler checks for freshness: a copy signed an
hour ago is a replay. [D] retrying stops on HTTP 200 "with a success message" (webhooks.ack_success).
Unknown object [A]: the docs name no answer for it; only 200 with `success` stops the retries.
"""
from __future__ import annotations

import json

from ..base import Certification
from . import auth
from .webhooks import ack_success


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def sign(merchant: dict, body: dict, headers: dict, url: str) -> tuple[dict, bytes]:
    secret = str(merchant.get("app_secret", ""))
    timestamp = next((v for k, v in headers.items() if k.lower() == "timestamp"), "")
    signed = dict(body)
    signed["signature"] = auth.webhook_signature(
        str(body.get("appId", "")), secret, str(body.get("orderNo", "")), str(body.get("crypto", "")),
        str(body.get("network", "")), str(body.get("address", "")))
    signed["newSignature"] = auth.webhook_new_signature(secret, timestamp, url, signed)
    return headers, encode(signed)


def other_key(merchant: dict) -> dict:
    return {**merchant, "app_secret": "Q3rT7uY1iO5pA9sD"}


CERTIFICATION = Certification(
    drive={"order": [{"simulate": "pay", "params": {"order": "{ref}"}}, {"advance": "5m"},
                     {"simulate": "transfer", "params": {"order": "{ref}"}}, {"advance": "1m"}]},
    events=("on-ramp.PAY_SUCCESS", "on-ramp.FINISHED"),
    object_fields=("orderNo", "merchantOrderNo"),
    encode=encode, sign=sign, signatures=("field:signature", "field:newSignature"),
    tamper=("status", "FINISHED"),
    other_key=other_key,
    ack=ack_success, ack_rule='HTTP 200 with a "success" message (e.g. the body `success`)',
    unknown_object='200 "success": the order will never be known, and nothing else stops the retries [A]',
    timestamp="timestamp",
)
