"""Audit rows 39-105: the order object, the status words, the list parameters, callbacks and the
lifecycle (see audit_rows.py)."""
from __future__ import annotations

import json
import re
from datetime import datetime

from audit_checks import hmac_of
from audit_rows import SAMPLE, TRON, V1, V2, Probe, row

INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


async def paid(p: Probe, amount: str = "10", currency: str = "USDTTRC20", advance: str = "3m", **pay) -> dict:
    order = await p.invoice(currency, amount)
    await p.sim("pay", order=order["uid"], **pay)
    if advance:
        await p.advance(advance)
    return await p.order(order["uid"])


@row(39, "exact", "the order: every field of the sample, same JSON types, same key order")
async def _39(p: Probe):
    data = await paid(p)
    assert [k for k in data if k in SAMPLE] == [k for k in SAMPLE if k != "signature"]
    assert all(type(data[k]) is type(v) for k, v in SAMPLE.items() if k in data and None not in (v, data[k]))


@row(40, "exact", "requisitesMemoTag: 9 digits on TON, null elsewhere")
async def _40(p: Probe):
    assert re.fullmatch(r"\d{9}", (await p.invoice("TON", "1"))["requisitesMemoTag"])
    assert (await p.invoice())["requisitesMemoTag"] is None


@row(41, "exact", "serviceCommission on orders (the API reference's example)")
async def _41(p: Probe):
    assert (await paid(p, "100"))["serviceCommission"] == "0.06"


@row(42, "exact", 'merchantId a string, as the callback sample ("999")')
async def _42(p: Probe):
    assert isinstance((await p.invoice())["merchantId"], str)


@row(43, "exact", "amounts as decimal strings, no exponent, no trailing zeros")
async def _43(p: Probe):
    data = await paid(p, "10.50")
    for key in ("invoiceAmount", "amountInExpected", "amountInFact", "amountOutExpected", "amountOutFact"):
        assert re.fullmatch(r"(0|[1-9]\d*)(\.\d*[1-9])?", data[key]), key


@row(44, "exact", "instants 2025-04-09T11:54:33.609Z")
async def _44(p: Probe):
    data = await p.invoice()
    for key in ("createdAt", "updatedAt", "expirationTime"):
        datetime.strptime(data[key], INSTANT)


@row(45, "labelled", "hedgeRate and fee figures: fixed prices, 0.06 % (850 -> 849.49) [A]")
async def _45(p: Probe):
    order = await p.invoice("USDCSOL", None)
    await p.sim("pay", order=order["uid"], amount="850")
    assert (await p.order(order["uid"]))["amountOutExpected"] == "849.49"


@row(46, "labelled", "amountValidity: neutral (valid) until money arrives, then valid/less/more [A]")
async def _46(p: Probe):
    order = await p.invoice()
    assert order["amountValidity"] == "valid"
    assert (await paid(p, kind="partial"))["amountValidity"] == "less"


@row(47, "labelled", "paymentTiming late when the first payment came after expiry [A]")
async def _47(p: Probe):
    assert (await paid(p, kind="late"))["paymentTiming"] == "late"


@row(48, "labelled", 'risk "100" after an AML block [A]')
async def _48(p: Probe):
    assert (await paid(p, aml="block"))["risk"] == "100"


@row(49, "labelled", "isImPayed always false [A]")
async def _49(p: Probe):
    assert (await paid(p))["isImPayed"] is False


