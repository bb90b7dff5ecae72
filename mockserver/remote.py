"""Verbs against a running sandbox, in the manner of a payment provider's own CLI:
`mockserver trigger PROVIDER STORY`, `mockserver deliveries [--follow]`, `mockserver advance 6m`.

They speak only HTTP (the admin API and the provider's own API, signed by its `client_request`),
through the scenario runner's client and step verbs, so a story is the same steps a scenario file
would write. Each provider lists its stories (`Provider.stories`) in its own folder.

`advance`, `record` and the `deliveries` listing need nothing but the admin API: they go through
scenarios.client.BlockingClient (the standard library's HTTP client, no event loop), and start
without aiohttp, asyncio, YAML or the providers (tests/test_startup_imports.py). `trigger` signs
with the provider's own code and `deliveries --follow` prints the server console's lines: those
load what they need.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

DEFAULT_SERVER = "http://127.0.0.1:8080"
ATTEMPT = "webhook.attempt"


def _base(args: argparse.Namespace) -> str:
    return (args.server or os.environ.get("SANDBOX_URL") or DEFAULT_SERVER).rstrip("/")


def _server(args: argparse.Namespace) -> str:
    from .scenarios.client import tenant_url
    return tenant_url(_base(args), args.tenant or os.environ.get("SANDBOX_TENANT") or None)


def _unreachable(args: argparse.Namespace, reason: str) -> str:
    """One line: what did not answer, where its URL came from, and how to name the right one."""
    source = ("from --server" if args.server else
              "from SANDBOX_URL" if os.environ.get("SANDBOX_URL") else "the default")
    return (f"mockserver {args.command}: no sandbox at {_base(args)} ({reason}; {source}): start one "
            f"with `mockserver serve`, or give its URL with --server URL or SANDBOX_URL")


def _run(coro_fn, args: argparse.Namespace, *, blocking: bool = False) -> int:
    """Run a verb; a sandbox that cannot be reached is one line, Ctrl-C is 'interrupted' and 130,
    a reader that stops reading (`| head`) ends it quietly. `blocking`: the verb awaits only a
    BlockingClient, so its coroutine runs to the end at its first step, without asyncio (~40 ms
    of a start)."""
    from .scenarios.client import SandboxUnavailable, SandboxUnreachable
    try:
        if blocking:
            from .scenarios.client import run_to_end
            return run_to_end(coro_fn(args))
        import asyncio
        return asyncio.run(coro_fn(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return 130
    except SandboxUnreachable as exc:
        print(_unreachable(args, exc.reason), file=sys.stderr)
        return 1
    except SandboxUnavailable as exc:
        print(f"sandbox at {_server(args)}: {exc}", file=sys.stderr)
        return 1


async def _with_client(args: argparse.Namespace, verb) -> int:
    from .scenarios.client import SandboxClient
    from .scenarios.runner import client_session
    async with client_session() as session:
        return await verb(SandboxClient(_server(args), session), args)


async def _with_blocking_client(args: argparse.Namespace, verb) -> int:
    from .scenarios.client import BlockingClient
    return await verb(BlockingClient(_server(args)), args)


# -- advance ------------------------------------------------------------------------------------

async def advance(client, by: str, out: TextIO) -> dict:
    view = await client.advance(by)
    out.write(f"clock {view['now']}  (+{view.get('elapsed') or '?'} since start; "
              f"{view.get('events_run', 0)} event(s) run; next event "
              f"{view.get('next_event_at') or 'none'})\n")
    return view


def cmd_advance(args: argparse.Namespace) -> int:
    async def verb(client, args):
        await advance(client, args.duration, sys.stdout)
        return 0
    return _run(lambda a: _with_blocking_client(a, verb), args, blocking=True)


# -- deliveries ---------------------------------------------------------------------------------

def attempt_wanted(entry: dict, event: str | None, status: str | None) -> bool:
    """`status`: delivered (acknowledged), failed (not), or the receiver's HTTP status code."""
    if event and entry.get("event") != event:
        return False
    if status == "delivered":
        return bool(entry.get("acknowledged"))
    if status == "failed":
        return not entry.get("acknowledged")
    return status is None or str(entry.get("status")) == status


def _delivery_line(d: dict) -> str:
    answers = ",".join(str(a["status"]) if a.get("status") is not None else (a.get("error") or "?")
                       for a in d["attempts"])
    nxt = f" next {d['next_attempt_at']}" if d.get("next_attempt_at") else ""
    return (f"{d['id']} {d['provider']} {d['event']} {d['status']} "
            f"{d['attempt_count']}/{d['max_attempts']} [{answers}]{nxt} ref={d.get('ref')}")


