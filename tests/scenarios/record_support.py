"""A merchant's own client for each provider (a plain aiohttp session, each signature written from
the provider's published formula, not the sandbox's code), a merchant webhook endpoint, and the
comparison of two worlds for the record -> replay tests."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
from datetime import datetime, timezone

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.providers.registry import load_providers

START = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
MERCHANTS = {name: p.default_merchants() for name, p in load_providers().items()}
CP, AP, A5, ALC, AFB = (MERCHANTS[n][0] for n in ("cryptopayment", "alppay", "alt5pay", "alchemypay", "alfabit"))


def fresh_app(seed: int = 99):
    """A sandbox on a seed and start of its own: the recording's reset replaces both."""
    return build_app(SandboxConfig(seed=seed, start=START, self_check=True))


class Hook:
    """The merchant's webhook endpoint: 500 to the first request, then {"success": true} (what
    Alchemy Pay's acknowledgement rule wants; every other provider takes any 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.path, await request.read()))
        if len(self.received) == 1:
            return web.Response(status=500, text="busy")
        return web.json_response({"success": True})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


def _hmac_hex(key: str, message: bytes, digest=hashlib.sha256) -> str:
    return hmac.new(key.encode(), message, digest).hexdigest()


class Merchant:
    """One shop's calls to every provider, as its own code would send them."""

    def __init__(self, session: aiohttp.ClientSession, base: str):
        self.session, self.base = session, base
        self.nonce = 1000

    async def send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, object]:
        async with self.session.request(method, self.base + path, data=body, headers=headers) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    # CryptoPayment.center: Authorization: Bearer api_key:api_secret, a JSON body
    async def cryptopayment(self, method: str, path: str, body: dict | None = None):
        headers = {"Authorization": f"Bearer {CP['api_key']}:{CP['api_secret']}"}
        raw = None
        if body is not None:   # aiohttp's own json=: `", "` and `": "` separators
            raw, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        return await self.send(method, "/cryptopayment/api/v1" + path, raw, headers)

    # ALPPAY: API-KEY, X-HMAC = hex HMAC-SHA256(hmac_key, the raw body)
    async def alppay(self, method: str, path: str, body: dict | None = None):
        headers = {"API-KEY": AP["api_key"]}
        raw = None
        if body is not None:
            raw = json.dumps(body, separators=(",", ":")).encode()   # compact, as the docs sign it
            headers.update({"Content-Type": "application/json", "X-HMAC": _hmac_hex(AP["hmac_key"], raw)})
        return await self.send(method, "/alppay/v2" + path, raw, headers)

    # ALT 5 Pay: timestamp and nonce in the body; authentication = base64(apikey + ":" +
    # hex HMAC-SHA512(secret, "k=v&k=v" in the body's key order))
    async def alt5pay(self, path: str, body: dict):
        self.nonce += 1
        body = {**body, "timestamp": int(time.time()), "nonce": self.nonce}
        raw = json.dumps(body, separators=(",", ":")).encode()
        string = "&".join(f"{k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in body.items())
        token = A5["apikey"] + ":" + _hmac_hex(A5["secret"], string.encode(), hashlib.sha512)
        headers = {"apikey": A5["apikey"], "merchant_id": A5["merchant_id"], "Content-Type": "application/json",
                   "authentication": base64.b64encode(token.encode()).decode()}
        return await self.send("POST", "/alt5pay" + path, raw, headers)

    # Alchemy Pay v4: sign = base64(HMAC-SHA256(appSecret, timestamp + METHOD + path + body)),
    # the body its parameters sorted, compact
    async def alchemypay(self, path: str, body: dict, token: str | None = None):
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
        stamp = str(int(time.time() * 1000))
        sign = base64.b64encode(hmac.new(ALC["app_secret"].encode(), (stamp + "POST" + path + raw).encode(),
                                         hashlib.sha256).digest()).decode()
        headers = {"appId": ALC["app_id"], "timestamp": stamp, "sign": sign, "Content-Type": "application/json"}
        if token:
            headers["access-token"] = token
        return await self.send("POST", "/alchemypay" + path, raw.encode(), headers)

    # AlfaBit Pay: x-api-key and a JSON body
    async def alfabit(self, method: str, path: str, body: dict | None = None):
        headers = {"x-api-key": AFB["api_key"]}
        raw = None
        if body is not None:
            raw, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        return await self.send(method, "/alfabit" + path, raw, headers)

    # the admin API, as a tester's script (or the dashboard) calls it
    async def admin(self, method: str, path: str, body: dict | None = None, expect: int | None = 200):
        async with self.session.request(method, self.base + "/_sandbox" + path, json=body) as resp:
            out = await resp.json(content_type=None)
            if expect is not None:
                assert resp.status == expect, (path, resp.status, out)
            return out


async def exported(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(base + "/_sandbox/journal/export") as resp:
        assert resp.status == 200
        return await resp.text()


async def deliveries(session: aiohttp.ClientSession, base: str) -> list[dict]:
    """Every delivery, less what is measured on the wall clock (latency, per-attempt signatures)
    and the two sandboxes' own addresses (links in bodies: ALPPAY's paymentRedirectUrl)."""
    async with session.get(base + "/_sandbox/deliveries") as resp:
        found = await resp.json()
    for delivery in found:
        delivery.pop("url", None)      # the receiver's port differs between the two runs
        delivery.pop("headers", None)  # Alchemy Pay's per-attempt timestamp is wall-clock
        body = json.loads(delivery["body"].replace(base, "http://sandbox"))
        delivery["body"] = {k: v for k, v in body.items() if "sign" not in k.lower()} if isinstance(body, dict) else body
        for attempt in delivery["attempts"]:
            attempt.pop("latency_ms")
    return found


async def run_cli(*argv: str) -> tuple[int, str]:
    """`mockserver ...` in a subprocess, awaited so this loop keeps serving the sandbox it calls."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "mockserver.cli", *argv,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode()
