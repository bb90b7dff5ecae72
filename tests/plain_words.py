"""No internals in messages (issue 23): what a refusal tells a merchant names the field and the
rule in the provider's words or plain English, never a Python type, exception name, repr or regex.

`internals(text)` lists what in `text` gives the sandbox's insides away; `messages(payload)` the
strings of an error answer a person reads. The property tests (bad input, hostile transport,
settings, the stateful machines) pass every refusal they provoke through both.
"""
from __future__ import annotations

import json
import re
from typing import Any

TELLS = [
    (re.compile(r"Decimal\("), "a Decimal repr"),
    (re.compile(r"<class |<built-in|<function |object at 0x"), "a Python object repr"),
    (re.compile(r"\b(NoneType|unhashable type|has no attribute|not subscriptable|not iterable|"
                r"takes \d+ positional|unexpected keyword argument|invalid literal for int)\b"), "a Python type error"),
    (re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|\bInvalidOperation\b|\bTraceback\b|\bStopIteration\b"),
     "an exception name"),
    (re.compile(r"datetime\.(datetime|timedelta|date)\(|timedelta\("), "a datetime repr"),
    (re.compile(r"(^|[\s(:])b'|\\x[0-9a-f]{2}"), "a bytes repr"),
    (re.compile(r"\{'[^']*': |\['[^']*'(, '[^']*')*\]"), "a dict or list repr"),
    (re.compile(r"\^\[|\[0-9\]|\\d[+*{]|\\s[+*]|\(\?[:!=P]|\[\^|[^\\]\$'|\{\d+,\d*\}|\]\{\d+\}|\][+*]|"
                r"\[[^\]\s]*[A-Za-z0-9]-[A-Za-z0-9][^\]\s]*\]"), "a regex"),
    (re.compile(r"is not valid under any of the given schemas|is not of type '"), "a raw schema message"),
]
# exception-like words that are the providers' own vocabulary, not Python's
OWN_WORDS = {"Bad Request"}


def internals(text: str) -> list[str]:
    """What in `text` shows the sandbox's insides: [(what, the matching excerpt)]."""
    found = []
    for pattern, what in TELLS:
        match = pattern.search(text)
        if match:
            start = max(match.start() - 20, 0)
            found.append(f"{what}: ...{text[start:match.end() + 20]}...")
    return found


def messages(payload: Any) -> list[str]:
    """Every string in an error answer (its message, error, returnMsg, detail... at any depth)."""
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = json.loads(payload)
        except ValueError:
            return [payload.decode("utf-8", "replace")[:2000]]
    out: list[str] = []
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item not in OWN_WORDS:
            out.append(item)
    return out


def leaks(payload: Any) -> list[str]:
    """internals() of every message of an error answer."""
    return [leak for text in messages(payload) for leak in internals(text)]
