"""Audit rows 84-105: callbacks and the lifecycle (see audit_rows.py)."""
from __future__ import annotations

import json
from datetime import datetime

from audit_checks_flow import paid, withdrawal
from audit_rows import V1, Probe, row


@row(84, "exact", "callbacks go to the merchant's Callback URL")
async def _84(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    assert hook.seen


@row(85, "exact", "method POST")
async def _85(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    assert hook.seen[-1]["method"] == "POST"


@row(86, "exact", "Content-Type: application/json")
async def _86(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    assert hook.seen[-1]["headers"]["Content-Type"] == "application/json"


@row(87, "exact", "body: the order as GET shows it, same key order, plus signature")
async def _87(p: Probe):
    hook = await p.hook()
    data = await paid(p, advance="")
    body = hook.json()
    assert list(body)[:-1] == list(data) and {k: v for k, v in body.items() if k != "signature"} == data


@row(88, "exact", "one callback per status change")
async def _88(p: Probe):
    hook = await p.hook()
    await paid(p)
    statuses = hook.statuses()
    assert statuses == ["invoiceWaitConfirms", "invoiceWaitCheck", "inProgress", "success"]


@row(89, "labelled", "source: 127.0.0.2 (IPv4) and ::1 (IPv6) stand in for the published IPs [A]")
async def _89(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    v6 = await p.hook(host="::1")
    await paid(p, advance="")
    assert (hook.seen[-1]["peer"], v6.seen[-1]["peer"]) == ("127.0.0.2", "::1")


@row(90, "labelled", "X-Forwarded-For when callback_forwarded_for is set [A]")
async def _90(p: Probe):
    hook = await p.hook()
    await p.set(callback_forwarded_for="18.194.211.115")
    await paid(p, advance="")
    assert hook.seen[-1]["headers"]["X-Forwarded-For"] == "18.194.211.115"


@row(91, "exact", "callbackIps: the 4 published addresses")
async def _91(p: Probe):
    data = await p.ok("GET", V1 + "/merchant")
    assert data["callbackIps"] == ["18.194.211.115", "3.70.205.120", "3.250.143.116", "185.252.146.25"]


@row(92, "labelled", "retries at +1, +5, +15, +30, +60 min, then exhausted [A]")
async def _92(p: Probe):
    await p.hook(replies=(500,))
    await paid(p, advance="")
    await p.advance("3h")
    delivery = next(d for d in await p.admin("GET", "/deliveries?provider=alfabit")
                    if d["event"] == "invoiceWaitConfirms")
    times = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:])] == [1, 5, 15, 30, 60]
    assert delivery["status"] == "exhausted"


@row(93, "labelled", "any 2xx acknowledges; 302 and 404 are retried [A]")
async def _93(p: Probe):
    await p.hook(replies=(302, 404, 204))
    await paid(p, "0.001", "BTC", advance="")           # BTC: no other callback for 20 minutes
    await p.advance("10m")
    delivery = next(d for d in await p.admin("GET", "/deliveries?provider=alfabit")
                    if d["event"] == "invoiceWaitConfirms")
    assert [a["status"] for a in delivery["attempts"]] == [302, 404, 204] and delivery["status"] == "delivered"


@row(94, "labelled", "a retry carries its first attempt's body (the status it announced) [A]")
async def _94(p: Probe):
    hook = await p.hook(replies=(500, 200))
    await paid(p, advance="2m")
    retried = [json.loads(s["body"])["status"] for s in hook.seen]
    assert retried.count("invoiceWaitConfirms") == 2


@row(95, "labelled", "headers: User-Agent provider-sandbox-webhooks/1, no signature header [A]")
async def _95(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    headers = {k.lower(): v for k, v in hook.seen[-1]["headers"].items()}
    assert headers["user-agent"] == "provider-sandbox-webhooks/1" and not [k for k in headers if "sign" in k]


@row(96, "exact", "IPv6 receivers ([::1], localhost on ::1) reached with the default settings")
async def _96(p: Probe):
    v6 = await p.hook(host="::1")
    await paid(p, advance="")
    port = v6.url.rsplit(":", 1)[1]
    await p.set(webhook_url="http://localhost:" + port)
    await paid(p, advance="")
    assert len(v6.seen) == 2


@row(97, "labelled", "confirmations (TRON 19, 57 s) and the 1-minute AML check [A]")
async def _97(p: Probe):
    order = await p.invoice()
    await p.sim("pay", order=order["uid"])
    await p.advance("56s")
    assert (await p.order(order["uid"]))["status"] == "invoiceWaitConfirms"
    await p.advance("1s")
    assert (await p.order(order["uid"]))["status"] == "invoiceWaitCheck"


@row(98, "labelled", "a partial payment completes as success with amountValidity less [A]")
async def _98(p: Probe):
    data = await paid(p, kind="partial")
    assert (data["status"], data["amountValidity"]) == ("success", "less")


@row(99, "labelled", "an overpayment completes as success with amountValidity more [A]")
async def _99(p: Probe):
    data = await paid(p, kind="over")
    assert (data["status"], data["amountValidity"]) == ("success", "more")


@row(100, "labelled", "a late payment completes with paymentTiming late [A]")
async def _100(p: Probe):
    data = await paid(p, kind="late")
    assert (data["status"], data["paymentTiming"]) == ("success", "late")


@row(101, "labelled", "TON: a transfer without the order's memo is not matched [A]")
async def _101(p: Probe):
    order = await p.invoice("TON", "1")
    await p.sim("pay", order=order["uid"], memo="1")
    assert (await p.order(order["uid"]))["amountInFact"] == "0"


@row(102, "exact", "invoices credit USDT-INTERNAL with amountOutFact")
async def _102(p: Probe):
    data = await paid(p)
    balance = next(b for b in await p.ok("GET", V1 + "/merchant/balances") if b["currencyCode"] == "USDT-INTERNAL")
    assert balance["balance"] == data["amountOutFact"] == "9.994"


@row(103, "labelled", "a withdrawal is inProgress 10 s after creation [A]")
async def _103(p: Probe):
    data = await withdrawal(p)
    await p.advance("10s")
    assert (await p.order(data["uid"]))["status"] == "inProgress"


@row(104, "labelled", "refunded on withdrawBlocked, failed, warning [A]")
async def _104(p: Probe):
    for verb, params in (("aml", {"verdict": "block"}), ("fail", {}), ("warning", {})):
        data = await withdrawal(p)
        await p.sim(verb, order=data["uid"], **params)
        await p.advance("1m")
    balance = next(b for b in await p.ok("GET", V1 + "/merchant/balances") if b["code"] == "USDT")
    assert balance["balance"] == "150"


@row(105, "labelled", "a body without Content-Type: application/json is not parsed (NestJS) [A]")
async def _105(p: Probe):
    raw = json.dumps({"currencyInCode": "TON", "invoiceAmount": "1"}).encode()
    status, answer = await p.api("POST", V1 + "/orders/invoice", raw=raw)
    assert status == 400 and isinstance(answer["message"], list)
    status, _ = await p.api("POST", V1 + "/orders/invoice", raw=raw,
                            headers={"Content-Type": "application/json; charset=utf-16"})
    assert status == 400
