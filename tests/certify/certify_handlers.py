"""A merchant's webhook handler for any provider, written from the provider's published rules (its
`verify_webhook`, its acknowledgement body, AlfaBit's source addresses, a 5-minute freshness window
on Alchemy Pay's signed timestamp), with switches that break it the ways certify must catch."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Faults:
    no_signature_check: bool = False     # acknowledges whatever comes
    not_idempotent: bool = False         # acts on every copy it gets
    wrong_ack: bool = False              # answers 202 "OK": not what any provider here takes as a yes
    unknown_is_404: bool = False         # answers 404 for an object it does not know


@dataclass
class Merchant:
    provider: object
    credentials: dict
    faults: Faults = field(default_factory=Faults)
    known: set = field(default_factory=set)
    orders: dict = field(default_factory=dict)    # object id or reference -> the merchant's view
    server: TestServer | None = None
    sandbox: object = None                         # a SandboxClient: where checkout creates objects

    @property
    def url(self) -> str:
        return str(self.server.make_url(f"/webhooks/{self.provider.name}"))

    @property
    def checkout_url(self) -> str:
        return str(self.server.make_url("/checkout"))

    def state_url(self) -> str:
        return str(self.server.make_url("/orders/")) + "{reference}"

    def know(self, *keys: str) -> None:
        view = {"status": "awaiting payment", "handled": 0, "notices": []}
        for key in keys:
            self.known.add(key)
            self.orders[key] = view

    def _genuine(self, request: web.Request, headers: dict, body: bytes) -> bool:
        facts = self.provider.certification
        if facts.sources:
            (address, extra), _ = facts.sources(self.credentials)
            forwarded = request.headers.get("X-Forwarded-For")
            source = forwarded.split(",")[0].strip() if extra and forwarded else request.remote
            if source != (extra.get("X-Forwarded-For") or address):
                return False
        if facts.timestamp:
            sent = headers.get(facts.timestamp, "")
            if not sent.isdigit() or abs(time.time() * 1000 - int(sent)) > 5 * 60 * 1000:
                return False
        return bool(self.provider.verify_webhook({**self.credentials, "webhook_url": self.url}, headers, body))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        if not self.faults.no_signature_check and not self._genuine(request, headers, body):
            return web.Response(status=401, text="bad signature")
        payload = json.loads(body)
        facts = self.provider.certification
        key = next((str(payload[f]) for f in facts.object_fields if str(payload.get(f)) in self.known), None)
        if key is None:
            return web.Response(status=404) if self.faults.unknown_is_404 else self._ack()
        order = self.orders[key]
        notice = str(payload.get("event") or payload.get("status"))
        if self.faults.not_idempotent or notice not in order["notices"]:
            order["notices"].append(notice)
            order["handled"] += 1
            rank = [e.split(".")[-1].lower() for e in facts.events]
            if notice.split(".")[-1].lower() == rank[1]:
                order["status"] = "paid"     # only ever forwards: an earlier notice changes nothing
        return self._ack()

    def _ack(self) -> web.Response:
        if self.faults.wrong_ack:
            return web.Response(status=202, text="OK")
        return web.Response(status=200, text=self.provider.webhook_ack_body)

    async def checkout(self, request: web.Request) -> web.Response:
        """The app's own checkout: an object created through the provider's API, as a client does."""
        from mockserver.certify.objects import create
        made = await create(self.sandbox, self.provider, self.credentials)
        self.know(made.id, made.reference)
        return web.json_response({"id": made.id, "reference": made.reference}, status=201)

    async def show(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.match_info["key"])
        return web.json_response(order, status=200 if order else 404)

    async def start(self) -> "Merchant":
        app = web.Application()
        app.router.add_post(f"/webhooks/{self.provider.name}", self.handle)
        app.router.add_get("/orders/{key}", self.show)
        app.router.add_post("/checkout", self.checkout)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server(shutdown_timeout=0.5)
        return self

    async def close(self) -> None:
        await self.server.close()
