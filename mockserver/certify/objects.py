"""The objects the battery uses, and their events.

The objects are the merchant's own: named (`--object ID`), or the next one its app creates
through the provider's API (`--wait-for-create`); without either, certify creates one as a client
would (the provider's trigger story), and says so. Each object is then driven through the
provider's events (`Certification.drive`: pay it, let it confirm) while the merchant's webhook URL
points at a capture receiver on the handler's own path (a signature may cover the path), which
acknowledges as the provider wants; the battery then replays those deliveries to the handler in
the order each check needs. An object whose own callback URL names the handler is delivered to the
handler directly; its deliveries are replayed all the same.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.loader import scenario_from_mapping
from mockserver.scenarios.receiver import Receiver
from mockserver.scenarios.steps import VERBS, Context, StepFailed

from .copies import Copy, genuine


class CertifyError(Exception):
    """Certification cannot start: say what and how to fix it (one line, exit status 2)."""


@dataclass
class Target:
    """One object of the merchant's and the deliveries about it."""
    kind: str
    id: str
    reference: str | None
    status: str | None
    created_by: str                       # "your app" | "certify"
    notes: list[str] = field(default_factory=list)
    copies: dict[str, Copy] = field(default_factory=dict)   # event -> its genuine copy

    def label(self) -> str:
        return f"{self.kind} {self.id}" + (f" (reference {self.reference})" if self.reference else "")


async def listed(client: SandboxClient, provider: str) -> list[dict]:
    return (await client.admin("GET", "/objects", query={"provider": provider})).json()


def _target(found: dict, created_by: str) -> Target:
    return Target(found["kind"], str(found["id"]), found.get("reference"), found.get("status"), created_by)


async def named(client: SandboxClient, provider: Any, ids: list[str]) -> list[Target]:
    objects = await listed(client, provider.name)
    by_key = {str(o["id"]): o for o in objects} | {str(o["reference"]): o for o in objects if o.get("reference")}
    missing = [i for i in ids if i not in by_key]
    if missing:
        known = ", ".join(f"{o['kind']} {o['id']}" for o in objects[-5:]) or "none"
        raise CertifyError(f"no {provider.name} object {', '.join(missing)} in the sandbox at {client.base_url} "
                           f"(the latest: {known}); name one your app created there, or use --wait-for-create")
    return [_target(by_key[i], "your app") for i in ids]


async def wait_for_create(client: SandboxClient, provider: Any, timeout: float,
                          say: Callable[[str], None]) -> Target:
    kinds = set(provider.certification.drive)
    seen = {str(o["id"]) for o in await listed(client, provider.name)}
    say(f"waiting up to {timeout:g}s for your app to create a {provider.name} {' or '.join(sorted(kinds))} "
        f"through {client.base_url}{provider.api_base}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for found in await listed(client, provider.name):
            if str(found["id"]) not in seen and found["kind"] in kinds:
                return _target(found, "your app")
        await asyncio.sleep(0.2)
    raise CertifyError(f"no {provider.name} {' or '.join(sorted(kinds))} was created at {client.base_url}"
                       f"{provider.api_base} within {timeout:g}s")


def _context(client: SandboxClient, provider: Any, merchant: dict, steps: list[dict], variables: dict,
             now: datetime):
    scenario = scenario_from_mapping({"scenario": "certify", "provider": provider.name, "steps": steps},
                                     f"<{provider.name} certify>")
    ctx = Context(scenario=scenario, client=client, provider=provider, merchant=merchant,
                  webhook_url=merchant.get("webhook_url") or "", receiver=None, start=now,
                  variables={"api_base": client.base_url + provider.api_base, **variables})
    return scenario, ctx


async def run_steps(client: SandboxClient, provider: Any, merchant: dict, steps: list[dict],
                    variables: dict) -> tuple[dict, list[str]]:
    """Scenario steps through the runner's own verbs; the variables they saved, and what failed."""
    now = datetime.fromisoformat((await client.clock())["now"])
    scenario, ctx = _context(client, provider, merchant, steps, variables, now)
    problems = []
    for step in scenario.steps:
        try:
            await VERBS[step.verb](ctx, step)
        except StepFailed as exc:
            problems.append(f"{step.label()}: {exc.problem}")
            break
    return ctx.variables, problems


async def create(client: SandboxClient, provider: Any, merchant: dict) -> Target:
    """An object made as a client of the provider would (its trigger story's `create` steps)."""
    reference = f"CERT-{secrets.randbelow(10**8):08d}"
    saved, problems = await run_steps(client, provider, merchant, provider.stories["create"],
                                      {"order_ref": reference})
    if problems or "ref" not in saved:
        raise CertifyError(f"could not create a {provider.name} object: {'; '.join(problems) or 'no id'}")
    found = next((o for o in await listed(client, provider.name) if str(o["id"]) == str(saved["ref"])), None)
    target = _target(found, "certify") if found else Target("object", str(saved["ref"]), reference, None, "certify")
    target.notes.append("created by certify, not your app: a handler that looks up its own orders treats it "
                        "as unknown (give --object ID or --wait-for-create)")
    return target


class Capture:
    """A receiver on the handler's path that acknowledges as the provider's rule wants."""

    def __init__(self, provider: Any, handler_url: str):
        self.path = urlsplit(handler_url).path or "/"
        self.receiver = Receiver([{"status": 200, "body": provider.webhook_ack_body}])
        self.url = ""

    async def __aenter__(self) -> "Capture":
        self.url = await self.receiver.start(self.path)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.receiver.close()


async def drive(client: SandboxClient, provider: Any, merchant: dict, target: Target, capture: Capture) -> None:
    """Make the object's events and keep a genuine copy of each (the latest of each event)."""
    facts = provider.certification
    steps = facts.drive.get(target.kind)
    if steps is None:
        target.notes.append(f"certify drives {', '.join(facts.drive)} objects, not a {target.kind}")
    else:
        _, problems = await run_steps(client, provider, merchant, steps, {"ref": target.id})
        if problems:   # already paid, say: the deliveries it had are used as they are
            target.notes.append(f"driving it: {problems[0]}")
    deliveries = await client.deliveries(provider.name)
    mine = [d for d in deliveries if d.get("ref") in {target.id, target.reference} - {None}]
    for delivery in mine:
        received = capture.receiver.find((delivery.get("body") or "").encode())
        target.copies[delivery["event"]] = genuine(delivery, received)
        if received is None and delivery.get("url") not in (None, capture.url):
            note = f"its own callback URL ({delivery['url']}) was delivered to directly"
            if note not in target.notes:
                target.notes.append(note)
