"""Habits of client code written from ALPPAY's docs (no public client was found, so these follow
the audit: decoders typed from the docs' samples, the hmac page's serialisation), run against the
sandbox. Written from the habits, not copied from any client."""
from __future__ import annotations

import json
import re
from datetime import datetime

from ap_support import x_hmac

# A decoder typed from the create-payment / payment-webhook samples: what a Go struct or a
# TypeScript interface generated from them would require.
PAYMENT_TYPES = {"id": str, "amount": str, "totalReceivedAmount": str, "addressTo": str, "confirmsNeeded": int,
                 "timeout": int, "checkoutUrl": str, "status": str, "invoice": str, "paymentRedirectUrl": str,
                 "createdAt": str, "updatedAt": str, "transactions": list, "customer": dict, "merchant": dict}
MERCHANT_TYPES = {"id": str, "name": str, "siteUrl": str, "logoUrl": str}
# RFC 3339 with any fraction up to nanoseconds (Go's time.RFC3339Nano, Java's Instant.parse)
RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def _typed(obj: dict, types: dict) -> None:
    for key, kind in types.items():
        assert isinstance(obj[key], kind), (key, obj[key])


def _js_stringify(obj) -> bytes:
    """JSON.stringify: insertion order, no spaces, non-ASCII as is."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


async def test_a_decoder_typed_from_the_samples_reads_create_get_list_and_webhook(hooked):
    ap, rec = hooked
    body = {"amount": "1000.00", "asset": {"short": "USDT", "network": "tron"},
            "customer": {"id": 12312312, "name": "Jöhn", "email": "john@example.com"}, "invoice": "INV-001"}
    raw = _js_stringify(body)          # an object literal in the docs' order, JSON.stringify'd
    status, created = await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw)})
    assert status == 200
    _typed(created, PAYMENT_TYPES)
    _typed(created["merchant"], MERCHANT_TYPES)       # merchant.id: a UUID string, as the samples show
    assert re.match(r"^[0-9a-f-]{36}$", created["merchant"]["id"])
    _, got = await ap.call("GET", f"/payment/{created['id']}", expect=200)
    _typed(got["data"], PAYMENT_TYPES)
    _, listed = await ap.call("GET", "/payment", expect=200)
    assert isinstance(listed["results"], list)         # the newest list page's envelope
    _typed(listed["results"][0], PAYMENT_TYPES)
    await ap.advance("0s")
    hook = rec.requests[-1]
    assert hook["headers"]["X-HMAC"] == x_hmac(ap.key, hook["body"])   # verify, then parse
    _typed(json.loads(hook["body"]), PAYMENT_TYPES)


async def test_a_python_client_that_signs_json_dumps_defaults_is_told_at_once(ap):
    """json.dumps() without separators puts spaces after ':' and ','; the hmac page asks for
    compact JSON and lists a 400, so the sandbox answers it here rather than in production."""
    raw = json.dumps({"amount": "10.00", "asset": {"short": "USDT", "network": "tron"},
                      "customer": {"id": 1, "name": "a", "email": "a@b.example"}}).encode()
    status, out = await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw)})
    assert status == 400 and "compact JSON" in out["message"]


async def test_a_client_that_sorts_keys_before_signing_is_told_at_once(ap):
    raw = json.dumps({"amount": "10.00", "asset": {"short": "USDT", "network": "tron"},
                      "customer": {"id": 1, "name": "a", "email": "a@b.example"}, "invoice": "I-1"},
                     separators=(",", ":"), sort_keys=True).encode()
    status, out = await ap.call("POST", "/payment", raw=raw, headers={"X-HMAC": x_hmac(ap.key, raw)})
    assert status == 400 and "field order" in out["message"]


async def test_typed_timestamp_parsing(ap):
    """Payment times are whole seconds (the payment samples); withdrawal times carry nanoseconds
    (the v2 samples): a parser written for whole seconds fails here as it would in production."""
    created = await ap.create()
    assert datetime.strptime(created["createdAt"], "%Y-%m-%dT%H:%M:%SZ")
    await ap.simulate("fund", method="USDT_tron", amount="10")
    withdrawal = await ap.withdraw(amount="1")
    for key in ("createdAt", "updatedAt"):
        value = withdrawal[key]
        assert RFC3339_NANO.match(value) and len(value.split(".")[1]) == 10      # 9 digits + Z
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
        else:
            raise AssertionError("a whole-second parser must not read the documented form")
        whole, fraction = value[:-1].split(".")
        parsed = datetime.fromisoformat(whole + "." + fraction[:6] + "+00:00")   # what a careful client does
        assert parsed.tzinfo is not None


async def test_a_status_poller_reads_display_status_filters_as_documented(ap):
    """A reconciliation job asking for statuses=COMPLETED gets exactly the display status
    COMPLETED (not OVERPAID or UNDERPAID ones), as the newest list page means it."""
    exact, over = await ap.create(amount="10.00"), await ap.create(amount="10.00")
    await ap.pay(exact["id"])
    await ap.pay(over["id"], kind="over")
    await ap.advance("1m")
    _, out = await ap.call("GET", "/payment?statuses=COMPLETED", expect=200)
    assert [p["id"] for p in out["results"]] == [exact["id"]]
    _, out = await ap.call("GET", "/payment?statuses=OVERPAID", expect=200)
    assert [p["id"] for p in out["results"]] == [over["id"]]
