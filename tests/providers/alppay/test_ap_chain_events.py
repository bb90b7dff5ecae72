"""What ALPPAY does when the chain misbehaves (docs/providers/alppay.md, "Chain events"): reorgs,
double spends, the wrong network or token, TON destination tags, split payments and dust, a
transfer stuck unconfirmed.

After every event `invariant` holds the balance to the chain: per method, the sum over the
merchant's payment addresses of each transfer still on the chain — on the asset's network and
token, with the address's TON tag, not dust (0.10 USD), with the network's confirmations — net of
the 0.5 % fee; and a payment lists only transfers still on the chain. Read through the API, the
`balances` verb and GET /_sandbox/chain/transfers.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CONFIRMS = {"tron": 20, "ton": 1}
CHAIN = {"tron": "tron", "ton": "ton"}
PRICE = {"USDT": Decimal(1), "TON": Decimal(5)}


async def invariant(ap, payment_ids: list[str]) -> dict[str, Decimal]:
    expected: dict[str, Decimal] = {}
    seen_addresses = set()
    for pid in payment_ids:
        payment = await ap.payment(pid)
        short, network = payment["asset"]["short"], payment["asset"]["network"]
        places = Decimal("0.01") if short in ("USDT", "USDC") else Decimal("1e-8")
        txs = await ap.admin("GET", f"/chain/transfers?address={payment['addressTo']}")
        listed = {t["txnId"] for t in payment["transactions"]}
        for tx in txs:
            on_chain = tx["status"] not in ("dropped", "replaced")
            if not on_chain:
                assert tx["txid"] not in listed, tx
            if payment["addressTo"] in seen_addresses:
                continue
            amount = Decimal(tx["amount"])
            counted = (on_chain and tx["network"] == CHAIN[network] and tx["token"] in (None, short)
                       and tx["memo"] == (payment["destTag"] or tx["memo"]) and amount * PRICE[short] >= Decimal("0.10"))
            if counted and tx["confirmations"] >= CONFIRMS[network]:
                fee = (amount * Decimal("0.005")).quantize(places, ROUND_HALF_UP)
                key = f"{short}_{network}"
                expected[key] = expected.get(key, Decimal(0)) + amount - fee
        seen_addresses.add(payment["addressTo"])
    got = {k: Decimal(v) for k, v in (await ap.balances()).items()}
    for method, amount in got.items():
        assert amount == expected.get(method, 0), (method, got, expected)
    return got


def events(deliveries: list[dict], payment_id: str) -> list[str]:
    return [d["event"] for d in deliveries if d["ref"] == payment_id]


async def chain(ap, route: str, expect: int = 200, **body) -> dict:
    return await ap.admin("POST", f"/chain/{route}", body, expect=expect)


async def test_reorg_after_completion_reopens_and_debits_until_confirmed_again(hooked):
    ap, rec = hooked
    pid = (await ap.create(amount="100.00"))["id"]
    tx = (await ap.pay(pid))["txnId"]
    await invariant(ap, [pid])
    await ap.advance("2m")
    assert (await ap.payment(pid))["status"] == "COMPLETED"
    assert (await invariant(ap, [pid]))["USDT_tron"] == Decimal("99.50")
    await chain(ap, "reorg", txid=tx)
    await invariant(ap, [pid])
    payment = await ap.payment(pid)
    assert (payment["status"], payment["displayStatus"]) == ("OPEN", "OPEN")
    assert (await invariant(ap, [pid]))["USDT_tron"] == 0
    assert events(await ap.deliveries(), pid)[-2:] == ["payment.COMPLETED", "payment.OPEN"]
    await ap.advance("2m")
    assert (await ap.payment(pid))["status"] == "COMPLETED"
    assert (await invariant(ap, [pid]))["USDT_tron"] == Decimal("99.50")
    assert events(await ap.deliveries(), pid)[-1] == "payment.COMPLETED"


async def test_a_dropped_transfer_leaves_the_payment(hooked):
    ap, rec = hooked
    pid = (await ap.create(amount="100.00"))["id"]
    first = (await ap.pay(pid, kind="partial"))["txnId"]
    await invariant(ap, [pid])
    await ap.pay(pid, kind="partial")
    await invariant(ap, [pid])
    await ap.advance("2m")
    await invariant(ap, [pid])
    await chain(ap, "reorg", txid=first, drop=True)
    await invariant(ap, [pid])
    payment = await ap.payment(pid)
    assert (payment["status"], payment["totalReceivedAmount"], len(payment["transactions"])) == ("OPEN", "50.00", 1)
    assert (await invariant(ap, [pid]))["USDT_tron"] == Decimal("49.75")     # the other half stays
    await ap.advance("3h")
    assert (await ap.payment(pid))["displayStatus"] == "UNDERPAID"
    await invariant(ap, [pid])


async def test_a_double_spend_is_never_credited(hooked):
    ap, rec = hooked
    pid = (await ap.create(amount="100.00"))["id"]
    tx = (await ap.pay(pid))["txnId"]
    await chain(ap, "double_spend", txid=tx)
    await invariant(ap, [pid])
    payment = await ap.payment(pid)
    assert (payment["displayStatus"], payment["transactions"]) == ("NEW", [])
    await ap.advance("3h")
    assert (await ap.payment(pid))["status"] == "EXPIRED"
    assert (await invariant(ap, [pid]))["USDT_tron"] == 0
    assert events(await ap.deliveries(), pid) == ["payment.NEW", "payment.OPEN", "payment.NEW", "payment.EXPIRED"]


async def test_wrong_network_or_token_is_no_deposit(hooked):
    ap, rec = hooked
    payment = await ap.create(amount="100.00")
    await chain(ap, "transfers", 201, network="eth", address=payment["addressTo"], amount="100")
    await chain(ap, "transfers", 201, network="tron", address=payment["addressTo"], amount="100", token="TRX")
    await invariant(ap, [payment["id"]])
    await ap.advance("2m")
    seen = await ap.payment(payment["id"])
    assert (seen["displayStatus"], seen["transactions"]) == ("NEW", [])
    assert (await invariant(ap, [payment["id"]]))["USDT_tron"] == 0
    reasons = [e["reason"] for e in await ap.admin("GET", "/journal?kind=payment.unmatched")]
    assert reasons == ["wrong network: eth, not tron", "wrong token: TRX, not USDT"]


async def test_ton_deposit_needs_the_destination_tag(hooked):
    ap, rec = hooked
    payment = await ap.create(amount="5.00", short="TON", network="ton", clientId="CL-7")
    assert payment["destTag"] == "CL-7"
    await chain(ap, "transfers", 201, network="ton", address=payment["addressTo"], amount="5")
    await invariant(ap, [payment["id"]])
    await ap.advance("1m")
    assert (await ap.payment(payment["id"]))["transactions"] == []
    assert (await invariant(ap, [payment["id"]]))["TON_ton"] == 0
    await chain(ap, "transfers", 201, network="ton", address=payment["addressTo"], amount="5", memo="CL-7")
    await invariant(ap, [payment["id"]])
    await ap.advance("1m")
    assert (await ap.payment(payment["id"]))["status"] == "COMPLETED"
    assert (await invariant(ap, [payment["id"]]))["TON_ton"] == Decimal("4.975")


async def test_split_payment_and_dust(hooked):
    ap, rec = hooked
    pid, dusty = (await ap.create(amount="100.00"))["id"], (await ap.create(amount="100.00"))["id"]
    out = await ap.pay(pid, kind="split", parts=3)
    await invariant(ap, [pid, dusty])
    assert [t["amount"] for t in out["transfers"]] == ["33.33", "33.33", "33.34"]
    dust = await ap.pay(dusty, kind="dust")
    await invariant(ap, [pid, dusty])
    assert dust["transfer"]["amount"] == "0.05" and dust["payment"]["transactions"] == []
    await ap.advance("2m")
    assert (await ap.payment(pid))["status"] == "COMPLETED"
    assert (await invariant(ap, [pid, dusty]))["USDT_tron"] == Decimal("33.33") * 2 + Decimal("33.34") - Decimal("0.51")
    await ap.pay(pid, kind="split", parts=0, expect=400)


async def test_a_stuck_transfer_keeps_the_payment_open_until_released(hooked):
    ap, rec = hooked
    payment = await ap.create(amount="100.00")
    stuck = await chain(ap, "transfers", 201, network="tron", address=payment["addressTo"], amount="100",
                        confirmations_stuck=True)
    await invariant(ap, [payment["id"]])
    await ap.advance("5h")                                          # past the 9000 s timeout
    assert (await ap.payment(payment["id"]))["status"] == "OPEN"   # paid in full in time: open
    assert (await invariant(ap, [payment["id"]]))["USDT_tron"] == 0
    await chain(ap, "release", txid=stuck["txid"])
    await invariant(ap, [payment["id"]])
    await ap.advance("2m")
    assert (await ap.payment(payment["id"]))["status"] == "COMPLETED"
    assert (await invariant(ap, [payment["id"]]))["USDT_tron"] == Decimal("99.50")
