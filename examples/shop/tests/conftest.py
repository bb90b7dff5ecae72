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
    """The shop configured with the sandbox's base URLs and merchant credentials (CryptoPayment.center
    and Alchemy Pay); the sandbox's webhooks for those merchants go to the shop's handlers."""
    creds, card = sandbox.merchant("cryptopayment"), sandbox.merchant("alchemypay")
    settings = Settings(base_url=sandbox.url("cryptopayment"), api_key=creds["api_key"],
                        api_secret=creds["api_secret"], app_key=creds["app_key"],
                        alchemypay_base_url=sandbox.url("alchemypay"), alchemypay_app_id=card["app_id"],
                        alchemypay_app_secret=card["app_secret"])
    server = ShopServer(Shop(settings)).start()
    client = ShopClient(server)
    sandbox.set_webhook("cryptopayment", client.webhook_url, timeout=5)
    sandbox.set_webhook("alchemypay", server.url + "/webhooks/alchemypay", timeout=5)
    yield client
    server.stop()
