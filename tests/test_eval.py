"""Eval scoring: missing, extra and wrong keys all count as wrong cells."""
from parsers.evaluate import score, summary


def test_union_of_keys_is_scored() -> None:
    truth = {"meta": {"organ": "甲镇", "year": 2021, "format": "2021"}, "metrics": {"a": 1, "b": None, "c": 2}}
    s = score("x", truth, {"organ": "甲镇", "year": 2021, "format": "2019"}, {"a": 1, "b": 0, "d": 5})
    assert (s.cells, s.cells_right, s.meta_right) == (4, 1, 2)
    assert any("missing" in m for m in s.mismatches) and any("extra" in m for m in s.mismatches)
    assert "25.00%" in summary([s], 1.0) and "66.67%" in summary([s], 1.0)


def test_null_is_not_zero() -> None:
    truth = {"meta": {}, "metrics": {"a": None}}
    assert score("x", truth, {}, {"a": 0}).cells_right == 0
    assert score("x", truth, {}, {"a": None}).cells_right == 1
