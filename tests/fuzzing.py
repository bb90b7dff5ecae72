"""Support for the bad-input property test (tests/test_fuzz_bad_input.py), provider-agnostic.

- `state_fingerprint(world)`: a digest of everything a World knows except its journal, read
  generically (walking public and private attributes of the backends, chain, outbox, scheduler,
  clock, rng), so a provider added later is covered without a line here.
- `discover_routes(app)`: every (method, path template, owner) of the admin API and of every
  provider sub-application, read from the router.
- `discover_contracts(...)`: which request contract each provider route checks, found by sending
  one genuinely signed request per route and watching which contract the handler validates
  (the providers keep no route -> contract table; this needs none).
- `schema_for(...)`: a request contract with its cross-file $refs inlined, for hypothesis-jsonschema.
- `source_keys(...)`: parameter names a module reads (`params.get("x")`, `body["x"]`, ...), the
  key vocabulary for admin and simulation bodies, which have no contracts.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import inspect
import itertools
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

# -- state fingerprint ------------------------------------------------------------------------

# origin: where the server listens, noted from the first request whatever it was (not a change)
# the journal and the recording (every input since the reset) keep refusals on purpose
SKIP_WORLD_ATTRS = {"journal", "recording", "_contracts", "providers", "_driver", "self_violations", "settings",
                    "origin"}
SKIP_ATTRS = {"world", "journal"}  # back references; the journal records refusals on purpose
# "_by_..." attributes are derived lookup indexes (a memo rebuilt on a miss), not state
DERIVED_PREFIX = "_by_"
MAX_DEPTH = 8


# What _snap does with a value depends on its type only (isinstance, callable, isroutine and the
# module are questions about the type), so each type is sorted once, and the plain leaves (most
# values) are kept without a call. An image walks ~1,000 values and the fuzz and the state
# machines take one or two per request: this made it ~40 % cheaper, the image unchanged.
_PLAIN, _REPR, _RNG, _COUNT, _CALLABLE, _OPAQUE, _DICT, _LIST, _SET, _OBJECT = range(10)
_KINDS: dict[type, int] = {type(None): _PLAIN}
_LEAVES = {type(None), bool, int, str, bytes}     # their own image: no call for them
_ROUTINE: dict[type, bool] = {}


def _kind(value: Any) -> int:
    if isinstance(value, (bool, int, str, bytes)):
        return _PLAIN
    if isinstance(value, (float, Decimal, datetime, date, timedelta)):
        return _REPR
    if isinstance(value, random.Random):
        return _RNG
    if isinstance(value, itertools.count):
        return _COUNT
    if callable(value) and not hasattr(value, "__dict__") or inspect.isroutine(value):
        return _CALLABLE
    if (type(value).__module__ or "").startswith(("asyncio", "aiohttp", "faker", "jsonschema", "_asyncio")):
        return _OPAQUE
    if isinstance(value, dict):
        return _DICT
    if isinstance(value, (list, tuple)):
        return _LIST
    if isinstance(value, (set, frozenset)):
        return _SET
    return _OBJECT


def _is_routine(value: Any) -> bool:
    found = _ROUTINE.get(type(value))
    if found is None:
        found = _ROUTINE[type(value)] = callable(value) and inspect.isroutine(value)
    return found


def _snap(value: Any, depth: int, seen: set[int]) -> Any:
    """A comparable, primitive image of `value` (cycles and callables cut). `seen`: the ids of the
    containers above it (added on the way down, taken out on the way back)."""
    kind = _KINDS.get(type(value))
    if kind is None:
        kind = _KINDS[type(value)] = _kind(value)
    if kind == _PLAIN:
        return value
    if kind == _REPR:
        return repr(value)
    if kind == _RNG:
        return "rng:" + hashlib.sha256(repr(value.getstate()).encode()).hexdigest()[:16]
    if kind == _COUNT:
        return repr(value)       # an id counter: the next id it hands out
    if kind == _CALLABLE:
        return "<callable>"
    if kind == _OPAQUE:
        return f"<{type(value).__name__}>"
    if depth > MAX_DEPTH:
        return "<deep>"
    if id(value) in seen:
        return "<seen>"
    seen.add(id(value))
    depth += 1
    try:
        if kind == _DICT:
            return ("dict", tuple(sorted(((repr(k), v if type(v) in _LEAVES else _snap(v, depth, seen))
                                          for k, v in value.items()), key=lambda kv: kv[0])))
        if kind == _LIST:
            return ("list", tuple(v if type(v) in _LEAVES else _snap(v, depth, seen) for v in value))
        if kind == _SET:
            return ("set", tuple(sorted(repr(v) for v in value)))
        attrs = getattr(value, "__dict__", None)
        if attrs is None:
            slots = getattr(type(value), "__slots__", ())
            attrs = {s: getattr(value, s, None) for s in slots}
        items = []
        for k, v in attrs.items():
            if k in SKIP_ATTRS or k.startswith(DERIVED_PREFIX):
                continue
            if type(v) in _LEAVES:
                items.append((k, v))
            elif not _is_routine(v):
                items.append((k, _snap(v, depth, seen)))
        items.sort()
        return (type(value).__name__, tuple(items))
    finally:
        seen.discard(id(value))


def state_image(world) -> dict[str, Any]:
    """Everything the World knows but its journal, attribute by attribute."""
    image = {}
    for name, value in vars(world).items():
        if name in SKIP_WORLD_ATTRS:
            continue
        if name == "_faker":
            image[name] = None if value is None else _snap(value.random, 0, set())
            continue
        image[name] = _snap(value, 0, set())
    image["clock.now"] = repr(world.clock.now())
    return image


def state_fingerprint(world) -> str:
    return hashlib.sha256(repr(sorted(state_image(world).items())).encode()).hexdigest()


def state_diff(before: dict, after: dict) -> list[str]:
    """Which World attributes differ (for the report of a refusal that changed state)."""
    out = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append(key if key != "backends" else "backends:" + ",".join(
                _changed_backends(before[key], after[key])))
    return out


def _changed_backends(before, after) -> list[str]:
    b, a = dict(before[1]), dict(after[1])
    names = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            attrs_b, attrs_a = dict(b.get(name, ("", ()))[1]), dict(a.get(name, ("", ()))[1])
            names += [f"{name}.{k}" for k in sorted(set(attrs_a) | set(attrs_b))
                      if attrs_a.get(k) != attrs_b.get(k)]
    return names


# -- routes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str
    template: str
    owner: str                      # provider name, or "_sandbox" for the admin API

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{([^}:]+)[^}]*\}", self.template)


def discover_routes(app) -> list[Route]:
    """Every route of the app and its provider sub-applications (HEAD/OPTIONS aside)."""
    from mockserver.core.http.context import WORLD
    world = app[WORLD]
    by_prefix = {p.prefix.rstrip("/"): name for name, p in world.providers.items()}
    out: list[Route] = []

    def walk(application, owner: str) -> None:
        for resource in application.router.resources():
            info = resource.get_info()
            if "app" in info and info.get("prefix"):
                walk(info["app"], by_prefix.get(info["prefix"].rstrip("/"), owner))
                continue
            path = info.get("path") or info.get("formatter")
            for route in resource:
                if route.method in ("HEAD", "OPTIONS", "*") or not path:
                    continue
                out.append(Route(route.method, path, owner))

    walk(app, "_sandbox")
    # admin routes naming a provider (and a simulation verb) are fanned out to each real one, so
    # the simulations are driven as often as any route, whatever providers exist
    expanded: list[Route] = []
    for route in out:
        if route.owner != "_sandbox" or "provider" not in route.params:
            expanded.append(route)
            continue
        expanded.append(route)      # and once with hostile names
        for name, provider in world.providers.items():
            template = route.template.replace("{provider}", name)
            if "action" in route.params:
                expanded += [Route(route.method, template.replace("{action}", verb), "_sandbox")
                             for verb in provider.simulations]
            else:
                expanded.append(Route(route.method, template, "_sandbox"))
    return sorted(set(expanded), key=lambda r: (r.owner, r.template, r.method))


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)[^}]*\}", lambda m: values.get(m.group(1), "x"), template)


def relative(provider, path: str) -> str:
    """A provider path as client_request wants it: relative to api_base (else to the prefix)."""
    for base in (provider.api_base, provider.prefix):
        base = base.rstrip("/")
        if base and path.startswith(base + "/"):
            return path[len(base):]
    return path


# -- contracts --------------------------------------------------------------------------------

class ContractSpy:
    """Wraps each provider's check_request to learn which contract a request reached."""

    def __init__(self, world):
        self.world = world
        self.last: str | None = None
        self.reached = 0
        for name in world.providers:
            bound = world.contracts(name)
            original = bound.contracts.check_request

            def spy(contract, instance, _original=original):
                self.last = contract
                self.reached += 1
                return _original(contract, instance)

            bound.check_request = spy


