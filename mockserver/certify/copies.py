"""Deliveries as the battery sends them: genuine copies of what the sandbox delivered, and the
forged or re-serialised variants a provider (or an attacker) may send.

Every variant is built through the provider's Certification (its encoder, its signer, where its
signature travels) and checked with the provider's own `verify_webhook` before it is sent: a
forgery that still verifies, or a re-signed copy that does not, is certify's bug, reported as such
rather than blamed on the handler.
"""
from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from mockserver.providers.base import Certification
from mockserver.scenarios.steps import flip

DROP = ("host", "content-length", "transfer-encoding")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ADDED_FIELD = ("addedLater", {"note": "a field a later version of the provider's API sends"})


class CopyError(Exception):
    """certify could not build this variant for this provider (its facts or the body do not fit)."""


@dataclass
class Copy:
    what: str                       # for the report: what was sent
    headers: dict[str, str]
    body: bytes
    source: str | None = None       # the local address it is sent from (None: the OS chooses)
    event: str = ""
    extra: dict = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def genuine(delivery: dict, received: Any = None) -> Copy:
    """A delivery as it reached its receiver (the capture receiver's copy, with the sender's own
    headers), else as the outbox recorded it."""
    if received is not None:
        headers, body = dict(received.headers), received.body
    else:
        headers, body = dict(delivery.get("headers") or {}), (delivery.get("body") or "").encode()
    headers = {k: v for k, v in headers.items() if k.lower() not in DROP}
    return Copy(f"{delivery['event']} as delivered", headers, body, event=delivery["event"])


def _payload(copy: Copy) -> dict:
    data = copy.json()
    if not isinstance(data, dict):
        raise CopyError(f"the {copy.event} body is not a JSON object")
    return data


def _in_place(body: bytes, key: str, old: Any, new: Any) -> bytes | None:
    """`body` with `"key": old` replaced by `"key": new`, every other byte as it was; None when the
    pair is not found as written."""
    text = body.decode("utf-8")
    for ascii_only in (False, True):
        pattern = re.escape(json.dumps(key)) + r"(\s*:\s*)" + re.escape(json.dumps(old, ensure_ascii=ascii_only))
        found = re.search(pattern, text)
        if found:
            replacement = json.dumps(key) + found.group(1) + json.dumps(new, ensure_ascii=ascii_only)
            return (text[:found.start()] + replacement + text[found.end():]).encode("utf-8")
    return None


def _locations(facts: Certification) -> list[tuple[str, str]]:
    return [tuple(spec.split(":", 1)) for spec in facts.signatures]   # ("header"|"field", name)


def _header(headers: dict, name: str) -> str | None:
    return next((k for k in headers if k.lower() == name.lower()), None)


def tampered(facts: Certification, copy: Copy) -> Copy:
    """The copy claiming something else in a signed field, its signature kept."""
    key, value = facts.tamper
    data = _payload(copy)
    if key not in data:
        raise CopyError(f"the {copy.event} body has no {key!r} to change")
    if data[key] == value:
        value = flip(value) if isinstance(value, str) else value + 1
    body = _in_place(copy.body, key, data[key], value)
    if body is None:
        body = facts.encode({**data, key: value})
    return replace(copy, what=f"{copy.event} with {key} changed from {data[key]!r} to {value!r}, signature kept",
                   body=body)


def bad_signature(facts: Certification, copy: Copy) -> Copy:
    headers, body, changed = dict(copy.headers), copy.body, []
    data = copy.json() if any(kind == "field" for kind, _ in _locations(facts)) else None
    for kind, name in _locations(facts):
        if kind == "header":
            key = _header(headers, name)
            if key and headers[key]:
                headers[key] = flip(headers[key])
                changed.append(f"header {key}")
        elif isinstance(data, dict) and isinstance(data.get(name), str) and data[name]:
            swapped = _in_place(body, name, data[name], flip(data[name]))
            if swapped is not None:
                body = swapped
                changed.append(f"field {name}")
    if not changed:
        raise CopyError("no signature found where the provider's facts say it travels")
    return replace(copy, what=f"{copy.event} with its signature altered ({', '.join(changed)})",
                   headers=headers, body=body)


