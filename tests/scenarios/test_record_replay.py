"""Record -> replay (issue 25, items 4 and 5): a world driven by a merchant's own aiohttp client
(every provider), simulations, chain transfers, clock moves, settings changes and a fault rule is
handed out by GET /_sandbox/recording; `mockserver run` replays it on a fresh sandbox, and the two
journal exports (and deliveries) are the same."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.scenarios.loader import load_text

from record_support import Hook, Merchant, deliveries, exported, fresh_app, run_cli

pytestmark = pytest.mark.slow(reason="two sandboxes, five providers and a `mockserver run` subprocess")


async def _until(check, seconds: float = 10.0) -> None:
    """A bounded wait for a real event (a webhook POST beside the clock), never a fixed sleep."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def _shop_story(shop: Merchant, hook_url: str) -> None:
    admin = shop.admin
    # settings: webhooks to the merchant's endpoint (cryptopayment, alt5pay, alfabit), to the
    # sandbox's inbox (alppay), or per order (alchemypay's callbackUrl, in a signed body)
    for provider in ("cryptopayment", "alt5pay", "alfabit"):
        await admin("PATCH", f"/providers/{provider}/merchant?index=0", {"webhook_url": f"{hook_url}/{provider}"})
    await admin("PATCH", "/providers/alppay/merchant", {"webhook_url": "inbox:alp"})
    await admin("POST", "/faults", {"provider": "cryptopayment", "route": "POST /invoices", "status": 503,
                                    "times": 1}, expect=201)

    status, refused = await shop.cryptopayment("POST", "/invoices", {"network": "trc20", "amount_usd": 50})
    assert status == 503, refused
    status, created = await shop.cryptopayment("POST", "/invoices", {"network": "trc20", "amount_usd": 50,
                                                                       "order_id": "ORD-1"})
    assert status == 201, created
    invoice = created["invoice"]
    await admin("POST", "/simulate/cryptopayment/pay", {"invoice": invoice["id"], "amount": 20})   # 500, retried
    await admin("POST", "/chain/transfers", {"network": "tron", "address": invoice["address"], "amount": "30.00"},
                expect=201)
    await admin("POST", "/clock/advance", {"by": "6m"})

    status, payment = await shop.alppay("POST", "/payment", {
        "amount": "100.00", "asset": {"short": "USDT", "network": "tron"},
        "customer": {"id": 7, "name": "Ann Buyer", "email": "ann@example.com"}, "invoice": "ORD-2"})
    assert status == 200, payment
    await admin("POST", "/simulate/alppay/pay", {"payment": payment["id"]})
    status, _ = await shop.alppay("GET", f"/payment/{payment['id']}")
    assert status == 200

    status, made = await shop.alt5pay("/usr/invoice/create", {"ref_id": "ORD-3", "total_amount": 60,
                                                              "currency": "USD", "sendemail": False})
    assert status == 200, made
    await admin("POST", "/simulate/alt5pay/pay", {"invoice": made["data"]["invoice_id"], "asset": "usdt_tron"})

    status, token = await shop.alchemypay("/open/api/v4/merchant/getToken", {"email": "ann@example.com"})
    assert status == 200, token
    status, order = await shop.alchemypay("/open/api/v4/merchant/trade/create", {
        "side": "BUY", "merchantOrderNo": "ORD-4", "amount": "100", "fiatCurrency": "USD", "cryptoCurrency": "USDT",
        "depositType": 2, "address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8", "network": "TRX", "payWayCode": "10001",
        "alpha2": "US", "callbackUrl": f"{hook_url}/alchemypay"}, token=token["data"]["accessToken"])
    assert status == 200 and order["success"], order
    await admin("POST", "/simulate/alchemypay/pay", {"order": order["data"]["orderNo"]})

    status, made = await shop.alfabit("POST", "/api/v1/integration/orders/invoice", {
        "currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25", "comment": "ORD-5",
        "isAwaitRequisites": True})
    assert status == 201, made
    await admin("POST", "/simulate/alfabit/pay", {"order": made["data"]["uid"]})
    status, _ = await shop.alfabit("GET", "/api/v1/integration/orders/" + made["data"]["uid"])
    assert status < 500
    await admin("POST", "/clock/advance", {"by": "1h"})
    await admin("PATCH", "/providers/cryptopayment/merchant", {"webhook_timeout": 5})   # a later setting
    await admin("DELETE", "/faults")


