"""IPN bytes and delivery: JSON.stringify-stable body, signature, when IPNs go out, the retry schedule."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from alt5pay_helpers import M1, NODE, cryptojs_hmac_sha512_hex, node_eval

GAPS = [1, 2, 4, 8, 20, 40, 80, 160, 320, 640, 1280]     # the docs' re-post delays, in minutes


def js_number(x) -> str:
    """Number::toString as ECMA-262 §6.1.6.1.20 spells it, written independently for the test."""
    if isinstance(x, int):
        return str(x)
    if x == 0:
        return "0"
    sign, x = ("-", -x) if x < 0 else ("", x)
    mantissa, _, exp = f"{x:.17e}".partition("e")
    # shortest round-tripping digits
    for places in range(1, 18):
        digits = f"{x:.{places - 1}e}"
        if float(digits) == x:
            mantissa, _, exp = digits.partition("e")
            break
    s = mantissa.replace(".", "").rstrip("0") or "0"
    k, n = len(s), int(exp) + 1
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + s
    e = n - 1
    return sign + (s if k == 1 else s[0] + "." + s[1:]) + "e" + ("+" if e > 0 else "-") + str(abs(e))


def js_stringify(value) -> str:
    """JSON.stringify(value) for what JSON.parse returns (Python's json gives the same tree)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(js_stringify(v) for v in value) + "]"
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + js_stringify(v) for k, v in value.items()) + "}"


@pytest.mark.parametrize("x,expected", [(50.0, "50"), (0.0006, "0.0006"), (1e-7, "1e-7"), (1e21, "1e+21"),
                                        (123456789012345680000.0, "123456789012345680000"), (0.1 + 0.2, "0.30000000000000004")])
def test_the_test_js_number_is_right(x, expected):
    assert js_number(x) == expected


@pytest.mark.parametrize("value", ["50", "0.00000982", "0.000001", "1E-7", "43250.00", "1E+21", "123.4500",
                                   "98765432.12345678", "-0.5", "0"])
def test_server_js_number_matches_the_spec(value):
    from decimal import Decimal

    from mockserver.providers.alt5pay.jsjson import js_number as server
    assert server(Decimal(value)) == js_number(float(Decimal(value)))


@pytest.fixture
async def hook(receiver, admin):
    async def make(replies=(200,)):
        rec = await receiver(replies)
        # no reply in this file waits: 5 s leaves room for a busy machine (0.3 s once timed out
        # an attempt once in a full-suite run, not reproduced in 80 runs of this file alone)
        await admin("/providers/alt5pay/merchant", {"webhook_url": rec.url, "webhook_timeout": 5}, method="PATCH")
        return rec
    return make


async def paid_address(api, admin, asset="btc", ref="ipn-1", amount="0.00123", currency="USD"):
    _, a = await api(f"/usr/wallet/{asset}/create", {"ref_id": ref, "currency": currency})
    _, p = await admin("/simulate/alt5pay/pay", {"address": a["data"]["address"], "amount": amount})
    return a["data"], p


async def test_ipn_body_is_its_own_javascript_reserialisation(api, admin, hook):
    rec = await hook()
    await paid_address(api, admin, ref="Café-ü-1", amount="50")          # a round amount: 50, not 50.0
    await paid_address(api, admin, asset="usdt_tron", ref="日本-2", amount="12.5", currency="EUR")
    await admin("/clock/run", {})
    assert len(rec.requests) == 2                  # one Paid IPN per payment (no Pending by default)
    for request in rec.requests:
        raw = request["body"]
        assert js_stringify(json.loads(raw)).encode() == raw
        assert b" " not in raw.replace(b"Caf\xc3\xa9", b"")                # compact
        assert "Café-ü-1".encode() in raw or "日本-2".encode() in raw       # not \u-escaped
        assert b".0," not in raw
        assert request["headers"]["signature"] == cryptojs_hmac_sha512_hex(M1["secret"], raw)


