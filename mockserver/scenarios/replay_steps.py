"""The steps a recording (`GET /_sandbox/recording`) writes beyond the hand-written verbs, and how
its `origins` stand in for the recorded world's URLs.

- `admin: METHOD /path`: any admin write, with its body as sent (`json`, or `body` as exact text);
  a recording carries writes the other verbs do not name (merchant settings, chain transfers,
  redeliveries, routes added later), so it needs no knowledge of them.
- `wait_journal: N`: wait until the sandbox's journal holds entry N. A webhook attempt runs beside
  the clock, so when the recorded world had already journaled it before the next input came, the
  replay waits for it too, and both journals keep the same order.
"""
from __future__ import annotations

import asyncio
import re
import time

from .loader import Step
from .steps import VERBS as STEP_VERBS, Context, StepFailed, _check_response, _save

WAIT_SECONDS = 10.0      # real time: what the recorded world did between two inputs is quick
POLL_SECONDS = 0.01


def stand_ins(origins: dict[str, str], receiver: str | None, sandbox: str) -> list:
    """Patterns for a recording's `origins` (as written and JSON-escaped, `\\/`), longest first;
    an origin never matches inside a longer one (`:80` in `:8080`)."""
    out = []
    for old in sorted(origins, key=len, reverse=True):
        new = receiver if origins[old] == "receiver" else sandbox
        if new is None:
            continue
        for was, now in ((old, new), (old.replace("/", "\\/"), new.replace("/", "\\/"))):
            out.append((re.compile(re.escape(was) + r"(?![\w.:-])"), now))
    return out


async def admin(ctx: Context, step: Step) -> str:
    method, path = str(step.arg).split(None, 1)
    raw = step.options.get("body")
    payload = ctx.stand_in(ctx.values(step.options.get("json")))
    exchange = await ctx.client.admin(
        method.upper(), ctx.stand_in(path.strip()), payload, ok=range(400, 600),
        raw=None if raw is None else ctx.stand_in(raw).encode("utf-8"))
    expect = ctx.stand_in(ctx.values(step.options.get("expect") or {}))
    _check_response(step, exchange, expect, range(200, 300))
    _save(ctx, step, exchange.json())
    return f"-> {exchange.status}"


async def wait_journal(ctx: Context, step: Step) -> str:
    target = int(step.arg)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        seq = await ctx.client.last_seq()
        if seq >= target:
            return f"-> #{seq}"
        if time.monotonic() > deadline:
            raise StepFailed(f"the journal stopped at entry {seq} for {WAIT_SECONDS:g} s",
                             expected=f"entry {target}", got=f"entry {seq}")
        await asyncio.sleep(POLL_SECONDS)


VERBS = {**STEP_VERBS, "admin": admin, "wait_journal": wait_journal}
