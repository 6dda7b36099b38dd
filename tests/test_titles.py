"""One report-title rule (parsers.titles) for the crawl's listing filter and the parser.

The accepted titles are real ones, collected from ../shared (corpus pages and truths, notes/cms-patterns.md,
notes/ecosystem.md) and from issue 15 (`X2013年信息公开年度报告` without 政府); the rejected ones are items real
年报 columns file beside the reports (the replica's NON_REPORTS are taken from such columns)."""
from __future__ import annotations

import json

import pytest

from crawler.pages import is_report_title as listing_filter
from replica.sites.generic import NON_REPORTS
from parsers.evaluate import labelled_inputs
from parsers.meta import title_candidates
from parsers.titles import is_report_title, title_year
from tests.conftest import CORPUS

REAL_TITLES = [
    "XX区2024年政府信息公开工作年度报告",  # notes/cms-patterns.md
    "XX县2024年度政府信息公开工作年度报告",
    "XX市人民政府办公室2023年政府信息公开工作年度报告",  # notes/ecosystem.md
    "平潭综合实验区 2019年 政府信息公开工作年度报告",  # corpus/html
    "沭阳县发展和改革局2023年政府信息公开年度报告",
    "桃园开发区管委会2023年信息公开工作年度报告",  # corpus/real2
    "牛塘镇2021年信息公开年度报告",
    "会仪镇人民政府2021年信息公开年度报告",
    "竹泓镇2025政府信息公开工作年度报告",  # the 年 after the year left out
    "三明市卫生健康委员会关于2025年政府信息公开工作年度报告",
    "金东区市场监督管理局2018年度政府信息公开工作报告",  # corpus/real
    "2024 年上海市科委政府信息公开工作年度报告",
    "2020年报_审计局",
    "临北回族乡信息公开2018年度工作报告",
    "X2013年信息公开年度报告",  # issue 15
    "XX县 2023 年度政务公开工作年报",
    "XX县关于2021年度政府信息公开情况的报告",
    "二〇二二年政府信息公开工作年度报告",
    "某镇二〇一九年度政府信息公开工作年度报告",
]
NOT_REPORTS = [title for _, _, title in NON_REPORTS] + [
    "关于做好2022年度政府信息公开工作年度报告编制发布工作的通知",
    "黄龙县人民政府办公室关于做好2023年度政府信息公开工作年度报告编制工作的通知",
    "《XX县2022年政府信息公开工作年度报告》解读",
    "图解：XX县2022年政府信息公开工作年度报告",
    "XX县召开2023年度政务公开工作会议",
    "2023年政务公开工作要点",
    "XX县2022年部门预算公开",
    "2019年度成山镇政府信息公开情况统计表",
    "政府信息公开年报",  # a column, not one year's report
    "信息公开年报",
    "乡镇政府信息公开年度报告",
    "",
]


def _corpus_titles() -> list[str]:
    """Every title line the parser finds in a labelled corpus document (each of them is a report)."""
    if not CORPUS.is_dir():
        return []
    out = []
    for path, _ in labelled_inputs([CORPUS / d for d in ("seeds", "real", "real2")]):
        out += [t for t in title_candidates(path.read_text(encoding="utf-8")) if "年度报告" in t or "年报" in t]
    assert not [t for t in out if "。" in t or "，" in t], "title lines are never sentences"
    return sorted(set(out))


@pytest.mark.parametrize("title", REAL_TITLES)
def test_real_titles_are_report_titles(title: str) -> None:
    assert is_report_title(title)
    assert listing_filter(title), "the crawl's filter is the same rule"


@pytest.mark.parametrize("title", NOT_REPORTS)
def test_notices_points_news_and_columns_are_not(title: str) -> None:
    assert not is_report_title(title)
    assert not listing_filter(title)


def test_every_corpus_title_line_naming_a_report_passes() -> None:
    titles = _corpus_titles()
    assert len(titles) >= 25
    assert [t for t in titles if not is_report_title(t)] == []


def test_corpus_truth_years_match_their_titles() -> None:
    for path, truth in labelled_inputs([CORPUS / "real2"]) if CORPUS.is_dir() else []:
        year = json.loads(truth.read_text(encoding="utf-8"))["meta"]["year"]
        for t in title_candidates(path.read_text(encoding="utf-8"))[:1]:
            if is_report_title(t):
                assert title_year(t) == year, (path.name, t)


def test_chinese_numeral_years() -> None:
    assert title_year("二〇二二年政府信息公开工作年度报告") == 2022
    assert title_year("某镇二零一九年度政府信息公开工作年度报告") == 2019
    assert title_year("政府信息公开年报") is None
