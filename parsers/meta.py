"""Report meta from text: organ (as the report names itself), covered year, title, date, template format.

Order of evidence for the organ: the title line (page title / first heading) with year and report words
stripped, widened to the body's own full form (`香山乡` → `香山乡人民政府` when the body says so);
then the preamble (`编制完成X2023年…报告`); then the opening of 总体情况 (`2020年七里坪镇…`);
then the signature line above the closing date. A document that never names itself gets None.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

from parsers.cells import nfkc

_YEAR = r"((?:19|20)\d{2})\s*年"
_TITLE_WORDS = re.compile(r"(?:年度报|年报|工作报告|工作年度|年度工作)")
_REPORT_PHRASE = re.compile(
    r"(?:政府|政务)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)?.*$|年度报告.*$|年报.*$|工作报告.*$|年度.*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_NAME = re.compile(r"[^\u4e00-\u9fff]+")
_ORG_SUFFIX = (r"(?:人民政府办公室|人民政府办公厅|人民政府|街道办事处|办事处|管理委员会|管委会|委员会|街道|乡|镇|局|委|办公室|办|署|厅|院|中心)")
_PREAMBLE = re.compile(r"(?:编制完成了?|现公布|现公开|现将|特发布|发布)\s*(?:《)?([\u4e00-\u9fff]{2,30}?)\s*" + _YEAR + r"度?(?:政府)?信息公开")
_OPENING = re.compile(r"^\s*" + _YEAR + r"度?\s*[,，、]?\s*([\u4e00-\u9fff]{2,20}?" + _ORG_SUFFIX + r")(?=[\u4e00-\u9fff])")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")
_DATE_LINE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_GENERIC_START = ("市", "县", "区", "镇", "乡", "省", "州", "旗")
_ADMIN = "省市县区州旗盟"
_SECTION_HEAD = re.compile(r"^(?:[一二三四五六七八九十]{1,2}|\d{1,2})\s*[、.．]|^\([一二三四五六七八九十\d]{1,2}\)")
_QUOTED_TITLE = re.compile(r"《([\u4e00-\u9fff]{2,30}?)(?:政府)?信息公开(?:工作)?\s*" + _YEAR + r"度?(?:工作)?(?:年度)?报告》")
_BREADCRUMB = re.compile(r">|»|当前位置|所在位置|当前页面|首页")
_NOISE_PREFIX = re.compile(r"^(?:page\s*\d+|p\.\s*\d+)", re.I)


_LINE_EDGES = re.compile(r"^[#>*\s•·\-|]+|[*|\s]+$")


def _clean(line: str) -> str:
    line = _LINE_EDGES.sub("", nfkc(line).strip())
    return " ".join(line.split())


def is_report_title(text: str) -> bool:
    """A short line naming one year's report (`X2024年度政府信息公开工作年度报告`), not a column (`信息公开年报`)."""
    line = _clean(text)
    return len(line) <= 70 and bool(re.search(_YEAR, line) and _TITLE_WORDS.search(line))


def title_candidates(text: str, limit: int = 25) -> list[str]:
    """Short early lines that look like a report title (a year and report words)."""
    return list(_title_candidates(text, limit))


@lru_cache(maxsize=4)  # organ, year and title each ask for the same document's candidates
def _title_candidates(text: str, limit: int) -> tuple[str, ...]:
    out = []
    lines = list(islice(filter(None, map(_clean, text.split("\n", 80)[:80])), limit))
    for i, line in enumerate(lines):
        joined = line
        # titles wrapped over two lines: `2024 年上海市科委政府信息公开工作` + `年度报告`
        if i + 1 < len(lines) and len(lines[i + 1]) <= 8 and _TITLE_WORDS.search(lines[i + 1]):
            joined = line + lines[i + 1]
        if _SECTION_HEAD.match(line) or _BREADCRUMB.search(line):
            continue
        if len(joined) <= 70 and re.search(_YEAR, joined) and _TITLE_WORDS.search(joined):
            out.append(joined)
        elif i + 1 < len(lines) and len(line) <= 30 and _CJK.search(line) and not re.search(_YEAR, line) \
                and re.match(_YEAR, lines[i + 1]) and _TITLE_WORDS.search(lines[i + 1]):
            out.append(line + lines[i + 1])  # organ on its own line above `2021年…年度报告`
    return tuple(out)


def organ_from_title(title: str) -> str | None:
    """`沙坡头区香山乡 2021年政府信息公开工作年度报告` → `沙坡头区香山乡`; `2024年上海市科委政府…` → `上海市科委`."""
    t = _clean(title)
    t = re.sub(r"[《》〈〉\"“”]", "", t)
    t = _NOISE_PREFIX.sub("", t)
    m = re.search(_YEAR + r"度?", t)
    if not m:
        return None
    before = re.sub(r"^(?:关于|印发|公布)+|的$", "", _NON_NAME.sub("", t[:m.start()]))
    if before:
        before = _REPORT_PHRASE.sub("", before) or before
        return before if len(before) >= 2 else None
    after = _REPORT_PHRASE.sub("", t[m.end():]).strip()
    after = re.sub(r"^(?:度|报)+", "", _NON_NAME.sub("", after))
    after = _REPORT_PHRASE.sub("", after)
    return after if len(after) >= 2 else None


