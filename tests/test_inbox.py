"""The built-in webhook inbox: fails the first N deliveries on purpose, then records and accepts."""
import io

import pytest

from mockserver.remote import trigger
from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.runner import client_session

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


async def _post(client, name_and_query: str) -> int:
    resp = await client.post(f"/_sandbox/inbox/{name_and_query}", data=b"{}",
                             headers={"Content-Type": "application/json"})
    return resp.status


async def test_fail_n_counts_from_when_the_rule_was_set(client):
    """The README's "Try it" sends 3 to `shop`, then `trigger --webhook-url 'inbox:shop?fail=1'`
    sets the URL again: its first attempt must fail, as the README shows."""
    assert [await _post(client, "shop?fail=2") for _ in range(3)] == [500, 500, 200]
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_url": "inbox:shop?fail=1"})
    assert resp.status == 200
    assert [await _post(client, "shop?fail=1") for _ in range(2)] == [500, 200]
    # another rule than before (the query) counts from its first delivery too
    assert [await _post(client, "shop?fail=1&status=503") for _ in range(2)] == [503, 200]
    assert [await _post(client, "shop?fail=2") for _ in range(3)] == [500, 500, 200]
    # the same rule again does not restart: the name has had its two failures under it
    assert await _post(client, "shop?fail=2") == 200
    # setting a URL of the inbox in full restarts it as well; another name's count is left alone
    assert [await _post(client, "other?fail=1") for _ in range(2)] == [500, 200]
    full = str(client.make_url("/_sandbox/inbox/shop?fail=2"))
    resp = await client.patch("/_sandbox/providers/cryptopayment/merchant", json={"webhook_url": full})
    assert resp.status == 200
    assert [await _post(client, "shop?fail=2") for _ in range(3)] == [500, 500, 200]
    assert await _post(client, "other?fail=1") == 200
    assert len(await (await client.get("/_sandbox/inbox/shop")).json()) == 14   # all kept, as before


async def test_a_trigger_after_the_walkthrough_fails_its_first_attempt_as_documented(client):
    for _ in range(3):
        await _post(client, "shop?fail=2")
    out = io.StringIO()
    async with client_session() as session:
        remote = SandboxClient(str(client.make_url("")).rstrip("/"), session)
        assert await trigger(remote, "cryptopayment", "exact", out, webhook_url="inbox:shop?fail=1") == 0
    assert " webhook dlv_000001 #1 cryptopayment payment.detected -> 500" in out.getvalue(), out.getvalue()
