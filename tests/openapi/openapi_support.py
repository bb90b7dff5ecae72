"""A sandbox served on 127.0.0.1 from a background thread, for tools that call it synchronously."""
from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

from aiohttp import web

from mockserver.app import build_app
from mockserver.config import SandboxConfig

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)


@contextmanager
def running_sandbox():
    """(app, "http://127.0.0.1:PORT"): self_check on, so the app's own contract breaks are listed."""
    app = build_app(SandboxConfig(seed=1234, start=START, self_check=True))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    url = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, name="openapi-sandbox", daemon=True)
    thread.start()
    try:
        yield app, url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
