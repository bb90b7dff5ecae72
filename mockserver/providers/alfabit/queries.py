"""The order lists' query parameters, parsed, filtered and sorted as the API reference documents.

[D] GET /api/v2/integration/orders: page, limit (numbers; examples 1, 10), orderBy (a field,
example `-uid`), statuses[], types[] (the reference's enums), merchantsUids[], billingTags[],
assets[], networks[], createdAtSince, createdAtBefore (ISO 8601, URL-encoded, `%2b03:00` allowed),
showProtectedMerchantsOrders (boolean), and a search. GET /api/v1/integration/orders: the same
without statuses/types, with `search` (comment, transaction id, order UID, merchant name).
Both answer {"message": "ok", "data": [orders]} [D v1 example; C: the fiat payout class reads the
v2 `data` as the list of orders].

[A] list parameters as statuses[]=a (axios), statuses[0]=a (PHP's http_build_query) or
statuses=a; orderBy is uid, id, createdAt or updatedAt, `-` for descending, default -createdAt;
page from 1 (default 1), limit 1..100 (default 20), nothing else about paging in the answer;
search also matches publicComment and requisites; the sandbox has no protected (internal)
merchants and gives orders no billingTag, so showProtectedMerchantsOrders changes nothing and a
billingTags filter matches nothing; the v2 typed requisites search is not served (its parameter
names are not in the published reference). Unknown parameters are ignored unless the merchant is
`strict`.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from .errors import Invalid
from .model import Order
from .validation import check, strict

LIST_ARRAYS = ("statuses", "types", "assets", "networks", "merchantsUids", "billingTags")
LIST_SCALARS = ("createdAtSince", "createdAtBefore", "search", "orderBy", "page", "limit",
                "showProtectedMerchantsOrders")
QUERY_KEY = re.compile(r"([A-Za-z]+)(\[\d{0,4}\])?")
SORT_KEYS = {"uid": lambda o: o.uid, "id": lambda o: o.id, "createdAt": lambda o: (o.created_at, o.id),
             "updatedAt": lambda o: (o.updated_at or o.created_at, o.id)}


def parse(request: web.Request, contract: str, world, merchant: dict, *,
          arrays: tuple[str, ...] = LIST_ARRAYS, scalars: tuple[str, ...] = LIST_SCALARS) -> dict:
    """statuses[]=a&statuses[]=b, statuses[0]=a and statuses=a all mean a list."""
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in request.query.items():
        match = QUERY_KEY.fullmatch(key)
        name, brackets = match.groups() if match else (key, None)
        if not _unicode(key) or not _unicode(value):
            raise Invalid([f"{name if _unicode(name) else 'a parameter'} must be valid Unicode"])
        if name in arrays:
            out.setdefault(name, []).append(value)
        elif name in scalars:
            if brackets or name in out:
                raise Invalid([f"{name} must be given once"])
            out[name] = value
        else:
            unknown.append(name)
    checked = check(world, contract, out, merchant)
    if strict(merchant) and unknown:
        raise Invalid([f"property {name} should not exist" for name in dict.fromkeys(unknown)])
    return checked


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _instant(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Invalid([f"{name} must be a valid ISO 8601 date string"]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def select(orders: list[Order], query: dict, now: datetime) -> list[Order]:
    """The page of `orders` the query asks for, in its order."""
    since = _instant(query["createdAtSince"], "createdAtSince") if "createdAtSince" in query else None
    before = _instant(query["createdAtBefore"], "createdAtBefore") if "createdAtBefore" in query else None
    page, limit = int(query.get("page", 1)), int(query.get("limit", 20))
    order_by = query.get("orderBy", "-createdAt")
    field, descending = order_by.lstrip("-"), order_by.startswith("-")
    wanted = {k: set(query[k]) for k in LIST_ARRAYS if k in query}
    search = query.get("search", "").lower()

    def keep(o: Order) -> bool:
        return ((since is None or o.created_at >= since) and (before is None or o.created_at < before)
                and ("statuses" not in wanted or o.status(now) in wanted["statuses"])
                and ("types" not in wanted or o.type in wanted["types"])
                and ("assets" not in wanted or bool({o.currency_in.asset, o.currency_out.asset} & wanted["assets"]))
                and ("networks" not in wanted
                     or bool({o.currency_in.network, o.currency_out.network} & wanted["networks"]))
                and ("merchantsUids" not in wanted or o.merchant.get("merchant_uid") in wanted["merchantsUids"])
                and "billingTags" not in wanted        # [A] no order carries a billingTag
                and (not search or any(search in str(v).lower() for v in (
                    o.uid, o.id, o.comment, o.public_comment, o.requisites, o.tx_id(),
                    o.merchant.get("merchant_name")) if v is not None)))

    found = sorted((o for o in orders if keep(o)), key=SORT_KEYS[field], reverse=descending)
    return found[(page - 1) * limit: page * limit]
