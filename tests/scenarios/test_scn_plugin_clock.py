"""`sandbox_clock`: the merchant's own clock follows the sandbox's virtual clock (freezegun)."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone

from mockserver.providers.registry import load_providers

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
START = datetime(2024, 1, 15, 10, 0, tzinfo=timezone.utc)   # the fixture's reset instant


def _close(moment: datetime, expected: datetime, slack: float = 30) -> bool:
    """Equal but for the real seconds the test itself took (the clock ticks between moves)."""
    return timedelta(0) <= moment - expected < timedelta(seconds=slack)


def test_the_merchants_now_is_the_sandboxs_and_moves_with_it(sandbox, sandbox_clock):
    assert _close(datetime.now(timezone.utc), START)
    assert date.today() == START.date() and _close(datetime.fromtimestamp(time.time(), timezone.utc), START)
    sandbox.advance("6h")
    assert _close(datetime.now(timezone.utc), START + timedelta(hours=6))
    assert _close(sandbox_clock.now(), datetime.fromisoformat(sandbox.now()))
    before = datetime.now(timezone.utc)
    sandbox.reset()                          # the sandbox goes back to its start: the merchant's clock
    assert datetime.now(timezone.utc) >= before    # never runs backwards


def test_without_it_the_merchants_clock_is_the_wall_clock(sandbox):
    assert datetime.now(timezone.utc) - START > timedelta(days=300)


async def test_async_tests_follow_it_and_their_event_loop_keeps_real_time(sandbox, sandbox_clock):
    await sandbox.aio.advance("2d")
    assert _close(datetime.now(timezone.utc), START + timedelta(days=2))
    loop = asyncio.get_running_loop()
    tick = loop.time()
    await asyncio.sleep(0.05)                # real time for the loop: no hang, no jump
    assert 0.04 <= loop.time() - tick < 5


def test_alchemy_pay_timestamps_agree_on_both_sides_six_virtual_hours_later(sandbox, sandbox_clock):
    """A request the merchant signs with its clock is fresh to the sandbox, and the `timestamp`
    header of a webhook is fresh to the merchant's handler, after the sandbox ran six hours ahead."""
    provider = load_providers()["alchemypay"]
    merchant = sandbox.merchant("alchemypay")
    received: list[dict] = []

    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"timestamp": int(self.headers["timestamp"]), "now": time.time() * 1000})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"success")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox.set_webhook("alchemypay", f"http://127.0.0.1:{server.server_port}/webhooks/alchemypay")
        sandbox.advance("6h")

        def call(path: str, body: dict, extra: dict | None = None) -> dict:
            headers, raw = provider.client_request(merchant, "POST", path, body)   # signed "now"
            request = urllib.request.Request(sandbox.url("alchemypay") + path, data=raw, method="POST",
                                             headers={**headers, **(extra or {})})
            with NO_PROXY.open(request, timeout=30) as resp:
                return json.loads(resp.read())

        token = call("/open/api/v4/merchant/getToken", {"email": "buyer@example.com"})
        assert token["success"], token
        order = call("/open/api/v4/merchant/trade/create", {
            "side": "BUY", "merchantOrderNo": "ORD-CLOCK", "amount": "100", "fiatCurrency": "USD",
            "cryptoCurrency": "USDT", "depositType": 2, "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8",
            "network": "TRX", "payWayCode": "10001", "alpha2": "US"},
            {"access-token": token["data"]["accessToken"]})
        assert order["success"], order
        sandbox.simulate("alchemypay", "pay", order=order["data"]["orderNo"])
        [webhook] = received
        assert abs(webhook["timestamp"] - webhook["now"]) < 5 * 60 * 1000
        assert _close(datetime.fromtimestamp(webhook["timestamp"] / 1000, timezone.utc), START + timedelta(hours=6))
    finally:
        server.shutdown()
        server.server_close()
