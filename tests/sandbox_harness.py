"""A served sandbox driven synchronously, for property tests whose examples are plain functions
(Hypothesis `@given` and `RuleBasedStateMachine` rules): one private event loop runs the app (a
real TestServer on 127.0.0.1), a real webhook receiver whose behaviour the test switches, and
every request; `Served.run(coro)` drives it.

- `Receiver`: a merchant's endpoint answering as its mode says, switchable at any time: "up" (200
  with a body every provider takes as an acknowledgement), "down" (503), "reset" (the connection
  dropped), "slow" (held past the sandbox's webhook timeout). It records every request it saw.
- `Served.call`: a provider API call signed as a real client signs it (`Provider.client_request`);
  `Served.admin`: the admin API. Both answer `Answer(status, headers, body, json)`.
- `problems(world)`: what must never be in a World: journal "error" entries (an exception in a
  scheduled event) and self-check violations of the sandbox's own contracts.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fuzzing import relative
from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

ACK = b'{"success":true}'     # 200 with this: every provider's acknowledgement rule holds
MODES = ("up", "down", "reset", "slow")


class Receiver:
    def __init__(self, hold_seconds: float = 0.6):
        self.mode = "up"
        self.hold_seconds = hold_seconds
        self.requests: list[dict] = []
        self.server: TestServer | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server(shutdown_timeout=0.2)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        mode = self.mode
        self.requests.append({"body": body, "path": request.path_qs, "mode": mode,
                              "headers": dict(request.headers)})
        if mode == "slow":
            await asyncio.sleep(self.hold_seconds)
        elif mode == "reset":
            request.transport.close()
        elif mode == "down":
            return web.Response(status=503, text="down")
        return web.Response(status=200, body=ACK, content_type="application/json")

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    json: Any = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Served:
    """The sandbox and a receiver on a loop of their own. `config(receiver_url)` builds the
    SandboxConfig, so merchants can carry the receiver's URL from the start (it survives resets)."""
    config: Callable[[str], SandboxConfig]
    hold_seconds: float = 0.6
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    receiver: Receiver | None = None
    client: TestClient | None = None
    sent: int = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def start(self) -> "Served":
        self.receiver = Receiver(self.hold_seconds)
        self.run(self.receiver.start())
        self.client = self.run(self._serve())
        return self

    async def _serve(self) -> TestClient:
        client = TestClient(TestServer(build_app(self.config(self.receiver.url)), host="127.0.0.1"))
        await client.start_server()
        return client

    @property
    def app(self) -> web.Application:
        return self.client.server.app

    @property
    def world(self):
        return self.app[WORLD]

    def restart(self) -> None:
        """A second process on the same (durable) state: the old app closed, a new one replayed."""
        self.run(self.client.close())
        self.client = self.run(self._serve())

    def close(self) -> None:
        try:
            if self.client is not None:
                self.run(self.client.close())
            if self.receiver is not None:
                self.run(self.receiver.close())
        finally:
            self.loop.close()

    # -- requests ---------------------------------------------------------------------------
    def request(self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None) -> Answer:
        async def go() -> Answer:
            async with self.client.request(method, path, headers=headers or {}, data=body,
                                           skip_auto_headers=["Content-Type"]) as resp:
                raw = await resp.read()
                answer = Answer(resp.status, dict(resp.headers), raw)
            if "json" in answer.headers.get("Content-Type", ""):
                try:
                    answer.json = json.loads(raw)
                except ValueError:
                    pass
            await self.world.scheduler.settle()   # what the call made due has run
            return answer
        self.sent += 1
        return self.run(go())

    def call(self, provider: str, method: str, path: str, body: Any = None, merchant: int = 0,
             raw: bytes | None = None, extra: dict | None = None) -> Answer:
        """`path` under the provider's prefix, signed by its client_request (over `raw` when given:
        the signature then covers other bytes than those sent, as a hostile client's would);
        `extra`: headers besides the signed ones (e.g. a session token)."""
        p = self.world.providers[provider]
        merchants = self.world.backend(provider).merchants
        headers, signed = p.client_request(merchants[merchant], method, relative(p, path), body)
        return self.request(method, path, headers={**headers, **(extra or {})},
                            body=signed if raw is None else raw)

    def admin(self, method: str, path: str, payload: Any = None) -> Answer:
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return self.request(method, "/_sandbox" + path, headers=headers, body=body)


def problems(world) -> list[str]:
    """Exceptions in scheduled events (journal "error") and breaches of the sandbox's own contracts."""
    out = [f"event error: {e.get('event')}: {e.get('error')}" for e in world.journal.query(kind="error")]
    out += [f"self-check: {v}" for v in world.self_violations]
    # an attempt that failed on the sandbox's side (a signer or URL surprise) names an exception
    out += [f"delivery {d.id} attempt {a.number}: {a.error}" for d in world.outbox.list() for a in d.attempts
            if a.error and EXCEPTION.match(a.error)]
    return out


EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception)\b")