@row(50, "labelled", "requisitesQrCode: an SVG placeholder [A]")
async def _50(p: Probe):
    async with p.session.get((await p.invoice())["requisitesQrCode"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/svg+xml"


@row(51, "labelled", "invoicePublicUrl: a hosted page [A]")
async def _51(p: Probe):
    async with p.session.get((await p.invoice())["invoicePublicUrl"]) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"


@row(52, "labelled", "deposit addresses testnet-shaped (tb1q..., 0Q...) [A]")
async def _52(p: Probe):
    assert (await p.invoice("BTC", "1"))["requisites"].startswith("tb1")


@row(53, "exact", "txId null before payment, the transfer's after")
async def _53(p: Probe):
    assert (await p.invoice())["txId"] is None and (await paid(p, advance=""))["txId"]


@row(54, "labelled", "isDone final: a late payment never flips it back (window 60 min) [A]")
async def _54(p: Probe):
    hook = await p.hook()
    await paid(p, kind="late", advance="2h")
    flags = [json.loads(s["body"])["isDone"] for s in hook.seen]
    assert flags == sorted(flags) and flags[-1] is True


@row(55, "labelled", "balanceAfter: the balance after the credit [A]")
async def _55(p: Probe):
    assert (await paid(p))["balanceAfter"] == "9.994"


@row(56, "labelled", "callbackUrl: the order's own, null when the merchant's is used [A]")
async def _56(p: Probe):
    await p.hook()
    assert (await p.invoice())["callbackUrl"] is None


@row(57, "exact", "signature in the callback body: 64 hex")
async def _57(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    assert re.fullmatch(r"[0-9a-f]{64}", hook.json()["signature"])


@row(58, "labelled", "signature formula unpublished: unverifiable by default, HMAC opt-in [A]")
async def _58(p: Probe):
    hook = await p.hook()
    await paid(p, advance="")
    assert hook.json()["signature"] != hmac_of(p.key, hook.json())
    await p.set(callback_signature="hmac")
    await paid(p, advance="")
    assert hook.json()["signature"] == hmac_of(p.key, hook.json())


@row(59, "labelled", "no signature on GET and lists [A]")
async def _59(p: Probe):
    order = await p.invoice()
    assert "signature" not in await p.order(order["uid"]) and "signature" not in (await p.ok("GET", V2 + "/orders"))[0]


@row(60, "exact", "created on invoices (processing not started)")
async def _60(p: Probe):
    assert (await p.invoice())["status"] == "created"


@row(61, "exact", "inProgress on invoices (the callback sample: invoice-without-amount, amountInFact set)")
async def _61(p: Probe):
    order = await p.invoice("USDCSOL", None)
    await p.sim("pay", order=order["uid"], amount="850")
    await p.sim("confirm", order=order["uid"])
    await p.advance("1m")
    data = await p.order(order["uid"])
    assert (data["status"], data["amountInFact"], data["amountOutFact"]) == ("inProgress", "850", "0")


@row(62, "exact", "invoiceWaitCreate reachable (hold_creation)")
async def _62(p: Probe):
    order = await p.invoice(isAwaitRequisites=False)
    await p.sim("hold_creation", order=order["uid"])
    await p.advance("10s")
    assert (await p.order(order["uid"]))["status"] == "invoiceWaitCreate"


@row(63, "exact", "invoiceNotCreated reachable (fail_creation)")
async def _63(p: Probe):
    order = await p.invoice(isAwaitRequisites=False)
    await p.sim("fail_creation", order=order["uid"])
    assert (await p.order(order["uid"]))["status"] == "invoiceNotCreated"


@row(64, "exact", "invoiceWaitRequisites (isAwaitRequisites false)")
async def _64(p: Probe):
    order = await p.invoice(isAwaitRequisites=False)
    await p.advance("2s")
    assert (await p.order(order["uid"]))["status"] == "invoiceWaitRequisites"


STATUS_PATHS = {
    65: ("invoiceWaitPay", {}), 66: ("invoiceWaitConfirms", {}), 67: ("invoiceWaitCheck", {}),
    68: ("invoiceNotPayed", {}), 69: ("invoiceCheckBlocked", {"aml": "block"}), 71: ("success", {}),
}
for _number, (_word, _pay) in STATUS_PATHS.items():
    async def _check(p: Probe, word=_word, pay=_pay):
        hook = await p.hook()
        order = await p.invoice()
        await p.advance("1s")
        if word != "invoiceNotPayed":
            await p.sim("pay", order=order["uid"], **pay)
        await p.advance("25m")
        assert word in hook.statuses(), hook.statuses()
    row(_number, "exact", f"{_word} emitted")(_check)


async def withdrawal(p: Probe) -> dict:
    await p.sim("credit", amount="50")
    return await p.ok("POST", V1 + "/orders/withdraw", {"amount": "5", "toCurrencyCode": "USDTTRC20", "recipient": TRON})


@row(70, "exact", "withdrawBlocked (AML), refunded")
async def _70(p: Probe):
    data = await withdrawal(p)
    await p.sim("aml", order=data["uid"], verdict="block")
    await p.advance("1m")
    assert (await p.order(data["uid"]))["status"] == "withdrawBlocked"


@row(72, "exact", "failed (a withdrawal), refunded")
async def _72(p: Probe):
    data = await withdrawal(p)
    await p.sim("fail", order=data["uid"])
    assert (await p.order(data["uid"]))["status"] == "failed"


@row(73, "exact", "warning only by the admin verb, isDone false")
async def _73(p: Probe):
    order = await p.invoice()
    await p.sim("warning", order=order["uid"])
    data = await p.order(order["uid"])
    assert (data["status"], data["isDone"]) == ("warning", False)


@row(74, "exact", "withdrawal: created -> inProgress -> success, with txId and amountOutFact")
async def _74(p: Probe):
    hook = await p.hook()
    data = await withdrawal(p)
    await p.advance("3m")
    done = await p.order(data["uid"])
    assert [data["status"], *hook.statuses()] == ["created", "inProgress", "success"] and done["txId"]


@row(75, "labelled", "refund statuses, revoked, blocked reachable; transfer/exchange words not run [A]")
async def _75(p: Probe):
    hook = await p.hook()
    refunded = await p.invoice()
    await p.sim("pay", order=refunded["uid"], aml="refund")
    await p.advance("2m")
    await p.sim("refund_requisites", order=refunded["uid"])
    await p.advance("3m")
    revoked, blocked = await p.invoice(), await p.invoice()
    await p.sim("revoke", order=revoked["uid"])
    await p.sim("block", order=blocked["uid"])
    assert {"waitRefundRequisites", "waitRefundRequisitesCheck", "waitToRefund", "refunded", "revoked",
            "blocked"} <= set(hook.statuses())


@row(76, "exact", "statuses[] accepts every documented value")
async def _76(p: Probe):
    for word in ("success", "failed", "inProgress", "invoiceWaitCreate", "invoiceWaitPay", "invoiceWaitConfirms",
                 "invoiceWaitCheck", "invoiceNotPayed", "waitRefundRequisites", "waitRefundRequisitesCheck",
                 "waitToRefund", "refunded", "revoked", "blocked"):
        await p.ok("GET", f"{V2}/orders?statuses[]={word}")


@row(77, "exact", "types[] accepts every documented value")
async def _77(p: Probe):
    for word in ("invoice", "invoice-without-amount", "payment", "payment-without-amount", "exchange", "withdraw",
                 "withdraw-with-exchange", "currency-to-currency", "deposit", "account-transfer", "account-deposit"):
        await p.ok("GET", f"{V2}/orders?types[]={word}")


@row(78, "labelled", "page and limit: default 20, limit over 100 refused [A]")
async def _78(p: Probe):
    for _ in range(21):
        await p.invoice()
    assert len(await p.ok("GET", V2 + "/orders")) == 20
    assert (await p.api("GET", V2 + "/orders?limit=101"))[0] == 400


@row(79, "exact", "orderBy in the documented form (-uid, -createdAt)")
async def _79(p: Probe):
    made = sorted([(await p.invoice())["uid"] for _ in range(3)], reverse=True)
    assert [o["uid"] for o in await p.ok("GET", V2 + "/orders?orderBy=-uid")] == made
    await p.ok("GET", V2 + "/orders?orderBy=-createdAt")


@row(80, "exact", "array syntax statuses[]=a, statuses[0]=a, statuses=a")
async def _80(p: Probe):
    for query in ("statuses[]=created", "statuses[0]=created", "statuses=created"):
        assert len(await p.ok("GET", f"{V2}/orders?{query}")) == 0


@row(81, "labelled", "merchantsUids honoured; billingTags, showProtectedMerchantsOrders as labelled [A]")
async def _81(p: Probe):
    await p.invoice()
    assert len(await p.ok("GET", f"{V2}/orders?merchantsUids[]={p.merchant['merchant_uid']}")) == 1
    assert await p.ok("GET", f"{V2}/orders?merchantsUids[]=3422b448-2460-4fd2-9183-8000de6f8343") == []
    assert await p.ok("GET", f"{V2}/orders?billingTags[]=test@example.com") == []
    assert len(await p.ok("GET", f"{V2}/orders?showProtectedMerchantsOrders=false")) == 1


@row(82, "exact", "createdAtSince / createdAtBefore: Z, %2B03:00, %2b03:00")
async def _82(p: Probe):
    await p.invoice()
    for value in ("1970-01-01T00:00:00.000Z", "2025-01-15T13:00:00.000%2B03:00", "2025-01-15T13:00:00.000%2b03:00"):
        assert len(await p.ok("GET", f"{V2}/orders?createdAtSince={value}")) == 1, value


@row(83, "exact", "search by comment, tx id, order UID, merchant name")
async def _83(p: Probe):
    order = await p.invoice(comment="ORD-77")
    for text in ("ord-77", order["uid"], "SandboxMerchant"):
        assert [o["uid"] for o in await p.ok("GET", f"{V1}/orders?search={text}")] == [order["uid"]], text


import audit_checks_callbacks  # noqa: E402,F401 - rows 84-105 register themselves