@pytest.mark.skipif(not NODE, reason="node not installed")
async def test_node_handler_verifies_against_json_stringify(api, admin, hook):
    """What public Node handlers do: HMAC of JSON.stringify(req.body) must equal the header."""
    rec = await hook()
    await paid_address(api, admin, ref="node-é", amount="0.5")
    await admin("/clock/run", {})
    requests = [{"raw": r["body"].decode(), "sig": r["headers"]["signature"]} for r in rec.requests]
    script = f"""
const crypto = require('crypto');
let input = ''; process.stdin.on('data', d => input += d).on('end', () => {{
  const out = JSON.parse(input).map(({{raw, sig}}) => {{
    const body = JSON.parse(raw);                       // what express.json() hands the handler
    const again = JSON.stringify(body);
    const mine = crypto.createHmac('sha512', '{M1["secret"]}').update(again).digest('hex');
    return {{same: again === raw, ok: mine === sig, paid: body.status === 'Paid'}};
  }});
  process.stdout.write(JSON.stringify(out));
}});"""
    out = json.loads(node_eval(script, json.dumps(requests).encode()))
    assert out == [{"same": True, "ok": True, "paid": True}]


async def _never_200(api, admin, hook, ref):
    rec = await hook([500])
    await paid_address(api, admin, asset="sol", ref=ref, amount="1")   # sol: Paid after 1 block
    await admin("/clock/run", {})
    _, deliveries = await admin("/deliveries?provider=alt5pay", method="GET")
    assert [d["event"] for d in deliveries] == ["ipn.paid"]
    times = [datetime.fromisoformat(a["at"]) for a in deliveries[0]["attempts"]]
    return rec, deliveries[0], times


async def test_retries_stop_once_1280_minutes_have_passed_since_the_first_post(api, admin, hook):
    """Default: the docs' stop rule wins over the last listed delay: 11 posts, the last at minute 1275."""
    rec, delivery, times = await _never_200(api, admin, hook, "retry-stop")
    assert delivery["status"] == "exhausted" and delivery["attempt_count"] == 11
    assert [(b - a) / timedelta(minutes=1) for a, b in zip(times, times[1:])] == GAPS[:10]
    assert times[-1] - times[0] == timedelta(minutes=1275) < timedelta(minutes=1280)
    assert all(a["status"] == 500 and not a["acknowledged"] for a in delivery["attempts"])
    assert len(rec.requests) == 11
    assert len({r["body"] for r in rec.requests}) == 1     # a retry re-posts the same bytes


async def test_all_delays_setting_uses_the_eleventh_delay_too(api, admin, hook):
    """Merchant setting ipn_schedule=all_delays: every listed delay, 12 posts, the last at minute 2555."""
    await admin("/providers/alt5pay/merchant", {"ipn_schedule": "all_delays"}, method="PATCH")
    rec, delivery, times = await _never_200(api, admin, hook, "retry-all")
    assert delivery["status"] == "exhausted" and delivery["attempt_count"] == 12
    assert [(b - a) / timedelta(minutes=1) for a, b in zip(times, times[1:])] == GAPS
    assert times[-1] - times[0] == timedelta(minutes=2555)
    assert len(rec.requests) == 12


async def test_unknown_schedule_setting_is_refused_and_the_stop_rule_stays(api, admin, hook):
    for bad in (["nonsense"], "all_delay"):
        status, out = await admin("/providers/alt5pay/merchant", {"ipn_schedule": bad}, method="PATCH")
        assert status == 400 and "ipn_schedule" in out["error"]["message"]
    _, delivery, _ = await _never_200(api, admin, hook, "retry-bad")
    assert delivery["attempt_count"] == 11


