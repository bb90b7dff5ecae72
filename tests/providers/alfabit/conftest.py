"""Fixtures for the AlfaBit Pay tests: the merchant's client, with the credentials the sandbox
announces (GET /_sandbox/providers), and a merchant whose Callback URL is a real receiver."""
from __future__ import annotations

import pytest

from alfabit_support import AlfaBit


@pytest.fixture
async def ab(client) -> AlfaBit:
    resp = await client.get("/_sandbox/providers")
    assert resp.status == 200
    return AlfaBit(client, (await resp.json())["alfabit"]["merchants"][0])


@pytest.fixture
async def hooked(ab, receiver):
    rec = await receiver([200])
    await ab.set_merchant(webhook_url=rec.url)
    return ab, rec
