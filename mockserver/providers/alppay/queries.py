"""The list endpoints' query parameters: parsed strictly, filtered and sorted as documented.

[D] GET /payment: statuses (display statuses NEW, OPEN, COMPLETED, EXPIRED, OVERPAID, UNDERPAID,
AML_CHECK_DANGER; the older page's CANCELLED and AML_CHECK_FAILED too), method ({asset}_{network}),
search, txnIds, ids, invoices, sortField, sortOrder, page (from 1), limit (1-100, default 20).
GET /withdrawal: txnIds, ids, invoices, statuses, page (from 0 - the docs differ from payments
here, and so does the sandbox), limit. GET /wallets-by-client: page (from 1), pageSize (20).
[A] list parameters are comma-separated, repeated, or both (repeated is refused under `strict`);
`statuses` on payments matches the displayStatus (the newest page's meaning), CANCELLED the
payments cancelled by the merchant, AML_CHECK_FAILED the flagged ones (displayStatus
AML_CHECK_DANGER); sortField is one of created_at, updated_at, amount, status (camelCase accepted
too, refused under `strict`), default created_at; sortOrder asc|desc, default desc; an unknown
value is a 422 naming the parameter; at most 100 values per list; pageSize 1-100.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from ...core.basics.errors import Unprocessable
from .assets import METHODS
from .model import Payment, Withdrawal

DISPLAY_WORDS = {"OPEN", "EXPIRED", "COMPLETED", "NEW", "OVERPAID", "UNDERPAID", "AML_CHECK_DANGER"}
PAYMENT_WORDS = DISPLAY_WORDS | {"CANCELLED", "AML_CHECK_FAILED"}     # the older page's words
WITHDRAWAL_WORDS = {"OPEN", "APPROVED", "COMPLETE", "CANCELLED"}
SORT_FIELDS = {"created_at": "created_at", "createdAt": "created_at", "updated_at": "updated_at",
               "updatedAt": "updated_at", "amount": "amount", "status": "status"}
MAX_VALUES = 100
MAX_TEXT = 255


def _bad(name: str, why: str) -> Unprocessable:
    return Unprocessable(f"query parameter {name} {why}", details={"field": name})


def _list(request: web.Request, name: str, strict: bool = False) -> list[str] | None:
    raw = request.query.getall(name, [])
    if not raw:
        return None
    if strict and len(raw) > 1:
        raise _bad(name, "is comma-separated: send it once (strict)")
    values = [v.strip() for item in raw for v in item.split(",") if v.strip()]
    if len(values) > MAX_VALUES or any(len(v) > MAX_TEXT for v in values):
        raise _bad(name, f"takes at most {MAX_VALUES} values of at most {MAX_TEXT} characters")
    return values


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    # isascii: str.isdigit() accepts "²", which int() refuses
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not low <= int(raw) <= high:
        raise _bad(name, f"must be an integer from {low} to {high}")
    return int(raw)


def _words(request: web.Request, name: str, allowed: set[str], strict: bool = False) -> set[str] | None:
    values = _list(request, name, strict)
    if values is None:
        return None
    if not set(values) <= allowed:
        raise _bad(name, f"takes only {', '.join(sorted(allowed))}")
    return set(values)


def payment_query(request: web.Request, strict: bool = False) -> dict[str, Any]:
    method = request.query.get("method")
    if method is not None and method not in METHODS:
        raise _bad("method", f"must be one of {', '.join(sorted(METHODS))}")
    sort_field = request.query.get("sortField", "created_at")
    if sort_field not in SORT_FIELDS or (strict and SORT_FIELDS[sort_field] != sort_field):
        raise _bad("sortField", f"must be one of {', '.join(sorted(set(SORT_FIELDS.values())))}")
    order = request.query.get("sortOrder", "desc")
    if order.lower() not in ("asc", "desc"):
        raise _bad("sortOrder", "must be asc or desc")
    search = request.query.get("search")
    if search is not None and len(search) > MAX_TEXT:
        raise _bad("search", f"is longer than {MAX_TEXT} characters")
    return {
        "statuses": _words(request, "statuses", PAYMENT_WORDS, strict), "method": method,
        "search": search or None, "txnIds": _list(request, "txnIds", strict), "ids": _list(request, "ids", strict),
        "invoices": _list(request, "invoices", strict),
        "sortField": SORT_FIELDS[sort_field], "desc": order.lower() == "desc",
        "page": _int(request, "page", 1, 1, 1_000_000), "limit": _int(request, "limit", 20, 1, 100),
    }


def withdrawal_query(request: web.Request, strict: bool = False) -> dict[str, Any]:
    return {
        "statuses": _words(request, "statuses", WITHDRAWAL_WORDS, strict),
        "txnIds": _list(request, "txnIds", strict), "ids": _list(request, "ids", strict),
        "invoices": _list(request, "invoices", strict),
        "page": _int(request, "page", 0, 0, 1_000_000), "limit": _int(request, "limit", 20, 1, 100),
    }


def _searchable(p: Payment) -> list[str]:
    out = [p.address, p.client_id or "", p.invoice]
    for d in p.deposits:
        out += [d.transfer.source_address, d.transfer.txid]
    return out


def _status_matches(p: Payment, words: set[str], now: datetime) -> bool:
    display = p.display_status(now)
    return (display in words or ("CANCELLED" in words and p.cancelled)
            or ("AML_CHECK_FAILED" in words and display == "AML_CHECK_DANGER"))


def filter_payments(payments: list[Payment], q: dict, now: datetime) -> list[Payment]:
    def keep(p: Payment) -> bool:
        if q["statuses"] and not _status_matches(p, q["statuses"], now):
            return False
        if q["method"] and p.asset.method != q["method"]:
            return False
        if q["ids"] and p.id not in q["ids"]:
            return False
        if q["invoices"] and p.invoice not in q["invoices"]:
            return False
        if q["txnIds"] and not {d.transfer.txid for d in p.deposits} & set(q["txnIds"]):
            return False
        if q["search"]:
            needle = q["search"].lower()
            return p.id == q["search"] or any(needle in s.lower() for s in _searchable(p))
        return True

    chosen = [p for p in payments if keep(p)]
    key = {"created_at": lambda p: p.created_at, "updated_at": lambda p: p.updated_at,
           "amount": lambda p: p.amount, "status": lambda p: p.status(now)}[q["sortField"]]
    # stable sort: equal keys keep creation order either way
    return sorted(chosen, key=key, reverse=q["desc"])


def filter_withdrawals(withdrawals: list[Withdrawal], q: dict) -> list[Withdrawal]:
    """[A] newest first."""
    return [w for w in reversed(withdrawals)
            if (not q["statuses"] or w.status in q["statuses"])
            and (not q["ids"] or w.id in q["ids"])
            and (not q["invoices"] or w.invoice in q["invoices"])
            and (not q["txnIds"] or w.txn_id in q["txnIds"])]


def page_of(items: list, index: int, limit: int) -> tuple[list, int]:
    """Zero-based page index -> that page's items and the total."""
    start = index * limit
    return items[start:start + limit], len(items)


def wallets_query(request: web.Request) -> dict[str, int]:
    return {"page": _int(request, "page", 1, 1, 1_000_000), "pageSize": _int(request, "pageSize", 20, 1, 100)}
