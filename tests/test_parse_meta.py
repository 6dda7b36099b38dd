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


# --- year and organ rules (issue 10, failure classes 4 and 5) ----------------------------------------

from parsers.meta import find_year, is_body_name  # noqa: E402

PROSE = "一、总体情况\n本年度主动公开政府信息121条，其中政策文件12件。\n二、主动公开政府信息情况\n全年通过门户网站发布信息86条。\n"


def test_year_the_statistics_period_beats_a_stale_quoted_title() -> None:
    """A preamble copied from last year (`编制了《X2020年…》`) with this year's statistics period (n009)."""
    text = ("根据《中华人民共和国政府信息公开条例》，我镇认真编制了《某镇2020年政府信息公开工作年度报告》。"
            "所列数据的统计期限自2021年1月1日起至12月31日止。如有疑问，请与某县某镇人民政府联系。\n" + PROSE)
    meta = parse_bytes(text.encode(), "t.txt").meta
    assert (meta["organ"], meta["year"], meta["format"]) == ("某县某镇人民政府", 2021, "2021")


def test_year_from_the_opening_never_from_the_publication_date() -> None:
    text = "发布时间：2025-01-10\n一、总体情况\n（一）主动公开政府信息情况\n2024年，某街道办事处扎实推进政府信息公开工作。\n" + PROSE
    assert find_year(text, None) == 2024
    meta = parse_bytes(("发布时间：2025-01-10\n" + PROSE).encode(), "t.txt").meta
    assert meta["year"] is None  # the publication date is not the covered year


def test_a_2019_report_in_the_old_free_prose_outline_is_legacy() -> None:
    text = ("某乡2019年政府信息公开工作年度报告\n本报告由概述、主动公开政府信息情况、依申请公开政府信息情况、"
            "政府信息公开的收费及减免情况、存在的主要问题及改进措施等部分组成。\n一、概述\n2019年，某乡继续推进政府信息公开。\n"
            "二、主动公开政府信息情况\n全年主动公开信息52条。\n")
    assert parse_bytes(text.encode(), "t.txt").meta["format"] == "legacy"
    cited = text.replace("本报告由", "根据国办公开办函〔2019〕60号要求，本报告由")
    assert parse_bytes(cited.encode(), "t.txt").meta["format"] == "2019"


def test_hints_name_a_title_less_page_and_the_api_stays_compatible() -> None:
    data = ("根据《中华人民共和国政府信息公开条例》编制本报告。\n" + PROSE).encode()
    assert parse_bytes(data, "t.txt").meta["organ"] is None
    hinted = parse_bytes(data, "t.txt", hints={"listing_title": "某县水利局2023年政府信息公开工作年度报告"}).meta
    assert (hinted["organ"], hinted["year"]) == ("某县水利局", 2023)
    assert parse_bytes(data, "t.txt", None, None).meta["organ"] is None


def test_the_raw_html_title_is_a_candidate_when_the_page_has_no_other() -> None:
    page = ("<html><head><title>某县水利局2023年政府信息公开工作年度报告 - 某县人民政府</title>"
            '<meta name="ArticleTitle" content="年度报告"></head><body><p>根据《中华人民共和国政府信息公开条例》编制本报告。</p>'
            + "".join(f"<p>{line}</p>" for line in PROSE.split("\n")) + "</body></html>")
    meta = parse_bytes(page.encode(), "p.html", "text/html").meta
    assert (meta["organ"], meta["year"]) == ("某县水利局", 2023)


@pytest.mark.parametrize("name", ["香山乡人民政府", "梅溪湖街道办事处", "宝力根花苏木", "丰泽区卫健局", "桃园开发区管委会",
                                  "上海市", "三明市卫生健康委员会", "某市财政局(某区管委会)", "沭阳县发展和改革局",
                                  "全椒县人民政府", "本溪市财政局", "和平区人民政府", "向阳区", "个旧市", "共青城市", "贵阳市教育局"])
def test_body_names(name: str) -> None:
    assert is_body_name(name)


@pytest.mark.parametrize("name", ["我乡", "我局", "我单位", "在某县人民政府", "我区持续健全依申请公开办", "名称某街道办事处",
                                  "字体大中小打印", "来源某县人民政府", "发布机构某镇", "人民政府", "乡", "全镇", "当前位置首页",
                                  "某局紧紧围绕县委", "某县人民政府网站", "索引号组配分类", "某局(", "政府信息公开领导小组办公室"])
def test_not_body_names(name: str) -> None:
    assert not is_body_name(name)


@pytest.mark.parametrize("title", ["某县人民政府-某县某镇2022年政府信息公开工作年度报告",
                                   "某县某镇2022年政府信息公开工作年度报告_某县人民政府",
                                   "某县人民政府 | 政府信息公开年报 | 某县某镇2022年政府信息公开工作年度报告",
                                   "某县某镇2022年政府信息公开工作年度报告 - 政府信息公开年报 - 某县人民政府"])
def test_the_report_part_of_a_page_title_is_the_title(title: str) -> None:
    """The site's and the column's names stand before or after the report's in <title>, in any order."""
    body = "<p>根据《中华人民共和国政府信息公开条例》编制本报告。</p>" + "".join(f"<p>{l}</p>" for l in PROSE.split("\n"))
    meta = parse_bytes(f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode(), "p.html",
                       "text/html").meta
    assert (meta["organ"], meta["year"], meta["title"]) == ("某县某镇", 2022, "某县某镇2022年政府信息公开工作年度报告")


def test_the_documents_own_title_outranks_a_hint() -> None:
    data = ("某县某镇2023年政府信息公开工作年度报告\n根据《中华人民共和国政府信息公开条例》编制本报告。\n" + PROSE).encode()
    meta = parse_bytes(data, "t.txt", hints={"listing_title": "某县人民政府2022年政府信息公开工作年度报告"}).meta
    assert (meta["organ"], meta["year"]) == ("某县某镇", 2023)


@pytest.mark.parametrize("title,organ", [
    ("2022年度某县人民政府信息公开年度报告", "某县人民政府"),
    ("2022年某县人民政府政府信息公开工作年度报告", "某县人民政府"),
    ("某镇人民政府信息公开2018年度工作报告", "某镇人民政府"),
    ("三明市卫生健康委员会关于2025年政府信息公开工作年度报告", "三明市卫生健康委员会"),
    ("信息名称：牛塘镇2021年信息公开年度报告", "牛塘镇"),
])
def test_organ_from_title(title: str, organ: str) -> None:
    from parsers.meta import organ_from_title

    assert organ_from_title(title) == organ


def test_the_publishing_office_never_names_a_report_alone() -> None:
    """发布机构 is often the county office that posts a township's report: it only completes a name."""
    text = "索引号：11/2023-1\n发布机构：某县人民政府办公室\n根据《中华人民共和国政府信息公开条例》编制本报告。\n" + PROSE
    assert parse_bytes(text.encode(), "t.txt").meta["organ"] is None
    text = "发布机构：某县某镇人民政府\n某县某镇2022年政府信息公开工作年度报告\n" + PROSE
    assert parse_bytes(text.encode(), "t.txt").meta["organ"] == "某县某镇人民政府"
