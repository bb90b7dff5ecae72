"""GET /payment: every documented filter and sort, page from 1, limit 1-100 (default 20)."""
from __future__ import annotations

import pytest


async def _three(ap):
    a = await ap.create(amount="10.00", invoice="INV-A")
    await ap.advance("1m")
    b = await ap.create(amount="30.00", invoice="INV-B", network="ethereum", clientId="client-b")
    await ap.advance("1m")
    c = await ap.create(amount="20.00", invoice="INV-C", short="USDC")
    await ap.pay(a["id"])
    await ap.advance("2m")
    return a, b, c


async def _ids(ap, query: str) -> list[str]:
    _, out = await ap.call("GET", "/payment" + query, expect=200)
    return [p["id"] for p in out["results"]]


async def test_default_is_newest_first_with_the_wrapper(ap):
    a, b, c = await _three(ap)
    _, out = await ap.call("GET", "/payment", expect=200)
    assert [p["id"] for p in out["results"]] == [c["id"], b["id"], a["id"]]
    assert (out["page"], out["limit"], out["total"]) == (1, 20, 3)


async def test_filters(ap):
    a, b, c = await _three(ap)
    assert await _ids(ap, "?statuses=COMPLETED") == [a["id"]]
    assert await _ids(ap, "?statuses=NEW") == [c["id"], b["id"]]
    assert await _ids(ap, "?statuses=NEW&statuses=COMPLETED&sortOrder=asc") == [a["id"], b["id"], c["id"]]
    assert await _ids(ap, "?method=USDT_ethereum") == [b["id"]]
    assert await _ids(ap, "?method=USDC_tron") == [c["id"]]
    assert await _ids(ap, f"?ids={a['id']},{c['id']}") == [c["id"], a["id"]]
    assert await _ids(ap, "?invoices=INV-B,INV-C") == [c["id"], b["id"]]
    assert await _ids(ap, "?search=inv-b") == [b["id"]]
    assert await _ids(ap, "?search=client-b") == [b["id"]]
    assert await _ids(ap, f"?search={a['id']}") == [a["id"]]
    payment = await ap.payment(a["id"])
    assert await _ids(ap, f"?txnIds={payment['transactions'][0]['txnId']}") == [a["id"]]
    assert await _ids(ap, f"?search={payment['transactions'][0]['addressFrom']}") == [a["id"]]


async def test_sort_and_pages(ap):
    a, b, c = await _three(ap)
    assert await _ids(ap, "?sortField=amount&sortOrder=asc") == [a["id"], c["id"], b["id"]]
    assert await _ids(ap, "?sortField=amount") == [b["id"], c["id"], a["id"]]
    assert await _ids(ap, "?sortField=status&sortOrder=asc") == [a["id"], b["id"], c["id"]]
    assert await _ids(ap, "?sortField=updated_at&sortOrder=desc") == [a["id"], c["id"], b["id"]]
    assert await _ids(ap, "?limit=2&page=2") == [a["id"]]
    assert await _ids(ap, "?limit=2&page=3") == []


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=x", "page"), ("page=²", "page"), ("limit=0", "limit"), ("limit=101", "limit"),
    ("statuses=PAID", "statuses"), ("method=DOGE_doge", "method"), ("sortField=id", "sortField"),
    ("sortOrder=up", "sortOrder"), ("search=" + "x" * 300, "search"), ("ids=" + ",".join(["a"] * 101), "ids"),
])
async def test_bad_query_is_422_naming_the_parameter(ap, query, field):
    status, out = await ap.call("GET", "/payment?" + query)
    assert (status, out["code"], out["field"]) == (422, 422, field)


async def test_statuses_are_display_statuses_and_the_older_words_are_accepted(ap):
    """[D] newest page: statuses are display statuses; older page: CANCELLED, AML_CHECK_FAILED."""
    under = await ap.create(amount="10.00")
    await ap.pay(under["id"], kind="partial")
    cancelled = await ap.create(amount="10.00")
    flagged = await ap.create(amount="10.00")
    await ap.pay(flagged["id"], risk="danger")
    await ap.advance("1m")
    await ap.call("POST", f"/payment/{cancelled['id']}/cancel", expect=200)
    await ap.advance("3h")                       # all three closed now
    assert await _ids(ap, "?statuses=EXPIRED") == [cancelled["id"]]        # not EXPIRED/UNDERPAID
    assert await _ids(ap, "?statuses=UNDERPAID") == [under["id"]]
    assert await _ids(ap, "?statuses=CANCELLED") == [cancelled["id"]]
    assert await _ids(ap, "?statuses=AML_CHECK_FAILED") == [flagged["id"]]
    assert await _ids(ap, "?statuses=AML_CHECK_DANGER") == [flagged["id"]]
    assert (await ap.payment(cancelled["id"]))["status"] == "EXPIRED"       # getPayment's words
    await ap.set_merchant(cancelled_status="CANCELLED")                    # [A] the older page's word
    assert (await ap.payment(cancelled["id"]))["status"] == "CANCELLED"
    assert (await ap.payment(under["id"]))["status"] == "EXPIRED"


async def test_the_older_data_envelope_is_a_setting(ap):
    created = await ap.create()
    await ap.set_merchant(payment_list="data")
    _, out = await ap.call("GET", "/payment", expect=200)
    assert "results" not in out and [p["id"] for p in out["data"]] == [created["id"]] and out["total"] == 1
