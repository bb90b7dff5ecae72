"""Webhook payloads: the order's fields (views.py) signed, and the bytes sent.

Field names are the docs' own [D]. Off-ramp: where the docs' table and sample disagree
(``cryptoacturalAmount``/``rampfee`` in the table, ``cryptoActualAmount``/``rampFee`` in the sample)
the sandbox uses the sample's spelling [A]. Every field is a string; a field with nothing to say
is "" (the docs' samples do the same). FINISHED-only USD fields appear only on FINISHED; a PAY_FAIL
carries returnCode/returnMsg and no ``message`` [D].
[A] Webhook bodies go out as compact JSON with keys sorted; ``newSignature`` covers that body
without its two signature fields and without empty values (see auth.py).
"""
from __future__ import annotations

import json
from typing import Any

from . import auth
from .model import BUY, Order
from .views import off_ramp_fields, on_ramp_fields

def payload(order: Order, status: str, secret: str, timestamp: str) -> dict[str, str]:
    """The webhook body for `status`, both signatures included."""
    fields = on_ramp_fields(order, status) if order.side == BUY else off_ramp_fields(order, status)
    fields["signature"] = auth.webhook_signature(order.app_id, secret, order.order_no, order.crypto,
                                                 order.network, order.address)
    fields["newSignature"] = auth.webhook_new_signature(secret, timestamp, order.callback_url, fields)
    return fields


def encode(body: dict[str, Any]) -> bytes:
    """The bytes sent: every field (empty ones too), keys sorted, compact JSON [A]."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
