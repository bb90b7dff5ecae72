"""Invoice stories: expiry, partial, top-up, overpayment, late payment, forced expiry and confirmation."""
from __future__ import annotations

import json

from cp_support import dec


def _events(rec) -> list[tuple[str, str]]:
    return [(b["event"], b["status"]) for b in map(json.loads, (r["body"] for r in rec.requests))]


async def test_unpaid_invoice_expires_after_30_minutes_without_webhook(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    await cp.advance("29m59s")
    assert (await cp.invoice(inv["id"]))["status"] == "pending"
    await cp.advance("1s")
    got = await cp.invoice(inv["id"])
    assert got["status"] == "expired" and got["paid_amount"] == 0
    await cp.run()
    assert rec.requests == [] and await cp.deliveries(ref=inv["id"]) == []
    assert len(await cp.admin("GET", f"/journal?kind=invoice.expired&ref={inv['id']}")) == 1


async def test_partial_payment_stays_pending_then_top_up_confirms(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50, order_id="ORD-1")
    await cp.pay(inv["id"], 20)
    got = await cp.invoice(inv["id"])
    assert got["status"] == "pending" and dec(got["paid_amount"]) == 20
    assert got["txid"] is not None
    assert _events(rec) == [("payment.detected", "pending")]
    assert dec(rec.json(0)["paid_amount"]) == 20
    await cp.advance("5m")  # the partial transfer is long confirmed: still not enough
    assert (await cp.invoice(inv["id"]))["status"] == "pending"
    assert (await cp.balances())["USDT-TRC20"] == {"available": 0, "pending": 0}

    top_up = await cp.pay(inv["id"], 30)
    got = await cp.invoice(inv["id"])
    assert got["status"] == "confirming" and dec(got["paid_amount"]) == 50
    assert got["txid"] == top_up["transfer"]["txid"]
    await cp.advance("57s")
    got = await cp.invoice(inv["id"])
    assert got["status"] == "confirmed"
    assert _events(rec) == [("payment.detected", "pending"), ("payment.detected", "confirming"),
                            ("payment.confirmed", "confirmed")]
    assert dec(rec.json(-1)["paid_amount"]) == 50
    assert dec((await cp.balances())["USDT-TRC20"]["available"]) == 50


async def test_a_fully_paid_invoice_does_not_expire_while_confirming(hooked):
    cp, _rec = hooked
    inv = await cp.create("btc", 60)
    await cp.advance("29m")
    await cp.pay(inv["id"])  # confirms 20 min later, after expires_at
    await cp.advance("5m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"
    await cp.advance("15m")
    assert (await cp.invoice(inv["id"]))["status"] == "confirmed"


async def test_partial_then_expiry_keeps_paid_amount(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    await cp.pay(inv["id"], 20)
    await cp.advance("30m")
    got = await cp.invoice(inv["id"])
    assert got["status"] == "expired" and dec(got["paid_amount"]) == 20
    await cp.run()
    assert _events(rec) == [("payment.detected", "pending")]  # no webhook for the expiry
    assert (await cp.balances())["USDT-TRC20"] == {"available": 0, "pending": 0}


async def test_overpayment_confirms_with_paid_amount_above_amount_crypto(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    await cp.pay(inv["id"], 75)
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"
    await cp.advance("1m")
    got = await cp.invoice(inv["id"])
    assert got["status"] == "confirmed"
    assert dec(got["paid_amount"]) == 75 > dec(got["amount_crypto"])
    assert _events(rec) == [("payment.detected", "confirming"), ("payment.confirmed", "confirmed")]
    assert dec(rec.json(-1)["paid_amount"]) == 75
    assert dec((await cp.balances())["USDT-TRC20"]["available"]) == 75


async def test_overpay_kind_pays_half_as_much_again(hooked):
    cp, _rec = hooked
    inv = await cp.create("eth", 30)  # 0.01 ETH
    out = await cp.pay(inv["id"], kind="over")
    assert dec(out["transfer"]["amount"]) == dec("0.015")


async def test_late_payment_is_recorded_but_changes_nothing(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    await cp.advance("31m")
    assert (await cp.invoice(inv["id"]))["status"] == "expired"
    before = await cp.balances()
    out = await cp.pay(inv["id"], 50)
    assert out["late"] is True
    await cp.run()
    got = await cp.invoice(inv["id"])
    assert got["status"] == "expired" and got["paid_amount"] == 0 and got["txid"] is None
    assert rec.requests == []
    assert await cp.balances() == before
    # the transfer is on the chain and in the journal
    transfers = await cp.admin("GET", f"/chain/transfers?address={inv['address']}")
    assert [t["txid"] for t in transfers] == [out["transfer"]["txid"]]
    late = await cp.admin("GET", f"/journal?kind=payment.late&ref={inv['id']}")
    assert [e["txid"] for e in late] == [out["transfer"]["txid"]]


async def test_late_kind_moves_the_clock_past_expiry(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    out = await cp.pay(inv["id"], kind="late")
    assert out["late"] is True and out["invoice"]["status"] == "expired"
    assert rec.requests == []


async def test_expire_now(hooked):
    cp, rec = hooked
    inv = await cp.create("trc20", 50)
    t0 = await cp.now()
    out = await cp.simulate("expire", invoice=inv["id"])
    assert out["invoice"]["status"] == "expired"
    assert (await cp.invoice(inv["id"]))["status"] == "expired"
    assert (await cp.pay(inv["id"], 50))["late"] is True
    await cp.run()
    assert rec.requests == []
    assert (await cp.invoice(inv["id"]))["status"] == "expired"
    # expired once, when forced; the original 30-minute deadline passing is not a second expiry
    expired = await cp.admin("GET", f"/journal?kind=invoice.expired&ref={inv['id']}")
    assert [e["at"] for e in expired] == [t0.isoformat()]


async def test_expire_now_refuses_a_paid_invoice(hooked):
    cp, _rec = hooked
    inv = await cp.create("trc20", 50)
    await cp.pay(inv["id"])
    body = await cp.simulate("expire", invoice=inv["id"], expect=409)
    assert body["error"]["status"] == 409
    assert (await cp.invoice(inv["id"]))["status"] == "confirming"


async def test_confirm_now(hooked):
    cp, rec = hooked
    inv = await cp.create("btc", 60)
    t0 = await cp.now()
    await cp.pay(inv["id"])
    out = await cp.simulate("confirm", invoice=inv["id"])
    assert out["invoice"]["status"] == "confirmed"
    assert out["invoice"]["confirmations"] == {"received": 2, "required": 2}
    assert await cp.now() == t0  # no clock movement needed
    assert _events(rec) == [("payment.detected", "confirming"), ("payment.confirmed", "confirmed")]
    assert rec.json(-1)["confirmations"] == 2
    assert dec((await cp.balances())["BTC"]["available"]) == dec("0.001")
    await cp.advance("1h")  # the natural confirmations later do not confirm or credit twice
    assert len(rec.requests) == 2
    assert dec((await cp.balances())["BTC"]["available"]) == dec("0.001")


async def test_confirm_now_without_payment_is_a_conflict(hooked):
    cp, _rec = hooked
    inv = await cp.create("btc", 60)
    await cp.simulate("confirm", invoice=inv["id"], expect=409)
    assert (await cp.invoice(inv["id"]))["status"] == "pending"


async def test_simulations_on_unknown_invoices_are_404(cp):
    for action in ("pay", "confirm", "expire"):
        body = await cp.simulate(action, invoice="00000000-0000-4000-8000-000000000000", expect=404)
        assert body["error"]["status"] == 404
