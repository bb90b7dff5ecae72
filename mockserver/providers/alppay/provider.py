"""The Provider the core mounts for ALPPAY."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ...core.http import callers
from ...core.http.middleware import provider_middleware
from ..base import NUMBER, OPTIONAL_URL, TEXT, TEXT_LIST, WEBHOOK_SETTINGS, Provider
from . import api, auth
from .errors import render_error
from .backend import Backend
from . import views
from .simulate import SIMULATIONS, SIMULATION_PARAMS, STORIES
from .certify import CERTIFICATION
from .openapi import API_DESCRIPTION


class AlpPay(Provider):
    name = "alppay"
    title = "ALPPAY"
    prefix = "/alppay"
    api_base = "/alppay/v2"
    real_base_url = "https://api.alppay.io/v2"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    api_description = API_DESCRIPTION
    views = views
    certification = CERTIFICATION   # what `mockserver certify` checks a handler against
    _AMOUNT = {"type": ["string", "number"]}
    merchant_settings = {**WEBHOOK_SETTINGS, "api_key": TEXT, "hmac_key": TEXT,
                         "ip_whitelist": TEXT_LIST, "trusted_proxies": TEXT_LIST,
                         "withdrawal_webhook_url": OPTIONAL_URL, "payment_timeout": NUMBER,
                         "fee_fixed": _AMOUNT, "fee_percent": _AMOUNT,
                         "profile": {"type": "object", "description": "the `merchant` object shown to payers"},
                         "balances": {"type": "object", "additionalProperties": _AMOUNT,
                                      "description": "opening balances, e.g. {USDT_tron: '100'}"}}
    webhook_signature = ('header "X-HMAC" = hex(HMAC-SHA256(key = your HMAC key, message = the raw body bytes)); compare in constant time.')

    def default_merchants(self) -> list[dict]:
        # Fake, shaped like the docs' samples (ak_live_... API key, sk_live_... HMAC key).
        return [{
            "api_key": "ak_sandbox_7c1e4b9a2f6d8035",
            "hmac_key": "sk_sandbox_3b8f0d6a9e2c4f1a",
            # [D] the API refuses callers whose IP is not whitelisted; loopback is on the list so
            # `make serve` works from the same machine. trusted_proxies: peers whose
            # X-Forwarded-For is believed (none by default).
            "ip_whitelist": ["127.0.0.1", "::1"],
            "trusted_proxies": [],
            "webhook_url": None,
            "withdrawal_webhook_url": None,
            "webhook_timeout": 10,
            "payment_timeout": 9000,
            "fee_fixed": "0.00",
            "fee_percent": "0",
            "profile": {"id": 1001, "name": "Sandbox Shop", "email": "merchant@example.com",
                        "siteUrl": "https://shop.example.com", "logoUrl": "https://shop.example.com/logo.svg"},
        }, {
            # A second merchant whose servers sit behind a local reverse proxy: only its office
            # network is whitelisted, and X-Forwarded-For is believed from loopback. Calls from
            # 127.0.0.1 without the header (the proxy itself) or forwarded for any other address
            # get the 403 a non-whitelisted caller gets (scenarios/alppay/caller_not_whitelisted).
            "api_key": "ak_sandbox_5e0d92c4a81f7b36",
            "hmac_key": "sk_sandbox_d47a0c9e2b6f8135",
            "ip_whitelist": ["198.51.100.0/24"],
            "trusted_proxies": ["127.0.0.1", "::1"],
            "webhook_url": None,
            "withdrawal_webhook_url": None,
            "webhook_timeout": 10,
            "payment_timeout": 9000,
            "fee_fixed": "0.00",
            "fee_percent": "0",
            "profile": {"id": 1002, "name": "Proxied Shop", "email": "ops@proxied.example.com",
                        "siteUrl": "https://proxied.example.com", "logoUrl": ""},
        }]

    def create_backend(self, world, merchants: list[dict], options: dict) -> Backend:
        return Backend(world, merchants, options)

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[provider_middleware(self.name, render_error)])
        app.add_routes(api.routes)
        return app

    def check_merchant(self, merchant: dict) -> None:
        # a typo in a whitelist is refused when set, not found on the next API call
        callers.parse_networks(merchant.get("ip_whitelist"), "ip_whitelist")
        callers.parse_networks(merchant.get("trusted_proxies"), "trusted_proxies")

    def client_request(self, merchant: dict, method: str, path: str,
                       json_body: Any | None) -> tuple[dict[str, str], bytes]:
        """As the docs' examples do: compact JSON in the given key order, signed byte for byte."""
        headers = {"API-KEY": str(merchant["api_key"])}
        if json_body is None:
            return headers, b""
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
        headers["X-HMAC"] = auth.sign(str(merchant["hmac_key"]), body)
        return headers, body

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        return auth.verify_webhook(str(merchant["hmac_key"]), headers, body)

    def describe(self, merchant: dict, origin: str) -> dict:
        return {**super().describe(merchant, origin), "credentials": {
            "API-KEY": merchant.get("api_key"),
            "HMAC key (X-HMAC = hex HMAC-SHA256 of the raw body)": merchant.get("hmac_key"),
            "ip_whitelist": merchant.get("ip_whitelist"),
            "webhook_url": merchant.get("webhook_url") or "(not set: PATCH /_sandbox/providers/alppay/merchant)",
        }}


PROVIDER = AlpPay()
