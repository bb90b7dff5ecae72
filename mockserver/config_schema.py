"""The config file's JSON Schema, and its check with `file:line:` errors and "did you mean".

The top level is the core's (SandboxConfig's fields); under `providers.<name>` the merchant keys
and options come from each provider's declared settings, so provider facts stay in their folders.
Beyond the schema, each configured merchant passes the same checks as a PATCH of it would
(usable webhook URLs, sane timeout, the provider's own cross-field checks).
"""
from __future__ import annotations

import re
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from .core.basics.retention import Retention
from .core.state.settings import check_merchant_keys, check_merchant_settings, closed_object, explain
from .core.basics.yamlfile import describe_path as describe, line_of

if TYPE_CHECKING:
    from .providers.base import Provider

_SECONDS = {"type": "number", "exclusiveMinimum": 0}
_NULL_OR = lambda schema: {"anyOf": [{"type": "null"}, schema]}  # noqa: E731

TOP = {
    "host": {"type": "string", "minLength": 1},
    "port": {"type": "integer", "minimum": 0, "maximum": 65535},
    "provider_ports": {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 1, "maximum": 65535}],
                       "description": "true, false, or the first of the providers' own ports"},
    "seed": {"type": ["integer", "null"]},
    "clock": {"enum": ["virtual", "realtime"]},
    "speed": _SECONDS,
    "start": {"type": ["string", "null"], "description": "an ISO 8601 instant"},
    "public_url": {"type": ["string", "null"], "pattern": r"^https?://[^/\s]+",
                   "description": "an origin such as http://127.0.0.1:8080"},
    "allow_external_webhooks": {"type": "boolean"},
    "journal_size": {"type": "integer", "minimum": 1},
    "self_check": {"type": "boolean"},
    "admin_token": {**_NULL_OR({"type": "string", "pattern": r"\S"}), "description": "a non-empty string"},
    "allowed_hosts": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                      "description": "a list of host names"},
    "header_timeout": _SECONDS,
    "body_timeout": _SECONDS,
    "idle_timeout": _SECONDS,
    "state": {**_NULL_OR({"type": "string", "pattern": r"\S"}), "description": "the path of a SQLite file"},
    "store": {**_NULL_OR({"type": "string", "pattern": r"^postgres(ql)?://"}),
              "description": "a PostgreSQL URL, postgresql://USER@HOST:PORT/DB"},
    "cluster": _NULL_OR(closed_object({
        "lease": {"anyOf": [_SECONDS, {"type": "string", "minLength": 1}],
                  "description": "a duration like 10s, or seconds"},
        "advertise_url": {**_NULL_OR({"type": "string", "pattern": r"^https?://[^/\s]+"}),
                          "description": "the origin other processes reach this one at"}})),
    "retention": _NULL_OR(closed_object({f.name: {"type": "integer", "minimum": 1}
                                         for f in fields(Retention)})),
    "tenants": _NULL_OR(closed_object({
        "max": {"type": "integer", "minimum": 1},
        "idle": {"anyOf": [_SECONDS, {"type": "string", "minLength": 1}],
                 "description": "a duration like 24h, or seconds"}})),
}


def schema(providers: dict[str, "Provider"]) -> dict:
    sections = {name: _NULL_OR(closed_object({
        "merchants": _NULL_OR({"type": "array", "items": closed_object(p.merchant_settings)}),
        "options": _NULL_OR(closed_object(p.option_settings)),
    })) for name, p in providers.items()}
    return {**closed_object({**TOP, "providers": _NULL_OR(closed_object(sections))}),
            "$schema": "https://json-schema.org/draft/2020-12/schema"}


def _nouns(path: tuple) -> tuple[str, str]:
    if path == ():
        return "key", ""
    if path == ("providers",):
        return "provider", ""
    if len(path) == 2 and path[0] == "providers":
        return "section", str(path[1])
    if len(path) == 4 and path[2] == "merchants":
        return "merchant key", str(path[1])
    if len(path) == 3 and path[2] == "options":
        return "option", str(path[1])
    return "key", describe(path)


def _leaves(error):
    """anyOf [null, X] (no description of its own): X's errors (an unknown key), not "is not
    valid under any of the given schemas"."""
    inner = [e for e in (error.context or []) if e.validator != "type" or e.validator_value != "null"]
    if error.validator != "anyOf" or not inner or error.schema.get("description"):
        return [error]
    return [leaf for e in inner for leaf in _leaves(e)]


def problems(data: Any, lines: dict[tuple, int], providers: dict[str, "Provider"],
             allow_external: bool = False) -> list[tuple[int | None, str]]:
    """(line, message) for everything wrong in a parsed config, in file order."""
    found: list[tuple[tuple, str]] = []
    # built per load: a config is read once per process
    for error in Draft202012Validator(schema(providers)).iter_errors(data):
        for one in _leaves(error):
            found.extend(explain(one, _nouns))
    if not found:
        found.extend(_merchant_problems(data, providers, allow_external))
    located = sorted({(line_of(lines, path) or 0, message) for path, message in found})
    return [(line or None, message) for line, message in located]


def _merchant_problems(data: dict, providers: dict[str, "Provider"], allow_external: bool):
    """What a PATCH of each configured merchant would refuse, at the offending key; and the
    provider's own checks of its options."""
    for name, section in ((data.get("providers") or {})).items():
        provider = providers[name]
        defaults = provider.default_merchants()
        base = defaults[0] if defaults else {}
        options = (section or {}).get("options") or {}
        try:
            provider.check_options(options)
        except ValueError as exc:
            key = re.match(r"([a-z_]+)\b", str(exc))
            path = ("providers", name, "options")
            yield (path + (key.group(1),) if key and key.group(1) in options else path), f"{describe(path)}: {exc}"
        for index, merchant in enumerate((section or {}).get("merchants") or []):
            path = ("providers", name, "merchants", index)
            candidate = {**base, **merchant}
            try:
                check_merchant_keys(provider, merchant)
                check_merchant_settings(candidate, merchant, allow_external)
                provider.check_merchant(candidate)
            except ValueError as exc:
                key = re.match(r"([a-z_]+)\b", str(exc))
                where = path + (key.group(1),) if key and key.group(1) in merchant else path
                yield where, f"{describe(path)}: {exc}"
