"""The pytest plugin: the `sandbox` fixture from sync and async tests, and YAML collection."""
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scenario_helpers import MERCHANT, bearer, signature_ok

pytest_plugins = ["pytester"]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=bearer(), method="POST")
    with NO_PROXY.open(request) as resp:
        assert resp.status == 201
        return json.loads(resp.read())


@pytest.fixture
def threaded_receiver():
    """A merchant's webhook endpoint for a sync test: stdlib server in a thread."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_sync_merchant_test_with_the_sandbox_fixture(sandbox, threaded_receiver):
    hook, received = threaded_receiver
    assert sandbox.url("cryptopayment").endswith("/cryptopayment/api/v1")
    assert sandbox.merchant("cryptopayment")["api_key"] == MERCHANT["api_key"]
    sandbox.set_webhook("cryptopayment", hook, timeout=2)
    invoice = _post(sandbox.url("cryptopayment") + "/invoices",
                    {"network": "trc20", "amount_usd": 50, "order_id": "ORD-1"})["invoice"]
    assert invoice["status"] == "pending"
    sandbox.pay("cryptopayment", invoice=invoice["id"])
    sandbox.advance("5m")
    assert sandbox.now() == "2024-01-15T10:05:00+00:00"
    assert [d["event"] for d in sandbox.deliveries("cryptopayment")] == ["payment.detected", "payment.confirmed"]
    assert all(d["status"] == "delivered" for d in sandbox.deliveries("cryptopayment"))
    assert [json.loads(b)["event"] for b in received] == ["payment.detected", "payment.confirmed"]
    assert all(signature_ok(b) for b in received)
    assert any(e["kind"] == "webhook.attempt" for e in sandbox.journal())


def test_each_test_gets_a_fresh_sandbox(sandbox):
    assert sandbox.deliveries() == [] and sandbox.now() == "2024-01-15T10:00:00+00:00"
    assert sandbox.merchant("cryptopayment")["webhook_url"] is None  # the previous test's setting is gone


async def test_async_merchant_test_uses_aio(sandbox, receiver):
    rec = await receiver([500, 200])
    await sandbox.aio.set_webhook("cryptopayment", rec.url, timeout=1)
    import aiohttp
    async with aiohttp.ClientSession() as session:
        async with session.post(sandbox.url("cryptopayment") + "/invoices", headers=bearer(),
                                data=json.dumps({"network": "btc", "amount_usd": 60})) as resp:
            invoice = (await resp.json())["invoice"]
    await sandbox.aio.pay("cryptopayment", invoice=invoice["id"], amount=0.0005)
    await sandbox.aio.advance("1m")
    [delivery] = await sandbox.aio.deliveries("cryptopayment")
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 2
    assert [json.loads(r["body"])["paid_amount"] for r in rec.requests] == [0.0005, 0.0005]
    assert signature_ok(rec.requests[-1]["body"])


GOOD = """\
scenario: never paid
provider: cryptopayment
tags: [expiry]
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 5}
    save: {invoice: invoice.id}
  - advance: 31m
  - call: GET /invoices/{invoice}
    expect: {json: {invoice: {status: expired}}}
"""


def test_yaml_under_scenarios_is_collected(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".yaml", **{"scenarios/ok": GOOD,
                                  "scenarios/wrong": GOOD.replace("status: expired", "status: pending"),
                                  "scenarios/broken": GOOD.replace("advance: 31m", "advance: soon"),
                                  "elsewhere/ignored": GOOD})
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*broken.yaml:8: step 2: advance: 'soon' is not valid here*",
        "*FAIL  3 call GET /invoices/{invoice}*",
        "*$.invoice.status: expected 'pending', got 'expired'*",
    ])
    assert "Traceback" not in result.stdout.str()
    selected = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "expiry and ok")
    selected.assert_outcomes(passed=1)
