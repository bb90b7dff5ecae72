"""Step details: expect_state through a provider's `state` simulation, forging signatures."""
import base64
import hashlib
import hmac

from mockserver.providers.cryptopayment import PROVIDER
from mockserver.scenarios.loader import load_text
from mockserver.scenarios.runner import run_all
from mockserver.scenarios.steps import tamper_signature

STATE = """\
scenario: expect_state
provider: cryptopayment
steps:
  - call: POST /invoices
    json: {network: ltc, amount_usd: 80}
    save: {invoice: invoice.id}
  - pay: {invoice: "{invoice}", amount: 0.4}
  - expect_state: {invoice: "{invoice}", json: {status: pending, paid_amount: 0.4}}
  - expect_state: {invoice: "{invoice}", json: {status: confirmed}}
"""


async def test_expect_state_uses_the_state_simulation():
    [result] = await run_all(load_text(STATE, "state.yaml"))
    assert [s.ok for s in result.steps] == [True, True, True, False]
    assert result.steps[2].summary == "-> pending"
    assert "$.status: expected 'confirmed', got 'pending'" in result.steps[3].problem


async def test_expect_state_without_the_simulation_says_so(monkeypatch):
    monkeypatch.delitem(PROVIDER.simulations, "state")
    [result] = await run_all(load_text(STATE, "state.yaml"))
    step = result.failed_step
    assert step.index == 3 and "state simulation answered 404" in step.problem
    assert "has no simulation 'state'" in step.got


def test_tamper_alters_signature_headers_and_fields_only():
    key = b"k"
    body = b'{"event": "payment.confirmed", "amount": 50, "signature": "ab12ff"}'
    sig = hmac.new(key, body, hashlib.sha512).hexdigest()
    headers = {"Content-Type": "application/json", "X-HMAC": sig, "Signature": base64.b64encode(b"x").decode()}
    new_headers, new_body, changed = tamper_signature(headers, body)
    assert changed == ["header X-HMAC", "header Signature", "body field signature"]
    assert new_body == body.replace(b"ab12ff", b"ab12fa")
    assert new_headers["Content-Type"] == "application/json"
    assert new_headers["X-HMAC"] != sig and len(new_headers["X-HMAC"]) == len(sig)
    assert all(c in "0123456789abcdef" for c in new_headers["X-HMAC"])
    # padded base64: the decoded bytes change too, not only the unused bits before the '='
    for raw in (bytes(32), bytes(31), bytes(33), b"\xff" * 32):
        sig64 = base64.b64encode(raw).decode()
        flipped = tamper_signature({"Sign": sig64}, b"")[0]["Sign"]
        assert len(flipped) == len(sig64) and base64.b64decode(flipped) != raw
    assert tamper_signature({"Content-Type": "x"}, b"not json") == ({"Content-Type": "x"}, b"not json", [])
