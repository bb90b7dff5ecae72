"""Strict input where a person types: merchant settings and provider options.

Each provider declares the keys its code reads (`Provider.merchant_settings`, `.option_settings`:
key -> JSON Schema); the config file and `PATCH /_sandbox/providers/{p}/merchant` are checked
against the same schemas, so a typo is refused with a "did you mean" instead of being ignored,
and a webhook URL is checked when it is set, not when a delivery fails. Validators are compiled
once per provider.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..contracts.messages import describe, show
from ..webhooks.targets import unusable_url

if TYPE_CHECKING:   # jsonschema loads when a setting is first checked: serving needs it only then
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

    from ...providers.base import Provider

# path of an object with an unknown key -> (what such a key is called, whose it is)
Nouns = Callable[[tuple], "tuple[str, str]"]


def _quoted(word: Any) -> str:
    """'word' as typed, control characters JSON-escaped (never Python's \\x00), cut at 60."""
    text = json.dumps(str(word), ensure_ascii=False)[1:-1].replace('\\"', '"')
    return f"'{text[:60]}...'" if len(text) > 60 else f"'{text}'"


def unknown(what: str, word: Any, choices: Iterable[str], owner: str = "") -> str:
    """"unknown WHAT 'x' for OWNER (did you mean 'y'?)", or the known choices when none is close."""
    choices = sorted(map(str, choices))
    import difflib   # a refused name is rare: start-up does not pay for it
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    head = f"unknown {what} {_quoted(word)}" + (f" for {owner}" if owner else "")
    if close:
        return f"{head} (did you mean {close[0]!r}?)"
    return f"{head} (known: {', '.join(choices) or 'none'})"


def closed_object(properties: dict[str, dict]) -> dict:
    return {"type": "object", "properties": properties, "additionalProperties": False}


def explain(error: "ValidationError", nouns: Nouns) -> list[tuple[tuple, str]]:
    """(path, message) for a schema error: unknown keys and enum values get a "did you mean"."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        what, owner = nouns(path)
        return [(path + (key,), unknown(what, key, allowed, owner))
                for key in error.instance if key not in allowed]
    from ..basics.yamlfile import describe_path  # here, not at import: serving without a config needs no YAML
    where = describe_path(path) + ": " if path else ""
    if error.validator == "enum" and isinstance(error.instance, str):
        return [(path, where + unknown("value", error.instance, error.validator_value))]
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if hint and error.validator in ("type", "pattern", "anyOf"):
        return [(path, f"{where}{show(error.instance)} is not valid here: expected {hint}")]
    return [(path, where + describe(error))]


_validators: dict[str, "Draft202012Validator"] = {}


def _merchant_validator(provider: "Provider") -> "Draft202012Validator":
    validator = _validators.get(provider.name)
    if validator is None:
        from jsonschema import Draft202012Validator
        validator = _validators[provider.name] = Draft202012Validator(closed_object(provider.merchant_settings))
    return validator


def check_merchant_keys(provider: "Provider", settings: dict) -> None:
    """ValueError naming the first unknown or mistyped key of `settings` (a partial merchant)."""
    for error in _merchant_validator(provider).iter_errors(settings):
        raise ValueError(explain(error, lambda _path: ("merchant key", provider.name))[0][1])


def _control_characters(value: Any) -> bool:
    """A string anywhere in `value` holding a control character: no setting has a use for one,
    and in a header, a URL or a signed text it breaks what it is sent in."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(ord(c) < 0x20 or ord(c) == 0x7F for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_merchant_settings(merchant: dict, changed: dict, allow_external: bool) -> None:
    """The settings every provider shares: no control characters in any of them, webhook URLs
    usable when set (a delivery to them could be attempted), the webhook timeout a sane number
    of seconds."""
    for key in changed:
        if _control_characters(merchant[key]):
            raise ValueError(f"{key}: must not hold control characters (line breaks, tabs, NUL)")
        if key.endswith("url") and merchant[key] not in (None, ""):
            reason = unusable_url(merchant[key], allow_external)
            if reason is not None:
                raise ValueError(f"{key}: {reason}")
    if "webhook_timeout" in changed:
        value = merchant["webhook_timeout"]
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ValueError("webhook_timeout must be a number of seconds")
        if not 0 < value <= 120:
            raise ValueError("webhook_timeout must be in (0, 120] seconds")
        merchant["webhook_timeout"] = float(value)
