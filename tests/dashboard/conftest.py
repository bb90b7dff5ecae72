"""Browser fixtures: the sandbox on a real loopback port in a thread, Debian's Chromium driven by
Playwright's sync API (Playwright's own browser download is not used).

Without Chromium (or the playwright package) the browser tests skip with the reason; under CI
(CI set, as .ci/run runs) a missing browser is a failure, so the tests cannot silently vanish.
"""
from __future__ import annotations

import asyncio
import os
import threading
from datetime import datetime, timezone

import pytest
from aiohttp import web

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

from browser_support import PAGE_TIMEOUT_MS, module_browser


START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)


class ThreadedApp:
    """build_app on 127.0.0.1:<free port> in a daemon thread with its own loop."""

    def __init__(self, config: SandboxConfig):
        self.app = build_app(config)
        self.world = self.app[WORLD]
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._runner: web.AppRunner | None = None

    def start(self) -> str:
        ready = threading.Event()

        async def up() -> None:
            self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(up())
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self._runner.cleanup())
            self.loop.close()

        self.thread = threading.Thread(target=serve, name="dashboard-sandbox", daemon=True)
        self.thread.start()
        assert ready.wait(30), "the sandbox did not start"
        return self.url

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def sandbox():
    server = ThreadedApp(SandboxConfig(seed=1234, start=START, self_check=True))
    server.start()
    yield server
    server.stop()
    assert not server.world.self_violations, server.world.self_violations


@pytest.fixture(scope="module")
def browser(request):
    """The test process's one Chromium (see module_browser: the thread's loop is free again for
    the async tests of the modules after this one)."""
    with module_browser(request.config) as shared:
        yield shared


@pytest.fixture
def page(browser):
    """A fresh tab at 1280x800 that fails the test on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("request", lambda r: problems.append(f"left 127.0.0.1: {r.url}")
           if not r.url.startswith(("http://127.0.0.1", "data:", "about:")) else None)
    yield tab
    context.close()
    assert not problems, problems
