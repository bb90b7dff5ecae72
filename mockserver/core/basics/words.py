"""A value a person typed, shown back in a message as JSON would write it: never a Python repr
(`'\\x00'`, `Decimal('1E+400')`, `['a', False]`). Every room's messages use it."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

LONGEST = 60


def show(value: Any) -> str:
    """A value as JSON would write it, shortened: strings quoted, numbers as digits."""
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > 20:
            return "a number that large" if value.is_finite() and value.adjusted() > 0 else "that number"
        text = format(value, "f")
    elif isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = "that value"
    return text if len(text) <= LONGEST else text[:LONGEST] + "..."
