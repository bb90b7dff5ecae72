"""The shop served on a free port, wired to the sandbox that the provider-sandbox plugin starts."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from shop import Settings, Shop, ShopServer


class ShopClient:
    """The shop as a browser (or its front end) sees it."""

    def __init__(self, server: ShopServer):
        self.server, self.url = server, server.url
        self.webhook_url = server.url + "/webhooks/cryptopayment"
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(self, method: str, path: str, body: object = None, raw: bytes | None = None):
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def order(self, order_id: str) -> dict:
        status, order = self.request("GET", f"/orders/{order_id}")
        assert status == 200, order
        return order


@pytest.fixture
def shop(sandbox):
    """The shop configured with the sandbox's base URL and merchant credentials; the sandbox's
    webhooks for that merchant go to the shop's handler."""
    creds = sandbox.merchant("cryptopayment")
    settings = Settings(base_url=sandbox.url("cryptopayment"), api_key=creds["api_key"],
                        api_secret=creds["api_secret"], app_key=creds["app_key"])
    server = ShopServer(Shop(settings)).start()
    client = ShopClient(server)
    sandbox.set_webhook("cryptopayment", client.webhook_url, timeout=5)
    yield client
    server.stop()