async def list_deliveries(client, args: argparse.Namespace, out: TextIO) -> int:
    query = {k: v for k, v in (("provider", args.provider), ("event", args.event),
                                ("status", args.status), ("limit", args.limit)) if v}
    found = (await client.admin("GET", "/deliveries", query=query)).json()
    for d in found:
        out.write((json.dumps({k: v for k, v in d.items() if k not in ("headers", "body")})
                   if args.json else _delivery_line(d)) + "\n")
    if not found:
        out.write("no deliveries\n")
    return 0


async def follow_deliveries(client, args: argparse.Namespace, out: TextIO, since: int | None = None) -> None:
    """Print each new webhook attempt as a line, polling the journal, until cancelled."""
    import asyncio

    from .core.http.console import json_line, webhook_line
    render = json_line if args.json else webhook_line
    if since is None:
        since = await _last_seq(client)
    query = {"kind": ATTEMPT, **({"provider": args.provider} if args.provider else {})}
    while True:
        if await _last_seq(client) < since:  # a reset started a new journal, numbered from 1
            since = 0
        entries = (await client.admin("GET", "/journal", query={**query, "since": since})).json()
        for entry in entries:
            since = max(since, entry["seq"])
            if attempt_wanted(entry, args.event, args.status):
                out.write(render(entry) + "\n")
        out.flush()
        await asyncio.sleep(args.interval)


