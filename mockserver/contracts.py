"""Check your own code's messages against a provider's contracts, from your own tests.

    from mockserver.contracts import assert_valid, messages, validate

    messages("cryptopayment")        # ['balances.response', ..., 'invoice-create.request', ..., 'webhook']
    assert_valid("cryptopayment", "invoice-create.request", my_client.invoice_body(order), strict=True)
    assert_valid("cryptopayment", "webhook", raw_webhook_bytes)

`instance` is a parsed JSON value (from `json.loads`, with floats or with Decimals as the sandbox
parses them) or a raw JSON body (`bytes`/`str`). `strict=True` also refuses every key that the
contract does not declare (`properties`/`patternProperties`), even where the provider accepts and
ignores unknown keys: a typo'd `orderId` passes the provider and loses the order id, so a test
should catch it. The contracts are the sandbox's own, compiled once per process
(`mockserver.core.contracts.contract_set.load_contracts`).
"""
from __future__ import annotations

import difflib
import json
import re
from decimal import Decimal
from typing import Any, Iterator

from mockserver.core.contracts.contract_set import ContractSet, ContractsUnavailable, Violation, load_contracts

__all__ = ["ContractChecker", "UnknownContract", "Violation", "assert_valid", "messages", "validate"]


class UnknownContract(LookupError):
    """No such provider, or no such message in its contracts."""


def _contracts(provider: str) -> ContractSet:
    try:
        return load_contracts(provider)  # a set with no contracts does not load
    except ContractsUnavailable as exc:
        raise UnknownContract(f"no contracts for provider {provider!r} ({exc})") from None


def messages(provider: str) -> list[str]:
    """The provider's message names, e.g. 'invoice-create.request', 'webhook'."""
    return _contracts(provider).names()


def validate(provider: str, message: str, instance: Any, *, strict: bool = False) -> list[Violation]:
    """Every way `instance` breaks the contract (empty when it conforms); the most relevant first."""
    contracts = _contracts(provider)
    if message not in contracts:
        close = difflib.get_close_matches(message, contracts.names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(contracts.names())}"
        raise UnknownContract(f"no contract {provider}/{message}{hint}")
    name = f"{provider}/{message}"
    if isinstance(instance, (bytes, bytearray, str)):
        try:
            instance = json.loads(instance, parse_float=Decimal)
        except ValueError as exc:
            return [Violation(name, f"not a JSON document: {exc}", "/", "/")]
    instance = _plain_numbers(instance)
    violations = contracts.validate(message, instance)
    if strict:
        # where the contract itself forbids extra keys, the plain violation already says so
        closed = {v.instance_path for v in violations
                  if v.schema_path.endswith(("/additionalProperties", "/unevaluatedProperties"))}
        violations += [v for v in _unknown_keys(contracts, message, instance)
                       if (v.instance_path.rsplit("/", 1)[0] or "/") not in closed]
    return violations


