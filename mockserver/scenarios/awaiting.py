"""`await: create` — the object of a story is the merchant's own: the runner waits until the
merchant's app creates it through the provider's API, so a handler that answers 404 for orders it
does not know is checked on an order it knows.

```yaml
- await: create
  kind: invoice                    # optional: the object kind (as GET /_sandbox/objects names it)
  timeout: 60s                     # real time to wait (default 60s)
  trigger: ${CHECKOUT_URL:-}       # optional: POST here first to make the app create one
  trigger_body: ${CHECKOUT_BODY:-} #   (the JSON it posts; default {})
  otherwise:                       # when no app can create it: the runner creates it itself
    call: POST /invoices
    json: {network: trc20, amount_usd: 50, order_id: ORD-1}
  save: {invoice: id}              # from the object: kind, id, status, reference, created
```

The runner waits only when an app can reach the sandbox it drives: in merchant mode (the webhook
URL is the merchant's) against a running sandbox (`--server`). With the built-in receiver, an
inbox, or an in-process sandbox (no app knows its port) it runs `otherwise` and saves the object
that call made, so the same story runs everywhere.
"""
from __future__ import annotations

import asyncio
import json
import time
from mockserver.core.time.durations import parse_duration

from .loader import Step
from .steps import Context, StepFailed, _check_response, _save

DEFAULT_TIMEOUT = "60s"
POLL_SECONDS = 0.2


async def _objects(ctx: Context) -> list[dict]:
    return (await ctx.client.admin("GET", "/objects", query={"provider": ctx.provider.name})).json()


def _new(objects: list[dict], seen: set[str], kind: str | None) -> dict | None:
    return next((o for o in objects if str(o["id"]) not in seen and (kind is None or o["kind"] == kind)), None)


def app_attached(ctx: Context) -> bool:
    """An app can create the object: merchant mode, against a sandbox it can reach."""
    return ctx.app_can_create and ctx.scenario.webhook_url.startswith(("http://", "https://"))


async def _trigger(ctx: Context, step: Step) -> str:
    url = ctx.values(step.options.get("trigger") or "")
    if not url:
        return ""
    raw = ctx.values(step.options.get("trigger_body") or "") or "{}"
    try:
        json.loads(raw)
    except ValueError:
        raise StepFailed("trigger_body is not JSON", expected="a JSON text, e.g. {\"amount_usd\": 50}", got=raw) from None
    exchange = await ctx.client.send("POST", url, body=raw.encode(), headers={"Content-Type": "application/json"})
    if exchange.status >= 400:
        raise StepFailed(f"the trigger answered {exchange.status}", expected="a 2xx or 3xx from your app",
                         got={"url": url, "status": exchange.status, "body": exchange.text()})
    return f" (triggered by POST {url}: {exchange.status})"


async def await_create(ctx: Context, step: Step) -> str:
    kind = step.options.get("kind")
    seen = {str(o["id"]) for o in await _objects(ctx)}
    if not app_attached(ctx):
        fallback = step.options.get("otherwise")
        if not fallback:
            raise StepFailed("no app can create the object here (built-in receiver, inbox or an in-process "
                             "sandbox) and the step has no `otherwise` call")
        method, path = ctx.values(fallback["call"]).split(None, 1)
        exchange = await ctx.client.call(ctx.provider, ctx.merchant, method.upper(), path.strip(),
                                         json_body=ctx.values(fallback.get("json")),
                                         query=ctx.values(fallback.get("query")),
                                         headers=ctx.values(fallback.get("headers")))
        _check_response(step, exchange, ctx.values(fallback.get("expect") or {}), range(200, 300))
        found = _new(await _objects(ctx), seen, kind)
        if found is None:
            raise StepFailed(f"{method} {path} made no new {kind or 'object'}", got=exchange.json() or exchange.text())
        _save(ctx, step, found)
        return f"-> {found['kind']} {found['id']} created by the runner (no app attached)"
    timeout = parse_duration(step.options.get("timeout", DEFAULT_TIMEOUT)).total_seconds()
    if ctx.notify is not None:
        ctx.notify(f"waiting up to {timeout:g}s for your app to create a {ctx.provider.name} {kind or 'object'} "
                   f"through {ctx.client.base_url}{ctx.provider.api_base}")
    how = await _trigger(ctx, step)
    deadline = time.monotonic() + timeout
    while True:
        found = _new(await _objects(ctx), seen, kind)
        if found is not None:
            _save(ctx, step, found)
            return f"-> {found['kind']} {found['id']} created by your app{how}"
        if time.monotonic() >= deadline:
            raise StepFailed(f"your app created no {kind or 'object'} within {timeout:g}s",
                             expected=f"a create call to {ctx.client.base_url}{ctx.provider.api_base} (the sandbox "
                                      "this run resets: point your app at it, with --tenant at its tenant)",
                             got="nothing new" + how)
        await asyncio.sleep(POLL_SECONDS)