async def test_a_recorded_world_replays_to_the_same_journal(tmp_path):
    hook = Hook()
    recorded = TestServer(fresh_app(seed=4242), host="127.0.0.1")
    replayed = TestServer(fresh_app(seed=1), host="127.0.0.1")
    await recorded.start_server()
    await replayed.start_server()
    base_a, base_b = (str(s.make_url("")).rstrip("/") for s in (recorded, replayed))
    try:
        async with aiohttp.ClientSession() as session:
            await _shop_story(Merchant(session, base_a), await hook.start())
            # the recording ends where the world is: each webhook POST in flight has its answer
            await _until(lambda: _settled(session, base_a))
            async with session.get(base_a + "/_sandbox/recording") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("application/yaml")
                text = await resp.text()
            journal_a, deliveries_a = await exported(session, base_a), await deliveries(session, base_a)
            await hook.close()   # gone: the replay's built-in receiver stands for it

            scenario = load_text(text, "recording.yaml")[0]
            verbs = {step.verb for step in scenario.steps}
            assert {"call", "simulate", "advance", "admin", "fault", "clear_faults", "expect_webhook"} <= verbs
            data = yaml.safe_load(text)
            assert data["seed"] == 4242 and data["webhook_url"] == "keep"
            assert {c.options.get("provider", "cryptopayment") for c in scenario.steps if c.verb == "call"} == {
                "cryptopayment", "alppay", "alt5pay", "alchemypay", "alfabit"}
            for secret in ("sk_sandbox_9a8b7c6d5e4f3a2b1c0d", "sk_sandbox_3b8f0d6a9e2c4f1a", "T5wQ8nY2rK4hS6jD"):
                assert secret not in text            # merchants by index; signatures made anew
            assert data["receiver"]["replies"][0] == {"status": 500, "body": "busy"}

            path = tmp_path / "recording.yaml"
            path.write_text(text)
            # the recording was made in A's default world: it replays into B's (without
            # --default-world, run --server would use a fresh tenant of its own, inbox paths /t/... )
            code, out = await run_cli("run", "--server", base_b, "--default-world", str(path))
            assert code == 0, out
            assert await exported(session, base_b) == journal_a
            assert await deliveries(session, base_b) == deliveries_a
            # and in-process, as `mockserver run FILE` on its own
            code, out = await run_cli("run", "-q", str(path))
            assert code == 0, out
    finally:
        await hook.close()
        await recorded.close()
        await replayed.close()


async def _settled(session: aiohttp.ClientSession, base: str) -> bool:
    async with session.post(base + "/_sandbox/clock/advance", json={"by": "0s"}) as resp:
        return resp.status == 200


async def test_a_receiver_holding_one_attempt_past_its_timeout_replays_with_each_answer_in_place(tmp_path):
    """Two deliveries at one virtual instant: the first is held past the webhook timeout, the
    second answered at once, so their answers came back in the other order. The replay's
    receiver stands for the endpoint in the order the attempts began: the same answer for each."""
    seen: list[bytes] = []

    async def endpoint(request: web.Request) -> web.Response:
        seen.append(await request.read())
        if len(seen) == 1:                 # held past the 1 s timeout (the receiver is slow)
            await asyncio.sleep(1.5)
        return web.Response(status=200 if len(seen) != 1 else 204, text="OK")

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    hook = TestServer(app, host="127.0.0.1")
    await hook.start_server()
    recorded = TestServer(fresh_app(seed=77), host="127.0.0.1")
    await recorded.start_server()
    base = str(recorded.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as session:
            shop = Merchant(session, base)
            await shop.admin("PATCH", "/providers/cryptopayment/merchant",
                             {"webhook_url": str(hook.make_url("/hook")), "webhook_timeout": 1})
            ids = []
            for order in ("ORD-A", "ORD-B"):
                status, made = await shop.cryptopayment("POST", "/invoices", {"network": "trc20", "amount_usd": 10,
                                                                              "order_id": order})
                assert status == 201, made
                ids.append(made["invoice"]["id"])
            for invoice in ids:                # both detected at the same virtual instant
                await shop.admin("POST", "/simulate/cryptopayment/pay", {"invoice": invoice})
            await _until(lambda: _attempted(session, base, 2), 15)
            async with session.get(base + "/_sandbox/recording") as resp:
                text = await resp.text()
            answers = {d["ref"]: [a["status"] or a["error"] for a in d["attempts"]]
                       for d in await deliveries(session, base)}
            assert answers[ids[0]][0] == "timeout" and answers[ids[1]][0] == 200, answers
        # the replay's receiver answers in the order the attempts began: the held one first
        assert yaml.safe_load(text)["receiver"]["replies"][:2] == ["timeout", {"status": 200, "body": "OK"}], text
        path = tmp_path / "recording.yaml"
        path.write_text(text)
        code, out = await run_cli("run", "-q", str(path))
        assert code == 0, out
    finally:
        await recorded.close()
        await hook.close()


async def _attempted(session: aiohttp.ClientSession, base: str, count: int) -> bool:
    return sum(len(d["attempts"]) for d in await deliveries(session, base)) >= count
