"""Fault injection on the provider APIs: what a merchant's client must survive.

A rule names a provider, optionally a route ("POST /invoices" relative to the provider's API
base, or the full route template) and a merchant (header values the merchant's requests carry,
e.g. its API key), and one effect: `status` (in the provider's own error shape, `retry_after`
adds `Retry-After`), `empty` (a status with no body), `reset` (the connection is dropped without
an answer), `malformed_chunk` (a chunked answer cut mid-chunk), `timeout` (held `hold_ms`, then
dropped) — and/or `latency_ms` before it (alone: a slow but correct answer). It fires for the
next `times` matching calls, or with `probability` from the World's own fault rng (seeded, apart
from the story's rng, so faults never change an id or an address). A faulted call never reaches
its handler: it changes nothing.

A rule is checked when added: its provider must exist and its route must be one the provider
mounts (else a 400 with a "did you mean"), since a rule that can never fire is a typo. A spent
rule (`times_left: 0`) stays listed, with how often it `fired`, until it is deleted or cleared.
"""
from __future__ import annotations

import hmac
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..basics.errors import BadRequest, SandboxError
from .settings import unknown

if TYPE_CHECKING:
    from aiohttp import web

KINDS = ("status", "empty", "reset", "malformed_chunk", "timeout")
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"})
MAX_MS = 120_000            # no fault holds a request longer than two minutes
DEFAULT_HOLD_MS = 30_000    # longer than most clients' timeouts
MAX_RULES = 100
_VARIABLE = re.compile(r"\{[^}]*\}")
_FIELDS = frozenset({"provider", "route", "header", "latency_ms", "status", "retry_after", "empty",
                     "reset", "malformed_chunk", "timeout", "hold_ms", "times", "probability"})


@dataclass
class Fault:
    id: str
    provider: str
    method: str = "*"
    path: str | None = None          # a route template, full or relative to the API base
    header: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    hold_ms: int = DEFAULT_HOLD_MS
    times: int | None = None         # remaining; None: until cleared; 0: spent (kept, listed)
    probability: float | None = None
    fired: int = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.times <= 0

    def view(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "provider": self.provider,
                               "route": f"{self.method} {self.path}" if self.path else None,
                               "header": self.header or None, "effect": self.kind or "latency",
                               "status": self.status, "retry_after": self.retry_after,
                               "latency_ms": self.latency_ms or None,
                               "hold_ms": self.hold_ms if self.kind == "timeout" else None,
                               "times_left": self.times, "probability": self.probability,
                               "fired": self.fired}
        return {k: v for k, v in out.items() if v is not None}


