"""The account endpoints of the docs (v2.10.10): /usr/fees, /usr/transactions, /assets,
/usr/request_payment and /usr/payments, checked against the docs' own samples."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from alt5pay_helpers import M1, M2, headers_for

DOC_FEES = {"status": "success", "fees": {"main": {"feeprecent": 2, "extrafee": 0},
                                          "erc": {"feeprecent": 2, "extrafee": 15},
                                          "eth": {"feeprecent": 2.5, "extrafee": 0}}}
DOC_ASSETS = [{"name": "Bitcoin", "asset_id": "BTC", "explorer_url": "https://blockexplorer.one/btc/testnet/tx/",
               "icon_url": "https://sandbox.digitalpaydev.com/assets/icons/bitcoin.png"},
              {"name": "Bitcoin Cash", "asset_id": "BCH", "explorer_url": "https://blockexplorer.one/bch/testnet/tx/",
               "icon_url": "https://sandbox.digitalpaydev.com/assets/icons/bitcoincash.png"}]
TX_KEYS = ["ref_id", "date_time", "address", "tag", "txid", "price", "payment_amount", "total_payment", "coin",
           "status", "currency", "settled_currency", "settled_payment", "settled_fee", "type", "note"]
DAY = "2025-01-15"   # the test World's virtual day (conftest START)


def ts(world) -> int:
    return int(world.clock.wall_now().timestamp())


async def test_fees_is_the_docs_sample_signed_as_the_docs_show(client, world):
    t = ts(world)
    raw = f'{{"nonce":51487,"timestamp":{t}}}'           # JSON order differs from the docs' string
    resp = await client.post("/alt5pay/usr/fees", data=raw, headers=headers_for(M1, f"timestamp={t}&nonce=51487"))
    assert resp.status == 200
    assert await resp.json() == DOC_FEES
    assert '"feeprecent":2.5,' in await resp.text()       # JavaScript number form


async def paid(api, admin, asset="eth", ref="t-1", fiat=None, amount=None, currency="USD", confirm=True):
    _, a = await api(f"/usr/wallet/{asset}/create", {"ref_id": ref, "currency": currency})
    params = {"address": a["data"]["address"], **({"fiat": fiat} if fiat else {"amount": amount})}
    _, p = await admin("/simulate/alt5pay/pay", params)
    if confirm:
        await admin("/simulate/alt5pay/confirm", {"txid": p["txid"]})
    return a["data"], p


async def test_transactions_list_settles_as_the_docs_sample(api, admin, world):
    """The docs' sample: ETH, total_payment 1 -> settled_fee 0.025, settled_payment ".975"."""
    a, p = await paid(api, admin, asset="eth", ref="YourInvoiceId", fiat="1")
    await admin("/clock/advance", {"by": "1m"})
    _, pending = await paid(api, admin, asset="btc", ref="later", amount="0.001", confirm=False)
    status, out = await api("/usr/transactions", {"startDate": DAY, "endDate": DAY})
    assert status == 200, out
    newest, eth = out["data"]
    assert list(eth) == TX_KEYS
    assert eth["total_payment"] == 1 and eth["txid"] == p["txid"] and eth["ref_id"] == "YourInvoiceId"
    assert (eth["status"], eth["settled_currency"], eth["settled_fee"], eth["settled_payment"]) == ("Paid", "USD", 0.025, ".975")
    assert (eth["type"], eth["note"], eth["tag"], eth["address"]) == ("Payment", "", "", a["address"])
    assert (newest["txid"], newest["status"], newest["settled_payment"], newest["settled_fee"]) == (pending["txid"], "Pending", "0", 0)
    status, none = await api("/usr/transactions", {"startDate": "2025-01-14", "endDate": "2025-01-14"})
    assert (status, none["data"]) == (200, [])
    status, every = await api("/usr/transactions", {})
    assert [t["txid"] for t in every["data"]] == [pending["txid"], p["txid"]]
    _, other = await api("/usr/transactions", {}, merchant=M2)      # another merchant sees none
    assert other["data"] == []


async def test_transactions_docs_order_puts_dates_after_nonce(client, world):
    t = ts(world)
    raw = f'{{"startDate":"{DAY}","endDate":"{DAY}","timestamp":{t},"nonce":9}}'
    docs = f"timestamp={t}&nonce=9&startDate={DAY}&endDate={DAY}"
    resp = await client.post("/alt5pay/usr/transactions", data=raw, headers=headers_for(M1, docs))
    assert resp.status == 200 and (await resp.json())["data"] == []


