"""Recorded inputs (state/recording.py) as scenario steps (docs/scenarios.md, "Recording").

A provider request becomes a `call` with its body as sent and the merchant that sent it (found by
the credential values its headers carry), never a signature or a secret: the runner signs it
again with the provider's `client_request` over the same bytes. A request the provider refused
as unauthenticated (401), or one no merchant's credentials are in, is replayed as it was sent,
unsigned: a secret-named setting of the merchant in its headers is written `{merchant_KEY}` (the
runner puts the merchant's value back), any other merchant's masked. Admin writes become the
step verbs that send the same thing (`simulate`, `advance`, `fault`, `clear_faults`), or `admin`.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any, Iterable
from urllib.parse import parse_qs, urlsplit

from .guard import SECRET_WORDS
from ..state.recording import RecordedInput

ADMIN = "/_sandbox"
MASK = "***"
# transport and browser headers: no provider reads them, and the runner's client sends its own
NOISE = frozenset({
    "host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
    "user-agent", "accept", "accept-encoding", "accept-language", "cache-control", "pragma",
    "cookie", "origin", "referer", "dnt", "priority", "upgrade-insecure-requests", "purpose",
    "if-none-match", "if-modified-since", "x-sandbox-via", "x-sandbox-token",
})
NOISE_PREFIXES = ("sec-",)   # a browser's fetch metadata and client hints
_MIN_CREDENTIAL = 6   # shorter values (flags, small ids) would match by accident
# what a step can send (docs/scenarios.md): a request with another method is left out
CALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ADMIN_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def escape_braces(value: Any) -> Any:
    """Strings as a scenario writes them literally: `{` and `}` doubled (no `{name}` lookups)."""
    if isinstance(value, str):
        return value.replace("{", "{{").replace("}", "}}")
    if isinstance(value, dict):
        return {escape_braces(k): escape_braces(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_braces(v) for v in value]
    return value


def _literal(text: str) -> Any:
    """JSON with numbers kept as their text and keys in order: two bodies that read the same."""
    return json.loads(text, parse_float=lambda s: ("number", s), parse_int=lambda s: ("number", s),
                      object_pairs_hook=list)


def same_as_json(raw: bytes) -> Any:
    """The parsed body when the runner's compact JSON of it reads exactly as `raw` does (numbers
    as written, keys in order), else None: then the step keeps the body as text."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text)
        again = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return value if _literal(text) == _literal(again) else None
    except (ValueError, RecursionError):
        return None


def _headers(item: RecordedInput) -> list[tuple[str, str]]:
    out = []
    for key, value in item.headers:
        name = key.decode("latin-1")
        if name.lower() not in NOISE and not name.lower().startswith(NOISE_PREFIXES):
            out.append((name, value.decode("latin-1")))
    return out


def _secrets(merchants: list[dict], index: int | None) -> list[tuple[str, str]]:
    """(value, what the header says instead) for every secret-named merchant setting, longest
    first: `{merchant_KEY}` for the step's merchant (the runner puts the value back), else ***."""
    found: dict[str, str] = {}
    for position, merchant in enumerate(merchants):
        for key, value in merchant.items():
            text = str(value)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and len(text) >= 4 \
                    and any(word in key.lower() for word in SECRET_WORDS):
                if position == index or text not in found:
                    found[text] = f"{{merchant_{key}}}" if position == index else MASK
    return sorted(found.items(), key=lambda pair: len(pair[0]), reverse=True)


def _masked(text: str, secrets: list[tuple[str, str]]) -> str:
    """A header value as a scenario writes it: braces doubled, secrets replaced."""
    out = escape_braces(text)
    for secret, instead in secrets:
        out = out.replace(escape_braces(secret), instead)
    return out


def _merchant_index(merchants: list[dict], headers: list[tuple[str, str]]) -> int | None:
    """The merchant most of whose credential values the request's headers carry."""
    carried = "\n".join(v for _, v in headers)
    best, best_score = None, 0
    for index, merchant in enumerate(merchants):
        score = sum(1 for key, value in merchant.items()
                    if isinstance(value, str) and len(value) >= _MIN_CREDENTIAL
                    and not key.lower().endswith("url") and value in carried)
        if score > best_score:
            best, best_score = index, score
    return best


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _source(remote: str | None) -> str | None:
    """A second loopback address the runner can call from; others are replayed from 127.0.0.1."""
    return remote if remote and remote.startswith("127.") and remote != "127.0.0.1" else None


