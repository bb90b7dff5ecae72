"""The Provider the core mounts for AlfaBit Pay."""
from __future__ import annotations

import ipaddress
import json
from typing import Any

from aiohttp import web

from ...core.basics.errors import NotFound
from ...core.contracts.messages import show
from ...core.http.middleware import provider_middleware
from ..base import (CREDENTIAL, FLAG, OPTIONAL_TEXT, STRICT, TEXT, WEBHOOK_SETTINGS, Provider, bounded, check_priced,
                    priced)
from . import api, catalog, pages
from .auth import SIGNATURE_MODES, verify_signature
from .errors import render_error
from .backend import DEFAULT_RATES, Backend
from .model import NAME
from . import views
from .simulate import SIMULATIONS, SIMULATION_PARAMS, STORIES
from .views import CALLBACK_IPS
from .webhooks import DEFAULT_SOURCE, DEFAULT_SOURCE_V6


async def _no_route(request: web.Request) -> web.Response:
    """Express's answer to a path or method it has no route for (it has no 405)."""
    raise NotFound(f"Cannot {request.method} /{request.match_info.get('tail', '')}")


class AlfaBitPay(Provider):
    name = NAME
    title = "AlfaBit Pay"
    prefix = "/alfabit"
    api_base = "/alfabit"
    real_base_url = "https://pay.alfabit.org"
    simulations = SIMULATIONS
    stories = STORIES
    simulation_params = SIMULATION_PARAMS
    views = views
    merchant_settings = {
        **WEBHOOK_SETTINGS, "api_key": CREDENTIAL,       # x-api-key is a header
        "merchant_uid": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                         "description": "a lowercase UUID, as orders show merchantUid"},
        "merchant_id": {"type": "string", "minLength": 1, "maxLength": 64}, "merchant_name": TEXT,
        "callback_source_address": {**OPTIONAL_TEXT, "description": "IPv4 loopback stand-in for the published IPs"},
        "callback_source_address_v6": {**OPTIONAL_TEXT, "description": "IPv6 stand-in (::1) for IPv6 receivers"},
        "callback_forwarded_for": OPTIONAL_TEXT, "withdrawals_enabled": FLAG,
        "callback_signature": {"enum": list(SIGNATURE_MODES),
                               "description": "unverifiable (default, as production: no published formula) | hmac"},
        "withdraw_volume_field": {**FLAG, "description": "accept `volume` (+ `walletId`) for a withdrawal's `amount`"},
        "strict": STRICT}
    option_settings = {"expiry_minutes": bounded(1, 10_080, "minutes an invoice waits for payment (20)", integer=True),
                       "late_payment_minutes": bounded(0, 525_600, "minutes after expiry a late payment still counts"),
                       "rates": priced(DEFAULT_RATES, "the USDT rate of an asset")}
    webhook_signature = ('AlfaBit publishes no signature formula: by default the body field "signature" is a value no '
                         'merchant can verify; check the source address (allow-list). Opt-in (merchant setting '
                         'callback_signature: hmac): hex(HMAC-SHA256(key = your API key, message = the body without '
                         '"signature", compact JSON in the order received)).')

    def default_merchants(self) -> list[dict]:
        # [A] fake, shaped plausibly: the dashboard's API key (opaque), merchant uid/id/name as orders show them
        return [{
            "api_key": "afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2",
            "merchant_uid": "5d0c3f2e-8b1a-4c7e-9f3a-2b6d8e1c4a70",
            "merchant_id": "1042",
            "merchant_name": "SandboxMerchant",
            "webhook_url": None,                     # the dashboard's Callback URL
            "webhook_timeout": 10,
            "callback_source_address": DEFAULT_SOURCE,
            "callback_source_address_v6": DEFAULT_SOURCE_V6,
            "callback_forwarded_for": None,
            "withdrawals_enabled": True,
            "callback_signature": "unverifiable",
            "withdraw_volume_field": False,
            "strict": False,
        }]

    def check_merchant(self, merchant: dict) -> None:
        for key, family in (("callback_source_address", None), ("callback_source_address_v6", 6)):
            value = merchant.get(key)
            if value is None:
                continue
            try:
                address = ipaddress.ip_address(str(value))
            except ValueError:
                raise ValueError(f"{key}: {show(value)} is not an IP address") from None
            if not address.is_loopback or (family and address.version != family):
                raise ValueError(f"{key}: must be a loopback address the sandbox can send from "
                                 f"({'::1' if family else '127.0.0.0/8 or ::1'})")
        forwarded = merchant.get("callback_forwarded_for")
        if forwarded is not None:
            try:
                ipaddress.ip_address(str(forwarded))
            except ValueError:
                raise ValueError(f"callback_forwarded_for: {show(forwarded)} is not an IP address") from None

    def check_options(self, options: dict) -> None:
        check_priced(options, "rates")

    def create_backend(self, world, merchants: list[dict], options: dict) -> Backend:
        return Backend(world, merchants, options)

    def build_app(self, world) -> web.Application:
        app = web.Application(middlewares=[provider_middleware(self.name, render_error)])
        app.add_routes(api.routes)
        app.add_routes(catalog.routes)
        app.add_routes(pages.routes)
        app.router.add_route("*", "/{tail:.*}", _no_route)   # last: only what nothing else matched
        return app

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None, *,
                       raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        """What the public clients send: `x-api-key` and a JSON body, nothing else."""
        headers = {"x-api-key": str(merchant["api_key"])}
        body = raw if raw is not None else b"" if json_body is None else json.dumps(json_body).encode()
        if body:
            headers["Content-Type"] = "application/json"
        return headers, body

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        """A published source IP when a proxy passed on X-Forwarded-For [D]; the signature only when
        the merchant opted into the sandbox's HMAC reading [A] (by default nothing in the body can be
        verified). The peer address itself is the receiver's to check: see the scenario receiver's
        allow_sources."""
        try:
            payload = json.loads(body)
        except ValueError:
            return False
        if not isinstance(payload, dict) or not verify_signature(merchant, payload):
            return False
        forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), None)
        return forwarded is None or forwarded.split(",")[0].strip() in CALLBACK_IPS

    def describe(self, merchant: dict, origin: str) -> dict:
        return {**super().describe(merchant, origin), "credentials": {
            "x-api-key": merchant.get("api_key"),
            "callback_url": merchant.get("webhook_url") or "(orders' callbackUrl, or PATCH /_sandbox/providers/alfabit/merchant)",
            "callbacks_from": f"{merchant.get('callback_source_address') or 'any local address'} (IPv4), "
                              f"{merchant.get('callback_source_address_v6') or 'any local address'} (IPv6), "
                              f"standing in for {', '.join(CALLBACK_IPS)}",
        }}


PROVIDER = AlfaBitPay()
