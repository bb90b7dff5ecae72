"""Regressions found by the settings property test (test_fuzz_settings.py) and the bad-input fuzz
once it read the words of every refusal (issue 23): each was accepted and broke a later call, or
answered 500, or showed the sandbox's insides."""
from __future__ import annotations

import json

import pytest

from fuzzing import relative
from mockserver.config_schema import problems as config_problems
from mockserver.core.state.settings import unknown
from mockserver.providers.registry import load_providers
from plain_words import internals
from test_bad_input_regressions import Unchanged

PROVIDERS = load_providers()


async def patch(client, provider: str, body: dict):
    resp = await client.patch(f"/_sandbox/providers/{provider}/merchant", json=body)
    return resp.status, (await resp.json())


@pytest.mark.parametrize("provider,body,words", [
    # a 5,000-character key made every later call a 400 "Got more than 8190 bytes" from the HTTP parser
    ("cryptopayment", {"api_key": "x" * 5000}, "api_key"),
    ("alt5pay", {"apikey": "k:1"}, "apikey"),                # the header is base64(apikey:digest)
    ("alt5pay", {"merchant_id": "é"}, "merchant_id"),        # a header: ASCII only
    ("alchemypay", {"app_id": "a b"}, "app_id"),
    ("alfabit", {"api_key": ""}, "api_key"),
    ("alfabit", {"merchant_uid": "not-a-uuid"}, "merchant_uid"),   # orders show it as a UUID
    ("alchemypay", {"timestamp_window": "-5m"}, "timestamp_window"),
    ("alchemypay", {"timestamp_window": 1e300}, "timestamp_window"),
    ("alt5pay", {"ipn_pending": "maybe"}, "ipn_pending"),
    ("alppay", {"webhook_timeout": 0}, "webhook_timeout"),
    ("cryptopayment", {"webhook_url": "http://127.0.0.1/" + "a" * 3000}, "webhook_url"),
    ("alfabit", {"merchant_name": "Shop\nX-Injected: 1"}, "merchant_name"),   # no control characters anywhere
    ("alppay", {"profile": {"name": "a\u0000b"}}, "profile"),
])
async def test_a_setting_out_of_range_is_refused_when_set_and_changes_nothing(client, world, provider, body, words):
    async with Unchanged(world):
        status, answer = await patch(client, provider, body)
    assert status == 400, answer
    message = answer["error"]["message"]
    assert words in message and not internals(message), message


async def test_an_unknown_value_is_quoted_without_a_python_repr(client, world):
    status, answer = await patch(client, "alppay", {"signed_body": "\x00"})
    assert status == 400 and "'\\u0000'" in answer["error"]["message"], answer
    assert unknown("value", 'a"b', ["x"]) == "unknown value 'a\"b' (known: x)"


@pytest.mark.parametrize("provider,options,words", [
    ("cryptopayment", {"prices": {"USDT": 1e-323}}, "prices"),    # every invoice was a 500 (division)
    ("cryptopayment", {"prices": {"USDT": "0.0000001"}}, "prices"),
    ("cryptopayment", {"expiry_minutes": 5e-324}, "expiry_minutes"),   # expired before any payment
    ("alfabit", {"rates": {"BTC": "0"}}, "rates"),
    ("alfabit", {"expiry_minutes": 0.5}, "expiry_minutes"),
    ("alt5pay", {"timestamp_tolerance": 10**9}, "timestamp_tolerance"),
    ("alchemypay", {"sell_expiry": "soon"}, "sell_expiry"),
    ("alchemypay", {"timestamp_window": "1000d"}, "timestamp_window"),
])
def test_an_option_out_of_range_is_refused_when_the_config_is_read(provider, options, words):
    found = config_problems({"providers": {provider: {"options": options}}}, {}, PROVIDERS)
    assert found, options
    message = " ".join(text for _line, text in found)
    assert words in message and not internals(message), message


async def test_an_invoice_worth_less_than_one_unit_of_its_coin_is_refused_before_anything_is_stored(aiohttp_client):
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    from mockserver.core.http.context import WORLD
    app = build_app(SandboxConfig(seed=3, providers={"cryptopayment": {"options": {"prices": {"USDT": "1000"}}}}))
    client, world = await aiohttp_client(app), app[WORLD]
    p = world.providers["cryptopayment"]
    headers, raw = p.client_request(world.backend("cryptopayment").merchants[0], "POST", "/invoices",
                                    {"network": "trc20", "amount_usd": 1})
    async with Unchanged(world):      # 1 USD is 0.001 USDT here: 0.00 at two decimals
        resp = await client.post("/cryptopayment/api/v1/invoices", headers=headers, data=raw)
        answer = await resp.json()
    assert resp.status == 422 and "prices" in answer["error"], answer


