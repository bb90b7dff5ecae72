"""Partial JSON matching, paths and interpolation."""
import pytest

from mockserver.scenarios.matching import UnknownVariable, get_path, interpolate, match


def test_partial_mapping_and_decimal_numbers():
    actual = {"invoice": {"status": "pending", "paid_amount": "20.00", "amount": 50.0, "x": 1}}
    assert match({"invoice": {"status": "pending", "paid_amount": 20, "amount": 50}}, actual) == []
    problems = match({"invoice": {"status": "confirmed", "missing": 1}}, actual)
    assert problems == ["$.invoice.status: expected 'confirmed', got 'pending'",
                        "$.invoice.missing: missing (expected 1)"]
    assert match(True, 1) and match(1, True) and match("1", 1) and match(None, 0)


def test_lists_and_operators():
    actual = {"items": [{"a": 1}, {"a": 2}], "addr": "TXabc", "n": 5, "s": None}
    assert match({"items": [{"a": 1}, {}]}, actual) == []
    assert match({"items": [{"a": 1}]}, actual)
    ok = {"items": {"$len": 2}, "addr": {"$regex": "^TX"}, "n": {"$gt": 4}, "s": {"$type": "null"},
          "gone": {"$exists": False}, "n2": {"$exists": False}}
    assert match(ok, actual) == []
    assert match({"items": {"$contains": {"a": 2}}, "addr": {"$contains": "abc"},
                  "n": {"$any": [1, 5]}, "addr2": {"$exists": False}}, actual) == []
    assert match({"n": {"$lte": 4}}, actual) == ["$.n: expected lte 4, got 5"]
    assert match({"n": {"$ne": 5}}, actual)
    assert match({"n": {"$frob": 1}}, actual)[0].startswith("$.n: unknown operator")


def test_get_path():
    data = {"invoice": {"id": "x", "list": [{"t": 1}]}}
    assert get_path(data, "invoice.id") == "x"
    assert get_path(data, "invoice.list.0.t") == 1
    with pytest.raises(KeyError, match="no 'nope' in invoice"):
        get_path(data, "invoice.nope")
    with pytest.raises(KeyError, match="has 1 items"):
        get_path(data, "invoice.list.3")


def test_interpolate_keeps_types_and_escapes():
    saved = {"inv": "abc", "amount": 20.5}
    assert interpolate({"invoice": "{inv}", "amount": "{amount}"}, saved) == {"invoice": "abc", "amount": 20.5}
    assert interpolate("GET /invoices/{inv}?x={amount}", saved) == "GET /invoices/abc?x=20.5"
    assert interpolate("{{literal}} [a-z]{33}", saved) == "{literal} [a-z]{33}"
    with pytest.raises(UnknownVariable, match="never saved"):
        interpolate(["{other}"], saved)
