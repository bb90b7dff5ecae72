"""Partial JSON matching, dotted paths, and `{name}` interpolation of saved values.

Numbers compare as Decimal (money is never a float here): 20 matches 20, 20.0 and "20.00".
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_VAR = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING = object()
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: _is_number(v),
    "integer": lambda v: _is_number(v) and Decimal(str(v)) == Decimal(str(v)).to_integral_value(),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


class UnknownVariable(KeyError):
    def __str__(self) -> str:
        return f"{{{self.args[0]}}} was never saved (saved so far: {', '.join(self.args[1]) or 'nothing'})"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def as_decimal(value: Any) -> Decimal | None:
    """A Decimal for numbers and numeric strings, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if _is_number(value):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _operator(op: str, arg: Any, actual: Any, path: str) -> list[str]:
    if op == "$exists":
        present = actual is not _MISSING
        return [] if present == bool(arg) else [f"{path}: expected {'present' if arg else 'absent'}"
                                                 + (f", got {_short(actual)}" if present else "")]
    if actual is _MISSING:
        return [f"{path}: missing (expected {op} {_short(arg)})"]
    if op == "$ne":
        return [] if match(arg, actual) else [f"{path}: expected anything but {_short(arg)}"]
    if op in ("$gt", "$gte", "$lt", "$lte"):
        left, right = as_decimal(actual), as_decimal(arg)
        if left is None or right is None:
            return [f"{path}: {op} needs numbers, got {_short(actual)}"]
        ok = {"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[op]
        return [] if ok else [f"{path}: expected {op[1:]} {arg}, got {_short(actual)}"]
    if op == "$regex":
        if isinstance(actual, str) and re.search(str(arg), actual):
            return []
        return [f"{path}: expected to match /{arg}/, got {_short(actual)}"]
    if op == "$len":
        if isinstance(actual, (str, list, dict)) and len(actual) == arg:
            return []
        return [f"{path}: expected length {arg}, got {_short(actual)}"]
    if op == "$contains":
        if isinstance(actual, str) and isinstance(arg, str) and arg in actual:
            return []
        if isinstance(actual, list) and any(not match(arg, item) for item in actual):
            return []
        return [f"{path}: expected to contain {_short(arg)}, got {_short(actual)}"]
    if op == "$type":
        check = _TYPES.get(str(arg))
        if check is None:
            return [f"{path}: unknown $type {arg!r} (one of {', '.join(_TYPES)})"]
        return [] if check(actual) else [f"{path}: expected a {arg}, got {_short(actual)}"]
    if op == "$any":
        options = arg if isinstance(arg, list) else [arg]
        if any(not match(option, actual, path) for option in options):
            return []
        return [f"{path}: expected any of {_short(options)}, got {_short(actual)}"]
    return [f"{path}: unknown operator {op} "
            f"(known: $exists $ne $gt $gte $lt $lte $regex $len $contains $type $any)"]


def match(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Mismatches of `actual` against the partial `expected` (empty when it matches)."""
    if isinstance(expected, dict) and len(expected) == 1 and str(next(iter(expected))).startswith("$"):
        op, arg = next(iter(expected.items()))
        return _operator(op, arg, actual, path)
    if actual is _MISSING:
        return [f"{path}: missing (expected {_short(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_short(actual)}"]
        problems: list[str] = []
        for key, want in expected.items():
            problems += match(want, actual.get(key, _MISSING), f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {_short(actual)}"]
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} items, got {len(actual)}: {_short(actual)}"]
        problems = []
        for i, (want, got) in enumerate(zip(expected, actual)):
            problems += match(want, got, f"{path}[{i}]")
        return problems
    if _is_number(expected):
        got = as_decimal(actual)
        if got is not None and got == Decimal(str(expected)):
            return []
        return [f"{path}: expected {expected}, got {_short(actual)}"]
    if expected is None or isinstance(expected, (bool, str)):
        if type(expected) is type(actual) and expected == actual:
            return []
        return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]
    return [f"{path}: cannot compare {_short(expected)}"]


def get_path(data: Any, dotted: str) -> Any:
    """`invoice.id`, `data.0.txid`; raises KeyError naming the part that is missing."""
    current = data
    walked: list[str] = []
    for part in str(dotted).split("."):
        if isinstance(current, list) and re.fullmatch(r"-?\d+", part):
            index = int(part)
            if not -len(current) <= index < len(current):
                raise KeyError(f"{'.'.join(walked) or '$'} has {len(current)} items, no item {index}")
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            where = ".".join(walked) or "$"
            keys = f" (keys: {', '.join(map(str, current))})" if isinstance(current, dict) else ""
            raise KeyError(f"no {part!r} in {where}{keys}")
        walked.append(part)
    return current


def interpolate(value: Any, variables: dict[str, Any]) -> Any:
    """Replace `{name}` in every string; a string that is exactly `{name}` keeps the value's type."""
    if isinstance(value, dict):
        return {interpolate(k, variables): interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    if not isinstance(value, str) or "{" not in value and "}" not in value:
        return value
    whole = _VAR.fullmatch(value)
    if whole and whole.group(1):
        return _lookup(whole.group(1), variables)

    def repl(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        found = _lookup(m.group(1), variables)
        return found if isinstance(found, str) else str(found)
    return _VAR.sub(repl, value)


def _lookup(name: str, variables: dict[str, Any]) -> Any:
    if name not in variables:
        raise UnknownVariable(name, sorted(variables))
    return variables[name]
