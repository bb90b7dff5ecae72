"""What `mockserver certify` needs to judge an AlfaBit Pay callback handler.

[D] callbacks come only from AlfaBit's published addresses: a handler refuses any other source
(the sandbox sends from `callback_source_address`, standing in for them, and behind a proxy adds
`X-Forwarded-For` with `callback_forwarded_for`). That is the only documented check: the
`signature` field's formula is unpublished, so by default nothing in the body can be verified and
the signature checks are left out; a merchant with `callback_signature: hmac` (the sandbox's own
reading [A]: HMAC-SHA256 with the API key of the body without it, compact, in the order received)
gets them. [C/A] any 2xx acknowledges.
Unknown object [A]: the docs name no answer for it; a 2xx ends the retries.
"""
from __future__ import annotations

from ..base import Certification
from ...core.webhooks.outbox import ack_any_2xx
from .auth import HMAC, compact, hmac_signature, signature_mode
from .webhooks import DEFAULT_SOURCE

FOREIGN_ADDRESS = "127.0.0.9"       # a local address that is not the callback source
FOREIGN_FORWARDED = "203.0.113.7"   # not one of the published addresses (documentation range)


def encode(body: dict) -> bytes:
    return compact(body).encode()


def sign(merchant: dict, body: dict, headers: dict, url: str) -> tuple[dict, bytes]:
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    # by default the field only has to keep its shape (64 hex); with callback_signature: hmac, its value
    return headers, encode({**unsigned, "signature": hmac_signature(str(merchant.get("api_key", "")), unsigned)})


def other_key(merchant: dict) -> dict:
    return {**merchant, "api_key": "afb_sbx_AnotherMerchantKey0000000000000"}


def sources(merchant: dict) -> tuple[tuple[str, dict], tuple[str, dict]]:
    """Where a genuine callback comes from, and a source the handler must refuse."""
    address = merchant.get("callback_source_address") or DEFAULT_SOURCE
    forwarded = merchant.get("callback_forwarded_for")
    if forwarded:   # behind a proxy: the handler reads the client from X-Forwarded-For
        return (address, {"X-Forwarded-For": str(forwarded)}), (address, {"X-Forwarded-For": FOREIGN_FORWARDED})
    return (address, {}), (FOREIGN_ADDRESS, {})


CERTIFICATION = Certification(
    drive={"invoice": [{"pay": {"order": "{ref}"}}, {"advance": "3m"}]},
    events=("invoiceWaitConfirms", "success"),
    object_fields=("uid", "id", "comment"),
    encode=encode, sign=sign, signatures=("field:signature",),
    tamper=("status", "success"),
    other_key=other_key,
    ack=ack_any_2xx, ack_rule="any 2xx",
    unknown_object="2xx: the order will never be known, and any other answer is retried for 1h51m [A]",
    sources=sources,
    verifiable=lambda merchant: signature_mode(merchant) == HMAC,
)
