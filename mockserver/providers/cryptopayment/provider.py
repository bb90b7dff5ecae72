"""The Provider the core mounts for CryptoPayment.center."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web

from ...core.http.middleware import provider_middleware
from ..base import CREDENTIAL, STRICT, WEBHOOK_SETTINGS, Provider, check_priced, credential, minutes, priced
from . import api, auth
from .errors import render_error
from .backend import Backend
from .model import DEFAULT_PRICES
from . import views
from .simulate import SIMULATIONS, SIMULATION_PARAMS, STORIES


class CryptoPayment(Provider):
    name = "cryptopayment"
    title = "CryptoPayment.center"
    prefix = "/cryptopayment"
    api_base = "/cryptopayment/api/v1"
    real_base_url = "https://cryptopayment.center/api/v1"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    views = views
    # the bearer token is api_key:api_secret: printable ASCII, no ':' in the key
    merchant_settings = {**WEBHOOK_SETTINGS,
                         "api_key": credential("1 to 256 printable ASCII characters, no spaces or ':'", colon=False),
                         "api_secret": CREDENTIAL,
                         "app_key": {"type": "string", "minLength": 1, "maxLength": 512,
                                     "description": "base64, as the dashboard shows it"},
                         "strict": STRICT}
    option_settings = {"expiry_minutes": minutes(525_600, "how long an invoice waits for payment (30)"),
                       "prices": priced(DEFAULT_PRICES, "the USD price of a coin")}
    webhook_signature = ('body field "signature" = hex(HMAC-SHA256(key = base64decode(APP_KEY), message = invoice_id + "." + event)); compare in constant time. Only invoice_id and event are signed: re-read amounts and status from GET /invoices/{id}.')

    def default_merchants(self) -> list[dict]:
        # Fake, shaped like the dashboard's: pk_/sk_ pair and a base64 APP_KEY.
        return [{
            "api_key": "pk_sandbox_4f3c2a1b9d8e7f60",
            "api_secret": "sk_sandbox_9a8b7c6d5e4f3a2b1c0d",
            "app_key": "c2FuZGJveC1hcHAta2V5LWZvci13ZWJob29rcy0wMDE=",
            "webhook_url": None,
            "webhook_timeout": 10,
        }]

    def create_backend(self, world, merchants: list[dict], options: dict) -> Backend:
        return Backend(world, merchants, options)

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[provider_middleware(self.name, render_error)])
        app.add_routes(api.routes)
        return app

    def check_merchant(self, merchant: dict) -> None:
        for key in ("api_key", "api_secret"):
            value = merchant.get(key)
            if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable():
                raise ValueError(f"{key} must be a non-empty printable ASCII string")
        if ":" in merchant["api_key"]:
            raise ValueError("api_key must not contain ':' (the bearer token is api_key:api_secret)")
        try:  # every webhook is signed with base64decode(APP_KEY): refuse one that cannot be decoded
            if not base64.b64decode(str(merchant.get("app_key")), validate=True):
                raise ValueError
        except (ValueError, binascii.Error):
            raise ValueError("app_key must be non-empty base64, as the dashboard shows it") from None

    def check_options(self, options: dict) -> None:
        check_priced(options, "prices")

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None, *,
                       raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        headers = {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}"}
        body = raw if raw is not None else b"" if json_body is None else json.dumps(json_body).encode()
        if body:
            headers["Content-Type"] = "application/json"
        return headers, body

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        try:
            payload = json.loads(body)
        except ValueError:
            return False
        return isinstance(payload, dict) and auth.verify_webhook(merchant["app_key"], payload)

    def describe(self, merchant: dict, origin: str) -> dict:
        return {**super().describe(merchant, origin), "credentials": {
            "Authorization": f"Bearer {merchant.get('api_key')}:{merchant.get('api_secret')}",
            "APP_KEY (webhook signatures)": merchant.get("app_key"),
            "webhook_url": merchant.get("webhook_url") or "(not set: PATCH /_sandbox/providers/cryptopayment/merchant)",
        }}


PROVIDER = CryptoPayment()
