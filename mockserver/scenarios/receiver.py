"""The built-in webhook receiver: a real aiohttp server on 127.0.0.1:0 that answers as scripted.

Replies go per request, the last one repeating: a status code, `timeout` (hold the request until
the sandbox gives up), `reset` (drop the connection), or {status, body, headers, slow}. In
`verify_signature` mode it acts as a correct merchant: 400 to a bad signature, otherwise 200 with
the provider's acknowledgement body (`ack_body`: Alchemy Pay's `success`).
With `allow_sources` it acts like a merchant that allow-lists a provider's callback addresses:
a request from any other source gets 403 before anything else (the source is the peer address,
or the first address of `source_header`, e.g. X-Forwarded-For, for a handler behind a proxy).
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from mockserver.core.time.durations import parse_duration

Verifier = Callable[[dict, bytes], bool]
HOLD_LIMIT = 120.0  # a `timeout` reply never outlives this, even if nobody closes the receiver


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    slow: float = 0.0
    timeout: bool = False
    reset: bool = False

    @classmethod
    def parse(cls, raw: Any) -> "Reply":
        if isinstance(raw, int):
            return cls(status=raw)
        if raw == "timeout":
            return cls(timeout=True)
        if raw == "reset":
            return cls(reset=True)
        body, headers = raw.get("body", b""), dict(raw.get("headers", {}))
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        return cls(status=int(raw.get("status", 200)), body=body, headers=headers,
                   slow=parse_duration(raw["slow"]).total_seconds() if "slow" in raw else 0.0,
                   timeout=bool(raw.get("timeout")), reset=bool(raw.get("reset")))

    def describe(self) -> str:
        if self.timeout:
            return "timeout"
        if self.reset:
            return "reset"
        return str(self.status) + (f" after {self.slow:g}s" if self.slow else "")


@dataclass
class Received:
    number: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    reply: str
    source: str | None = None          # the peer address (or the source_header's first address)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Receiver:
    def __init__(self, replies: list | None = None, verifier: Verifier | None = None,
                 allow_sources: list[str] | None = None, source_header: str | None = None,
                 ack_body: str = "OK"):
        self.replies = [Reply.parse(r) for r in (replies or [])] or [Reply()]
        self.verifier = verifier
        self.ack_body = ack_body.encode()   # what a correct merchant answers (Alchemy Pay: success)
        self.allow_sources = set(allow_sources) if allow_sources else None
        self.source_header = source_header
        self.received: list[Received] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, path: str = "/webhook") -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{path}"
        return self.url

    async def close(self) -> None:
        self._closing.set()  # release held `timeout` replies so shutdown is immediate
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _reply_for(self, index: int) -> Reply:
        return self.replies[min(index, len(self.replies) - 1)]

    async def _hold(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()}
        source = request.remote
        if self.source_header and request.headers.get(self.source_header):
            source = request.headers[self.source_header].split(",")[0].strip()
        if self.allow_sources is not None and source not in self.allow_sources:
            reply = Reply(status=403, body=b"Forbidden: source address not allow-listed")
        elif self.verifier is not None:
            ok = self.verifier(headers, body)
            reply = Reply(status=200, body=self.ack_body) if ok else Reply(status=400, body=b"Invalid signature")
        else:
            reply = self._reply_for(len(self.received))
        self.received.append(Received(len(self.received) + 1, request.method, request.path, headers, body,
                                      reply.describe(), source))
        if reply.timeout:
            await self._hold(HOLD_LIMIT)
            return web.Response(status=504)
        if reply.slow:
            await self._hold(reply.slow)
        if reply.reset:
            request.transport.abort()
            raise web.HTTPException()  # nothing is written: the connection is already gone
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    def find(self, body: bytes) -> Received | None:
        """The latest request that carried exactly these bytes."""
        return next((r for r in reversed(self.received) if r.body == body), None)
