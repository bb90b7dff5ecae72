"""Callbacks: the whole order as JSON on every status change, from a chosen source address, the
labelled signature, any 2xx acknowledges, retries on the labelled schedule."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from alfabit_support import CALLBACK_IPS, CONTRACTS, expected_signature, sample_order


class SourceCheckingHandler:
    """A merchant's handler as AlfaBit tells merchants to write it: accept only allow-listed
    sources (the peer, or X-Forwarded-For behind a trusted proxy), then answer as real handlers do."""

    def __init__(self, allowed: set[str], trust_forwarded_for: bool = False, reply=(200, "OK")):
        self.allowed, self.trust_forwarded_for, self.reply = allowed, trust_forwarded_for, reply
        self.seen: list[dict] = []
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        source = request.remote
        if self.trust_forwarded_for and "X-Forwarded-For" in request.headers:
            source = request.headers["X-Forwarded-For"].split(",")[0].strip()
        self.seen.append({"peer": request.remote, "source": source, "headers": dict(request.headers),
                          "body": await request.read()})
        if source not in self.allowed:
            return web.Response(status=403, text="forbidden source")
        status, text = self.reply
        return web.Response(status=status, text=text)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/alfabit/callback"))


@pytest.fixture
async def handler():
    made = []

    async def start(**kw) -> SourceCheckingHandler:
        h = SourceCheckingHandler(**kw)
        app = web.Application()
        app.router.add_post("/alfabit/callback", h.handle)
        h.server = TestServer(app, host="127.0.0.1")
        await h.server.start_server()
        made.append(h)
        return h

    yield start
    for h in made:
        await h.server.close()


def contract(name: str) -> Draft202012Validator:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()))) for p in CONTRACTS.glob("*.json")]
    schema = json.loads((CONTRACTS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=Registry().with_resources(resources))


def test_the_published_sample_validates_against_the_callback_and_order_contracts():
    sample = sample_order()
    assert not list(contract("callback.webhook").iter_errors(sample))
    assert not list(contract("order.response").iter_errors(
        {"message": "ok", "data": {k: v for k, v in sample.items() if k != "signature"}}))
    broken = {**sample, "amountInFact": 850}       # amounts are strings in the sample
    assert list(contract("callback.webhook").iter_errors(broken))


async def test_callback_is_the_order_json_from_the_stand_in_address(ab, handler):
    h = await handler(allowed={"127.0.0.2"})
    await ab.set_merchant(webhook_url=h.url)
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    got = h.seen[-1]
    assert got["peer"] == "127.0.0.2"
    assert got["headers"]["Content-Type"] == "application/json"
    body = json.loads(got["body"])
    assert body == {**(await ab.order(order["uid"])), "signature": body["signature"]}
    assert list(body)[-1] == "signature"
    assert not list(contract("callback.webhook").iter_errors(body))
    assert (await ab.deliveries())[-1]["status"] == "delivered"


def _sample_keys_in_order(body: dict) -> list[str]:
    return [k for k in body if k in sample_order()]


async def test_callback_keys_and_numbers_are_written_as_the_docs_sample(hooked):
    ab, rec = hooked
    order = await ab.create("USDCSOL", amount=None)
    await ab.simulate("pay", order=order["uid"], amount="850")
    raw = rec.requests[-1]["body"]
    body = json.loads(raw)
    assert _sample_keys_in_order(body) == list(sample_order())          # the sample's keys, in its order
    assert set(body) - set(sample_order()) == {"serviceCommission", "requisitesMemoTag"}
    assert list(body).index("serviceCommission") == list(body).index("netCommission") + 1
    for key, value in sample_order().items():                            # JSON types as the sample writes them
        if value is not None and body[key] is not None:
            assert type(body[key]) is type(value), key
    assert b'"id":' + str(body["id"]).encode() + b"," in raw            # a bare number, as in the sample
    assert b'"amountInFact":"850"' in raw                                 # amounts: decimal strings


async def test_signature_is_shaped_like_the_sample_and_verifiable_by_no_formula(hooked):
    """AlfaBit publishes no formula: by default the field is there, 64 hex like the sample, and no
    HMAC a merchant could compute with its key matches it."""
    ab, rec = hooked
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    raw = rec.requests[-1]["body"]
    body = json.loads(raw)
    assert re.fullmatch(r"[0-9a-f]{64}", body["signature"])
    unsigned = json.dumps({k: v for k, v in body.items() if k != "signature"}, separators=(",", ":"),
                          ensure_ascii=False).encode()
    key = ab.merchant["api_key"].encode()
    guesses = {hmac.new(key, unsigned, algo).hexdigest() for algo in (hashlib.sha256, hashlib.sha512)}
    guesses |= {hashlib.sha256(key + unsigned).hexdigest(), hashlib.sha256(unsigned + key).hexdigest(),
                expected_signature(ab.merchant["api_key"], raw)}
    assert body["signature"] not in guesses


async def test_hmac_signature_is_an_opt_in_merchant_setting(hooked):
    ab, rec = hooked
    await ab.set_merchant(callback_signature="hmac")
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    raw = rec.requests[-1]["body"]
    assert json.loads(raw)["signature"] == expected_signature(ab.merchant["api_key"], raw)
    await ab.admin("PATCH", "/providers/alfabit/merchant", {"callback_signature": "md5"}, expect=400)


async def test_a_handler_checking_the_source_rejects_a_foreign_address(ab, handler):
    h = await handler(allowed={"127.0.0.2"})
    await ab.set_merchant(webhook_url=h.url)
    await ab.simulate("settings", callback_source_address="127.0.0.9")
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    assert h.seen[-1]["peer"] == "127.0.0.9"
    [delivery] = await ab.deliveries()
    assert delivery["status"] == "pending" and delivery["attempts"][0]["status"] == 403
    await ab.simulate("settings", callback_source_address="203.0.113.5", expect=400)   # not loopback
    await ab.simulate("settings", callback_source_address_v6="127.0.0.3", expect=400)  # not IPv6


async def test_behind_a_proxy_x_forwarded_for_carries_a_published_address(ab, handler):
    h = await handler(allowed=set(CALLBACK_IPS), trust_forwarded_for=True)
    await ab.set_merchant(webhook_url=h.url)
    await ab.simulate("settings", callback_forwarded_for="18.194.211.115")
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    assert h.seen[-1]["headers"]["X-Forwarded-For"] == "18.194.211.115"
    assert (await ab.deliveries())[-1]["status"] == "delivered"


async def test_the_orders_callback_url_wins_over_the_merchants(ab, receiver):
    merchant_rec, order_rec = await receiver([200]), await receiver([200])
    await ab.set_merchant(webhook_url=merchant_rec.url)
    order = await ab.create("USDTTRC20", amount="5", callbackUrl=order_rec.url)
    await ab.simulate("pay", order=order["uid"])
    assert len(order_rec.requests) == 1 and not merchant_rec.requests


@pytest.mark.parametrize("reply", [(200, "OK"), (201, '{"status":"accepted"}'), (204, "")])
async def test_any_2xx_acknowledges(ab, receiver, reply):
    rec = await receiver([reply])
    await ab.set_merchant(webhook_url=rec.url)
    order = await ab.create("USDTTRC20", amount="5")
    await ab.simulate("pay", order=order["uid"])
    [delivery] = await ab.deliveries()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 1


async def test_receiver_down_then_up_is_retried_on_the_labelled_schedule(ab, receiver):
    rec = await receiver([500, 503, 200])
    await ab.set_merchant(webhook_url=rec.url)
    order = await ab.create("BTC", amount="0.001")   # 2 BTC confirmations: 20 min, no other callback meanwhile
    await ab.simulate("pay", order=order["uid"])
    await ab.advance("6m")
    first = (await ab.deliveries(event="invoiceWaitConfirms"))[0]
    times = [datetime.fromisoformat(a["at"]) for a in first["attempts"]]
    assert [a["status"] for a in first["attempts"]] == [500, 503, 200]
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:])] == [60, 300]


async def test_receiver_down_for_good_is_exhausted_after_six_attempts(ab, receiver):
    rec = await receiver([500])
    await ab.set_merchant(webhook_url=rec.url)
    order = await ab.create("USDTTRC20", amount="5", expiryDurationMinutes=1)
    await ab.advance("1m")
    await ab.advance("3h")
    [delivery] = await ab.deliveries(event="invoiceNotPayed")
    times = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert delivery["status"] == "exhausted" and delivery["event"] == "invoiceNotPayed"
    assert [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:])] == [1, 5, 15, 30, 60]
    assert json.loads(rec.requests[-1]["body"])["uid"] == order["uid"]
