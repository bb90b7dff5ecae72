"""What each page shows, gathered from the World and the providers' dashboard hooks."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from ..core.chain.networks import NETWORKS
from ..core.http.admin import _clock_view
from ..core.time.durations import format_duration
from ..core.basics.errors import NotFound
from ..core.contracts.messages import show
from ..core.http.guard import GUARD, mask_secrets
from ..core.http.context import public_base, world_of
from ..providers.base import Preset

TIMELINE_LIMIT = 500


def provider_of(request: web.Request):
    world = world_of(request)
    name = request.match_info["provider"]
    if name not in world.providers:
        raise NotFound(f"unknown provider {show(name)}")
    return world.providers[name]


def clock(world) -> dict:
    view = _clock_view(world)
    nxt = view.get("next_event_at")
    view["next_in"] = (format_duration(datetime.fromisoformat(nxt) - world.clock.now())
                       if nxt else None)
    return view


def instant(text: str | None) -> datetime:
    """An ISO 8601 instant as any provider writes it ("...Z" too); missing -> the earliest."""
    if not text:
        return datetime.min.replace(tzinfo=timezone.utc)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def until(world, when: str | None) -> str | None:
    """"in 29m12s" / "12m ago" on the virtual clock."""
    if not when:
        return None
    delta = instant(when) - world.clock.now()
    if delta.total_seconds() >= 0:
        return f"in {format_duration(delta)}"
    return f"{format_duration(-delta)} ago"


def providers(request: web.Request) -> list[dict]:
    """Per provider: base URL, credentials, merchants (secrets masked unless authorized)."""
    world = world_of(request)
    origin = public_base(request, world)
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
    return [_verb(v, spec, {}, None) for v, spec in provider.simulation_params.items() if not spec.get("for")]


def _verb(verb: str, spec: dict, base: dict, view: dict | None) -> dict:
    """One verb's buttons and form; with an object's `view`, only the presets that apply to it."""
    presets = []
    for label, preset in (spec.get("presets") or {}).items():
        params, note = preset, None
        if isinstance(preset, Preset):
            if view is not None and preset.when is not None and not preset.when(view):
                continue
            params = preset.params
            note = preset.note(view) if view is not None and preset.note is not None else None
        presets.append({"label": label, "body": {**base, **params}, "note": note})
    fields = [{"name": n, "type": t if isinstance(t, str) else "choice",
               "choices": t if isinstance(t, list) else None}
              for n, t in (spec.get("fields") or {}).items()]
    return {"verb": verb, "presets": presets, "fields": fields, "base": base}


def object_verbs(provider, view: dict) -> list[dict]:
    """The verbs, presets and fields that apply to one object as its dashboard view shows it now
    (the provider's `when` predicates): the object page and hosted pages offer these only."""
    kind, object_id = view["kind"], view["id"]
    out = []
    for verb, spec in provider.simulation_params.items():
        target = spec.get("for")
        if isinstance(target, dict):          # several kinds: kind -> the param naming it
            if kind not in target:
                continue
            base = {target[kind]: object_id}
        elif target == kind:
            base = {spec.get("id", kind): object_id}
        else:
            continue
        when = spec.get("when")
        if when is not None and not when(view):
            continue
        offered = _verb(verb, spec, base, view)
        if offered["presets"] or offered["fields"]:
            out.append(offered)
    return out


def objects(world, provider, *, kind: str = "", status: str = "", text: str = "") -> tuple[list, list, list]:
    """The provider's objects that pass the filters; `text` matches the id or the merchant's own
    reference (order id), case-insensitively."""
    found = provider.objects(world.backend(provider.name))
    kinds = sorted({o["kind"] for o in found})
    statuses = sorted({str(o["status"]) for o in found})
    text = text.strip().lower()
    rows = [o for o in found
            if (not kind or o["kind"] == kind) and (not status or str(o["status"]) == status)
            and (not text or text in o["id"].lower() or text in str(o.get("reference") or "").lower())]
    rows.sort(key=lambda o: o.get("created") or "", reverse=True)
    return rows, kinds, statuses


def filter_text(filters: dict) -> str:
    """The list's filters in words ("status confirmed, id or order id containing "ORD-1""), or ""."""
    said = [f"{name} {filters[name]}" for name in ("kind", "status") if filters.get(name)]
    if filters.get("text"):
        said.append(f"id or order id containing \u201c{filters['text']}\u201d")
    return ", ".join(said)


def timeline(world, view: dict) -> list[dict]:
    """Everything that concerns one object, in virtual-time order: journal entries carrying one
    of its refs (webhooks, simulations, the provider's own records), API exchanges whose path
    names it, and chain transfers to its addresses."""
    refs = {str(r) for r in view.get("refs") or [] if r}
    addresses = set(view.get("addresses") or [])
    items: list[dict] = [{"at": view.get("created"), "seq": 0, "kind": "created",
                          "text": f"{view['kind']} {view['id']} created"}]
    for entry in world.journal.query():
        if entry.get("ref") in refs or entry.get("order") in refs or (
                entry["kind"] == "api" and any(r in str(entry.get("path", "")) for r in refs)) or (
                entry["kind"].startswith("chain.") and entry.get("address") in addresses):
            items.append({"at": entry["at"], "seq": entry["seq"], "kind": entry["kind"],
                          "text": describe_entry(entry), "delivery": entry.get("delivery")})
    now = world.clock.now()
    for address in view.get("addresses") or []:
        for tx in world.chain.transfers_to(address):
            items.append({"at": tx.seen_at.isoformat(), "seq": 0, "kind": "chain.transfer",
                          "text": f"{tx.amount} on {tx.network} to {address} "
                                  f"(txid {tx.txid[:16]}…, {tx.confirmations(now)} confirmations)"})
    items.sort(key=lambda i: (instant(i["at"]), i["seq"]))
    return items[-TIMELINE_LIMIT:]


def chain_networks() -> list[str]:
    """The simulated networks by their own names (the transfer form's choices)."""
    return sorted({net.name for net in NETWORKS.values()})


def chain_transfers(world, view: dict) -> list[dict]:
    """The transfers to the object's addresses, each with the chain events that apply to it now
    (buttons posting to /_sandbox/chain/...): a confirmed one can be reorged (mined again, or
    dropped), a pending one double-spent or dropped, a stuck one released."""
    now = world.clock.now()
    out = []
    for address in view.get("addresses") or []:
        for tx in world.chain.transfers_to(address):
            status, confirmations, txid = tx.status(now), tx.confirmations(now), {"txid": tx.txid}
            actions = []
            if status == "mined" and confirmations > 0:
                actions += [("Reorg (mined again)", "reorg", txid),
                            ("Reorg (dropped)", "reorg", {**txid, "drop": True})]
            elif status in ("pending", "stuck"):
                if status == "stuck":
                    actions.append(("Release", "release", txid))
                actions += [("Double spend", "double_spend", txid),
                            ("Drop", "reorg", {**txid, "drop": True})]
            out.append({"txid": tx.txid, "amount": str(tx.amount), "network": tx.network, "token": tx.token,
                        "memo": tx.memo, "status": status, "confirmations": confirmations,
                        "actions": [{"label": label, "url": f"/_sandbox/chain/{route}", "body": body}
                                    for label, route, body in actions]})
    return out


SKIP_KEYS = {"seq", "at", "kind", "provider"}


def describe_entry(entry: dict) -> str:
    kind = entry["kind"]
    if kind == "api":
        line = f"{entry.get('method')} {entry.get('path')} → {entry.get('status')}"
        return f"{line}: {entry['reason']}" if entry.get("reason") else line
    if kind == "webhook.attempt":
        result = entry.get("status") or entry.get("error")
        ok = "acknowledged" if entry.get("acknowledged") else "not acknowledged"
        return f"{entry.get('event')}: attempt {entry.get('attempt')} → {result} ({ok})"
    if kind == "webhook.enqueued":
        return f"{entry.get('event')} queued as {entry.get('delivery')}"
    if kind == "simulate":
        return f"{entry.get('action')} (simulated)"
    return ", ".join(f"{k}={v}" for k, v in entry.items() if k not in SKIP_KEYS)


def pretty_body(text: str) -> str:
    """A webhook body as a person reads it: indented JSON, else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):   # not JSON, or nested past what a person reads
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


def tampered(body: bytes, still_valid=lambda b: False) -> tuple[bytes, str]:
    """The same body with one value changed, keeping the original signature: amounts first (the
    change a forger wants), then other values, until a copy comes out that the merchant's check
    (`still_valid`) must refuse; a provider that signs only some fields is shown up that way.
    Not JSON -> the last byte flipped."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    first = None
    if isinstance(payload, (dict, list)):
        for path in sorted(_leaves(payload), key=lambda p: "amount" not in p[-1].lower() if p and isinstance(p[-1], str) else True):
            copy = json.loads(body)
            changed = _change(copy, path)
            if changed is None:
                continue
            candidate = json.dumps(copy, separators=(",", ":")).encode()
            first = first or (candidate, changed)
            if not still_valid(candidate):
                return candidate, changed
    if first is not None:
        return first[0], first[1] + " (the signature does not cover any single field)"
    if not body:
        return b"tampered", "empty body replaced"
    return body[:-1] + bytes([body[-1] ^ 1]), "last byte flipped"


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    out = []
    for key, value in items:
        if isinstance(value, (dict, list)):
            out += _leaves(value, path + (key,))
        elif isinstance(key, str) and "sign" in key.lower():
            continue   # the signature itself stays as it was
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.append(path + (key,))
    return out


def _change(root: Any, path: tuple) -> str | None:
    node = root
    for key in path[:-1]:
        node = node[key]
    key, value = path[-1], node[path[-1]]
    if isinstance(value, (int, float)):
        node[key] = value * 10 if value else 1
    else:
        try:
            node[key] = str(float(value) * 10) if float(value) else "1"
        except ValueError:
            node[key] = value + "X"
    return f"{'.'.join(map(str, path))}: {value!r} → {node[key]!r}"
