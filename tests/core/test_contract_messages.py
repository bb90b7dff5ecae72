"""A violation's message names the problem without echoing a huge value back."""
from mockserver.core.contracts.contract_set import MAX_MESSAGE, load_contracts


def test_huge_values_are_not_echoed_whole():
    contracts = load_contracts("cryptopayment")
    [first, *_] = contracts.validate("invoice-create.request",
                                     {"network": "trc20", "amount_usd": 50, "order_id": "x" * 900_000})
    assert first.instance_path == "/order_id"
    assert len(first.message) <= MAX_MESSAGE + len("... (truncated)")
    assert "xxxxxxxxxx" not in first.message and first.message.startswith("must be at most")


async def test_huge_field_gets_a_small_422(client):
    auth = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
    resp = await client.post("/cryptopayment/api/v1/invoices", headers=auth,
                             json={"network": "trc20", "amount_usd": 50, "order_id": "x" * 900_000})
    assert resp.status == 422
    assert len(await resp.read()) < 1000
