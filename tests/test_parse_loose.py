"""Loose numbers (parsers.loose): a cell pushed out of its row by a PDF-to-text extraction goes back only
where the document confirms its place; change the evidence and the cell stays as the table printed it."""
from __future__ import annotations

from pathlib import Path

from parsers import parse_bytes

HANDLED = "| （七）总计 | 33 | 2 | 0 | 0 | 0 | 0 | 35 |"
LOOSE_ONE = "信息公开申请\n1\n"


def _edited(corpus: Path, name: str, *edits: tuple[str, str]) -> dict:
    """The metrics of real/NAME.txt with each (old, new) edit made once."""
    text = (corpus / "real" / f"{name}.txt").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return parse_bytes(text.encode("utf-8"), f"{name}.txt").metrics


def _kewei(corpus: Path, *edits: tuple[str, str]) -> dict:
    return _edited(corpus, "kewei_2024", *edits)


def test_blank_total_takes_the_loose_number_the_arithmetic_confirms(corpus: Path) -> None:
    m = _kewei(corpus)
    assert m["t3.carried_forward.total"] == 1  # 34 + 2 = 35 + 1, and 1 = 1+0+0+0+0+0
    assert m["t3.carried_forward.natural"] == 1


def test_a_loose_number_after_the_last_row_counts_too(corpus: Path) -> None:
    last = "| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 |  |\n"
    m = _kewei(corpus, (LOOSE_ONE, "信息公开申请\n"), (last, last + "1\n"))
    assert m["t3.carried_forward.total"] == 1


def test_blank_total_stays_blank_when_the_arithmetic_does_not_hold(corpus: Path) -> None:
    m = _kewei(corpus, (HANDLED, HANDLED.replace("35 |", "36 |")))
    assert m["t3.handled_total.total"] == 36
    assert m["t3.carried_forward.total"] is None


def test_blank_total_stays_blank_when_two_loose_numbers_fit(corpus: Path) -> None:
    m = _kewei(corpus, (LOOSE_ONE, LOOSE_ONE + "1\n"))
    assert m["t3.carried_forward.total"] is None


def test_blank_total_stays_blank_without_a_loose_number(corpus: Path) -> None:
    m = _kewei(corpus, (LOOSE_ONE, "信息公开申请\n"))
    assert m["t3.carried_forward.total"] is None


SH_RULES = {"t2.rules.issued": 22, "t2.rules.repealed": 22, "t2.rules.in_force": 235,
            "t2.normative.issued": 34, "t2.normative.repealed": 55, "t2.normative.in_force": 189}


def _shanghai(corpus: Path, *edits: tuple[str, str]) -> dict:
    return _edited(corpus, "shanghai_office_2025", *edits)


def test_short_t2_rows_take_the_loose_numbers_noted_as_repeals(corpus: Path) -> None:
    m = _shanghai(corpus)
    assert {k: m.get(k) for k in SH_RULES} == SH_RULES
    assert m["t2.licensing.decisions"] == 0


def test_short_t2_rows_stay_absent_when_a_note_is_missing(corpus: Path) -> None:
    m = _shanghai(corpus, ("（其中修订 16 件）\n", ""))
    assert not any(k in m for k in SH_RULES), {k: m[k] for k in SH_RULES if k in m}


def test_short_t2_rows_stay_absent_when_the_note_does_not_name_a_repeal(corpus: Path) -> None:
    m = _shanghai(corpus, ("（其中修订 16 件）", "（其中市级 16 件）"), ("（含自然失效 29 件）", "（含区级 29 件）"))
    assert not any(k in m for k in SH_RULES)
