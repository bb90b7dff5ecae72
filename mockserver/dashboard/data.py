"""What each page shows, gathered from the World and the providers' dashboard hooks."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from ..core.admin import _clock_view
from ..core.durations import format_duration
from ..core.errors import NotFound
from ..core.guard import GUARD, mask_secrets
from ..core.http import WORLD

TIMELINE_LIMIT = 500


def world_of(request: web.Request):
    return request.app[WORLD]


def provider_of(request: web.Request):
    world = world_of(request)
    name = request.match_info["provider"]
    if name not in world.providers:
        raise NotFound(f"unknown provider {name!r}")
    return world.providers[name]


def clock(world) -> dict:
    view = _clock_view(world)
    nxt = view.get("next_event_at")
    view["next_in"] = (format_duration(datetime.fromisoformat(nxt) - world.clock.now())
                       if nxt else None)
    return view


def until(world, instant: str | None) -> str | None:
    """"in 29m12s" / "12m ago" on the virtual clock."""
    if not instant:
        return None
    delta = datetime.fromisoformat(instant) - world.clock.now()
    if delta.total_seconds() >= 0:
        return f"in {format_duration(delta)}"
    return f"{format_duration(-delta)} ago"


def providers(request: web.Request) -> list[dict]:
    """Per provider: base URL, credentials, merchants (secrets masked unless authorized)."""
    world = world_of(request)
    origin = world.public_url or str(request.url.origin())
    out = []
    for name, provider in sorted(world.providers.items()):
        backend = world.backend(name)
        described = provider.describe(backend.merchants[0] if backend.merchants else {}, origin)
        out.append({"name": name, "title": provider.title, "base_url": described.get("base_url"),
                    "replaces": described.get("replaces"),
                    "credentials": described.get("credentials") or {},
                    "merchants": [{"index": i, "urls": {k: v for k, v in m.items() if k.endswith("url")},
                                   "settings": m} for i, m in enumerate(backend.merchants)],
                    "verbs": provider_verbs(provider), "objects": len(provider.objects(backend))})
    guard = request.app.get(GUARD)
    if guard is not None and not guard.authorized(request):
        out = mask_secrets(out)
    return out


def provider_verbs(provider) -> list[dict]:
    """Verbs that act on no single object (deposit, fund, settings...)."""
    return [{"verb": v, **spec} for v, spec in provider.simulation_params.items() if not spec.get("for")]


def object_verbs(provider, kind: str, object_id: str) -> list[dict]:
    out = []
    for verb, spec in provider.simulation_params.items():
        if spec.get("for") != kind:
            continue
        base = {spec.get("id", kind): object_id}
        presets = [{"label": label, "body": {**base, **params}}
                   for label, params in (spec.get("presets") or {}).items()]
        fields = [{"name": n, "type": t if isinstance(t, str) else "choice",
                   "choices": t if isinstance(t, list) else None}
                  for n, t in (spec.get("fields") or {}).items()]
        out.append({"verb": verb, "presets": presets, "fields": fields, "base": base})
    return out


def objects(world, provider, *, kind: str = "", status: str = "", text: str = "") -> tuple[list, list, list]:
    found = provider.objects(world.backend(provider.name))
    kinds = sorted({o["kind"] for o in found})
    statuses = sorted({str(o["status"]) for o in found})
    text = text.lower()
    rows = [o for o in found
            if (not kind or o["kind"] == kind) and (not status or str(o["status"]) == status)
            and (not text or text in o["id"].lower())]
    rows.sort(key=lambda o: o.get("created") or "", reverse=True)
    return rows, kinds, statuses


def timeline(world, view: dict) -> list[dict]:
    """Everything that concerns one object, in virtual-time order: journal entries carrying one
    of its refs (webhooks, simulations, the provider's own records), API exchanges whose path
    names it, and chain transfers to its addresses."""
    refs = {str(r) for r in view.get("refs") or [] if r}
    items: list[dict] = [{"at": view.get("created"), "seq": 0, "kind": "created",
                          "text": f"{view['kind']} {view['id']} created"}]
    for entry in world.journal.query():
        if entry.get("ref") in refs or entry.get("order") in refs or (
                entry["kind"] == "api" and any(r in str(entry.get("path", "")) for r in refs)):
            items.append({"at": entry["at"], "seq": entry["seq"], "kind": entry["kind"],
                          "text": describe_entry(entry), "delivery": entry.get("delivery")})
    now = world.clock.now()
    for address in view.get("addresses") or []:
        for tx in world.chain.transfers_to(address):
            items.append({"at": tx.seen_at.isoformat(), "seq": 0, "kind": "chain.transfer",
                          "text": f"{tx.amount} on {tx.network} to {address} "
                                  f"(txid {tx.txid[:16]}…, {tx.confirmations(now)} confirmations)"})
    items.sort(key=lambda i: (i["at"] or "", i["seq"]))
    return items[-TIMELINE_LIMIT:]


SKIP_KEYS = {"seq", "at", "kind", "provider"}


def describe_entry(entry: dict) -> str:
    kind = entry["kind"]
    if kind == "api":
        return f"{entry.get('method')} {entry.get('path')} → {entry.get('status')}"
    if kind == "webhook.attempt":
        result = entry.get("status") or entry.get("error")
        ok = "acknowledged" if entry.get("acknowledged") else "not acknowledged"
        return f"{entry.get('event')}: attempt {entry.get('attempt')} → {result} ({ok})"
    return ", ".join(f"{k}={v}" for k, v in entry.items() if k not in SKIP_KEYS)


def pretty_body(text: str) -> str:
    """A webhook body as a person reads it: indented JSON, else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def delivery_view(world, delivery) -> dict:
    view = delivery.to_dict()
    view["pretty_body"] = pretty_body(view["body"])
    view["next_in"] = until(world, view["next_attempt_at"])
    provider = world.providers.get(delivery.provider)
    view["signature_help"] = getattr(provider, "webhook_signature", "") if provider else ""
    view["verifies"] = verifies(world, delivery)
    return view


def verifies(world, delivery) -> list[int] | None:
    """Which merchants' keys verify the delivery (the merchant's own check), or None when the
    provider cannot say."""
    provider = world.providers.get(delivery.provider)
    if provider is None:
        return None
    good = []
    for index, merchant in enumerate(world.backend(delivery.provider).merchants):
        try:
            if provider.verify_webhook(merchant, dict(delivery.headers), delivery.body):
                good.append(index)
        except (NotImplementedError, KeyError, TypeError, ValueError):
            return None
    return good


def tampered(body: bytes) -> tuple[bytes, str]:
    """The same body with one signed value changed: an amount made ten times larger where there
    is one, else the first string value altered; not JSON -> the last byte flipped."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        changed = _tamper(payload)
        if changed:
            return json.dumps(payload, separators=(",", ":")).encode(), changed
    if not body:
        return b"tampered", "empty body replaced"
    return body[:-1] + bytes([body[-1] ^ 1]), "last byte flipped"


def _tamper(node: Any, path: str = "") -> str | None:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    items = list(items)
    for key, value in items:   # amounts first: the change a forger wants
        if "amount" in str(key).lower() and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                node[key] = type(value)(float(value) * 10) if not isinstance(value, str) else str(
                    float(value) * 10)
            except ValueError:
                continue
            return f"{path}{key}: {value} → {node[key]}"
    for key, value in items:
        if isinstance(value, str) and "sign" not in str(key).lower():
            node[key] = value + "X"
            return f"{path}{key}: {value!r} → {node[key]!r}"
        if isinstance(value, (dict, list)):
            found = _tamper(value, f"{path}{key}.")
            if found:
                return found
    return None
