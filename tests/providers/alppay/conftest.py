"""Fixtures for the ALPPAY tests: the merchant's client (`ap`) with the credentials the sandbox
announces (GET /_sandbox/providers), and a variant whose webhooks reach a real loopback receiver."""
from __future__ import annotations

import pytest

from ap_support import AP


@pytest.fixture
async def ap(client) -> AP:
    resp = await client.get("/_sandbox/providers")
    assert resp.status == 200
    return AP(client, (await resp.json())["alppay"]["merchants"][0])


@pytest.fixture
async def hooked(ap, receiver):
    rec = await receiver([200])
    await ap.set_merchant(webhook_url=rec.url)
    return ap, rec
