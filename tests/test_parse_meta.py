"""Template format of a report: table labels first; with no table read, the cited template notice; else the year."""
from __future__ import annotations

from pathlib import Path

import pytest

from parsers import parse_bytes, parse_file
from parsers.meta import cited_format

PREAMBLE = "根据《中华人民共和国政府信息公开条例》和《关于政府信息公开工作年度报告有关事项的通知》（国办公开办函{cite}）要求编制。"


def _imageless(year: int, cite: str) -> bytes:
    """A report whose tables are images: title, preamble, bare section headings, signature."""
    return (f"某镇人民政府{year}年政府信息公开工作年度报告\n" + PREAMBLE.format(cite=cite) + "\n"
            "一、总体情况\n本年度主动公开政府信息121条。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
            "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n某镇人民政府\n"
            f"{year + 1}年1月20日\n").encode()


@pytest.mark.parametrize("cite,fmt", [
    ("〔2019〕60号", "2019"), ("﹝2019﹞60号", "2019"), ("[2019]60号", "2019"), ("（2019）60 号", "2019"),
    ("【2019】60号", "2019"), ("〔2021〕30号", "2021"), ("［2021］30号", "2021"), ("(2021)30号", "2021"),
])
def test_no_table_the_citation_decides(cite: str, fmt: str) -> None:
    for year in (2020, 2022):  # the year would say 2019 / 2021: the citation overrides it either way
        r = parse_bytes(_imageless(year, cite), "t.txt")
        assert r.metrics == {} and r.meta["format"] == fmt, (cite, year)


def test_no_table_no_citation_keeps_the_year_rule(corpus: Path) -> None:
    assert parse_bytes(_imageless(2020, "〔2019〕61号"), "t.txt").meta["format"] == "2019"
    assert parse_bytes(_imageless(2022, "〔2020〕60号"), "t.txt").meta["format"] == "2021"
    assert parse_file(corpus / "real" / "r046.txt").meta["format"] == "2021"  # images, no citation


def test_tables_decide_over_the_citation(corpus: Path) -> None:
    seed = corpus / "seeds" / "001_ffd771cb2e9c587d.txt"
    assert cited_format(seed.read_text(encoding="utf-8")) == "2019"
    assert parse_file(seed).meta["format"] == "2021"  # cites 〔2019〕60号, prints the 2021 tables


def test_newer_notice_wins_when_both_are_cited() -> None:
    assert cited_format(PREAMBLE.format(cite="〔2019〕60号、国办公开办函〔2021〕30号")) == "2021"
    assert cited_format("国办发〔2019〕6号") is None
