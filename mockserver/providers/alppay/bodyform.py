"""The form of a signed body, read as the HMAC page writes it.

[D] hmac: the data signed is the "raw request body (JSON without extra spaces or formatting)";
"Serialize your payload to a JSON string without changing field order"; "400 Bad Request:
malformed JSON or incorrect field order". The strict reading is the default (merchant setting
`signed_body: compact_in_order`): a body with whitespace outside its strings, or whose documented
fields come in another order than the docs' request samples, is a 400 even when its signature
matches. [A] `signed_body: as_sent` is the other reading: any bytes whose signature matches.
[A] fields the docs do not name are left out of the order check (they are accepted and ignored,
or refused under `strict: true`).
"""
from __future__ import annotations

import re
from typing import Any

from ...core.basics.errors import BadRequest, Unprocessable

# Each request body's documented fields, in the order of its docs sample and field list; nested
# objects by their parent's field name.
CUSTOMER = ("id", "name", "email")
ASSET = ("short", "network")
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "payment-create.request": {
        "": ("amount", "asset", "customer", "clientId", "invoice", "checkoutUrl"),
        "asset": ASSET, "customer": CUSTOMER},
    "withdrawal-create.request": {
        "": ("amount", "asset", "addressTo", "customer", "destTag", "invoice", "addressFrom", "clientId",
             "transferAll"),
        "asset": ASSET, "customer": CUSTOMER},
    "deposit-address-create.request": {"": ("assetNetwork", "assetShort", "number", "clientId")},
    "payment-action.request": {"": ()},
}
# optional fields whose JSON null the default reading takes as "absent" [A]
OPTIONAL = {
    "payment-create.request": ("clientId", "invoice", "checkoutUrl"),
    "withdrawal-create.request": ("addressFrom", "clientId", "transferAll"),
    "deposit-address-create.request": ("number", "clientId"),
    "payment-action.request": (),
}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SPACE = re.compile(r"[ \t\r\n]")


def check_compact(raw: bytes) -> None:
    """No whitespace outside string literals (the body already parsed as JSON)."""
    text = raw.decode("utf-8")
    if _SPACE.search(_STRING.sub('""', text)):
        raise BadRequest("Malformed JSON body: the signed body must be compact JSON, without extra "
                         "spaces or formatting")


def check_order(body: Any, contract: str) -> None:
    layout = LAYOUTS.get(contract)
    if layout is None or not isinstance(body, dict):
        return
    for parent, order in layout.items():
        node = body if parent == "" else body.get(parent)
        if not isinstance(node, dict):
            continue
        present = [key for key in node if key in order]
        for before, after in zip(present, present[1:]):
            if order.index(before) > order.index(after):
                where = f"{parent}." if parent else ""
                raise BadRequest(f"Incorrect field order: {where}{after} must come before {where}{before} "
                                 f"(documented order: {', '.join(order)})")


def check_strict(body: Any, contract: str) -> None:
    """`strict: true`: no field the docs do not name, and no null for an optional one [A]."""
    layout = LAYOUTS.get(contract)
    if layout is None or not isinstance(body, dict):
        return
    for parent, order in layout.items():
        node = body if parent == "" else body.get(parent)
        if not isinstance(node, dict):
            continue
        for key in node:
            if key not in order:
                name = f"{parent}.{key}" if parent else key
                raise Unprocessable(f"{name}: unknown field (strict)", details={"field": name})
    for key in OPTIONAL.get(contract, ()):
        if key in body and body[key] is None:
            raise Unprocessable(f"{key}: null is not allowed (strict: leave the field out)",
                                details={"field": key})


def drop_nulls(body: dict, contract: str) -> dict:
    """The default reading: an optional field sent as null is a field not sent [A]."""
    return {k: v for k, v in body.items() if not (v is None and k in OPTIONAL.get(contract, ()))}
