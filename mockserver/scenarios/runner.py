"""Run scenarios against a sandbox reached over HTTP: started in-process on 127.0.0.1:0, or a
running one (`--server URL`). Both go through the same SandboxClient, so they behave the same.

Per scenario: start the built-in receiver (if used), reset the sandbox to the scenario's seed and
start instant, point the merchant's webhook settings at the target, then run the steps in order;
the first failing step stops the scenario and the journal around it is attached.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any, Iterable

import aiohttp
from aiohttp import web

from mockserver.core.webhooks.targets import resolve_target

from .client import SandboxClient, SandboxUnavailable, tenant_url
from .loader import DEFAULT_SEED, DEFAULT_START, Scenario, ScenarioLoadError, discover, load_file
from .receiver import Receiver
from .report import ScenarioResult, StepResult
from .replay_steps import stand_ins
from .steps import Context, StepFailed, pick_merchant
from .verbs import VERBS

JOURNAL_AROUND = 12


class InProcessSandbox:
    """The sandbox app on 127.0.0.1:0 in the caller's event loop, on the virtual clock."""

    def __init__(self, config: Any = None):
        self.config = config
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        from mockserver.app import build_app
        from mockserver.config import SandboxConfig
        config = self.config or SandboxConfig.from_mapping(
            {"port": 0, "seed": DEFAULT_SEED, "start": DEFAULT_START, "clock": "virtual"})
        from mockserver.core.http.guard import runner_for   # the served sandbox's connection rules
        self._runner = runner_for(build_app(config), config, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def client_session() -> aiohttp.ClientSession:
    # trust_env=False: never route loopback traffic through a proxy from the environment
    return aiohttp.ClientSession(trust_env=False, timeout=aiohttp.ClientTimeout(total=300))


def _journal_line(entry: dict) -> str:
    skip = {"seq", "at", "kind", "provider", "latency_ms"}
    rest = " ".join(f"{k}={v}" for k, v in entry.items() if k not in skip)
    return f"#{entry.get('seq')} {entry.get('at', '')[11:19]} {entry.get('kind')} {entry.get('provider', '')} {rest}".rstrip()


async def run_scenario(scenario: Scenario, client: SandboxClient, on_step: Any = None, *,
                       app_can_create: bool = False, on_note: Any = None) -> ScenarioResult:
    """`on_step(scenario, step_result)` is called as each step ends (the live console of `run`),
    `on_note(scenario, text)` while a step waits. `app_can_create`: the sandbox is one a merchant's
    app can reach (a running one), so `await: create` waits for the app."""
    from mockserver.providers.registry import load_providers
    result = ScenarioResult(file=scenario.file, name=scenario.name, provider=scenario.provider,
                            line=scenario.line)
    started = time.perf_counter()
    provider = load_providers().get(scenario.provider)
    if provider is None:
        result.error = f"{scenario.file}:{scenario.line}: unknown provider {scenario.provider!r}"
        return result
    receiver: Receiver | None = None
    holder: dict = {}
    try:
        keep = scenario.webhook_url == "keep"   # a recording: its own steps set every setting
        wants_receiver = scenario.webhook_url == "builtin" or (keep and (
            "receiver" in scenario.origins.values() or scenario.receiver.get("replies")))
        if wants_receiver:
            verifier = None
            if scenario.receiver.get("verify_signature"):
                def verifier(headers: dict, body: bytes) -> bool:
                    return bool(provider.verify_webhook(holder["merchant"], headers, body))
            receiver = Receiver(scenario.receiver.get("replies"), verifier,
                                allow_sources=scenario.receiver.get("allow_sources"),
                                source_header=scenario.receiver.get("source_header"),
                                ack_body=provider.webhook_ack_body)
            webhook_url = await receiver.start(f"/webhooks/{provider.name}")
        elif keep:
            webhook_url = ""
        else:  # inbox:NAME: the sandbox resolves it; a step posting there itself needs the real URL
            webhook_url = resolve_target(scenario.webhook_url, client.base_url)
        await client.reset(scenario.seed, scenario.start.isoformat())
        merchants = (await client.providers())[provider.name]["merchants"]
        index, merchant = pick_merchant(merchants, scenario.merchant)
        if not keep:
            merchant = await client.update_merchant(provider.name, index, {
                "webhook_url": webhook_url if receiver else scenario.webhook_url,
                "webhook_timeout": scenario.webhook_timeout})
        holder["merchant"] = merchant
        receiver_origin = receiver.url[:receiver.url.index("/", len("http://"))] if receiver else None
        ctx = Context(scenario=scenario, client=client, provider=provider, merchant=merchant,
                      webhook_url=webhook_url, receiver=receiver, start=scenario.start,
                      variables={"scenario_start": scenario.start.isoformat(), "webhook_url": webhook_url,
                                 "api_base": client.base_url + provider.api_base},
                      app_can_create=app_can_create,
                      notify=(lambda text: on_note(scenario, text)) if on_note is not None else None,
                      stand_ins=stand_ins(scenario.origins, receiver_origin, client.base_url))
    except (SandboxUnavailable, StepFailed) as exc:
        result.error = f"{scenario.file}:{scenario.line}: cannot set up the scenario: {exc}"
        if receiver is not None:
            await receiver.close()
        result.seconds = time.perf_counter() - started
        return result
    try:
        for position, step in enumerate(scenario.steps):
            outcome = StepResult(step.index, step.label(), step.line, ok=True)
            result.steps.append(outcome)
            try:
                outcome.summary = await VERBS[step.verb](ctx, step)
            except StepFailed as exc:
                outcome.ok, outcome.problem, outcome.expected, outcome.got = False, exc.problem, exc.expected, exc.got
            except SandboxUnavailable as exc:
                outcome.ok, outcome.problem = False, f"sandbox: {exc}"
            except Exception as exc:  # noqa: BLE001 - a provider hook or runner bug: report, never a traceback
                outcome.ok, outcome.problem = False, f"internal error: {type(exc).__name__}: {exc}"
            if not outcome.ok:
                try:
                    outcome.journal = [_journal_line(e) for e in await client.journal(limit=JOURNAL_AROUND)]
                except SandboxUnavailable:
                    outcome.journal = ["(journal unavailable)"]
                result.skipped_steps = len(scenario.steps) - position - 1
            if on_step is not None:
                on_step(scenario, outcome)
            if not outcome.ok:
                break
    finally:
        if receiver is not None:
            await receiver.close()
        result.seconds = time.perf_counter() - started
    return result


def load_all(paths: Iterable[str | Path], tags: Iterable[str] = ()) -> tuple[list[Scenario], list[ScenarioResult]]:
    """Scenarios from files/dirs, and a failed result per file that would not load."""
    wanted = set(tags)
    scenarios: list[Scenario] = []
    broken: list[ScenarioResult] = []
    try:
        files = discover(paths)
    except ScenarioLoadError as exc:
        return [], [ScenarioResult(file=exc.file, name=Path(exc.file).name, provider="", error=str(exc))]
    for path in files:
        try:
            loaded = load_file(path)
        except ScenarioLoadError as exc:
            broken.append(ScenarioResult(file=str(path), name=path.name, provider=_guess_provider(path),
                                         line=exc.line or 1, error=str(exc)))
            continue
        scenarios.extend(s for s in loaded if not wanted or wanted & set(s.tags))
    return scenarios, broken


def _guess_provider(path: Path) -> str:
    return path.parent.name if path.parent.name else "unknown"


def fresh_tenant_name() -> str:
    return f"run-{secrets.token_hex(4)}"


async def run_all(scenarios: list[Scenario], server: str | None = None,
                  on_result: Any = None, on_start: Any = None, on_step: Any = None,
                  tenant: str | None = None, on_note: Any = None, on_tenant: Any = None) -> list[ScenarioResult]:
    """Run scenarios one after another; start an in-process sandbox unless `server` is given
    (SandboxUnavailable when it does not answer its health check).
    With `tenant`, every call goes to that tenant's world (`/t/{tenant}/...`): the resets before
    each scenario reset it alone, so suites on one shared sandbox do not disturb each other.
    Against a server without `tenant`, the run makes a fresh tenant of its own, so it never resets
    a world it does not own; `on_tenant(name, event)` hears of it ("created", "deleted", "kept"):
    deleted when every scenario passed, kept (for a look at its deliveries and journal) otherwise.
    `tenant=""`: the server's default world, on purpose (run --default-world)."""
    sandbox = None
    own: str | None = None
    results: list[ScenarioResult] = []
    async with client_session() as session:
        try:
            if server is None:
                sandbox = InProcessSandbox()
                base = await sandbox.start()
            else:
                base = server
                if tenant is None:
                    root = SandboxClient(base, session)
                    await root.health()
                    own = tenant = fresh_tenant_name()
                    await root.admin("POST", "/tenants", {"name": own})
                    if on_tenant is not None:
                        on_tenant(own, "created")
            client = SandboxClient(tenant_url(base, tenant), session)
            await client.health()   # SandboxUnavailable: no scenario can run (the caller says so once)
            for scenario in scenarios:
                if on_start is not None:
                    on_start(scenario)
                result = await run_scenario(scenario, client, on_step, app_can_create=server is not None,
                                            on_note=on_note)
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            if sandbox is not None:
                await sandbox.close()
            if own is not None:
                passed = len(results) == len(scenarios) and all(r.ok for r in results)
                if passed:
                    await SandboxClient(base, session).admin("DELETE", f"/tenants/{own}", ok=(404,))
                if on_tenant is not None:
                    on_tenant(own, "deleted" if passed else "kept")
    return results
