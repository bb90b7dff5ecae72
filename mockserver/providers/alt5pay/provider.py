"""The Provider the core mounts for ALT 5 Pay."""
from __future__ import annotations

import hmac
import itertools
import re
import secrets
from datetime import datetime
from typing import Any

from aiohttp import web

from ...core.time.clock import Clock
from ...core.http.middleware import provider_middleware
from ..base import CREDENTIAL, STRICT, WEBHOOK_SETTINGS, Provider, bounded, credential, minutes
from . import api, jsjson
from .auth import JsonNumber, hmac_hex, parse_body, remember_replay_key, sign_request
from .errors import render_error
from .backend import Alt5Backend
from . import views
from .simulate import SIMULATION_PARAMS, SIMULATIONS, STORIES, _view

_nonces = itertools.count(secrets.randbelow(500_000))


class Alt5Pay(Provider):
    name = "alt5pay"
    title = "ALT 5 Pay"
    prefix = "/alt5pay"
    api_base = "/alt5pay"
    real_base_url = "https://api.digitalpaydev.com"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    views = views
    _IPN = {"ipn_schedule": {"enum": ["stop_rule", "all_delays"]},
            "ipn_pending": {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}],
                            "description": "true or false: also an IPN at first sight (Pending)"}}
    # authentication = base64(apikey + ':' + hex digest): no ':' in the key; apikey and merchant_id are headers
    merchant_settings = {**WEBHOOK_SETTINGS,
                         "apikey": credential("1 to 256 printable ASCII characters, no spaces or ':'", colon=False),
                         "secret": {"type": "string", "minLength": 1, "maxLength": 256},
                         "merchant_id": CREDENTIAL, **_IPN, "strict": STRICT}
    option_settings = {"address_ttl_minutes": minutes(525_600, "how long an address's quote holds (60)"),
                       "timestamp_tolerance": bounded(1, 86_400, "seconds a request's timestamp may be "
                                                                 "from real time (300)"),
                       **_IPN, "strict": STRICT}
    webhook_signature = ('header "signature" = hex(HMAC-SHA512(key = your secret, message = the raw body bytes as posted)); in Node, JSON.stringify(req.body) reproduces those bytes.')

    def default_merchants(self) -> list[dict]:
        # Fake, shaped like the dashboard's: a 40-hex public key (as in the docs' sample), a
        # 64-hex secret and a UUID merchant id [A: the docs show neither of the last two].
        return [{
            "apikey": "1238d6999a60383a1d641db885decbc1fe8e9953",
            "secret": "5f5eee0a43c72a165c5eef6a37155e6ce581ed31b70037d03239bc0dd84330ed",
            "merchant_id": "62456d5a-b18d-8820-01a8-63cba95fca3d",
            "webhook_url": None,
            "webhook_timeout": 10,
        }, {
            "apikey": "6b6e5c22b2d6c0aca0b3fc686a08ec47bd88bfad",
            "secret": "7aa665dde30b57ddf44e348caeef0cb0f488de2924f7ea54c513ade9ab64c0ac",
            "merchant_id": "72386623-c0f0-1f46-559a-7014e4c2bf01",
            "webhook_url": None,
            "webhook_timeout": 10,
        }]

    def create_backend(self, world, merchants: list[dict], options: dict) -> Alt5Backend:
        return Alt5Backend(world, [dict(m) for m in (merchants or self.default_merchants())], options)

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[provider_middleware(self.name, render_error)])
        app.add_routes(api.routes)
        app.on_response_prepare.append(remember_replay_key)
        return app

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None,
                       now: datetime | None = None, *, raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        """What a Node client does: JSON.stringify the body, sign its keys in that order.

        timestamp/nonce are added when the body lacks them; the timestamp is `now` when the caller
        knows the sandbox's clock, else the client's own wall clock, as for a real client.
        `raw` (a recorded body): sent as it is but for its timestamp, which is the client's clock
        now (the sandbox refuses one 300 s from real time), and signed in its own key order.
        """
        if path.startswith("/invoice/"):    # the status page call takes no auth and no body
            return {"Content-Type": "application/json"}, raw or b""
        if raw is not None:
            return self._resign(merchant, raw, now)
        body = dict(json_body or {})
        body.setdefault("timestamp", int((now or Clock.wall_now()).timestamp()))
        body.setdefault("nonce", next(_nonces) % 1_000_000)
        raw = jsjson.dumps_bytes(body)
        headers = sign_request(merchant["apikey"], merchant["secret"], merchant["merchant_id"], raw)
        return {**headers, "Content-Type": "application/json"}, raw

    @staticmethod
    def _resign(merchant: dict, raw: bytes, now: datetime | None) -> tuple[dict[str, str], bytes]:
        try:
            body = parse_body(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):   # refused before auth: sent as is
            return {"Content-Type": "application/json"}, raw
        stamp = body.get("timestamp")
        if isinstance(stamp, JsonNumber) and stamp.isdigit():   # an integer literal: the client's clock
            literal = re.escape(stamp)
            found = list(re.finditer(rb'"timestamp"\s*:\s*(' + literal.encode() + rb')(?![0-9.eE])', raw))
            if found:   # the top-level key is the last one written (nested objects come before it)
                start, end = found[-1].span(1)
                fresh = str(int((now or Clock.wall_now()).timestamp())).encode()
                raw = raw[:start] + fresh + raw[end:]
        try:
            headers = sign_request(merchant["apikey"], merchant["secret"], merchant["merchant_id"], raw)
        except (ValueError, UnicodeDecodeError, RecursionError, TypeError):
            headers = {"apikey": str(merchant["apikey"]), "merchant_id": str(merchant["merchant_id"])}
        return {**headers, "Content-Type": "application/json"}, raw

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        received = next((v for k, v in headers.items() if k.lower() == "signature"), "")
        return hmac.compare_digest(hmac_hex(str(merchant.get("secret", "")), body), received.strip().lower())

    def object_view(self, backend, kind: str, object_id: str) -> dict | None:
        return views.dashboard_view(backend, kind, object_id, backend.world.clock.now(),
                                    lambda wallet: _view(backend.world, backend, wallet))

    def describe(self, merchant: dict, origin: str) -> dict:
        return {**super().describe(merchant, origin), "credentials": {
            "apikey": merchant.get("apikey"),
            "secret": merchant.get("secret"),
            "merchant_id": merchant.get("merchant_id"),
            "webhook_url": merchant.get("webhook_url") or "(not set: PATCH /_sandbox/providers/alt5pay/merchant)",
        }}


PROVIDER = Alt5Pay()
