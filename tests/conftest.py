"""Shared fixtures: a sandbox app on a fixed seed and start instant, and a real loopback receiver.

Every test that builds the app is checked at teardown: nothing the sandbox emitted (responses,
webhooks) may have broken its own contracts.
"""
from __future__ import annotations

import asyncio
import gc
import os
from datetime import datetime, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.http.runtime import tune_collector

if os.environ.get("SANDBOX_TEST_LOOP") == "uvloop":   # the whole suite on uvloop (the [fast] extra)
    import uvloop
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
SLOW_SECONDS = 10.0   # a test over this needs @pytest.mark.slow(reason="..."): make test names the others
_slow_without_reason: list[tuple[str, float]] = []


def pytest_sessionstart(session):
    """The collector tuned as `mockserver serve` tunes it (core/http/runtime.py): what the
    imports and the collection made is frozen out of its walks, and young objects are collected
    less often. Thousands of Worlds built and dropped spent ~13 % of the suite's CPU in it."""
    gc.collect()
    tune_collector()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.duration > SLOW_SECONDS:
        marker = item.get_closest_marker("slow")
        if marker is None or not (marker.kwargs.get("reason") or marker.args):
            report.user_properties.append(("slow_without_reason", report.duration))


def pytest_collection_modifyitems(config, items):
    """Modules holding a slow test run first (in their own order): under xdist their long tests
    start while the short ones fill the other workers, not left to one worker at the end."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


def pytest_runtest_logreport(report):
    # runs in the controller too under xdist: the property travels with the report
    for name, value in report.user_properties:
        if name == "slow_without_reason":
            _slow_without_reason.append((report.nodeid, value))


def pytest_terminal_summary(terminalreporter):
    if _slow_without_reason:
        terminalreporter.section(f"tests over {SLOW_SECONDS:.0f} s without a reason (mark them slow(reason=...) or speed them up)")
        for nodeid, seconds in sorted(_slow_without_reason, key=lambda x: -x[1]):
            terminalreporter.write_line(f"{seconds:6.1f}s {nodeid}")


@pytest.fixture(scope="module")
def running():
    """A sandbox served on a thread of its own (a real port): the URL the CLI's verbs are pointed at."""
    from mockserver.scenarios.sandbox import ThreadedSandbox
    server = ThreadedSandbox()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL server for the run (tests/pg_support.py): shared by the xdist workers,
    skipped with the reason where PostgreSQL is missing (failed under CI)."""
    import os

    from pg_support import shared_server
    base = tmp_path_factory.getbasetemp()
    meeting = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with shared_server(meeting / "postgresql") as server:
        yield server


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh database on that server, for one test."""
    from pg_support import new_database
    return new_database(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def durable(request, tmp_path):
    """How a durable sandbox keeps its World, for tests run against both stores: config keys
    (`state` for a SQLite file, `store` for a PostgreSQL database) and the matching serve flags."""
    if request.param == "sqlite":
        path = str(tmp_path / "world.db")
        return {"config": {"state": path}, "flags": ["--state", path], "kind": "sqlite"}
    url = request.getfixturevalue("pg_url")
    return {"config": {"store": url}, "flags": ["--store", url], "kind": "postgresql"}


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=1234, start=START, self_check=True)


@pytest.fixture
def app(sandbox_config):
    application = build_app(sandbox_config)
    yield application
    violations = application[WORLD].self_violations
    assert not violations, f"the sandbox broke its own contracts: {violations}"


@pytest.fixture
def world(app):
    return app[WORLD]


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)


class Receiver:
    """A merchant's webhook endpoint on 127.0.0.1 that answers as scripted, attempt by attempt.

    replies: ints (HTTP status), "timeout" (hold the request longer than the sandbox waits),
    "reset" (drop the connection), or (status, body) tuples; the last reply repeats.
    """

    def __init__(self, replies=(200,), hold_seconds: float = 1.0):
        self.replies = list(replies)
        self.hold_seconds = hold_seconds
        self.requests: list[dict] = []
        self.server: TestServer | None = None
        self._arrived = asyncio.Event()

    async def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` requests have arrived (a real receiver's wait, bounded; not a sleep)."""
        async def arrived() -> None:
            while len(self.requests) < count:
                self._arrived.clear()
                await self._arrived.wait()
        await asyncio.wait_for(arrived(), timeout)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append({"headers": dict(request.headers), "body": body, "path": request.path_qs})
        self._arrived.set()
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if reply == "timeout":
            await asyncio.sleep(self.hold_seconds)  # the receiver is slow; the sandbox gives up first
            return web.Response(status=200)
        if reply == "reset":
            request.transport.close()
            return web.Response(status=200)
        status, text = reply if isinstance(reply, tuple) else (reply, "OK")
        return web.Response(status=status, text=text)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/webhook"))

    def json(self, index: int = -1):
        import json
        return json.loads(self.requests[index]["body"])


@pytest.fixture
async def receiver():
    made: list[Receiver] = []

    async def start(replies=(200,), hold_seconds: float = 1.0) -> Receiver:
        rec = Receiver(replies, hold_seconds)
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", rec.handle)
        rec.server = TestServer(app, host="127.0.0.1")
        # a webhook attempt can be connecting when the test ends: closing must not wait for it
        await rec.server.start_server(shutdown_timeout=0.5)
        made.append(rec)
        return rec

    yield start
    for rec in made:
        await rec.server.close()
