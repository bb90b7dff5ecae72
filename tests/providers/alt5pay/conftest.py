"""ALT 5 Pay fixtures; the signing helpers live in alt5pay_helpers (computed from the published formula)."""
from __future__ import annotations

import pytest
from alt5pay_helpers import M1, Signer


@pytest.fixture
def signer(world):
    return Signer(world)


@pytest.fixture
def api(client, signer):
    """POST a signed JSON body to an ALT 5 Pay path; returns (status, json)."""

    async def call(path: str, body: dict, merchant: dict = M1):
        headers, raw = signer.request(body, merchant)
        resp = await client.post("/alt5pay" + path, data=raw, headers=headers)
        return resp.status, await resp.json()

    return call


@pytest.fixture
def admin(client):
    async def call(path: str, body: dict | None = None, method: str = "POST"):
        resp = await client.request(method, "/_sandbox" + path, json=body or {})
        assert resp.status < 500, await resp.text()
        return resp.status, await resp.json()

    return call
