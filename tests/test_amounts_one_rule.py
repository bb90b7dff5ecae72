"""One amount parser, one rule (core/basics/amounts.py), for every provider's simulation verbs
(issue 23: each simulate module parsed amounts with its own bound, and AlfaBit Pay's `pay` with
`fraction` 1e-30, 1e15, 0.000000001 or `kind: {}` answered 500).

The same hostile amount gets the same 400 and the same words from every provider, and changes
nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest

from fuzzing import relative
from mockserver.core.basics.amounts import MAX_AMOUNT, derived, parse_amount, parse_fraction
from mockserver.core.basics.errors import BadRequest
from test_bad_input_regressions import Unchanged

# provider -> (create call: method, path, body, where the id is), the pay verb and its id key
OBJECTS = {
    "cryptopayment": ("POST", "/cryptopayment/api/v1/invoices", {"network": "trc20", "amount_usd": 50},
                      ("invoice", "id"), "pay", "invoice"),
    "alt5pay": ("POST", "/alt5pay/usr/wallet/eth/create", {"ref_id": "one-rule", "currency": "USD"},
                ("data", "address"), "pay", "address"),
    "alchemypay": ("POST", "/alchemypay/open/api/v4/merchant/order/create",
                   {"fiatCurrency": "USD", "cryptoCurrency": "USDT", "depositType": 2, "network": "TRX",
                    "payWayCode": "10001", "orderType": "6", "amount": "50", "merchantOrderNo": "one-rule"},
                   ("data", "orderNo"), "deposit", "order"),
    "alfabit": ("POST", "/alfabit/api/v1/integration/orders/invoice",
                {"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25"},
                ("data", "uid"), "pay", "order"),
    "alppay": ("POST", "/alppay/v2/payment",
               {"amount": "25.00", "asset": {"short": "USDT", "network": "tron"},
                "customer": {"id": 1, "name": "John", "email": "john@example.com"}, "invoice": "one-rule"},
               ("id",), "pay", "payment"),
}
HOSTILE_AMOUNTS = ["1e30", 9223372036854775808, "1e-30", "0.0000000000000000001", 0, "-1", "NaN",
                   "Infinity", "", "1" * 65, True, {}, [1], "ten"]
RULE = 'amount must be a decimal number more than 0 and at most 1000000000000, e.g. "10.5"'


async def _create(client, world, provider: str) -> str:
    method, path, body, where, _verb, _key = OBJECTS[provider]
    p = world.providers[provider]
    headers, raw = p.client_request(world.backend(provider).merchants[0], method, relative(p, path), body)
    resp = await client.request(method, path, headers=headers, data=raw)
    answer = await resp.json()
    assert resp.status < 300, answer
    for key in where:
        answer = answer[key]
    return answer


@pytest.mark.parametrize("provider", sorted(OBJECTS))
async def test_every_provider_refuses_a_hostile_amount_in_the_same_words(client, world, provider):
    object_id = await _create(client, world, provider)
    *_, verb, key = OBJECTS[provider]
    for amount in HOSTILE_AMOUNTS:
        async with Unchanged(world):
            resp = await client.post(f"/_sandbox/simulate/{provider}/{verb}", json={key: object_id, "amount": amount})
            answer = await resp.json()
        assert resp.status == 400, (amount, answer)
        assert answer["error"]["message"] in (RULE, "amount has more than 18 decimal places"), (amount, answer)
    # a literal no client library prints: 4,301 digits (Python's int-from-text limit) and 1e400
    for literal in (b"9" * 4301, b"1e400"):
        async with Unchanged(world):
            resp = await client.post(f"/_sandbox/simulate/{provider}/{verb}", headers={"Content-Type": "application/json"},
                                     data=b'{"' + key.encode() + b'": "' + object_id.encode() + b'", "amount": ' + literal + b"}")
        assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("params", [{"fraction": "1e-30"}, {"fraction": "1e15"}, {"fraction": "0.000000001"},
                                    {"kind": {}}, {"kind": []}, {"fraction": {}}, {"fraction": 10**400}])
async def test_alfabit_pay_with_a_hostile_fraction_or_kind_is_400_and_changes_nothing(client, world, params):
    """Issue 23's reproducers: each was a 500 (a ValueError from the chain, a TypeError for `{}`)."""
    uid = await _create(client, world, "alfabit")
    async with Unchanged(world):
        resp = await client.post("/_sandbox/simulate/alfabit/pay", json={"order": uid, **params})
        answer = await resp.json()
    assert resp.status == 400, answer
    assert "Decimal" not in answer["error"]["message"] and "Error" not in answer["error"]["message"]


@pytest.mark.parametrize("value", ["10", "10.5", 10, Decimal("0.000000000000000001"), " 7 ", "1e3", 10**12])
def test_the_rule_accepts_plain_positive_amounts(value):
    assert parse_amount(value) == Decimal(str(value).strip())


@pytest.mark.parametrize("value", HOSTILE_AMOUNTS + [10**12 + 1, "1000000000000.1"])
def test_the_rule_refuses_everything_else_with_words_naming_the_field(value):
    with pytest.raises(BadRequest) as caught:
        parse_amount(value, "fiat")
    assert caught.value.message.startswith("fiat ")


def test_a_fraction_is_bounded_and_a_derived_amount_must_not_round_to_nothing():
    assert parse_fraction("1.5") == Decimal("1.5")
    with pytest.raises(BadRequest):
        parse_fraction("1001")
    with pytest.raises(BadRequest, match="rounds to nothing at 2 decimal places"):
        derived(Decimal("0.00"), 2)
    with pytest.raises(BadRequest, match="comes to more than"):
        derived(MAX_AMOUNT * 10, 8)


def test_the_rule_stays_inside_what_the_chain_carries():
    from mockserver.core.chain.transfers import MAX_AMOUNT as CHAIN_MAX
    assert MAX_AMOUNT <= CHAIN_MAX