def missing_signature(facts: Certification, copy: Copy) -> Copy:
    headers, removed = dict(copy.headers), []
    fields = [name for kind, name in _locations(facts) if kind == "field"]
    for kind, name in _locations(facts):
        key = _header(headers, name) if kind == "header" else None
        if key:
            del headers[key]
            removed.append(f"header {key}")
    body = copy.body
    if fields:
        data = _payload(copy)
        removed += [f"field {name}" for name in fields if name in data]
        body = facts.encode({k: v for k, v in data.items() if k not in fields})
    return replace(copy, what=f"{copy.event} without its signature ({', '.join(removed) or 'nothing to remove'})",
                   headers=headers, body=body)


def resigned(facts: Certification, merchant: dict, copy: Copy, url: str, data: dict, what: str,
             headers: dict | None = None) -> Copy:
    signed_headers, body = facts.sign(merchant, data, dict(headers if headers is not None else copy.headers), url)
    return replace(copy, what=what, headers=signed_headers, body=body)


def other_merchant(facts: Certification, merchant: dict, copy: Copy, url: str) -> Copy:
    return resigned(facts, facts.other_key(merchant), copy, url, _payload(copy),
                    f"{copy.event} signed with another merchant's key")


def stale(facts: Certification, merchant: dict, copy: Copy, url: str, age_seconds: int = 3600) -> Copy:
    key = _header(copy.headers, facts.timestamp or "")
    if key is None:
        raise CopyError(f"the delivery has no {facts.timestamp} header")
    try:
        then = int(copy.headers[key]) - age_seconds * 1000
    except ValueError:
        raise CopyError(f"the {key} header is not a number: {copy.headers[key]!r}") from None
    headers = {**copy.headers, key: str(then)}
    return resigned(facts, merchant, copy, url, _payload(copy),
                    f"{copy.event} correctly signed with a {key} {age_seconds // 60} minutes old", headers)


def reordered(facts: Certification, merchant: dict, copy: Copy, url: str) -> Copy:
    data = _payload(copy)
    return resigned(facts, merchant, copy, url, dict(reversed(list(data.items()))),
                    f"{copy.event} re-serialised, its keys in reverse order (re-signed)")


def extended(facts: Certification, merchant: dict, copy: Copy, url: str) -> Copy:
    data = _payload(copy)
    signature_fields = {name for kind, name in _locations(facts) if kind == "field"}
    head = {k: v for k, v in data.items() if k not in signature_fields}
    return resigned(facts, merchant, copy, url, {**head, ADDED_FIELD[0]: ADDED_FIELD[1]},
                    f"{copy.event} with an unknown field {ADDED_FIELD[0]!r} (re-signed)")


def unknown_value(value: Any) -> Any:
    """A value shaped like `value` that names nothing the merchant has."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value + 7_000_000
    text = str(value)
    if _UUID.match(text):
        return str(uuid.uuid4())
    if text.isdigit():
        return str(int(text[0]) % 9 + 1) + "".join(str(secrets.randbelow(10)) for _ in text[1:])
    return f"UNKNOWN-{secrets.token_hex(4).upper()}"


def unknown_object(facts: Certification, merchant: dict, copy: Copy, url: str) -> Copy:
    data = _payload(copy)
    changed = {k: unknown_value(data[k]) for k in facts.object_fields if k in data}
    if not changed:
        raise CopyError(f"the {copy.event} body names none of {', '.join(facts.object_fields)}")
    return resigned(facts, merchant, copy, url, {**data, **changed},
                    f"{copy.event} about an object nobody created ({', '.join(changed)} changed, re-signed)")
