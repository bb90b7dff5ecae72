"""A sandbox for other people's tests: served from a background thread, driven over HTTP.

Why a thread with its own event loop: a merchant's test may be sync (requests) or async (aiohttp,
its own loop). A server living in the test's loop would freeze whenever a sync test blocks on
it; a server in its own thread answers both, and the sandbox's webhooks reach a receiver in the
test's loop while that loop awaits. `SandboxHandle` methods are blocking calls; the same methods
on `handle.aio` are coroutines for async tests (never block an event loop that serves webhooks).
"""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from typing import Any, Callable
from urllib.parse import urlencode

from .loader import DEFAULT_SEED, DEFAULT_START
from .runner import InProcessSandbox, client_session


class SandboxCallError(Exception):
    def __init__(self, method: str, path: str, status: int, body: Any):
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status, self.body = status, body


class ThreadedSandbox:
    """The in-process sandbox (127.0.0.1:0, virtual clock) on a private loop in a daemon thread."""

    def __init__(self) -> None:
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = InProcessSandbox()

    def start(self, timeout: float = 30.0) -> str:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self.url = loop.run_until_complete(self._server.start())
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._server.close())
            loop.close()

        self._thread = threading.Thread(target=serve, name="provider-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the sandbox did not start in time")
        if failure:
            raise RuntimeError(f"the sandbox could not start: {failure[0]!r}")
        return self.url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


class _Api:
    """Admin API verbs; `_call` makes them blocking (SandboxHandle) or coroutines (AsyncSandboxHandle).

    `followers` hear the sandbox's virtual now (ISO 8601) after every call that may have moved its
    clock (any but GET): the `sandbox_clock` fixture moves the merchant's clock with it."""

    base_url: str
    followers: list[Callable[[str], None]]

    def _call(self, method: str, path: str, payload: Any = None, query: dict | None = None,
              then: Callable[[Any], Any] | None = None) -> Any:
        raise NotImplementedError

    def url(self, provider: str) -> str:
        """The base URL a client of `provider` uses instead of the real one."""
        from mockserver.providers.registry import load_providers
        return self.base_url + load_providers()[provider].api_base

    def providers(self):
        return self._call("GET", "/providers")

    def merchant(self, provider: str, index: int = 0):
        """The merchant's fake credentials and webhook settings."""
        return self._call("GET", "/providers", then=lambda data: data[provider]["merchants"][index])

    credentials = merchant

    def set_webhook(self, provider: str, url: str, timeout: float | None = None, index: int = 0):
        settings = {"webhook_url": url, **({"webhook_timeout": timeout} if timeout is not None else {})}
        return self._call("PATCH", f"/providers/{provider}/merchant", settings, query={"index": index})

    def advance(self, by: str | float):
        return self._call("POST", "/clock/advance", {"by": by})

    def run_until_quiet(self):
        return self._call("POST", "/clock/run", {})

    def now(self):
        return self._call("GET", "/clock", then=lambda view: view["now"])

    def simulate(self, provider: str, action: str, **params: Any):
        return self._call("POST", f"/simulate/{provider}/{action}", params)

    def pay(self, provider: str, **params: Any):
        return self.simulate(provider, "pay", **params)

    def confirm(self, provider: str, **params: Any):
        return self.simulate(provider, "confirm", **params)

    def expire(self, provider: str, **params: Any):
        return self.simulate(provider, "expire", **params)

    def deliveries(self, provider: str | None = None, **filters: Any):
        query = {k: v for k, v in {"provider": provider, **filters}.items() if v is not None}
        return self._call("GET", "/deliveries", query=query)

    def redeliver(self, delivery_id: str):
        return self._call("POST", f"/deliveries/{delivery_id}/redeliver")

    def journal(self, **filters: Any):
        return self._call("GET", "/journal", query={k: v for k, v in filters.items() if v is not None})

    def journal_export(self):
        return self._call("GET", "/journal/export")

    def reset(self, seed: int | None = None, start: str | None = None):
        payload = {k: v for k, v in (("seed", seed), ("start", start)) if v is not None}
        return self._call("POST", "/reset", payload)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class AsyncSandboxHandle(_Api):
    def __init__(self, base_url: str, followers: list | None = None):
        self.base_url = base_url
        self.followers = followers if followers is not None else []

    async def _call(self, method, path, payload=None, query=None, then=None):
        url = f"{self.base_url}/_sandbox{path}" + (f"?{urlencode(query)}" if query else "")
        async with client_session() as session:
            async with session.request(method, url, json=payload) as resp:
                body = _decode(await resp.read())
                if resp.status >= 400:
                    raise SandboxCallError(method, path, resp.status, body)
            if method != "GET" and self.followers:
                async with session.get(f"{self.base_url}/_sandbox/clock") as resp:
                    now = (await resp.json())["now"]
                for follow in list(self.followers):
                    follow(now)
        return then(body) if then else body


class SandboxHandle(_Api):
    """What the `sandbox` fixture gives: blocking calls; `.aio` has the same verbs as coroutines."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.followers = []
        self.aio = AsyncSandboxHandle(base_url, self.followers)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy

    def _call(self, method, path, payload=None, query=None, then=None):
        url = f"{self.base_url}/_sandbox{path}" + (f"?{urlencode(query)}" if query else "")
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        try:
            with self._opener.open(request, timeout=300) as resp:
                body = _decode(resp.read())
        except urllib.error.HTTPError as exc:
            raise SandboxCallError(method, path, exc.code, _decode(exc.read())) from None
        if method != "GET" and self.followers:
            now = self._call("GET", "/clock")["now"]
            for follow in list(self.followers):
                follow(now)
        return then(body) if then else body

    def restore(self, merchants: dict[str, list[dict]], seed: int = DEFAULT_SEED,
                start: str = DEFAULT_START) -> None:
        """A fresh World and the merchants' original settings (PATCHed settings outlive a reset)."""
        self.reset(seed=seed, start=start)
        for provider, originals in merchants.items():
            for index, original in enumerate(originals):
                self._call("PATCH", f"/providers/{provider}/merchant", original, query={"index": index})
