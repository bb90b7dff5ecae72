"""Junk at every route of every provider and the admin API: never a 500, never a traceback."""
from __future__ import annotations

import re

import pytest

from mockserver.core.http.context import WORLD

JUNK_BODIES = [
    b"", b"{", b"[]", b"null", b"42", b'"str"', b"\xff\xfe\x00", b'{"a": NaN}', b'{"a": Infinity}',
    b"[" * 5000 + b"]" * 5000, b'{"amount": "1e999999", "amount_usd": 1e999999}',
    b'{"amount": -1, "amount_usd": -1, "network": "../../etc/passwd"}',
    b'{"timestamp": "x", "nonce": {}, "ref_id": [], "orderNo": {"$ne": 1}}',
]
JUNK_HEADERS = [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Basic \u00e9\u00e9"},
    {"apikey": "x", "merchant_id": "y", "authentication": "!!!"},
    {"appId": "x", "timestamp": "9" * 40, "sign": "x"},
    {"API-KEY": "x", "X-HMAC": "zz"}, {"x-api-key": "x"},
]


def _concrete(path: str) -> list[str]:
    """Fill each {placeholder} with hostile ids."""
    if "{" not in path:
        return [path]
    names = re.findall(r"\{([^}]+)\}", path)
    hostile = ["nope", "..%2F..%2Fetc", "%00", "9" * 300, "550e8400-e29b-41d4-a716-446655440000"]
    real = {"provider": ["cryptopayment", "alt5pay", "alchemypay"], "asset": ["btc", "usdt_tron"],
            "action": ["pay", "confirm", "expire", "state", "pay_fail", "refund", "payout"]}
    out = []
    for value in hostile:
        out.append(re.sub(r"\{[^}]+\}", value, path))
    if names == ["provider", "action"]:
        out += [f"/_sandbox/simulate/{p}/{a}" for p in real["provider"] for a in real["action"]]
    elif len(names) == 1 and names[0] in real:
        out += [path.replace("{" + names[0] + "}", v) for v in real[names[0]]]
    return out


def _routes(app) -> list[tuple[str, str]]:
    seen = []
    for resource in app.router.resources():
        info = resource.get_info()
        prefix = info.get("prefix")
        if prefix and "app" in info:  # a provider sub-application
            seen.extend(_routes(info["app"]))  # its routes already carry the prefix
            continue
        path = info.get("path") or info.get("formatter")
        for route in resource:
            if route.method in ("HEAD", "OPTIONS") or not path:
                continue
            seen.append((route.method, path))
    return seen


@pytest.mark.slow(reason="every route of five providers and the admin API, each with a dozen junk bodies")
async def test_no_route_answers_500_to_junk(client, app):
    routes = [(m, p) for m, p in _routes(app) if p != "/_sandbox/reset"]
    assert len(routes) > 30, routes  # every provider is mounted
    assert any(p.startswith("/alt5pay/usr/") for _, p in routes)
    problems, sent = [], 0
    for method, template in routes:
        for path in _concrete(template):
            for i, body in enumerate(JUNK_BODIES):
                headers = {**JUNK_HEADERS[i % len(JUNK_HEADERS)], "Content-Type": "application/json"}
                resp = await client.request(method, path, data=body if method != "GET" else None,
                                            headers=headers)
                text = await resp.text()
                sent += 1
                if resp.status >= 500 or "Traceback" in text:
                    problems.append((method, path, body[:40], resp.status, text[:120]))
    assert not problems, problems[:10]
    assert sent > 1000
    not_found = [r for r in app[WORLD].journal.query(kind="api") if r["status"] == 404]
    assert len(not_found) < sent / 2  # the routes were reached, not just 404s for mistyped paths
    assert not app[WORLD].journal.query(kind="error")


@pytest.mark.parametrize("path", ["/nowhere", "/cryptopayment/nowhere", "/alt5pay/nowhere",
                                  "/alchemypay/nowhere", "/_sandbox/nowhere"])
async def test_unknown_routes_are_404_in_json(client, path):
    resp = await client.post(path, data=b"{")
    assert resp.status == 404
    assert resp.content_type == "application/json"