@pytest.mark.parametrize("replies,attempts", [([500, 503, 404, 200], 4), ([201, 200], 2), (["reset", 200], 2)])
async def test_receiver_recovering_midway_stops_the_retries(api, admin, hook, replies, attempts):
    await hook(replies)
    await paid_address(api, admin, asset="sol", ref="recover", amount="0.01")
    await admin("/clock/run", {})
    _, deliveries = await admin("/deliveries?provider=alt5pay&event=ipn.paid", method="GET")
    assert deliveries[0]["status"] == "delivered"
    assert deliveries[0]["attempt_count"] == attempts
    gaps = [1, 2, 4][: attempts - 1]
    times = [datetime.fromisoformat(a["at"]) for a in deliveries[0]["attempts"]]
    assert [(b - a) / timedelta(minutes=1) for a, b in zip(times, times[1:])] == gaps


async def test_no_ipn_until_the_status_change_is_confirmed_btc_at_six(api, admin, hook, world):
    """[D] IPNs on every confirmed status change; the docs' sample shows BTC Paid at confirmation "6"."""
    rec = await hook()
    address, paid = await paid_address(api, admin, asset="btc", ref="conf-btc", amount="0.002")
    seen = world.clock.now()
    await admin("/clock/advance", {"by": "55m"})            # 5 blocks: still Pending, nothing sent
    assert rec.requests == []
    _, tx = await api("/usr/wallet/transactionsbytx", {"txid": paid["txid"]})
    assert tx["data"]["status"] == "Pending"
    await admin("/clock/advance", {"by": "10m"})            # the 6th block (minute 60)
    assert len(rec.requests) == 1
    ipn = rec.json(0)
    assert (ipn["status"], ipn["confirmation"], ipn["coin"], ipn["network"]) == ("Paid", "6", "BTC", "testnet")
    _, deliveries = await admin("/deliveries?provider=alt5pay", method="GET")
    first = datetime.fromisoformat(deliveries[0]["attempts"][0]["at"])
    assert first - seen == timedelta(minutes=60)


async def test_pending_ipn_is_a_merchant_setting(api, admin, hook):
    await admin("/providers/alt5pay/merchant", {"ipn_pending": True}, method="PATCH")
    rec = await hook()
    await paid_address(api, admin, asset="btc", ref="pend", amount="0.002")
    assert [rec.json(i)["status"] for i in range(len(rec.requests))] == ["Pending"]
    assert rec.json(0)["confirmation"] == "0"
    await admin("/clock/run", {})
    assert [rec.json(i)["status"] for i in range(len(rec.requests))] == ["Pending", "Paid"]


async def test_every_payment_to_an_address_is_its_own_confirmed_change(api, admin, hook):
    rec = await hook()
    address, _ = await paid_address(api, admin, asset="sol", ref="twice", amount="1")
    await admin("/simulate/alt5pay/pay", {"address": address["address"], "amount": "2"})
    await admin("/clock/run", {})
    assert sorted((rec.json(i)["type"], rec.json(i)["amount"]) for i in range(2)) == [("Payment", 1), ("Reused", 2)]
    assert len(rec.requests) == 2


async def test_no_webhook_url_is_recorded_not_crashed(api, admin, world):
    _, a = await api("/usr/wallet/sol/create", {"ref_id": "nourl"})
    status, _ = await admin("/simulate/alt5pay/pay", {"address": a["data"]["address"], "amount": "0.1"})
    assert status == 200
    await admin("/clock/run", {})
    _, deliveries = await admin("/deliveries?provider=alt5pay", method="GET")
    assert deliveries[0]["attempts"][0]["error"] == "no webhook URL configured"


async def test_verify_webhook_hook(api, admin, hook, world):
    rec = await hook()
    await paid_address(api, admin)
    await admin("/clock/run", {})
    provider = world.providers["alt5pay"]
    merchant = world.backend("alt5pay").merchants[0]
    request = rec.requests[0]
    assert provider.verify_webhook(merchant, request["headers"], request["body"])
    assert not provider.verify_webhook(merchant, request["headers"], request["body"].replace(b"BTC", b"ETH"))
