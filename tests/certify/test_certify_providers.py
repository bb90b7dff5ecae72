"""certify against a handler written from each provider's published rules: full marks on every
provider; each deliberate fault fails exactly the checks that name it."""
from __future__ import annotations

import pytest

from certify_handlers import Faults, Merchant
from mockserver.certify.objects import create
from mockserver.certify.run import certify
from mockserver.providers.registry import load_providers
from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.runner import InProcessSandbox, client_session

PROVIDERS = sorted(load_providers())
REFUSALS = {"refuses-tampered-copy", "refuses-bad-signature", "refuses-missing-signature",
            "refuses-another-merchants-key", "refuses-stale-timestamp", "refuses-unlisted-source"}
ONCE = {"once-on-retry", "once-on-two-at-once", "same-with-keys-reordered", "same-with-unknown-fields"}


async def _certify(provider_name: str, faults: Faults, settings: dict | None = None) -> dict[str, object]:
    provider = load_providers()[provider_name]
    sandbox = InProcessSandbox()
    base = await sandbox.start()
    try:
        async with client_session() as session:
            client = SandboxClient(base, session)
            if settings:
                await client.update_merchant(provider_name, 0, settings)
            credentials = (await client.providers())[provider_name]["merchants"][0]
            merchant = await Merchant(provider, credentials, faults).start()
            try:
                made = await create(client, provider, credentials)   # as the merchant's app would
                merchant.know(made.id, made.reference)
                _, results = await certify(client, provider_name, merchant.url, objects=[made.id],
                                           state_url=merchant.state_url(), say=lambda text: None)
            finally:
                await merchant.close()
    finally:
        await sandbox.close()
    return {r.name: r for r in results}


def _failed(results: dict) -> set[str]:
    return {name for name, r in results.items() if not r.ok}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_handler_written_from_the_providers_rules_scores_full_marks(provider):
    results = await _certify(provider, Faults())
    assert not _failed(results), "\n".join(f"{r.name}: {r.problem} (sent {r.sent}; got {r.got})"
                                           for r in results.values() if not r.ok)
    provider_ = load_providers()[provider]
    facts = provider_.certification
    assert ("refuses-stale-timestamp" in results) == bool(facts.timestamp)
    assert ("refuses-unlisted-source" in results) == bool(facts.sources)
    signed = facts.verifiable is None or facts.verifiable(provider_.default_merchants()[0])
    assert ("refuses-bad-signature" in results) == signed   # AlfaBit signs nothing a handler can check
    assert len(results) == 7 + 4 * signed + bool(facts.timestamp) + bool(facts.sources)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_handler_without_a_signature_check_fails_the_refusals(provider):
    results = await _certify(provider, Faults(no_signature_check=True))
    assert _failed(results) == REFUSALS & set(results) != set()
    assert all("acknowledged" in results[name].problem for name in _failed(results))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_handler_acting_on_every_copy_fails_the_once_checks(provider):
    results = await _certify(provider, Faults(not_idempotent=True))
    assert _failed(results) == ONCE
    assert "acted again" in results["once-on-retry"].problem and "handled" in results["once-on-retry"].problem


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_handler_acknowledging_in_the_wrong_shape_fails_every_acknowledgement(provider):
    results = await _certify(provider, Faults(wrong_ack=True))
    wanted = {"acknowledges-genuine", "never-moves-backwards", "acknowledges-unknown-object"} | ONCE
    if provider == "alfabit":   # any 2xx acknowledges there: 202 is a yes
        wanted = set()
    assert _failed(results) == wanted
    if wanted:
        assert "not acknowledged: the provider's rule is" in results["acknowledges-genuine"].problem


async def test_a_handler_answering_404_for_unknown_objects_keeps_the_provider_retrying():
    results = await _certify("cryptopayment", Faults(unknown_is_404=True))
    assert _failed(results) == {"acknowledges-unknown-object"}
    assert "retried for 7h21m" in results["acknowledges-unknown-object"].why


async def test_alfabit_merchants_that_opt_into_the_hmac_signature_get_the_signature_checks():
    results = await _certify("alfabit", Faults(), {"callback_signature": "hmac"})
    assert not _failed(results) and len(results) == 12 and "refuses-tampered-copy" in results
    broken = await _certify("alfabit", Faults(no_signature_check=True), {"callback_signature": "hmac"})
    assert _failed(broken) == REFUSALS - {"refuses-stale-timestamp"}