def assert_valid(provider: str, message: str, instance: Any, *, strict: bool = False) -> None:
    """validate(), raising AssertionError that lists each violation: where, what, which schema rule."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    violations = validate(provider, message, instance, strict=strict)
    if violations:
        raise AssertionError(describe(violations, f"{provider}/{message}", strict=strict))


def describe(violations: list[Violation], contract: str, *, strict: bool = False) -> str:
    count = f"{len(violations)} violation{'s' if len(violations) != 1 else ''}"
    lines = [f"{contract}{' (strict)' if strict else ''}: {count}"]
    lines += [f"  {v.instance_path}: {v.message}  [{v.contract}#{v.schema_path}]" for v in violations]
    return "\n".join(lines)


class ContractChecker:
    """What the `sandbox_contracts` fixture gives: the functions above, with a default `strict`."""

    def __init__(self, strict: bool = False):
        self.strict = strict

    def messages(self, provider: str) -> list[str]:
        return messages(provider)

    def validate(self, provider: str, message: str, instance: Any, *, strict: bool | None = None):
        return validate(provider, message, instance, strict=self.strict if strict is None else strict)

    def assert_valid(self, provider: str, message: str, instance: Any, *, strict: bool | None = None):
        __tracebackhide__ = True
        assert_valid(provider, message, instance, strict=self.strict if strict is None else strict)


def _listing(names: list[str], most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def _did_you_mean(key: str, declared: list[str]) -> str | None:
    """orderId -> order_id: compared without case and separators, so only near-misses match."""
    def fold(name: str) -> str:
        return re.sub(r"[_\-\s]", "", name).lower()
    folded = {fold(name): name for name in declared}
    close = difflib.get_close_matches(fold(key), list(folded), n=1, cutoff=0.85)
    return folded[close[0]] if close else None


def _plain_numbers(value: Any) -> Any:
    """Integral Decimals become ints: JSON Schema calls 19.0 an integer, jsonschema only for floats."""
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


# --- strict: keys the contract does not declare --------------------------------------------------

_IN_PLACE = ("allOf", "anyOf", "oneOf")   # a key is known if any branch declares it
_CONDITIONAL = ("then", "else")            # `if` only tests; it declares nothing


def _unknown_keys(contracts: ContractSet, message: str, instance: Any) -> list[Violation]:
    schema = contracts.schemas[message]
    resolver = contracts.registry.resolver(base_uri=schema.get("$id", f"{message}.json"))
    out: list[Violation] = []
    _walk(f"{contracts.provider}/{message}", [(schema, resolver, "")], instance, "", out)
    return out


def _applicable(entries) -> Iterator[tuple[dict, Any, str]]:
    """Each schema and every schema applying to the same instance in place ($ref, allOf, ...)."""
    stack, seen = list(entries), set()
    while stack:
        schema, resolver, path = stack.pop(0)
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema, resolver, path
        if isinstance(schema.get("$ref"), str):
            resolved = resolver.lookup(schema["$ref"])
            stack.append((resolved.contents, resolved.resolver, f"{path}/$ref"))
        for keyword in _IN_PLACE:
            for i, branch in enumerate(schema.get(keyword) or ()):
                stack.append((branch, resolver, f"{path}/{keyword}/{i}"))
        for keyword in _CONDITIONAL:
            if keyword in schema:
                stack.append((schema[keyword], resolver, f"{path}/{keyword}"))
        for key, branch in (schema.get("dependentSchemas") or {}).items():
            stack.append((branch, resolver, f"{path}/dependentSchemas/{key}"))


def _is_map(extra: Any) -> bool:
    """additionalProperties with a schema of its own declares a map (e.g. balances per coin);
    `true` or `{}` only allows whatever comes, which strict mode refuses."""
    return isinstance(extra, dict) and bool(extra)


def _walk(contract: str, entries, instance: Any, where: str, out: list[Violation]) -> None:
    schemas = list(_applicable(entries))
    if isinstance(instance, list):
        for i, item in enumerate(instance):
            children = []
            for schema, resolver, path in schemas:
                prefix = schema.get("prefixItems") or []
                if i < len(prefix):
                    children.append((prefix[i], resolver, f"{path}/prefixItems/{i}"))
                elif isinstance(schema.get("items"), dict):
                    children.append((schema["items"], resolver, f"{path}/items"))
            _walk(contract, children, item, f"{where}/{i}", out)
        return
    if not isinstance(instance, dict):
        return
    declaring = [(s, p) for s, _, p in schemas if "properties" in s or "patternProperties" in s]
    declared = sorted({k for s, _ in declaring for k in (s.get("properties") or {})})
    for key, value in instance.items():
        children, known = [], False
        for schema, resolver, path in schemas:
            properties = schema.get("properties") or {}
            if key in properties:
                known = True
                children.append((properties[key], resolver, f"{path}/properties/{key}"))
            for pattern, sub in (schema.get("patternProperties") or {}).items():
                if re.search(pattern, key):
                    known = True
                    children.append((sub, resolver, f"{path}/patternProperties/{pattern}"))
        if not known:
            for schema, resolver, path in schemas:
                if _is_map(schema.get("additionalProperties")):
                    known = True
                    children.append((schema["additionalProperties"], resolver, f"{path}/additionalProperties"))
        if not known and declaring:
            close = _did_you_mean(key, declared)
            hint = f"; did you mean {close!r}?" if close else f"; declared: {_listing(declared)}"
            out.append(Violation(contract, f"unknown key {key!r}, not in the contract{hint}",
                                 f"{declaring[0][1]}/properties", f"{where}/{key}"))
            continue
        _walk(contract, children, value, f"{where}/{key}", out)
