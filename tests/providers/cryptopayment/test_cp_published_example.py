"""The docs' own client code, pointed at the sandbox with nothing changed but the base URL.

The verbatim example (`requests`, bearer header, POST /invoices) runs when `requests` is
installed (the `test` extra in pyproject.toml); a stdlib transcription (the same method, URL,
headers and JSON body bytes that `requests` sends for `json=`) always runs, so the check does not
depend on an optional package. Both call a real server on 127.0.0.1 (port chosen by the OS) from a
worker thread via asyncio.to_thread, so the event loop keeps serving.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import urllib.request

import pytest

from cp_support import FIXTURES

REAL_BASE = "https://cryptopayment.center/api/v1"


def _example_source(base_url: str, merchant: dict) -> str:
    source = (FIXTURES / "python-example.py.txt").read_text()
    # The merchant's own base URL and dashboard credentials: the only things a user changes.
    return (source.replace(REAL_BASE, base_url)
            .replace("pk_your_key", merchant["api_key"])
            .replace("sk_your_secret", merchant["api_secret"]))


def _urllib_example(base_url: str, merchant: dict) -> tuple[int, dict]:
    """The example, transcribed to urllib: `requests.post(url, headers=..., json=...)` sends
    json.dumps(body) as UTF-8 with the given headers."""
    body = json.dumps({"network": "trc20", "amount_usd": 50.00, "order_id": "ORD-001"}).encode()
    request = urllib.request.Request(
        base_url + "/invoices", data=body, method="POST",
        headers={"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}",
                 "Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxies
    with opener.open(request, timeout=10) as response:
        return response.status, json.loads(response.read())


async def test_published_example_via_stdlib_http(cp, client):
    base_url = str(client.make_url("/cryptopayment/api/v1"))
    assert base_url.startswith("http://127.0.0.1:")
    status, data = await asyncio.to_thread(_urllib_example, base_url, cp.merchant)
    assert status == 201
    assert data["success"] is True
    checkout_url = data["checkout_url"]
    assert checkout_url.endswith("/cryptopayment/pay/" + data["invoice"]["id"])
    assert data["invoice"]["order_id"] == "ORD-001"
    assert data["invoice"]["status"] == "pending"
    # the checkout page the customer would be redirected to is served
    page = await client.get(checkout_url[checkout_url.index("/cryptopayment/"):])
    assert page.status == 200
    assert data["invoice"]["address"] in await page.text()


@pytest.mark.skipif(importlib.util.find_spec("requests") is None,
                    reason="requests is not installed (pip install -e .[test])")
async def test_published_example_verbatim_with_requests(cp, client, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):  # an environment proxy must not capture loopback calls
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    base_url = str(client.make_url("/cryptopayment/api/v1"))
    namespace: dict = {}
    await asyncio.to_thread(exec, _example_source(base_url, cp.merchant), namespace)
    assert namespace["response"].status_code == 201
    assert namespace["checkout_url"].endswith("/pay/" + namespace["data"]["invoice"]["id"])
