"""The Provider the core mounts for Alchemy Pay ramp."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ...core.time.clock import Clock
from ...core.time.durations import parse_duration
from ...core.http.middleware import provider_middleware
from ..base import CREDENTIAL, DURATION, FLAG, STRICT, WEBHOOK_SETTINGS, Provider
from . import api, auth, catalog, estimate, pages
from .api import OFF
from .backend import PROVIDER_NAME, AlchemyBackend
from .errors import remember_request, render_error
from . import views
from .simulate import SIMULATIONS, SIMULATION_PARAMS, STORIES


class AlchemyPayProvider(Provider):
    name = PROVIDER_NAME
    title = "Alchemy Pay Ramp"
    prefix = api.PREFIX
    api_base = api.PREFIX
    real_base_url = "https://openapi-test.alchemypay.org"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    views = views
    # backend.setting(): a merchant's setting, else the provider option of the same name
    _BEHAVIOUR = {"webhook_retries": FLAG, "strict_sign": FLAG, "api_sell": FLAG, "strict": STRICT,
                  "webhook_clock": {"enum": ["wall", "virtual"]},
                  "timestamp_window": {"anyOf": [{"type": ["boolean", "null"]},
                                                 {"type": "string", "minLength": 1, "maxLength": 32},
                                                 {"type": "number", "minimum": 0, "maximum": 31_536_000}],
                                       "description": "a duration such as 5m (at most 365d), or off"},
                  "error_status": {"enum": ["4xx", "200"],
                                   "description": "the HTTP status of errors: 4xx (default) or 200, body alike"},
                  "sell_expiry": {**DURATION, "description": "how long a sell order waits for coin (48h)"}}
    merchant_settings = {**WEBHOOK_SETTINGS, "app_id": CREDENTIAL,     # appId is a header
                         "app_secret": {"type": "string", "minLength": 1, "maxLength": 256}, **_BEHAVIOUR}
    option_settings = {**_BEHAVIOUR, "webhook_timeout": WEBHOOK_SETTINGS["webhook_timeout"]}
    webhook_ack_body = "success"   # [D] "an HTTP 200 response with a success message" (webhooks.ack_success)
    webhook_signature = ('body "signature" = hex(SHA1(appId + appSecret + appId + orderNo + crypto + network + address)); "newSignature" = base64(HMAC-SHA256(appSecret, timestamp header + "POST" + callback path + the body without both signature fields and empty values, keys sorted, compact)). The body arrives in the docs\' sample order, not sorted: sort before signing.')

    def default_merchants(self) -> list[dict]:
        # shaped like real credentials: 16-char appId and appSecret
        return [{"app_id": "sbx7alc0d3k9q2mp", "app_secret": "T5wQ8nY2rK4hS6jD",
                 "webhook_url": None, "webhook_timeout": 10.0, "webhook_retries": False,
                 "strict_sign": False}]

    def create_backend(self, world, merchants: list[dict], options: dict) -> AlchemyBackend:
        return AlchemyBackend(world, merchants, options)

    def check_merchant(self, merchant: dict) -> None:
        if merchant.get("sell_expiry") is not None:   # refused when set, not when an order is made
            try:
                if not 0 < parse_duration(merchant["sell_expiry"]).total_seconds() <= 365 * 86400:
                    raise ValueError
            except ValueError:
                raise ValueError("sell_expiry must be a duration such as 30m or 48h, at most 365d") from None
        window = merchant.get("timestamp_window")
        if window is not None and not isinstance(window, bool) and str(window).strip().lower() not in OFF:
            try:
                if not 0 < parse_duration(window).total_seconds() <= 365 * 86400:
                    raise ValueError
            except ValueError:
                raise ValueError("timestamp_window must be a duration such as 5m (at most 365d), or off") from None

    check_options = check_merchant      # the options are the same keys, as defaults for every merchant

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[remember_request, provider_middleware(PROVIDER_NAME, render_error)])
        api.add_routes(app)
        catalog.add_routes(app)
        estimate.add_routes(app)
        pages.add_routes(app)
        return app

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None,
                       now: datetime | None = None, *, raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        """v4 signing as the docs describe it; the body sent is exactly the bodyString signed
        (`raw`: those bytes as given, signed as they are; a GET signs "" whatever it carries)."""
        moment = now or Clock.wall_now()  # a real client signs with its wall clock
        timestamp = str(int(moment.timestamp() * 1000))
        base, _, query = path.partition("?")
        signed_path = auth.request_path(base, parse_qsl(query, keep_blank_values=True))
        if raw is not None:
            sent = raw
            body = "" if method.upper() == "GET" else raw.decode("utf-8", "replace")
        else:
            body = "" if method.upper() == "GET" or json_body is None else auth.body_string(json_body)
            sent = body.encode()
        sign = auth.v4_sign(merchant["app_secret"], timestamp, method, signed_path, body)
        headers = {"appId": merchant["app_id"], "timestamp": timestamp, "sign": sign}
        if sent:
            headers["Content-Type"] = "application/json"
        return headers, sent

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        """SHA1 ``signature`` always; ``newSignature`` too when the merchant's webhook_url is known
        (over that URL's path only, with the request's ``timestamp`` header)."""
        try:
            payload = json.loads(body)
        except ValueError:
            return False
        if not isinstance(payload, dict):
            return False
        secret = merchant.get("app_secret", "")
        expected = auth.webhook_signature(
            str(payload.get("appId", "")), secret, str(payload.get("orderNo", "")),
            str(payload.get("crypto", "")), str(payload.get("network", "")), str(payload.get("address", "")))
        if payload.get("appId") != merchant.get("app_id") or payload.get("signature") != expected:
            return False
        url = merchant.get("webhook_url")
        if not url:
            return True
        timestamp = next((v for k, v in headers.items() if k.lower() == "timestamp"), "")
        return payload.get("newSignature") == auth.webhook_new_signature(secret, timestamp, url, payload)

    def describe(self, merchant: dict, origin: str) -> dict:
        return {**super().describe(merchant, origin),
                "credentials": {"appId": merchant.get("app_id"), "appSecret": merchant.get("app_secret"),
                                "webhook_url": merchant.get("webhook_url") or "(orders' callbackUrl; default: "
                                               "PATCH /_sandbox/providers/alchemypay/merchant)"},
                "auth": "headers appId, timestamp (13-digit ms), sign = base64(HMAC-SHA256(appSecret, "
                        "timestamp + METHOD + path?sortedQuery + sortedCompactJsonBody))"}


PROVIDER = AlchemyPayProvider()
