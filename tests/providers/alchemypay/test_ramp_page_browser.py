"""The hosted on-ramp page without fiatAmount, in a real browser (Debian's Chromium via Playwright):
the user types the amount on the page and the order is made from it (issue 21; the docs make
fiatAmount optional). Waits are Playwright's, never sleeps."""
from __future__ import annotations

import asyncio
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp import web

from alchemypay_helpers import TRX_ADDRESS, ramp_query
from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dashboard"))
from browser_support import PAGE_TIMEOUT_MS, module_browser  # noqa: E402


@pytest.fixture(scope="module")
def served():
    """The sandbox on 127.0.0.1:<free port>, in a thread with its own loop."""
    app = build_app(SandboxConfig(seed=1234, start=datetime(2025, 1, 15, 10, tzinfo=timezone.utc),
                                  self_check=True))
    loop, ready, box = asyncio.new_event_loop(), threading.Event(), {}

    async def up() -> None:
        box["runner"] = runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["url"] = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(up())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(box["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="alchemypay-pages", daemon=True)
    thread.start()
    assert ready.wait(30), "the sandbox did not start"
    yield box["url"], app[WORLD]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    assert not app[WORLD].self_violations, app[WORLD].self_violations


@pytest.fixture(scope="module")
def tab(request):
    with module_browser(request.config) as browser:
        page = browser.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: problems.append(f"left 127.0.0.1: {r.url}")
                if not r.url.startswith(("http://127.0.0.1", "data:", "about:")) else None)
        yield page
    assert not problems, problems


def test_the_user_types_the_amount_and_the_order_is_made(served, tab):
    from playwright.sync_api import expect
    base, world = served
    ts = str(int(world.clock.wall_now().timestamp() * 1000))
    query = ramp_query("buy", {"crypto": "USDT", "network": "TRX", "fiat": "USD", "showTable": "buy",
                               "address": TRX_ADDRESS, "merchantOrderNo": "BROWSER-1"}, ts)
    from urllib.parse import urlencode
    tab.goto(f"{base}/alchemypay/index/rampPageBuy?{urlencode(query)}")
    field = tab.locator("#fiatAmount")
    expect(field).to_be_visible()
    assert world.backend("alchemypay").orders == {}            # nothing until the user confirms
    field.fill("150")
    tab.get_by_role("button", name="Continue").click()
    expect(tab.locator("#order")).to_have_attribute("data-status", "PENDING")
    [order] = world.backend("alchemypay").orders.values()
    assert str(order.amount) == "150" and order.merchant_order_no == "BROWSER-1"
    expect(tab.locator("#order")).to_contain_text(order.order_no)
