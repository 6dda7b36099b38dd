"""One vocabulary for what a report's title looks like, shared by the listing filter and the parser.

Why one: the crawl decides from a link's title whether to fetch it, the parser decides from the same
kind of line whether a page names itself as a report and where its organ's name stands. Two rules drift
(`X2013年信息公开年度报告` without 政府 was dropped by the crawl and read by the parser).

A report title names one covered year (Arabic or Chinese numerals: `二〇二二年`) and a disclosure report
(`政府信息公开工作年度报告`, `信息公开年度报告`, `政务公开工作年度报告`, `…情况的报告`, `年报`); notices
about compiling reports, 工作要点, interpretations, news and other column items are not reports.
"""
from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})(?=\s*年)")
YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|(?=(?:度|政府|政务|信息公开)))")
# The report phrase: a disclosure report (信息公开 / 政务公开 … 报告|年报), or `YYYY年(度)报告|年报` on its own.
_PHRASE = re.compile(
    r"(?:信息公开|政务公开|政府公开)[^，。,;；]{0,12}?(?:年度报告|年报|工作报告|情况的?报告|年度工作报告|报告)"
    r"|(?:19|20)\d{2}\s*年度?\s*(?:年度)?(?:报告|年报)"
    r"|年报")
# Items a 年报 column also lists, and notices about reports: never a report themselves.
_NOT_REPORT = re.compile(
    r"要点|通知|的函|意见|方案|计划|考核|评估|评议|测评|目录|指南|制度|报送|征集|公示|解读|图解|编制|做好|印发|转发|"
    r"检查|督查|排名|通报|培训|会议|召开|部署|发布会|新闻|答记者|预算|决算|总结|规划|非年报|统计表$")
_MAX_LEN = 90


def normalise(title: str) -> str:
    """NFKC, no whitespace, Chinese-numeral years as digits (`二〇二二年` → `2022年`)."""
    t = "".join(unicodedata.normalize("NFKC", title or "").split())
    return _CN_YEAR.sub(lambda m: m.group(1).translate(_CN_DIGITS), t)


def title_year(title: str) -> int | None:
    """The covered year a title names (the first one), or None."""
    m = YEAR.search(normalise(title))
    return int(m.group(1)) if m else None


def is_report_title(title: str) -> bool:
    """Does a link, page or heading title name one year's disclosure report (any unit)?"""
    t = normalise(title)
    if not t or len(t) > _MAX_LEN or not YEAR.search(t):
        return False
    return bool(_PHRASE.search(t)) and not _NOT_REPORT.search(t)
