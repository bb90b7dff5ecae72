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
