"""What `mockserver certify` needs to judge an ALT 5 Pay IPN handler.

[D] header `signature` = hex HMAC-SHA512 of the raw body with the merchant's secret: any changed
byte needs a new signature. [D] only 200 stops the re-posting (1, 2, 4 ... 1280 minutes).
The earlier event is the `Pending` IPN, which the sandbox sends on request only (`ipn_pending`,
set while certifying and restored after) [A]. IPNs name the merchant's `ref_id`, not the invoice.
Unknown object [A]: the docs name no answer for it; only 200 ends 21 hours of re-posting.
"""
from __future__ import annotations

import secrets

from ...core.webhooks.outbox import ack_http_200
from ..base import Certification
from . import jsjson
from .auth import ipn_signature


def encode(body: dict) -> bytes:
    return jsjson.dumps_bytes(body)


def sign(merchant: dict, body: dict, headers: dict, url: str) -> tuple[dict, bytes]:
    raw = encode(body)
    out = {k: v for k, v in headers.items() if k.lower() != "signature"}
    return {**out, "signature": ipn_signature(str(merchant.get("secret", "")), raw)}, raw


def other_key(merchant: dict) -> dict:
    return {**merchant, "secret": secrets.token_hex(32)}


CERTIFICATION = Certification(
    drive={"invoice": [{"pay": {"invoice": "{ref}", "asset": "usdt_tron"}}, {"advance": "1h"}],
           "address": [{"pay": {"address": "{ref}", "amount": 1}}, {"advance": "2h"}]},
    events=("ipn.pending", "ipn.paid"),
    object_fields=("ref_id", "transaction_id"),
    encode=encode, sign=sign, signatures=("header:signature",),
    tamper=("status", "Paid"),
    other_key=other_key,
    ack=ack_http_200, ack_rule="HTTP 200 (any body)",
    unknown_object="200: the ref_id will never be known, and only 200 stops 21 hours of re-posting [A]",
    settings={"ipn_pending": True},
)
