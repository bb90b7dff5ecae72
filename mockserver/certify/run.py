"""One certification: find the objects, drive their events into the capture receiver, restore the
merchant's settings, then run the battery against the handler."""
from __future__ import annotations

from typing import Callable

from mockserver.providers.registry import load_providers
from mockserver.scenarios.client import SandboxClient

from . import checks
from .battery import Bench, Result
from .objects import Capture, CertifyError, Target, create, drive, named, wait_for_create


def provider_named(name: str):
    providers = load_providers()
    provider = providers.get(name)
    if provider is None:
        raise CertifyError(f"unknown provider {name!r}; known: {', '.join(sorted(providers))}")
    if provider.certification is None:
        raise CertifyError(f"{name} declares no certification facts (its certify.py)")
    return provider


def _restoring(original: dict, patch: dict) -> dict:
    """The settings to put back: each patched key's value before, or its off value if it had none."""
    return {k: original[k] if k in original else (False if isinstance(v, bool) else None) for k, v in patch.items()}


async def certify(client: SandboxClient, provider_name: str, handler_url: str, *, objects: list[str] = (),
                  wait_seconds: float | None = None, state_url: str | None = None, merchant_index: int = 0,
                  say: Callable[[str], None] = print,
                  on_result: Callable[[Result], None] | None = None) -> tuple[list[Target], list[Result]]:
    provider = provider_named(provider_name)
    facts = provider.certification
    merchants = (await client.providers())[provider.name]["merchants"]
    if not 0 <= merchant_index < len(merchants):
        raise CertifyError(f"{provider.name} has {len(merchants)} merchant(s); --merchant {merchant_index} is none of them")
    original = merchants[merchant_index]
    targets: list[Target] = []
    async with Capture(provider, handler_url) as capture:
        patch = {"webhook_url": capture.url, **facts.settings}
        merchant = await client.update_merchant(provider.name, merchant_index, patch)
        try:
            if objects:
                targets = await named(client, provider, list(objects))
            elif wait_seconds is not None:
                targets = [await wait_for_create(client, provider, wait_seconds, say)]
            else:
                targets = [await create(client, provider, merchant)]
            for target in targets:
                await drive(client, provider, merchant, target, capture)
        finally:
            merchant = await client.update_merchant(provider.name, merchant_index, _restoring(original, patch))
    bench = Bench(client=client, provider=provider, merchant=merchant, handler_url=handler_url, state_url=state_url)
    results: list[Result] = []
    try:
        for target in targets:
            if facts.verifiable is not None and not facts.verifiable(merchant):
                target.notes.append(f"signature checks left out: {provider.name} sends this merchant no signature a "
                                    "handler can verify (see its certify.py)")
            say(f"object {target.label()}, created by {target.created_by}"
                + "".join(f"\n  note: {note}" for note in target.notes))
            for result in await checks.run(bench, target):
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        await bench.close()
    return targets, results
