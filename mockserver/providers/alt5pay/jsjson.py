"""JSON exactly as JavaScript's `JSON.stringify` prints it.

Why: public Node clients verify the IPN signature against `JSON.stringify(req.body)`, i.e. the
body re-serialised from their own parse. The bytes ALT 5 Pay signs must therefore already be that
re-serialisation: compact separators, keys in insertion order, non-ASCII left as is, and numbers
in ECMAScript `Number.prototype.toString` form (`50`, never `50.0`; `1e-7`, not `1e-07`).
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def js_number(value: int | float | Decimal) -> str:
    """`String(x)` in JavaScript for the IEEE double nearest `value` (ECMA-262 Number::toString)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return "null"           # what JSON.stringify prints for them
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript requires; only the layout differs.
    digits_tuple, exponent = Decimal(repr(abs(number))).normalize().as_tuple()[1:]
    digits = "".join(map(str, digits_tuple))
    k = len(digits)
    n = exponent + k            # value = 0.digits * 10**n
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        out = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return sign + out


# Python's ensure_ascii=False escaping is the same set JSON.stringify escapes; this is the encoder
# json.dumps(value, ensure_ascii=False) itself calls for a string, without its set-up per call.
_string = json.encoder.encode_basestring


def dumps(value: Any) -> str:
    """`JSON.stringify(value)` for dicts, lists, str, bool, None, int, float and Decimal."""
    if type(value) is dict:   # an IPN: a flat object of strings and numbers, made per payment
        return "{" + ",".join([_string(str(k)) + ":" + (_string(v) if type(v) is str else dumps(v))
                               for k, v in value.items()]) + "}"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float, Decimal)):
        return js_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps_bytes(value: Any) -> bytes:
    return dumps(value).encode("utf-8")