def widen_organ(organ: str, text: str) -> str:
    """Prefer the fuller form the body uses: `X` → `X人民政府`, a headless `市人民政府办公室` → `天门市人民政府办公室`."""
    if organ.startswith(_GENERIC_START) and len(organ) >= 3:
        for m in re.finditer(r"([\u4e00-\u9fff]{2})" + re.escape(organ), text):
            return m.group(1) + organ
    if organ.endswith(("乡", "镇", "街道", "区", "县", "市")) and "人民政府" not in organ and "办事处" not in organ:
        cuts = [organ] + [organ[i + 1:] for i, ch in enumerate(organ[:-1]) if ch in _ADMIN]
        found = [c + "人民政府" for c in cuts if len(c) >= 2 and c + "人民政府" in text]
        if found:
            # the form the body uses on its own most often; a longer form wins ties
            counts = [text.count(f) for f in found]
            alone = [n - sum(counts[:i]) for i, n in enumerate(counts)]
            return max(zip(alone, (len(f) for f in found), found))[2]
    return organ


def find_organ(text: str, page_title: str | None, meta: dict[str, str]) -> str | None:
    titles = ([page_title] if page_title else []) + title_candidates(text)
    for title in titles:
        organ = organ_from_title(title)
        if organ and not organ.startswith(("我", "本")):
            return widen_organ(organ, text)
    head = nfkc(text[:3000])
    m = _PREAMBLE.search(head)
    if m:
        return widen_organ(m.group(1), text)
    m = _QUOTED_TITLE.search(head)
    if m:
        return m.group(1)
    for key in ("ContentSource", "发布机构", "Author"):
        if meta.get(key) and _CJK.search(meta[key]):
            return meta[key].strip()
    for line in nfkc(text[:6000]).split("\n")[:60]:
        m = _OPENING.match(line)
        if m:
            return m.group(2)
    return _signature(text)


def _signature(text: str) -> str | None:
    lines = [l.strip() for l in nfkc(text[-800:]).split("\n") if l.strip()]
    for i in range(len(lines) - 1, 0, -1):
        if _DATE_LINE.match(lines[i]):
            prev = _NON_NAME.sub("", lines[i - 1])
            if 2 <= len(prev) <= 25 and re.search(_ORG_SUFFIX + "$", prev):
                return prev
            return None
    return None


def find_year(text: str, page_title: str | None, organ_hint: bool = True) -> int | None:
    for title in ([page_title] if page_title else []) + title_candidates(text):
        m = re.search(_YEAR, nfkc(title))
        if m:
            return int(m.group(1))
    head = nfkc(text[:4000])
    m = re.search(_YEAR + r"度?\s*(?:政府)?信息公开(?:工作)?年度报告", head) or \
        re.search(_YEAR + r"度?\s*(?:政府|政务)?信息公开(?:工作|情况)", head) or \
        re.search(r"截[至止]\s*" + _YEAR + r"\s*12\s*月\s*31\s*日", head) or \
        re.search(_YEAR + r"\s*1\s*月\s*1\s*日\s*(?:至|到|—|-)", head) or \
        re.search(r"总体情况\s*\n?[^\n]{0,40}?" + _YEAR, head)
    if m:
        return int(m.group(1))
    return None


def find_date(text: str, meta: dict[str, str]) -> str | None:
    """Signing/publication date as YYYY-MM-DD: the closing date line, else the page's PubDate/发布日期."""
    lines = [l.strip() for l in nfkc(text[-600:]).split("\n") if l.strip()]
    for line in reversed(lines[-4:]):
        m = _DATE_LINE.match(line)
        if m:
            return _iso(m)
    for key in ("PubDate", "pubdate", "发布日期", "publishdate", "firstpublishedtime"):
        if meta.get(key):
            m = _DATE.search(nfkc(meta[key]))
            if m:
                return _iso(m)
    m = re.search(r"(?:发布日期|发布时间|公开日期|成文日期|时间)\s*[:：]?\s*" + _DATE.pattern, nfkc(text[:3000]))
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def _iso(m: re.Match) -> str | None:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def find_title(text: str, page_title: str | None) -> str | None:
    if page_title:
        return _clean(page_title)
    cands = title_candidates(text)
    return cands[0] if cands else None


def _citation(year: int, number: int) -> re.Pattern[str]:
    """`〔2019〕60号` in any bracket pair (NFKC folds ﹝﹞ to 〔〕 and full-width ［］（） to ASCII)."""
    return re.compile(r"[〔\[【〖(]\s*" + str(year) + r"\s*[〕\]】〗)]\s*" + str(number) + r"\s*号")


# the template notices: 国办公开办函〔2021〕30号 (2021 format) supersedes 〔2019〕60号 (2019 format)
_TEMPLATE_NOTICES = (("2021", _citation(2021, 30)), ("2019", _citation(2019, 60)))


def cited_format(text: str) -> str | None:
    """The template a report says it follows, from the notice its preamble cites (the newer one wins)."""
    head = nfkc(text[:6000])
    return next((fmt for fmt, notice in _TEMPLATE_NOTICES if notice.search(head)), None)


def untabled_format(text: str, year: int | None, n_sections: int) -> str:
    """The template of a report whose tables were not read (images, cut off): its citation, else the year.

    〔2021〕30号 always decides. 〔2019〕60号 decides only up to 2020 (or with no year): reports of 2021 on
    keep citing it while printing the 2021 tables (seeds/001), so there the year rule is the better guess.
    """
    cited = cited_format(text)
    if cited == "2021" or (cited == "2019" and (year is None or year <= 2020)):
        return cited
    return year_format(year, n_sections)


def year_format(year: int | None, n_sections: int) -> str:
    """The template in force for the covered year; a yearless report with 3+ template sections is 2019-style."""
    if year is None:
        return "2019" if n_sections >= 3 else "legacy"
    return "legacy" if year <= 2018 else ("2021" if year >= 2021 else "2019")
