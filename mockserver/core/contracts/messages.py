"""A schema violation in plain words: the field's rule, never a Python repr, type name or regex.

jsonschema words its errors from Python objects (`Decimal('1E+400') is not of type 'integer'`,
`'x' does not match '^[0-9a-f]{8}$'`), which show the sandbox's insides to a merchant reading a
400. Every message a person reads about a schema (contracts, merchant settings, the config file)
comes from `describe` instead.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..basics.words import show

TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
              "object": "an object", "array": "a list", "null": "null"}
FORMAT_WORDS = {"date-time": "an ISO 8601 date-time such as 2025-01-15T10:00:00Z", "date": "a date such as 2025-01-15",
                "uri": "an absolute URI", "email": "an e-mail address", "uuid": "a UUID",
                "ipv4": "an IPv4 address", "ipv6": "an IPv6 address"}
def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    words = [TYPE_WORDS.get(n, str(n)) for n in names]
    return " or ".join(words)


def _number(value: Any) -> str:
    return show(Decimal(str(value))) if isinstance(value, (int, float, Decimal)) else show(value)


def describe(error: Any) -> str:
    """One jsonschema ValidationError as the rule it broke, in plain English."""
    keyword, rule, instance = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("description")
    if keyword == "required":
        missing = [k for k in rule if isinstance(instance, dict) and k not in instance]
        return f"{show(missing[0] if missing else rule[0])} is required"
    if keyword == "type":
        return f"must be {_types(rule)}" + (f" ({hint})" if hint else "")
    if keyword == "enum":
        return (f"{show(instance)} is not one of " + ", ".join(show(v) for v in rule[:20])
                + (", ..." if len(rule) > 20 else ""))
    if keyword == "const":
        return f"must be {show(rule)}"
    if keyword == "pattern":
        return f"{show(instance)} is not in the expected form" + (f": {hint}" if hint else "")
    if keyword == "format":
        return f"must be {FORMAT_WORDS.get(rule, rule)}"
    if keyword == "minLength":
        return "must not be empty" if rule == 1 else f"must be at least {rule} characters long"
    if keyword == "maxLength":
        return f"must be at most {rule} characters long"
    if keyword == "minimum":
        return f"must be at least {_number(rule)}"
    if keyword == "maximum":
        return f"must be at most {_number(rule)}"
    if keyword == "exclusiveMinimum":
        return f"must be more than {_number(rule)}"
    if keyword == "exclusiveMaximum":
        return f"must be less than {_number(rule)}"
    if keyword == "multipleOf":
        return f"must be a multiple of {_number(rule)}"
    if keyword == "minItems":
        return "must not be empty" if rule == 1 else f"must have at least {rule} items"
    if keyword == "maxItems":
        return f"must have at most {rule} items"
    if keyword == "uniqueItems":
        return "must not repeat an item"
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        allowed = schema.get("properties", {})
        extra = [k for k in instance if k not in allowed]
        return "unknown field " + ", ".join(show(k) for k in extra[:5]) if extra else "has a field it may not have"
    if keyword == "minProperties":
        return "must not be empty"
    if keyword in ("anyOf", "oneOf"):
        return "does not match any of the allowed forms" + (f" ({hint})" if hint else "")
    if keyword == "not":
        return "is not allowed here"
    if keyword == "dependentRequired":
        return "needs " + ", ".join(show(k) for k in next(iter(rule.values()), []))
    return "is not valid here" + (f" ({hint})" if hint else "")
