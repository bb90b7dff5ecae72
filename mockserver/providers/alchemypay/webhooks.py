"""Webhook payloads, their ``timestamp`` header, and the acknowledgement rule.

Field names are the docs' own [D] (views.py builds them). FINISHED-only USD fields appear only on
FINISHED; a PAY_FAIL carries returnCode/returnMsg and no ``message`` [D].
Shaped like the docs' samples [D]: the keys go out in the order of the on-ramp and off-ramp payload
samples (which are not sorted: a verifier must sort before signing, as the Webhook Signature page
says); [A] fields a sample lacks (merchantUid, message, returnCode, returnMsg) follow, in the field
table's order. Numbers as the samples write them (views.py). [A] Compact JSON, non-ASCII as UTF-8;
the off-ramp body escapes ``< > & = '`` as ``\\u003c`` etc., as its sample's ``sellOrderId\\u003d``
shows (Gson's default). ``newSignature`` covers the body without its two signature fields and
without empty values, keys sorted (see auth.py), under the callbackUrl's path only [D].

``timestamp`` header [D: 13-digit ms, "used for signature verification"]: receivers compare it
with their own clock, so by default it is real time (``clock.wall_now()``), not the virtual clock
that may have run hours ahead. Body fields that tell the story (payTime, txTime, completeTime,
receiptTime) stay on the virtual clock. The merchant/option setting ``webhook_clock: virtual``
puts the virtual clock in the header instead, so a journal replays byte for byte. newSignature is
always computed with the header's value. [A] A retry resends the same bytes and header.

Acknowledgement [D: "Retrying will stop once we receive an HTTP 200 response with a success
message"]; the exact rule is [A]: the status is exactly 200, and the body (surrounding whitespace
removed) is either
  1. the word ``success`` in any case, bare or as a JSON string (``success``, ``SUCCESS``, ``"success"``), or
  2. a JSON object whose ``success`` is ``true``, or in which one of ``result``, ``message``, ``msg``,
     ``status``, ``code``, ``returnMsg`` is a string equal to ``success`` in any case.
So ``{"success":false}``, ``{"message":"not success"}``, ``OK``, an empty body, or a 201/204 are not
acknowledgements.
"""
from __future__ import annotations

import json
from typing import Any

from . import auth
from .model import BUY, Order
from .views import off_ramp_fields, on_ramp_fields

ACK_FIELDS = ("result", "message", "msg", "status", "code", "returnMsg")
CLOCKS = ("wall", "virtual")


# The docs' payload samples, key by key (rebateFiatAmount/rebateUsdAmount: only with the rebate
# feature, which the sandbox has not; they are never sent).
ON_RAMP_ORDER = ("payTime", "txTime", "signature", "networkFee", "rebateFiatAmount", "rawRampFee", "fiatInUSD",
                 "network", "cryptoPrice", "payType", "rampFee", "appId", "fiat", "newSignature", "txHash",
                 "email", "rampFeeInUSD", "amount", "orderNo", "address", "cryptoNetworkFee", "networkFeeInUSD",
                 "cryptoAmountInUSDT", "rebateUsdAmount", "merchantOrderNo", "crypto", "rampFeeUnit",
                 "cryptoQuantity", "status")
OFF_RAMP_ORDER = ("orderNo", "address", "payTime", "completeTime", "merchantOrderNo", "crypto", "network",
                  "cryptoPrice", "cryptoAmount", "fiatAmount", "appId", "fiat", "txHash", "email", "signature",
                  "status", "orderAddress", "cryptoActualAmount", "rampFee", "receiptTime", "paymentType", "name",
                  "newSignature", "account", "card", "failReason")
_GSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "=": "\\u003d", "'": "\\u0027"}


def _in_sample_order(fields: dict[str, str], order: tuple[str, ...]) -> dict[str, str]:
    ordered = {k: fields[k] for k in order if k in fields}
    ordered.update((k, v) for k, v in fields.items() if k not in ordered)
    return ordered


def payload(order: Order, status: str, secret: str, timestamp: str) -> dict[str, str]:
    """The webhook body for `status`, both signatures included, in the docs' sample order."""
    fields = on_ramp_fields(order, status) if order.side == BUY else off_ramp_fields(order, status)
    fields["signature"] = auth.webhook_signature(order.app_id, secret, order.order_no, order.crypto,
                                                 order.network, order.address)
    fields["newSignature"] = auth.webhook_new_signature(secret, timestamp, order.callback_url, fields)
    return _in_sample_order(fields, ON_RAMP_ORDER if order.side == BUY else OFF_RAMP_ORDER)


def encode(body: dict[str, Any], side: str = BUY) -> bytes:
    """The bytes sent: every field (empty ones too) in the body's order, compact JSON; the off-ramp
    body with Gson's HTML-safe escapes, as its sample shows."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if side != BUY:     # the five characters only ever occur inside strings, where the escape is equal
        text = text.translate(str.maketrans(_GSON_ESCAPES))
    return text.encode()


def header_timestamp(world, clock_setting: Any) -> str:
    """13-digit ms for the ``timestamp`` header: wall clock unless the setting says virtual."""
    moment = world.clock.now() if str(clock_setting).strip().lower() == "virtual" else world.clock.wall_now()
    return str(int(moment.timestamp() * 1000))


def _is_success_word(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "success"


def ack_success(status: int, body: bytes) -> bool:
    """The acknowledgement rule above."""
    if status != 200:
        return False
    text = body.decode("utf-8", "replace").strip()
    if _is_success_word(text):
        return True
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    if _is_success_word(parsed):
        return True
    if not isinstance(parsed, dict):
        return False
    return parsed.get("success") is True or any(_is_success_word(parsed.get(k)) for k in ACK_FIELDS)
