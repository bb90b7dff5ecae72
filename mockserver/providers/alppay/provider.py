"""The Provider the core mounts for ALPPAY."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ...core.http import callers
from ...core.http.middleware import provider_middleware
from ..base import FLAG, OPTIONAL_URL, STRICT, TEXT, TEXT_LIST, WEBHOOK_SETTINGS, Provider
from . import api, auth, wallets_api
from .assets import METHODS
from .errors import render_error
from .backend import Backend
from . import views
from .simulate import SIMULATIONS, SIMULATION_PARAMS, STORIES

_DECIMAL = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,8})?$"


def _amount(maximum: int, what: str) -> dict:
    """A decimal setting: a plain decimal string or a JSON number, from 0 to `maximum`."""
    return {"anyOf": [{"type": "string", "pattern": _DECIMAL},
                      {"type": "number", "minimum": 0, "maximum": maximum}],
            "description": f"{what}: a decimal from 0 to {maximum}, e.g. \"0.5\""}


def _decimal_setting(merchant: dict, key: str, maximum: int) -> None:
    value = merchant.get(key)
    if value is None:
        return
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key} must be a decimal from 0 to {maximum}") from None
    if not number.is_finite() or not 0 <= number <= maximum:
        raise ValueError(f"{key} must be a decimal from 0 to {maximum}")


class AlpPay(Provider):
    name = "alppay"
    title = "ALPPAY"
    prefix = "/alppay"
    api_base = "/alppay/v2"
    real_base_url = "https://api.alppay.io/v2"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    views = views
    # Every setting typed and bounded: a value the code could not live with is a 400 when it is
    # set, never a 500 on a later call.
    merchant_settings = {
        **WEBHOOK_SETTINGS, "api_key": TEXT, "hmac_key": TEXT,
        "ip_whitelist": TEXT_LIST, "trusted_proxies": TEXT_LIST,
        "withdrawal_webhook_url": OPTIONAL_URL,
        "payment_timeout": {"type": "integer", "minimum": 1, "maximum": 31_536_000,
                            "description": "whole seconds a payment stays OPEN, 1 to 31536000 (a year)"},
        "fee_fixed": _amount(1_000_000, "fee per transfer, in the asset"),
        "fee_percent": _amount(100, "percent of each transfer (default 0.5)"),
        "aml_enabled": FLAG,
        "aml_threshold": _amount(1_000_000_000, "USD value from which a transfer is AML-checked"),
        "profile": {"type": "object", "additionalProperties": False,
                    "description": "the `merchant` object shown in payments and withdrawals",
                    "properties": {"id": {"type": ["string", "integer"], "maxLength": 64,
                                          "minimum": 0, "maximum": 9_223_372_036_854_775_807},
                                   "name": {"type": "string", "maxLength": 255},
                                   "email": {"type": "string", "maxLength": 254},
                                   "siteUrl": {"type": "string", "maxLength": 2048},
                                   "logoUrl": {"type": "string", "maxLength": 2048}}},
        "balances": {"type": "object", "propertyNames": {"enum": sorted(METHODS)},
                     "additionalProperties": _amount(1_000_000_000_000, "opening balance"),
                     "description": "opening balances, e.g. {USDT_tron: '100'}"},
        "strict": STRICT,
        "signed_body": {"enum": ["compact_in_order", "as_sent"],
                        "description": "compact_in_order (the hmac page: compact JSON, documented field "
                                       "order, else 400) or as_sent (any bytes the signature matches)"},
        "payment_list": {"enum": ["results", "data"],
                         "description": "GET /payment envelope: results (newest page) or data (older page)"},
        "redirect_url_key": {"enum": ["paymentRedirectUrl", "paymentRedirectURL"],
                             "description": "how webhooks spell the redirect link"},
        "cancelled_status": {"enum": ["EXPIRED", "CANCELLED"],
                             "description": "status of a payment cancelled by the merchant"},
    }
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
            "fee_percent": "0.5",     # [D] transaction-fees: the standard rate
            "aml_enabled": True,
            "aml_threshold": "0",
            # [D] merchant.id is a UUID string in the create, webhook and list samples
            "profile": {"id": "6f0f3a52-9c1e-4b7d-8a2f-1d5e7c9b3a40", "name": "Sandbox Shop",
                        "siteUrl": "https://shop.example.com", "logoUrl": "https://shop.example.com/logo.svg",
                        "email": "merchant@example.com"},
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
            "fee_percent": "0.5",
            "aml_enabled": True,
            "aml_threshold": "0",
            "profile": {"id": "b3d1e7a0-5f24-4c8e-9b61-0a7c2e4f8d15", "name": "Proxied Shop",
                        "siteUrl": "https://proxied.example.com", "logoUrl": "",
                        "email": "ops@proxied.example.com"},
        }]

    def create_backend(self, world, merchants: list[dict], options: dict) -> Backend:
        return Backend(world, merchants, options)

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[provider_middleware(self.name, render_error)])
        app.add_routes(api.routes)
        app.add_routes(wallets_api.routes)
        return app

    def check_merchant(self, merchant: dict) -> None:
        # a typo in a whitelist is refused when set, not found on the next API call
        callers.parse_networks(merchant.get("ip_whitelist"), "ip_whitelist")
        callers.parse_networks(merchant.get("trusted_proxies"), "trusted_proxies")
        # the schema types them; the bounds of a decimal string are checked here
        _decimal_setting(merchant, "fee_fixed", 1_000_000)
        _decimal_setting(merchant, "fee_percent", 100)
        _decimal_setting(merchant, "aml_threshold", 1_000_000_000)
        for method, amount in (merchant.get("balances") or {}).items():
            _decimal_setting({method: amount}, method, 1_000_000_000_000)

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None, *,
                       raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        """As the docs' examples do: compact JSON in the given key order, signed byte for byte."""
        headers = {"API-KEY": str(merchant["api_key"])}
        if raw is None and json_body is None or raw == b"":
            return headers, b""
        body = raw if raw is not None else json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
        headers["X-HMAC"] = auth.sign(str(merchant["hmac_key"]), body)
        return headers, body

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        return auth.verify_webhook(str(merchant["hmac_key"]), headers, body)

    def describe(self, merchant: dict, origin: str) -> dict:
        from .openapi import SANDBOX_ONLY
        return {**super().describe(merchant, origin), "credentials": {
            "API-KEY": merchant.get("api_key"),
            "HMAC key (X-HMAC = hex HMAC-SHA256 of the raw body)": merchant.get("hmac_key"),
            "ip_whitelist": merchant.get("ip_whitelist"),
            "webhook_url": merchant.get("webhook_url") or "(not set: PATCH /_sandbox/providers/alppay/merchant)",
            "sandbox-only routes (no ALPPAY page has them)": SANDBOX_ONLY,
        }}


PROVIDER = AlpPay()