@pytest.mark.parametrize("path", ["/usr/transactions", "/usr/payments"])
@pytest.mark.parametrize("body,status", [({"startDate": DAY}, 400), ({"endDate": DAY}, 400),
                                         ({"startDate": "2025-02-30", "endDate": "2025-03-01"}, 400),
                                         ({"startDate": "2025-01-16", "endDate": DAY}, 400),
                                         ({"startDate": "15/01/2025", "endDate": DAY}, 422),
                                         ({"startDate": 20250115, "endDate": DAY}, 422)])
async def test_bad_date_ranges_are_4xx(api, path, body, status):
    got, out = await api(path, body)
    assert (got, out["status"]) == (status, "error")


@pytest.mark.parametrize("method,body", [("POST", b""), ("POST", b'{"apps":"true"}'), ("POST", b'{"apps":"false"}'),
                                         ("POST", b'{"apps":true}'), ("GET", b"")])
async def test_assets_without_authentication(client, method, body):
    resp = await client.request(method, "/alt5pay/assets", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 200
    data = (await resp.json())["data"]
    assert data[:2] == DOC_ASSETS
    ids = [a["asset_id"] for a in data]
    assert {"ETH", "LTC", "USDC", "USDT_TRON", "SOL"} <= set(ids) and "SHIB" not in ids and len(ids) == len(set(ids))


@pytest.mark.parametrize("body,status", [(b'{"apps":"maybe"}', 422), (b"{nope", 400), (b"[1]", 400)])
async def test_assets_bad_body_is_4xx(client, body, status):
    resp = await client.post("/alt5pay/assets", data=body)
    assert resp.status == status and (await resp.json())["status"] == "error"


async def test_request_payment_pays_out_the_settled_balance(api, admin, world):
    status, out = await api("/usr/request_payment", {"currency": "USD", "type": "Wire"})
    assert (status, out) == (400, {"status": "error", "message": "Insufficient Balance"})
    await paid(api, admin, asset="eth", ref="p-1", fiat="100")
    await paid(api, admin, asset="btc", ref="p-2", fiat="50")
    await paid(api, admin, asset="ltc", ref="p-3", fiat="30", currency="CAD")   # CAD balance, not paid out
    _, listed = await api("/usr/transactions", {})
    usd = [t for t in listed["data"] if t["currency"] == "USD"]
    balance = sum(Decimal(t["settled_payment"]) for t in usd)
    fees = sum(Decimal(str(t["settled_fee"])) for t in usd)
    status, out = await api("/usr/request_payment", {"currency": "USD", "type": "Wire"})
    assert status == 200, out
    assert out["data"] == {"amount": float(balance), "fee": 20, "currency": "USD", "type": "Wire"}
    status, again = await api("/usr/request_payment", {"currency": "USD"})          # nothing left
    assert (status, again["message"]) == (400, "Insufficient Balance")
    _, payments = await api("/usr/payments", {"startDate": DAY, "endDate": DAY})
    assert payments["data"] == [{"amount_paid": float(balance - 20), "fee_amount": float(fees),
                                 "date": payments["data"][0]["date"], "currency": "USD",
                                 "payment_type_fee": 0 + 20, "payment_type": "Wire", "notes": ""}]
    _, old = await api("/usr/payments", {"startDate": "2025-01-01", "endDate": "2025-01-14"})
    assert old["data"] == []
    _, cad = await api("/usr/request_payment", {"currency": "CAD", "type": "e-Transfer"})
    assert cad["data"]["currency"] == "CAD" and cad["data"]["type"] == "e-Transfer"
    _, payments = await api("/usr/payments", {})
    assert [p["payment_type"] for p in payments["data"]] == ["e-Transfer", "Wire"]        # newest first


async def test_a_stablecoin_payout_is_told_in_usd_by_both_endpoints(api, admin):
    """The settlement sample's USDC row: currency USD, payment_type USDC, payment_type_fee 0."""
    await paid(api, admin, asset="sol", ref="c-1", fiat="40")
    _, listed = await api("/usr/transactions", {})
    balance = sum(Decimal(t["settled_payment"]) for t in listed["data"])
    status, out = await api("/usr/request_payment", {"currency": "USDC"})
    assert status == 200, out
    assert out["data"] == {"amount": float(balance), "fee": 0, "currency": "USD", "type": "USDC"}
    _, payments = await api("/usr/payments", {})
    row = payments["data"][0]
    assert (row["currency"], row["payment_type"], row["payment_type_fee"], row["amount_paid"]) == (
        "USD", "USDC", 0, float(balance))


async def test_a_btc_payout_is_told_in_btc_by_both_endpoints(api, admin, world):
    """Issue 23: request_payment answered the USD balance labelled BTC (721 "BTC") while
    /usr/payments recorded the same payout in USD. Both now tell it as the settlement sample's
    BTC row: that many BTC at the moment's price, currency BTC, fee 0.01 BTC."""
    from mockserver.providers.alt5pay import pricing
    await paid(api, admin, asset="eth", ref="c-2", fiat="700")
    _, listed = await api("/usr/transactions", {})
    usd = sum(Decimal(t["settled_payment"]) for t in listed["data"])
    price = pricing.price("BTC", "USD", world.clock.now())
    coins = (usd / price).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
    status, out = await api("/usr/request_payment", {"currency": "BTC"})
    assert status == 200, out
    assert out["data"] == {"amount": float(coins), "fee": 0.01, "currency": "BTC", "type": "BTC"}
    assert out["data"]["amount"] < 1      # 700 USD is a fraction of a coin, not 700 coins
    _, payments = await api("/usr/payments", {})
    row = payments["data"][0]
    assert (row["currency"], row["payment_type"], row["payment_type_fee"]) == ("BTC", "BTC", 0.01)
    assert Decimal(str(row["amount_paid"])) == coins - Decimal("0.01")
    status, again = await api("/usr/request_payment", {"currency": "USD"})      # the balance is spent
    assert (status, again["message"]) == (400, "Insufficient Balance")


async def test_a_coin_payout_worth_less_than_its_fee_pays_nothing(api, admin, world):
    await paid(api, admin, asset="sol", ref="c-3", fiat="5")      # ~0.0001 BTC, under the 0.01 fee
    status, out = await api("/usr/request_payment", {"currency": "BTC"})
    assert (status, out["message"]) == (400, "Insufficient Balance")
    assert world.backend("alt5pay").settlements == []


@pytest.mark.parametrize("digits", [400, 4301])
@pytest.mark.parametrize("key", ["apps", "other"])
async def test_assets_with_a_huge_integer_is_4xx_or_ignored_never_500(client, world, digits, key):
    """Issue 23: a 4,301-digit integer (Python's int-from-text limit) was a 500."""
    resp = await client.post("/alt5pay/assets", data=f'{{"{key}": {"9" * digits}}}'.encode(),
                             headers={"Content-Type": "application/json"})
    answer = await resp.json()
    if digits > 4300:
        assert (resp.status, answer) == (400, {"status": "error", "message": "Invalid JSON Body"})
    elif key == "apps":
        assert resp.status == 422 and answer["status"] == "error"
    else:
        assert resp.status == 200        # an unknown key is ignored, as the docs' clients send none


async def test_a_huge_integer_in_a_signed_body_is_400(client, world):
    from alt5pay_helpers import Signer
    headers, _ = Signer(world).request({"ref_id": "big"}, M1)
    raw = ('{"ref_id":"big","n":' + "7" * 4301 + "}").encode()
    resp = await client.post("/alt5pay/usr/wallet/btc/create", data=raw, headers=headers)
    assert (resp.status, (await resp.json())["message"]) == (400, "Invalid JSON Body")
    assert not world.backend("alt5pay").wallets


@pytest.mark.parametrize("body", [{"currency": "CAD", "type": "ACH"}, {"currency": "USD", "type": "e-Transfer"},
                                  {"currency": "BTC", "type": "Wire"}, {"currency": "GBP"}, {"type": "Wire"},
                                  {"currency": "USD", "type": "SWIFT"}, {"currency": ["USD"]}])
async def test_request_payment_bad_input_is_4xx_and_pays_nothing(api, admin, world, body):
    await paid(api, admin, asset="sol", ref="b-1", fiat="40")
    status, out = await api("/usr/request_payment", body)
    assert 400 <= status < 500 and out["status"] == "error"
    assert world.backend("alt5pay").settlements == []
    _, payments = await api("/usr/payments", {})
    assert payments["data"] == []


async def test_pending_payments_are_not_paid_out(api, admin, world):
    await paid(api, admin, asset="btc", ref="pend", fiat="100", confirm=False)
    status, out = await api("/usr/request_payment", {"currency": "USD"})
    assert (status, out["message"]) == (400, "Insufficient Balance")
