"""Reference servers for the bench, started in the same run as the sandbox.

constant: a bare aiohttp handler answering a fixed body on any path (the ceiling of the stack).
naive:    what a first attempt looks like: parse JSON, validate with jsonschema, store in a dict,
          answer; GET reads the dict back. Same contract as the sandbox's create-invoice.
bare:     a one-route app, for the cold-start comparison.
receiver: a merchant's webhook endpoint on raw asyncio (HTTP/1.1 read by hand, so that the
          receiver is not what bounds a deliveries rate; `receiver-aiohttp` is the same on an
          aiohttp app): checks each CryptoPayment signature as the documented handler does
          (HMAC-SHA256 of "invoice_id.event" under the base64 APP_KEY), counts the good and the
          bad, notes when each arrived (time.monotonic, one clock for all processes of the
          machine); GET /stats tells, POST /stats/reset starts again.
sender:   the deliveries' yardstick: `python bench/baselines.py sender URL COUNT APP_KEY` POSTs
          COUNT signed CryptoPayment-shaped bodies to URL, each on its own connection, at most
          256 at once (the outbox's own bound), with bare asyncio streams; prints when it began.
          `sender-aiohttp`: the same bodies through aiohttp's client (a session, 256 connections,
          none kept alive): what a webhook sender written on aiohttp does.

Usage: python bench/baselines.py KIND PORT [APP_KEY]   (prints "ready" when listening)
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from pathlib import Path

from aiohttp import web

FIXED = json.dumps({"success": True, "invoice": {"id": "550e8400-e29b-41d4-a716-446655440000",
                                                 "status": "pending"},
                    "checkout_url": "https://cryptopayment.center/pay/550e8400"})


def constant() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=FIXED, content_type="application/json")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def naive() -> web.Application:
    from jsonschema import Draft202012Validator, FormatChecker
    contract = Path(__file__).resolve().parents[1] / "contracts" / "cryptopayment" / "invoice-create.request.json"
    validator = Draft202012Validator(json.loads(contract.read_text()), format_checker=FormatChecker())
    store: dict[str, dict] = {}

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        errors = list(validator.iter_errors(body))
        if errors:
            return web.json_response({"success": False, "error": errors[0].message}, status=422)
        invoice = {"id": str(uuid.uuid4()), "status": "pending", **body}
        store[invoice["id"]] = invoice
        return web.json_response({"success": True, "invoice": invoice}, status=201)

    async def get(request: web.Request) -> web.Response:
        invoice = store.get(request.match_info["id"])
        if invoice is None:
            return web.json_response({"success": False}, status=404)
        return web.json_response({"success": True, "invoice": invoice})

    app = web.Application()
    app.router.add_post("/cryptopayment/api/v1/invoices", create)
    app.router.add_get("/cryptopayment/api/v1/invoices/{id}", get)
    return app


def bare() -> web.Application:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})
    app = web.Application()
    app.router.add_get("/_sandbox/health", health)
    return app


def _signature(key: bytes, invoice_id: str, event: str) -> str:
    return hmac.new(key, f"{invoice_id}.{event}".encode(), hashlib.sha256).hexdigest()


class _Hooks:
    """What a receiver counts: signatures checked, events, first and last arrival."""

    def __init__(self, app_key: str):
        self.key = base64.b64decode(app_key)
        self.reset()

    def reset(self) -> dict:
        self.stats = {"good": 0, "bad": 0, "events": {}, "first": None, "last": None}
        return self.stats

    def arrived(self, raw: bytes) -> None:
        at = time.monotonic()
        try:
            body = json.loads(raw)
            good = hmac.compare_digest(_signature(self.key, str(body["invoice_id"]), str(body["event"])),
                                       str(body["signature"]))
        except (ValueError, KeyError, TypeError):
            body, good = {}, False
        stats = self.stats
        stats["good" if good else "bad"] += 1
        event = str(body.get("event"))
        stats["events"][event] = stats["events"].get(event, 0) + 1
        stats["first"] = stats["first"] or at
        stats["last"] = at


def receiver_aiohttp(app_key: str) -> web.Application:
    hooks = _Hooks(app_key)

    async def hook(request: web.Request) -> web.Response:
        hooks.arrived(await request.read())
        return web.json_response({"ok": True})

    async def show(request: web.Request) -> web.Response:
        return web.json_response(hooks.stats)

    async def reset(request: web.Request) -> web.Response:
        return web.json_response(hooks.reset())
    app = web.Application()
    app.router.add_get("/stats", show)
    app.router.add_post("/stats/reset", reset)
    app.router.add_post("/{tail:.*}", hook)
    return app


class _RawReceiver(asyncio.Protocol):
    """One request per connection (what the sandbox sends: Connection: close), answered 200."""

    def __init__(self, hooks: _Hooks):
        self.hooks, self.buffer = hooks, bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith("content-length:")), 0)
        if len(self.buffer) < end + 4 + length:
            return
        if method == "GET" and path == "/stats":
            answer = self.hooks.stats
        elif method == "POST" and path == "/stats/reset":
            answer = self.hooks.reset()
        else:
            self.hooks.arrived(bytes(self.buffer[end + 4:end + 4 + length]))
            answer = {"ok": True}
        body = json.dumps(answer).encode()
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))
        self.transport.close()


async def raw_receiver(port: int, app_key: str) -> None:
    hooks = _Hooks(app_key)
    server = await asyncio.get_running_loop().create_server(lambda: _RawReceiver(hooks), "127.0.0.1", port,
                                                            backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def _bodies(count: int, app_key: str) -> list[bytes]:
    key = base64.b64decode(app_key)
    bodies = []
    for i in range(count):
        invoice = f"00000000-0000-4000-8000-{i:012d}"
        payload = {"event": "payment.confirmed", "invoice_id": invoice, "order_id": f"ORD-{i}",
                   "status": "paid", "network": "trc20", "coin": "USDT", "amount_usd": "50.00",
                   "amount_crypto": "50.00", "paid_amount": "50.00", "txid": "f" * 64, "confirmations": 19,
                   "address": "TKBSr2wessawfsBra9p7opSyRGfuXrrT", "timestamp": "2026-01-01T00:00:00Z",
                   "signature": _signature(key, invoice, "payment.confirmed")}
        bodies.append(json.dumps(payload).encode())
    return bodies


async def sender_aiohttp(url: str, count: int, app_key: str) -> float:
    """As `sender`, through aiohttp's client."""
    import aiohttp
    bodies = _bodies(count, app_key)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256, force_close=True)) as session:
        async def post(body: bytes) -> None:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                if resp.status != 200:
                    raise SystemExit(f"receiver answered {resp.status}")
                await resp.read()
        began = time.monotonic()
        await asyncio.gather(*(post(body) for body in bodies))
    return began


async def sender(url: str, count: int, app_key: str) -> float:
    """POST `count` signed bodies, each on a new connection, 256 at a time; returns when it began."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    bodies = []
    for body in _bodies(count, app_key):
        bodies.append((f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
    slots = asyncio.Semaphore(256)

    async def post(raw: bytes) -> None:
        async with slots:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"receiver answered {head[:40]!r}")
            await reader.read()
            writer.close()
    began = time.monotonic()
    await asyncio.gather(*(post(raw) for raw in bodies))
    return began


if __name__ == "__main__":
    if sys.argv[1] in ("sender", "sender-aiohttp"):
        send = sender if sys.argv[1] == "sender" else sender_aiohttp
        print(json.dumps({"began": asyncio.run(send(sys.argv[2], int(sys.argv[3]), sys.argv[4]))}), flush=True)
        raise SystemExit(0)
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "receiver":
        asyncio.run(raw_receiver(port, sys.argv[3]))
        raise SystemExit(0)
    app = receiver_aiohttp(sys.argv[3]) if kind == "receiver-aiohttp" else \
        {"constant": constant, "naive": naive, "bare": bare}[kind]()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, backlog=1024, print=lambda *_: print("ready", flush=True))