class Translator:
    """Turns one World's recorded inputs into steps; `default` is the scenario's provider."""

    def __init__(self, world: Any, default: str):
        self.world, self.default = world, default
        self.merchants = {name: copy.deepcopy(world.settings.get(name, {}).get("merchants") or
                                              provider.default_merchants())
                          for name, provider in world.providers.items()}

    def steps(self, inputs: Iterable[RecordedInput]) -> list[dict]:
        out: list[dict] = []
        answered_seq, clock = 0, self.world.start
        realtime = self.world.clock_mode == "realtime"
        for item in inputs:
            if item.method not in (CALL_METHODS if item.routed else ADMIN_METHODS):
                continue
            if item.journal_seq > answered_seq:   # what the World did between two inputs
                out.append({"wait_journal": item.journal_seq})
            if realtime and clock is not None and item.virtual > clock:   # a wall-clock wait
                out.append({"advance": round((item.virtual - clock).total_seconds(), 6)})
            step = self.call(item) if item.routed else self.admin(item)
            out.append(step)
            answered_seq = max(answered_seq, item.answered_seq)
            if item.answered_virtual is not None:
                clock = max(clock, item.answered_virtual) if clock else item.answered_virtual
        return out

    # -- provider requests ------------------------------------------------------------------
    def call(self, item: RecordedInput) -> dict:
        provider = self.world.providers[item.provider]   # filled in by recording.recorded_scenario
        path, base = item.path, None
        if path.startswith(provider.api_base + "/"):
            relative = path[len(provider.api_base):]
        else:   # a hosted page or another route outside the API base: from the mount point
            relative, base = path[len(provider.prefix):] or "/", "mount"
            if not relative.startswith("/"):
                relative = "/" + relative
        merchants = self.merchants[provider.name]
        headers = _headers(item)
        if not item.body:   # a type without a body says nothing (aiohttp adds one to a bare POST)
            headers = [(name, value) for name, value in headers if name.lower() != "content-type"]
        index = _merchant_index(merchants, headers) if base is None else None
        step: dict = {"call": f"{item.method} {relative}"}
        if provider.name != self.default:
            step["provider"] = provider.name
        if base:
            step["base"] = base
        kept = headers
        if index is not None:
            step["merchant"] = index
        if index is not None and item.status != 401:
            kept = self._unsigned_part(provider, merchants[index], item, relative, headers)
        else:   # refused for its credentials, or none: sent again as it was
            step["auth"] = False
        source = _source(item.remote)
        if source:
            step["source"] = source
        secrets = _secrets(merchants, index)
        if kept:
            step["headers"] = {name: _masked(value, secrets) for name, value in kept}
        if item.body:
            step["body"] = _text(item.body)
        step["expect"] = {"status": item.status} if item.status is not None else {"dropped": True}
        return step

    @staticmethod
    def _unsigned_part(provider: Any, merchant: dict, item: RecordedInput, relative: str,
                       headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The headers the provider's client would not send itself (its auth and Content-Type)."""
        try:
            signed, _ = provider.client_request(merchant, item.method, relative, None, raw=item.body)
        except Exception:  # noqa: BLE001 - a body no client could sign: keep every header
            return headers
        own = {k.lower(): v for k, v in signed.items()}
        return [(name, value) for name, value in headers
                if name.lower() not in own or (name.lower() == "content-type" and value != own[name.lower()])]

    # -- admin writes -----------------------------------------------------------------------
    def admin(self, item: RecordedInput) -> dict:
        path = item.path[len(ADMIN):] if item.path.startswith(ADMIN + "/") else item.path
        route = urlsplit(path).path
        value = same_as_json(item.body) if item.body else {}
        ok = item.status is not None and 200 <= item.status < 300
        if item.method == "PATCH" and ok:
            self._patched(route, path, item.body)
        step = self._verb(item.method, route, value, item.status) if ok and path == route else None
        if step is not None:
            return step
        step = {"admin": f"{item.method} {path}"}
        if item.body:
            if value is None:
                step["body"] = _text(item.body)
            else:
                step["json"] = escape_braces(value)
        step["expect"] = {"status": item.status} if item.status is not None else {"dropped": True}
        return step

    def _verb(self, method: str, route: str, value: Any, status: int) -> dict | None:
        """The step verb that sends exactly this, when there is one."""
        if not isinstance(value, dict):
            return None
        parts = route.strip("/").split("/")
        if method == "POST" and route == "/clock/advance" and set(value) == {"by"} \
                and isinstance(value["by"], (str, int, float)) and not isinstance(value["by"], bool):
            return {"advance": value["by"]}
        if method == "POST" and route == "/clock/run" and not value:
            return {"advance": "until_quiet"}
        if method == "POST" and len(parts) == 3 and parts[0] == "simulate" and parts[1] in self.world.providers:
            step: dict = {"simulate": parts[2]}
            if parts[1] != self.default:
                step["provider"] = parts[1]
            if value:
                step["params"] = escape_braces(value)
            step["expect"] = {"status": status}
            return step
        if method == "POST" and route == "/faults" and value.get("provider"):
            return {"fault": escape_braces(value)}
        if method == "DELETE" and route == "/faults":
            return {"clear_faults": True}
        return None

    def _patched(self, route: str, path: str, body: bytes) -> None:
        """Follow merchant settings changes, so later requests are matched to the right merchant."""
        found = re.fullmatch(r"/providers/([^/]+)/merchant", route)
        if not found or found.group(1) not in self.merchants:
            return
        query = parse_qs(urlsplit(path).query)
        try:
            index = int(query.get("index", ["0"])[0])
            self.merchants[found.group(1)][index].update(json.loads(body))
        except (ValueError, IndexError, TypeError, AttributeError):
            pass
