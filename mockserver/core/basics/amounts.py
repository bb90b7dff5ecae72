"""Amounts a person types into a simulation verb (pay, deposit, fund, credit...): one parser and
one rule for every provider, so `1e30`, `1e-30`, `9223372036854775808`, `{}` or `true` is the same
400 naming the field on all of them, and nothing a verb computes from an accepted amount can fall
outside what the simulated chains carry.

The rule: a JSON number or a decimal string (64 characters at most), finite, more than 0, at most
`MAX_AMOUNT` (a fraction of an object's amount: at most `MAX_FRACTION`), with at most
`MAX_PLACES` decimal places. An amount a verb derives (a share of an invoice, a conversion) goes
through `derived` once rounded to the asset's places: it must not round to nothing or exceed the
bound. The chain (core/chain) refuses more than 1e15 as its own last line of defence.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import BadRequest

MAX_AMOUNT = Decimal("1e12")     # far beyond any real payment; within the chain's 1e15, and every
                                 # figure derived from it (fiat at any price, fees) stays a finite JSON number
MAX_FRACTION = Decimal("1000")   # a fraction of an object's amount: 1000 times over is overpayment enough
MAX_PLACES = 18                  # wei: the finest unit any simulated coin has
MAX_TEXT = 64                    # characters of a decimal string


def _words(name: str, maximum: Decimal) -> str:
    return f"{name} must be a decimal number more than 0 and at most {maximum:f}, e.g. \"10.5\""


def parse_amount(value: Any, name: str = "amount", *, maximum: Decimal = MAX_AMOUNT,
                 places: int = MAX_PLACES) -> Decimal:
    """`value` as a Decimal under the rule above, else a BadRequest naming `name` and the rule."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise BadRequest(_words(name, maximum))
    if isinstance(value, int):
        # compared as an int: str() of a 4,301-digit integer is itself an error
        if not 0 < value <= maximum:
            raise BadRequest(_words(name, maximum))
        return Decimal(value)
    text = value.strip() if isinstance(value, str) else str(value)
    if not text or len(text) > MAX_TEXT:
        raise BadRequest(_words(name, maximum))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadRequest(_words(name, maximum)) from None
    if not amount.is_finite() or not 0 < amount <= maximum:
        raise BadRequest(_words(name, maximum))
    if amount.as_tuple().exponent < -places:
        raise BadRequest(f"{name} has more than {places} decimal places")
    return amount


def parse_fraction(value: Any, name: str = "fraction") -> Decimal:
    """A share of an object's amount (0.5 = half, 1.5 = half again)."""
    return parse_amount(value, name, maximum=MAX_FRACTION)


def derived(amount: Decimal, places: int, what: str = "the amount") -> Decimal:
    """An amount a verb computed, rounded to `places` already: positive and within the bound."""
    if amount <= 0:
        raise BadRequest(f"{what} rounds to nothing at {places} decimal places")
    if amount > MAX_AMOUNT:
        raise BadRequest(f"{what} comes to more than {MAX_AMOUNT:f}")
    return amount