def _int(body: dict, name: str, low: int, high: int, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return value


# (METHOD, full route template) the provider mounts, e.g. ("POST", "/cryptopayment/api/v1/invoices")
Routes = Callable[[str], Iterable[tuple[str, str]]]


def check_route(fault: Fault, api_base: str, mounted: Iterable[tuple[str, str]]) -> None:
    """BadRequest unless the rule's route is one the provider mounts, spelt in full or relative
    to its API base (as `Faults.match` compares them), with the closest one as a suggestion."""
    mounted = list(mounted)
    full = {fault.path, api_base + fault.path}
    if any(path in full and (fault.method in ("*", method) or (fault.method == "HEAD" and method == "GET"))
           for method, path in mounted):
        return
    # suggestions spelt as the rule was: in full when it starts like the API base, else relative
    in_full = fault.path.split("/")[1:2] == api_base.split("/")[1:2]
    spelt = {f"{method} {path[len(api_base):] if path.startswith(api_base + '/') and not in_full else path}"
             for method, path in mounted}
    wanted = f"{fault.method} {fault.path}"
    # the same route with its {variables} named otherwise: that one, whatever difflib thinks
    same_shape = [r for r in sorted(spelt) if _VARIABLE.sub("{}", r) == _VARIABLE.sub("{}", wanted)]
    raise BadRequest(unknown("route", wanted, same_shape[:1] or spelt, fault.provider))


def parse_fault(body: Any, providers: dict, fault_id: str, routes: Routes | None = None) -> Fault:
    """A rule from the admin API's (or a scenario step's) JSON, or BadRequest naming the field.
    `routes`: what each provider mounts, to refuse a route that matches none."""
    if not isinstance(body, dict):
        raise BadRequest("a fault is a JSON object: provider, route?, header?, one effect, times? or probability?")
    extra = set(body) - _FIELDS
    if extra:
        raise BadRequest(f"unknown fault fields: {', '.join(sorted(map(str, extra)))}")
    provider = body.get("provider")
    if not isinstance(provider, str) or provider not in providers:
        raise BadRequest(f"provider: {unknown('provider', provider, providers)}")
    fault = Fault(id=fault_id, provider=provider)
    route = body.get("route")
    if route is not None:
        parts = route.split() if isinstance(route, str) else []
        if len(parts) != 2 or parts[0].upper() not in METHODS or not parts[1].startswith("/"):
            raise BadRequest("route must look like 'POST /invoices' (METHOD /path template, or * /path)")
        fault.method, fault.path = parts[0].upper(), parts[1]
        if routes is not None:
            check_route(fault, providers[provider].api_base, routes(provider))
    header = body.get("header") or {}
    if not isinstance(header, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and k.isascii()
                                               and v.isascii() for k, v in header.items()):
        raise BadRequest("header must map header names to the ASCII values a merchant's requests carry")
    fault.header = header
    kinds = [k for k in KINDS[1:] if body.get(k) not in (None, False)]
    if len(kinds) > 1 or (kinds and kinds != ["empty"] and body.get("status") is not None):
        raise BadRequest(f"one effect per fault (status goes only with empty), not {' and '.join(kinds)}")
    fault.kind = kinds[0] if kinds else ("status" if body.get("status") is not None else None)
    fault.latency_ms = _int(body, "latency_ms", 0, MAX_MS, 0)
    if fault.kind is None and not fault.latency_ms:
        raise BadRequest(f"a fault needs an effect: latency_ms or one of {', '.join(KINDS)}")
    for flag in ("empty", "reset", "malformed_chunk", "timeout"):
        if body.get(flag) not in (None, True, False):
            raise BadRequest(f"{flag} must be true")
    fault.status = _int(body, "status", 100 if fault.kind == "empty" else 400, 599)
    if fault.kind == "empty" and fault.status is None:
        fault.status = 200
    fault.retry_after = _int(body, "retry_after", 0, 86_400)
    if fault.retry_after is not None and fault.kind not in ("status", "empty"):
        raise BadRequest("retry_after goes with status")
    fault.hold_ms = _int(body, "hold_ms", 0, MAX_MS, DEFAULT_HOLD_MS)
    fault.times = _int(body, "times", 1, 1_000_000)
    probability = body.get("probability")
    if probability is not None:
        if (not isinstance(probability, (int, float, Decimal)) or isinstance(probability, bool)
                or not 0 < probability <= 1):
            raise BadRequest("probability must be a number above 0 and at most 1")
        fault.probability = float(probability)
    return fault


class Faults:
    """One World's fault rules. The rng is the World's seed's own, not the story's."""

    def __init__(self, seed: int):
        self.rules: dict[str, Fault] = {}
        self.rng = random.Random(f"faults:{seed}")
        self._count = 0

    def add(self, body: Any, providers: dict, routes: Routes | None = None) -> Fault:
        fault = parse_fault(body, providers, "", routes)
        if len(self.rules) >= MAX_RULES:   # spent rules are kept for show: the oldest goes first
            spent = next((f.id for f in self.rules.values() if f.spent), None)
            if spent is None:
                raise SandboxError(f"at most {MAX_RULES} fault rules; clear some first", status=409)
            del self.rules[spent]
        self._count += 1  # only once the rule is accepted: a refusal changes nothing
        fault.id = f"fault_{self._count}"
        self.rules[fault.id] = fault
        return fault

    def list(self) -> list[dict]:
        return [f.view() for f in self.rules.values()]

    def remove(self, fault_id: str) -> bool:
        return self.rules.pop(fault_id, None) is not None

    def clear(self) -> int:
        count = len(self.rules)
        self.rules.clear()
        return count

    def match(self, provider: str, api_base: str, request: "web.Request") -> Fault | None:
        """The first rule this request triggers (spending one of its `times`), or None."""
        if not self.rules:
            return None
        template = None
        for fault in self.rules.values():
            if fault.provider != provider or fault.spent:
                continue
            if fault.method != "*" and fault.method != request.method:
                continue
            if fault.path is not None:
                if template is None:
                    resource = getattr(request.match_info.route, "resource", None)
                    template = getattr(resource, "canonical", None) or request.path
                if template != fault.path and template != api_base + fault.path:
                    continue
            if not all(hmac.compare_digest(request.headers.get(k, "").encode("utf-8", "replace"),
                                           v.encode()) for k, v in fault.header.items()):
                continue
            if fault.probability is not None and self.rng.random() >= fault.probability:
                continue
            fault.fired += 1
            if fault.times is not None:
                fault.times -= 1
            return fault
        return None
