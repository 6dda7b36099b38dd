"""Arithmetic checks: they report the numbers involved and never change a value."""
from __future__ import annotations

from pathlib import Path

from parsers import parse_file
from parsers.checks import prose_checks, table_checks


def by_name(checks):
    return {c.name: c for c in checks}


def test_balanced_report_passes(corpus: Path) -> None:
    r = parse_file(corpus / "html" / "pingtan_2025.html")
    assert r.checks and all(c.passed for c in r.checks if c.name.startswith(("t3.", "t4.")))
    c = by_name(r.checks)["t3.balance.total"]
    assert c.values == {"t3.new.total": 154, "t3.carried_over.total": 0, "t3.handled_total.total": 148,
                        "t3.carried_forward.total": 6}


def test_printed_inconsistency_is_reported_not_fixed(corpus: Path) -> None:
    r = parse_file(corpus / "html" / "pingtan_2020.html")
    c = by_name(r.checks)["t3.results.total"]
    assert c.passed is False and c.values["t3.handled_total.total"] == 21
    assert r.metrics["t3.handled_total.total"] == 21  # as printed, though the rows add up to 27


def test_blank_cells_make_checks_unknown() -> None:
    m = {"t4.review.upheld": None, "t4.review.corrected": 0, "t4.review.other": 0, "t4.review.pending": 0,
         "t4.review.total": None}
    c = by_name(table_checks(m))["t4.review"]
    assert c.passed is None and c.values["t4.review.upheld"] is None


def test_row_and_group_sums() -> None:
    m = {f"t3.new.{k}": v for k, v in zip(("natural", "commercial", "research", "social", "legal", "other", "total"),
                                          (1, 2, 0, 0, 0, 0, 4))}
    assert by_name(table_checks(m))["t3.row.new"].passed is False
    m["t3.new.total"] = 3
    assert by_name(table_checks(m))["t3.row.new"].passed is True
    g = {"t4.suit_direct.upheld": 1, "t4.suit_direct.corrected": 0, "t4.suit_direct.other": 0,
         "t4.suit_direct.pending": 1, "t4.suit_direct.total": 2}
    assert by_name(table_checks(g))["t4.suit_direct"].passed is True


def test_prose_against_table() -> None:
    m = {"t3.new.total": 70, "t3.carried_over.total": 5, "t4.review.total": 2}
    checks = by_name(prose_checks("本年度共收到政府信息公开申请75件。发生行政复议2件。", m))
    assert checks["prose.applications"].passed is True  # new + carried over
    assert checks["prose.review"].passed is True
    bad = by_name(prose_checks("共受理政府信息公开申请2件", {"t3.new.total": 3, "t3.carried_over.total": 0}))
    assert bad["prose.applications"].passed is False and bad["prose.applications"].values["prose"] == 2