async def _last_seq(client) -> int:
    latest = (await client.admin("GET", "/journal", query={"limit": 1})).json()
    return latest[-1]["seq"] if latest else 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    async def verb(client, args):
        if not args.follow:
            return await list_deliveries(client, args, sys.stdout)
        print(f"following webhook attempts on {_server(args)} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        await follow_deliveries(client, args, sys.stdout)
        return 0
    if args.follow:   # polls on the event loop, until Ctrl-C
        return _run(lambda a: _with_client(a, verb), args)
    return _run(lambda a: _with_blocking_client(a, verb), args, blocking=True)


# -- trigger ------------------------------------------------------------------------------------

class TriggerError(Exception):
    """A usage problem: unknown provider or story."""


def story_scenario(provider: Any, story: str):
    """The provider's create steps, the story's, then its state step, as a checked Scenario."""
    from .scenarios.loader import scenario_from_mapping
    stories = {k: v for k, v in provider.stories.items() if k not in ("create", "state")}
    if story not in stories:
        raise TriggerError(f"{provider.name} has no story {story!r}; known: {', '.join(stories) or 'none'}")
    chosen = stories[story]
    # a story is its steps, or {"create", "steps", "state"} when it needs another kind of object
    parts = chosen if isinstance(chosen, dict) else {"steps": chosen}
    steps = [*parts.get("create", provider.stories["create"]), *parts["steps"],
             *parts.get("state", provider.stories.get("state", []))]
    return scenario_from_mapping({"scenario": f"trigger {provider.name} {story}", "provider": provider.name,
                                  "steps": steps}, f"<{provider.name} stories>")


async def trigger(client, provider_name: str, story: str, out: TextIO, *, merchant: int = 0,
                  webhook_url: str | None = None, order_ref: str | None = None) -> int:
    """Create an object through the provider's API, run the story, print what was sent and
    every webhook attempt about that object that followed. 0 when every step went through, 1
    otherwise."""
    import secrets
    from datetime import datetime

    from .core.http.console import webhook_line
    from .core.http.guard import mask_secrets
    from .providers.registry import load_provider, load_providers
    from .scenarios.steps import pick_merchant
    from .scenarios.steps import VERBS, Context, StepFailed
    provider = load_provider(provider_name)   # its folder alone: the other four are ~0.15 s
    if provider is None:
        raise TriggerError(f"unknown provider {provider_name!r}; known: {', '.join(sorted(load_providers()))}")
    scenario = story_scenario(provider, story)
    if webhook_url:
        await client.update_merchant(provider.name, merchant, {"webhook_url": webhook_url})
    merchants = (await client.providers())[provider.name]["merchants"]
    index, settings = pick_merchant(merchants, merchant)
    since = await _last_seq(client)
    now = datetime.fromisoformat((await client.clock())["now"])
    ref = order_ref or f"TRG-{secrets.randbelow(10**8):08d}"
    ctx = Context(scenario=scenario, client=client, provider=provider, merchant=settings,
                  webhook_url=settings.get("webhook_url") or "", receiver=None, start=now,
                  variables={"order_ref": ref, "api_base": client.base_url + provider.api_base})
    out.write(f"trigger {provider.name} {story} on {client.base_url} (merchant {index}, "
              f"webhooks to {settings.get('webhook_url') or 'nowhere: no webhook_url set'})\n")
    failed = False
    for step in scenario.steps:
        label = step.label()
        try:
            label = ctx.values(label)
        except StepFailed:
            pass
        try:
            summary = await VERBS[step.verb](ctx, step)
        except StepFailed as exc:
            out.write(f"  FAIL {label}: {exc.problem}\n" + (f"       got: {exc.got}\n" if exc.got else ""))
            failed = True
            break
        out.write(f"  sent {label}  {summary}\n")
        if step.verb == "call" and step.options.get("json") is not None:
            out.write(f"       {json.dumps(mask_secrets(ctx.values(step.options['json'])), default=str)}\n")
    if "ref" in ctx.variables:
        out.write(f"  {provider.name} object: {ctx.variables['ref']} (order reference {ref})\n")
    attempts = (await client.admin("GET", "/journal", query={"kind": ATTEMPT, "since": since})).json()
    # this object's only: other objects' retries and expiries fall due in the story's advances too
    own = {ctx.variables.get("ref"), ref} - {None}
    mine = [e for e in attempts if e.get("provider") == provider.name and e.get("ref") in own]
    out.write(f"  {len(mine)} webhook attempt(s):\n" if mine else "  no webhook attempts\n")
    for entry in mine:
        out.write(f"    {webhook_line(entry)}\n")
    return 1 if failed else 0


def cmd_trigger(args: argparse.Namespace) -> int:
    async def verb(client, args):
        try:
            return await trigger(client, args.provider, args.story, sys.stdout, merchant=args.merchant,
                                 webhook_url=args.webhook_url, order_ref=args.ref)
        except TriggerError as exc:
            print(f"mockserver trigger: {exc}", file=sys.stderr)
            return 2
    return _run(lambda a: _with_client(a, verb), args)


# -- record -------------------------------------------------------------------------------------

async def record(client, target: str | None, out: TextIO, err: TextIO) -> int:
    """Save what the sandbox's world did since its last reset as a scenario (stdout without -o)."""
    text = (await client.admin("GET", "/recording")).body.decode("utf-8")
    if target in (None, "-"):
        out.write(text)
        return 0
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        err.write(f"mockserver record: cannot write {target}: {exc.strerror or exc}\n")
        return 1
    import yaml   # only for the summary line: stdout gets the text as it came
    data = yaml.safe_load(text)
    err.write(f"recorded {len(data['steps'])} steps (seed {data['seed']}) to {target}; "
              f"replay: mockserver run {target}\n")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    async def verb(client, args):
        return await record(client, args.output, sys.stdout, sys.stderr)
    return _run(lambda a: _with_blocking_client(a, verb), args, blocking=True)


# -- the command line ---------------------------------------------------------------------------

def add_commands(sub: argparse._SubParsersAction) -> None:
    def server(p: argparse.ArgumentParser) -> None:
        p.add_argument("--server", metavar="URL",
                       help=f"the running sandbox (default $SANDBOX_URL or {DEFAULT_SERVER})")
        p.add_argument("--tenant", metavar="NAME",
                       help="one tenant's world of it, /t/NAME/... (default $SANDBOX_TENANT)")

    trig = sub.add_parser("trigger", help="create an object and run a payment story on a running sandbox",
                          description="Create an invoice/order through the provider's own API (signed as a "
                                      "real client), run the story, print what was sent and the webhook "
                                      "attempts that followed. Stories: exact, partial, over, late, expire "
                                      "(where the provider has them).")
    trig.add_argument("provider")
    trig.add_argument("story", help="exact | partial | over | late | expire")
    trig.add_argument("--merchant", type=int, default=0, help="merchant index (default 0)")
    trig.add_argument("--webhook-url", dest="webhook_url", help="set the merchant's webhook_url first")
    trig.add_argument("--ref", help="the merchant's order reference (default TRG-<random digits>)")
    server(trig)
    trig.set_defaults(func=cmd_trigger)

    dels = sub.add_parser("deliveries", help="list webhook deliveries, or --follow new attempts live")
    dels.add_argument("--follow", "-f", action="store_true", help="print each new attempt until Ctrl-C")
    dels.add_argument("--provider")
    dels.add_argument("--event")
    dels.add_argument("--status", help="listing: pending | delivered | exhausted | failed; "
                                       "--follow: delivered | failed | an HTTP status code")
    dels.add_argument("--limit", type=int, help="listing: the last N deliveries")
    dels.add_argument("--json", action="store_true", help="JSON lines")
    dels.add_argument("--interval", type=float, default=0.5, help="--follow: seconds between polls")
    server(dels)
    dels.set_defaults(func=cmd_deliveries)

    rec = sub.add_parser("record", help="save what a running sandbox did since its last reset as a scenario",
                         description="Every provider API call, simulation, chain transfer, clock move and "
                                     "settings change since the world's last reset, as a scenario that "
                                     "`mockserver run FILE` replays exactly (GET /_sandbox/recording).")
    rec.add_argument("-o", "--output", metavar="FILE", help="write it here (default: stdout)")
    server(rec)
    rec.set_defaults(func=cmd_record)

    adv = sub.add_parser("advance", help="move a running sandbox's virtual clock forward, e.g. 6m")
    adv.add_argument("duration", help='"90s", "6m", "1h30m", "2d"')
    server(adv)
    adv.set_defaults(func=cmd_advance)
