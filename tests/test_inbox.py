"""The built-in webhook inbox: fails the first N deliveries on purpose, then records and accepts."""
import pytest

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


async def test_inbox_fails_then_accepts_and_shows_what_came(client):
    inbox = str(client.make_url("/_sandbox/inbox/shop?fail=2"))
    await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": inbox})
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=AUTH,
                             json={"network": "trc20", "amount_usd": 50.00})
    invoice = (await resp.json())["invoice"]["id"]
    await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice, "amount": 20})
    await client.post("/_sandbox/clock/advance", json={"by": "6m"})
    got = await (await client.get("/_sandbox/inbox/shop")).json()
    assert [g["answered"] for g in got] == [500, 500, 200]
    assert [g["received_at"][11:19] for g in got] == ["10:00:00", "10:01:00", "10:06:00"]
    assert invoice in got[-1]["body"]


@pytest.mark.parametrize("query", ["fail=%C2%B2", "fail=-1", "fail=x", "status=99999", "status=42", "status=%C2%B2"])
async def test_bad_inbox_parameters_are_400_not_500(client, query):
    resp = await client.post(f"/_sandbox/inbox/x?{query}", data=b"{}")
    assert resp.status == 400
    assert (await resp.json())["error"]["status"] == 400
