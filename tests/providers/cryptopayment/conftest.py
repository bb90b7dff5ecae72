"""Fixtures for the CryptoPayment.center tests: the merchant's client (`cp`) and its credentials
as the sandbox announces them (GET /_sandbox/providers), as a merchant would read its dashboard."""
from __future__ import annotations

import pytest

from cp_support import CP


@pytest.fixture
async def cp(client) -> CP:
    resp = await client.get("/_sandbox/providers")
    assert resp.status == 200
    merchant = (await resp.json())["cryptopayment"]["merchants"][0]
    return CP(client, merchant)


@pytest.fixture
async def hooked(cp, receiver):
    """A merchant whose webhook URL points at a real loopback receiver that answers 200."""
    rec = await receiver([200])
    await cp.set_merchant(webhook_url=rec.url)
    return cp, rec