async def test_a_lone_surrogate_in_a_body_with_a_bad_x_hmac_is_a_401_not_a_500(client, world):
    """The X-Sandbox-Reason re-serialised the body to guess the client's slip, and a lone
    surrogate escape ("\\ud800", valid JSON) could not be encoded: 500."""
    p = world.providers["alppay"]
    headers, _ = p.client_request(world.backend("alppay").merchants[0], "POST", "/payment", {"amount": "1"})
    async with Unchanged(world):
        resp = await client.post("/alppay/v2/payment", headers=headers, data=b'{"amount": "\\ud800"}')
    assert resp.status == 401, await resp.text()


@pytest.mark.parametrize("path,params", [
    ("/_sandbox/simulate/alt5pay/confirm", {"address": [{"": 0}, "x", -17]}),
    ("/_sandbox/simulate/alt5pay/pay", {"invoice": {"a": 1.5}}),
    ("/_sandbox/simulate/alchemypay/payout_fail", {"orderNo": [1.5, "²", -290]}),
    ("/_sandbox/simulate/alchemypay/cancel", {"order": True}),
])
async def test_an_unknown_object_named_by_a_non_string_is_refused_in_plain_words(client, world, path, params):
    """The messages showed Python reprs: `unknown address [{'': 0}, ...]`, `order [Decimal('1.5'), ...]`."""
    async with Unchanged(world):
        resp = await client.post(path, json=params)
        answer = await resp.json()
    assert 400 <= resp.status < 500, answer
    assert not internals(answer["error"]["message"]), answer


async def test_a_dashboard_object_that_does_not_exist_is_named_without_a_repr(client):
    resp = await client.get("/_sandbox/ui/p/cryptopayment/invoice/%00")
    answer = await resp.json()
    assert resp.status == 404 and not internals(answer["error"]["message"]), answer
    assert json.dumps(answer).count("\\u0000") == 1


def test_every_declared_setting_has_a_type_and_every_number_and_text_a_range():
    """Settings are input too: no setting is a bare "number" or "string" without bounds."""
    loose = []
    for name, provider in sorted(PROVIDERS.items()):
        for where, declared in (("merchant", provider.merchant_settings), ("option", provider.option_settings)):
            for key, schema in declared.items():
                for node in _leaves(schema):
                    kinds = node.get("type", [])
                    kinds = [kinds] if isinstance(kinds, str) else kinds
                    if "number" in kinds or "integer" in kinds:
                        if "maximum" not in node or not {"minimum", "exclusiveMinimum"} & set(node):
                            loose.append(f"{name} {where} {key}: a number without a range")
                    if "string" in kinds and "maxLength" not in node and "pattern" not in node and "enum" not in node:
                        loose.append(f"{name} {where} {key}: a string without a length")
                    if "array" in kinds and "maxItems" not in node:
                        loose.append(f"{name} {where} {key}: a list without a length")
                    if "object" in kinds and not ({"properties", "propertyNames"} & set(node)):
                        loose.append(f"{name} {where} {key}: an object with any keys")
                    if not node.get("type") and not {"enum", "const", "anyOf"} & set(node):
                        loose.append(f"{name} {where} {key}: no type")
    assert not loose, "\n".join(loose)


def _leaves(schema: dict):
    yield schema
    for sub in schema.get("anyOf", []):
        yield from _leaves(sub)
    for sub in (schema.get("properties") or {}).values():
        yield from _leaves(sub)
    if isinstance(schema.get("items"), dict):
        yield from _leaves(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _leaves(schema["additionalProperties"])


@pytest.mark.parametrize("method,path", [
    ("GET", "/_sandbox/tenants/%00"), ("DELETE", "/_sandbox/tenants/%00"),
    ("PATCH", "/_sandbox/providers/%00/merchant"), ("GET", "/_sandbox/ui/p/%00/x/1"),
    ("GET", "/_sandbox/ui/panel/%00/credit/1"),
])
async def test_an_unknown_provider_or_tenant_is_named_without_a_repr(client, world, method, path):
    """`make fuzz` (25,000 requests) found `unknown provider '\\x00'` and `no tenant '\\x00'`:
    the name is quoted as JSON writes it, as every other message does."""
    async with Unchanged(world):
        resp = await client.request(method, path, json={})
        answer = await resp.json()
    assert resp.status == 404 and not internals(answer["error"]["message"]), answer


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/_sandbox/clock/advance", {"by": ["\u00f8]^\u0086G6", False]}),
    ("POST", "/_sandbox/clock/advance", {"by": "\u0000"}),
    ("DELETE", "/_sandbox/faults/%00", {}),
])
async def test_a_bad_duration_or_an_unknown_fault_is_told_without_a_repr(client, world, method, path, body):
    """The second `make fuzz` found `not a duration: ['ø]^\\x86G6', False]` and `no fault '\\x00'`."""
    async with Unchanged(world):
        resp = await client.request(method, path, json=body)
        answer = await resp.json()
    assert resp.status in (400, 404) and not internals(answer["error"]["message"]), answer
