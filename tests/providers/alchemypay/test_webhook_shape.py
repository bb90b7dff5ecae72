"""Issue 21: Alchemy Pay webhooks shaped like the docs' samples (key order, number format), so a
verifier that forgets the documented sort fails here as it would in production."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from alchemypay_helpers import SECRET, V4, buy_body, post, sell_body, sell_on_page

FIXTURES = Path(__file__).parent / "fixtures"
ON_RAMP = list(json.loads((FIXTURES / "on-ramp-webhook.sample.json").read_text()))
OFF_RAMP = list(json.loads((FIXTURES / "off-ramp-webhook.sample.json").read_text()))
SUCCESS = (200, "success")


def keys(raw: bytes) -> list[str]:
    return [k for k, _ in json.loads(raw, object_pairs_hook=lambda pairs: pairs)]


def docs_recipe(raw: bytes, timestamp: str, path: str = "/webhook") -> str:
    """Webhook Signature page: drop signature/newSignature and empty values, sort by name, sign
    timestamp + "POST" + path + body."""
    body = {k: v for k, v in json.loads(raw).items() if k not in ("signature", "newSignature") and v not in ("", None)}
    text = json.dumps(dict(sorted(body.items())), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(hmac.new(SECRET.encode(), (timestamp + "POST" + path + text).encode(),
                                     hashlib.sha256).digest()).decode()


def no_sort(raw: bytes, timestamp: str, path: str = "/webhook") -> str:
    """The verifier that forgets to sort: the fields as received."""
    body = {k: v for k, v in json.loads(raw).items() if k not in ("signature", "newSignature") and v not in ("", None)}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(hmac.new(SECRET.encode(), (timestamp + "POST" + path + text).encode(),
                                     hashlib.sha256).digest()).decode()


async def simulate(client, verb, **params):
    resp = await client.post(f"/_sandbox/simulate/alchemypay/{verb}", json=params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def finished_order(client, world, rec) -> list[dict]:
    resp = await post(client, world, f"{V4}/trade/create", buy_body(callbackUrl=rec.url))
    order_no = (await resp.json())["data"]["orderNo"]
    await simulate(client, "pay", order=order_no)
    await simulate(client, "transfer", order=order_no, confirm=True)
    await rec.wait_for_requests(2)
    return rec.requests


async def test_on_ramp_webhooks_follow_the_samples_key_order(client, world, receiver):
    rec = await receiver([SUCCESS])
    for request in await finished_order(client, world, rec):
        sent = keys(request["body"])
        assert [k for k in sent if k in ON_RAMP] == [k for k in ON_RAMP if k in sent]
        assert sent != sorted(sent)
    finished = json.loads(rec.requests[-1]["body"])
    assert finished["status"] == "FINISHED"
    # numbers as the sample writes them: fiat amount 8 decimals, rawRampFee 6, USD 2, USDT 5
    assert finished["amount"] == "100.00000000" and finished["rawRampFee"] == "3.990000"
    assert finished["fiatInUSD"] == "100.00" and len(finished["cryptoAmountInUSDT"].split(".")[1]) == 5


async def test_off_ramp_webhooks_follow_the_samples_key_order_and_numbers(client, world, receiver):
    rec = await receiver([SUCCESS])
    await sell_on_page(client, world, sell_body(callbackUrl=rec.url))
    await rec.wait_for_requests(1)
    raw = rec.requests[0]["body"]
    sent = keys(raw)
    assert [k for k in sent if k in OFF_RAMP] == [k for k in OFF_RAMP if k in sent] and sent != sorted(sent)
    body = json.loads(raw)
    # the sample writes off-ramp figures with 10 decimals, and its "=" as Gson does, \u003d
    assert body["cryptoAmount"] == "100.0000000000" and body["cryptoPrice"] == "1.0000000000"
    assert b"sellOrderId\\u003d" in raw


async def test_the_docs_recipe_verifies_and_a_verifier_that_skips_the_sort_fails(client, world, receiver):
    rec = await receiver([SUCCESS])
    requests = await finished_order(client, world, rec)
    await sell_on_page(client, world, sell_body(callbackUrl=rec.url))
    await rec.wait_for_requests(3)
    for request in rec.requests:
        raw, ts = request["body"], request["headers"]["timestamp"]
        received = json.loads(raw)["newSignature"]
        assert docs_recipe(raw, ts) == received
        assert no_sort(raw, ts) != received
    assert len(requests) >= 2
