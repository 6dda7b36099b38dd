"""The stress run's wrong values (bench/parse_stress.py), each reproduced by its generated document: a number the
parser places must never be wrong; an ambiguous cell is left out instead."""
from __future__ import annotations

import pytest

from bench_modules import bench_module
from tests import variant_docs as vd

ps = bench_module("parse_stress")

TRUTHS = dict(vd.load_truths())
# (truth, layout, round of the combined run, with the further variant kinds stacked): documents that once came
# back with wrong values
ONCE_WRONG = [
    ("real/r034", "row_blank", 7, False),    # a t4 group row after t4's header was read as (七)总计
    ("real2/n159", "bar_label", 4, False),   # cut off in table 2: the default reading won a tie it should share
    ("real2/n132", "bar_open", 6, False),    # same, a blank opening a row read away
    ("html/pingtan_2024", "bar_open", 9, False),  # t4 in blocks: a row opener read as a cell shifted a group
    ("html/pingtan_2025", "bar_label", 6, True),  # t3 columns in another order, a header typo'd (`业企业`)
    ("seeds/000_112aae350ae12ad4", "bar_open", 7, True),  # `0（空） |` after a blank: a full-width note read as a label
    ("html/pingtan_2019", "cell_lines", 25, True),  # header repeated at a page break: its 其他 read as the row 3.其他
    ("real/r025", "bar_label", 19, True),  # the same with 总计 after a wrapped 法人或其他组织: read as (七)总计
]


def generated(name: str, layout: str, round_: int, kinds: bool = False) -> tuple[str, bytes, str, dict]:
    cases = ps.combined_cases([(name, TRUTHS[name])], rounds=round_ + 1, kinds=kinds)
    return next(c for c in cases if f"[{layout} " in c[0] and c[0].endswith(f"round {round_}]"))


# (truth, layout, the key printed last): cut-off documents of the stress run that once came back wrong
CUT_ONCE_WRONG = [
    ("html/shuyang_fgj_2023", "bar_open", "t4.suit_after_review.other"),  # row openers read as cells of one row
    ("real/r034", "cell_lines_blank", "t4.suit_direct.total"),  # cut in t4's next block header: not closed
]


@pytest.mark.parametrize("name,layout,key", CUT_ONCE_WRONG)
def test_no_wrong_value_when_cut(name: str, layout: str, key: str) -> None:
    case = next(c for c in ps.cut_cases([(name, TRUTHS[name])]) if f"[{layout} " in c[0] and
                c[0].endswith(f"cut after {key}]"))
    outcome = ps.classify(*case)
    assert not outcome.wrong, f"{outcome.case}: {outcome.wrong}"


@pytest.mark.parametrize("name,layout,round_,kinds", ONCE_WRONG)
def test_no_wrong_value(name: str, layout: str, round_: int, kinds: bool) -> None:
    outcome = ps.classify(*generated(name, layout, round_, kinds))
    assert not outcome.wrong, f"{outcome.case}: {outcome.wrong}"


def test_classify_sorts_wrong_and_left_out() -> None:
    """The bench's sorting itself: a changed number is wrong, a missing one left out, a blank for a number wrong."""
    case, data, source, truth = generated("real/r034", "row_blank", 7)
    key = next(k for k, v in truth.items() if v is not None)
    assert ps.classify(case, data, source, {**truth, key: truth[key] + 1}).wrong
    extra = {**truth, "t3.new.total": 5}
    assert "t3.new.total" in ps.classify(case, data, source, extra).left_out
