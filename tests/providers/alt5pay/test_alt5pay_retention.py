"""Bounded memory (retention.objects = 5): Paid payments, quiet addresses, finished invoices and
old payouts are forgotten oldest first; the ledger keeps balances and settled totals exact, live
objects stay, and a forgotten id answers ALT 5 Pay's 404."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from mockserver.config import SandboxConfig
from mockserver.core.basics.retention import Retention

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)
CAP = 5


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=1234, start=START, self_check=True, retention=Retention(objects=CAP))


def settled(total: Decimal) -> Decimal:
    """ETH: fee 2.5 % + 0 (docs' /usr/fees sample), unrounded."""
    return total - total * Decimal("2.5") / 100


async def pay(admin, address: str, fiat: str, confirm: bool = True) -> dict:
    _, paid = await admin("/simulate/alt5pay/pay", {"address": address, "fiat": fiat})
    if confirm:
        await admin("/simulate/alt5pay/confirm", {"txid": paid["txid"]})
    return next(t for t in paid["transactions"] if t["txid"] == paid["txid"])


async def test_paid_payments_go_past_the_cap_and_the_ledger_stays_exact(api, admin, world):
    backend = world.backend("alt5pay")
    _, a = await api("/usr/wallet/eth/create", {"ref_id": "shop-1", "currency": "USD"})
    address = a["data"]["address"]
    _, b = await api("/usr/wallet/eth/create", {"ref_id": "shop-2", "currency": "USD"})
    live = await pay(admin, b["data"]["address"], "7", confirm=False)     # stays Pending
    made = [await pay(admin, address, f"{10 + i}") for i in range(12)]
    assert len(backend.payments) == CAP and live["txid"] in backend.payments
    coins = sum((Decimal(str(p["payment_amount"])) for p in made), Decimal(0))
    _, balances = await api("/usr/balances", {})
    assert Decimal(str(next(b["blalance"] for b in balances["data"] if b["coin"] == "ETH"))) == coins
    status, gone = await api("/usr/wallet/transactionsbytx", {"txid": made[0]["txid"]})
    assert (status, gone) == (404, {"status": "error", "message": "Transaction Not Found"})
    status, kept = await api("/usr/wallet/transactionsbytx", {"txid": live["txid"]})
    assert status == 200 and kept["data"]["status"] == "Pending"
    _, listed = await api("/usr/wallet/transactions", {"address": address, "all": True})
    assert {t["txid"] for t in listed["data"]} == {p["txid"] for p in made[-(CAP - 1):]}   # the newest
    _, merchant_wide = await api("/usr/transactions", {})
    assert len(merchant_wide["data"]) == CAP
    # the payout is every Paid payment's settled amount, the forgotten ones included
    status, payout = await api("/usr/request_payment", {"currency": "USD", "type": "Wire"})
    assert status == 200, payout
    expected = sum((settled(Decimal(str(p["total_payment"]))) for p in made), Decimal(0))
    assert Decimal(str(payout["data"]["amount"])) == expected
    status, again = await api("/usr/request_payment", {"currency": "USD", "type": "Wire"})
    assert (status, again["message"]) == (400, "Insufficient Balance")
    await admin("/simulate/alt5pay/confirm", {"txid": live["txid"]})    # Paid now: into the ledger
    _, balances = await api("/usr/balances", {})
    eth = Decimal(str(next(b["blalance"] for b in balances["data"] if b["coin"] == "ETH")))
    assert eth == coins + Decimal(str(live["payment_amount"]))


async def test_quiet_addresses_go_with_their_watchers_and_live_ones_stay(api, admin, world):
    backend = world.backend("alt5pay")
    made = []
    for i in range(8):
        _, a = await api("/usr/wallet/btc/create", {"ref_id": f"r-{i}"})
        made.append(a["data"]["address"])
    assert len(backend.wallets) == 8                                  # all quoted: none may go
    await admin("/clock/advance", {"by": "61m"})
    late = await pay(admin, made[0], "5", confirm=False)              # a late payment, Pending
    _, fresh = await api("/usr/wallet/btc/create", {"ref_id": "r-new"})
    assert made[0] in backend.wallets and made[1] not in backend.wallets
    assert len(backend.wallets) == CAP and late["txid"] in backend.payments
    assert made[1] not in world.chain._watchers and made[0] in world.chain._watchers
    status, out = await api("/usr/wallet/transactions", {"address": made[1]})
    assert (status, out["message"]) == (404, "Address Not Found")
    status, out = await api("/usr/wallet/addressbyref", {"ref_id": "r-1"})
    assert (status, out["message"]) == (404, "Reference Not Found")
    status, out = await api("/usr/wallet/addressbyref", {"ref_id": "r-new"})
    assert status == 200 and out["data"][0]["address"] == fresh["data"]["address"]


async def test_invoices_go_once_paid_or_their_quote_time_is_over(api, admin, world):
    backend = world.backend("alt5pay")

    async def invoice(i: int) -> str:
        _, out = await api("/usr/invoice/create", {"ref_id": f"INV-{i}", "total_amount": 40,
                                                   "currency": "USD", "sendemail": False})
        return out["data"]["invoice_id"]

    ids = [await invoice(i) for i in range(8)]
    assert len(backend.invoices) == 8                                 # unpaid and young: all live
    _, paid = await admin("/simulate/alt5pay/pay", {"invoice": ids[0], "asset": "eth"})
    await admin("/simulate/alt5pay/confirm", {"invoice": ids[0]})
    paid_address = paid["address"]
    await invoice(8)
    assert ids[0] not in backend.invoices and len(backend.invoices) == 8   # only the Paid one went
    assert paid_address not in backend.wallets and paid["txid"] not in backend.payments
    resp = await api("/usr/wallet/transactions", {"address": paid_address})
    assert resp[0] == 404
    await admin("/clock/advance", {"by": "61m"})                      # unpaid ones quiet now
    await invoice(9)
    assert len(backend.invoices) == CAP
    status, out = await api("/usr/balances", {})
    eth = Decimal(str(next(b["blalance"] for b in out["data"] if b["coin"] == "ETH")))
    assert eth == Decimal(paid["amount"])                              # the ledger kept it


async def test_forgotten_invoice_answers_404(api, admin, client, world):
    ids = []
    for i in range(CAP + 2):
        _, out = await api("/usr/invoice/create", {"ref_id": f"I-{i}", "total_amount": 5, "currency": "USD",
                                                   "sendemail": False})
        ids.append(out["data"]["invoice_id"])
        if i == 0:
            await admin("/clock/advance", {"by": "61m"})
    resp = await client.post(f"/alt5pay/invoice/{ids[0]}", data=b"")
    assert resp.status == 404 and (await resp.json())["message"] == "Invoice Not Found"
    assert (await client.post(f"/alt5pay/invoice/{ids[-1]}", data=b"")).status == 200


async def test_payouts_keep_the_newest(api, admin, world):
    _, a = await api("/usr/wallet/eth/create", {"ref_id": "payouts", "currency": "USD"})
    amounts = []
    for i in range(CAP + 3):
        p = await pay(admin, a["data"]["address"], f"{20 + i}")
        _, out = await api("/usr/request_payment", {"currency": "USDC"})    # paid as USD, fee 0
        amounts.append(Decimal(str(out["data"]["amount"])))
        assert amounts[-1] == settled(Decimal(str(p["total_payment"])))
    _, listed = await api("/usr/payments", {})
    assert [Decimal(str(s["amount_paid"])) for s in listed["data"]] == list(reversed(amounts[-CAP:]))
    assert len(world.backend("alt5pay").settlements) == CAP
