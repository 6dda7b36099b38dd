"""Template format of a report: table labels first; with no table read, the cited template notice (60号 only up to 2020);
else the year."""
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


@pytest.mark.parametrize("cite", ["〔2021〕30号", "［2021］30号", "(2021)30号"])
def test_no_table_the_2021_notice_decides_in_any_year(cite: str) -> None:
    for year in (2020, 2022):
        r = parse_bytes(_imageless(year, cite), "t.txt")
        assert r.metrics == {} and r.meta["format"] == "2021", (cite, year)


@pytest.mark.parametrize("cite", ["〔2019〕60号", "﹝2019﹞60号", "[2019]60号", "（2019）60 号", "【2019】60号"])
def test_no_table_the_2019_notice_decides_only_up_to_2020(cite: str) -> None:
    """From 2021 on, reports citing 60号 mostly print the 2021 tables (seeds/001): the year rule wins there."""
    for year, fmt in ((2019, "2019"), (2020, "2019"), (2021, "2021"), (2022, "2021"), (2024, "2021")):
        r = parse_bytes(_imageless(year, cite), "t.txt")
        assert r.metrics == {} and r.meta["format"] == fmt, (cite, year)


def test_no_table_both_notices_cited_the_newer_wins() -> None:
    r = parse_bytes(_imageless(2020, "〔2019〕60号、国办公开办函〔2021〕30号"), "t.txt")
    assert r.meta["format"] == "2021"


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


@pytest.mark.parametrize("seed", [1, 3, 7])
def test_replica_truth_of_image_table_reports_is_what_the_page_says(seed: int) -> None:
    """The replica's truth format for a report whose tables are images must be readable from its text."""
    from replica.catalog import Catalog
    from replica.markup import body_html

    catalog = Catalog(seed)
    reports = [e.report for e in catalog.entries() if e.report.carrier == "image"]
    assert any(r.year >= 2021 for r in reports)
    for r in reports:
        page = f"<html><body>{body_html(r, lambda which: f'{which}.png', with_title=True)}</body></html>"
        meta = parse_bytes(page.encode(), f"{r.rid}.html", "text/html").meta
        assert (meta["year"], meta["format"]) == (r.year, r.truth["meta"]["format"]), r.title