def _inline_refs(node: Any, here: dict, directory: Path, cache: dict, stack: tuple = ()) -> Any:
    if isinstance(node, list):
        return [_inline_refs(n, here, directory, cache, stack) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        file, _, pointer = ref.partition("#")
        if file and "/" in file:           # an $id URL: its last segment is the file name
            file = file.rsplit("/", 1)[-1]
        doc = here
        if file:
            if file not in cache:
                cache[file] = json.loads((directory / file).read_text(encoding="utf-8"))
            doc = cache[file]
        target = doc
        for part in [p for p in pointer.split("/") if p]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        if (file, pointer) in stack:
            return {}
        resolved = _inline_refs(target, doc, directory, cache, stack + ((file, pointer),))
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {"allOf": [resolved, _inline_refs(rest, here, directory, cache, stack)]} if rest else resolved
    return {k: _inline_refs(v, here, directory, cache, stack) for k, v in node.items()
            if k not in ("$id", "$schema", "examples", "$defs", "x-assumption", "description", "title")}


def schema_for(directory: Path, contract: str) -> dict:
    """contracts/<provider>/<contract>.json with every $ref inlined (hypothesis-jsonschema wants
    one self-contained schema)."""
    doc = json.loads((directory / f"{contract}.json").read_text(encoding="utf-8"))
    return _inline_refs(copy.deepcopy(doc), doc, directory, {})


def source_keys(*modules) -> list[str]:
    """Parameter names the code reads from request bodies/params."""
    pattern = re.compile(r"""(?:params|body|query)(?:\.get\(|\[)\s*["']([A-Za-z_][\w-]*)["']|["']([A-Za-z_][\w-]*)["']\s+in\s+(?:params|body)""")
    keys: set[str] = set()
    for module in modules:
        try:
            text = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        for a, b in pattern.findall(text):
            keys.add(a or b)
    return sorted(keys)


# -- raw HTTP (for header bytes no HTTP client will send) --------------------------------------

async def raw_request(host: str, port: int, method: str, path: str, headers: list[tuple[bytes, bytes]],
                      body: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: {host}:{port}".encode(),
                 b"Connection: close", f"Content-Length: {len(body)}".encode()]
        lines += [k + b": " + v for k, v in headers]
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    got = {}
    for line in header_lines:
        k, _, v = line.partition(":")
        got[k.strip().lower()] = v.strip()
    return status, got, rest


@dataclass
class Stats:
    sent: int = 0
    by_owner: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    succeeded: int = 0
    reached_contract: int = 0
    server_errors: list = field(default_factory=list)
    bad_shape: list = field(default_factory=list)
    changed_state: list = field(default_factory=list)
    not_json_safe: list = field(default_factory=list)
    leaks: list = field(default_factory=list)          # refusals whose words show internals
    slowest: list = field(default_factory=list)
    ok_by_route: dict[str, int] = field(default_factory=dict)

    def problems(self) -> list:
        return self.server_errors + self.bad_shape + self.changed_state + self.not_json_safe + self.leaks

    def summary(self) -> str:
        owners = ", ".join(f"{k} {v}" for k, v in sorted(self.by_owner.items()))
        return (f"bad-input run: {self.sent} requests ({owners}); {self.succeeded} answered 2xx/3xx, "
                f"{self.refused} refused; {self.reached_contract} reached a request contract; "
                f"5xx: {len(self.server_errors)}; refusals that changed state: {len(self.changed_state)}; "
                f"refusals not in the error shape: {len(self.bad_shape)}; "
                f"answers with Infinity/NaN or bad JSON: {len(self.not_json_safe)}; "
                f"refusals showing internals: {len(self.leaks)}")
