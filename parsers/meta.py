"""Report meta from text: organ (as the report names itself), covered year, title, date, template format.

The organ is chosen from a small set of scored candidates, one per place a name can stand:
  rank 0  titles: crawl hints (listing title, page <title>), the page's own title, title lines of the
          text (with the name on its own line above `2022年…年度报告` joined), and preamble phrases that
          name the report with its year (`现公布X2022年…年度报告`, `编制了《X2024年…》`, `涵盖了X2020年…`,
          `由X编制`);
  rank 1  the body's own sentences: the opening `2022年,X坚持…`, `全文包括X信息公开…`, the contact line
          `请与X办公室联系` (the office stripped), the signature above the closing date;
  rank 2  a self-reference (`我局`) resolved by the one quoted name of that kind (`“X县自然资源局”`);
  rank 3  the 发布机构 field, which only completes a name (it often names the office posting the page).
Every candidate must look like a body's name (gazetteer-free: it ends in a body suffix, carries no
chrome, is not a self-reference, a clause or a preposition phrase). The best-ranked candidate wins; a
candidate of the same report that only adds a place in front (`昌荣镇` → `兴化市昌荣镇`) or, from a title
phrase or the 发布机构 field, the body word after it (`梅溪湖街道` → `梅溪湖街道办事处`) completes it.
A title phrase naming a year other than the report's (a preamble copied from last year) is dropped.
No candidate passes: organ None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from parsers.cells import nfkc
from parsers.titles import is_report_title, normalise as normalise_title, title_year

__all__ = ["cited_format", "find_date", "find_organ", "find_title", "find_year", "is_body_name", "is_report_title",
           "organ_from_title", "title_candidates", "untabled_format", "year_format"]

_YEAR = r"((?:19|20)\d{2})\s*年"
_TITLE_WORDS = re.compile(r"(?:年度报|年报|工作报告|工作年度|年度工作|情况的?报告)")
_REPORT_PHRASE = re.compile(
    r"(?:政府|政务)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)?.*$|年度报告.*$|年报.*$|工作报告.*$|年度.*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_NAME = re.compile(r"[^\u4e00-\u9fff()]+")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")
_DATE_LINE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_GENERIC_START = tuple("省市县区州旗盟镇乡")
_SECTION_HEAD = re.compile(r"^(?:[一二三四五六七八九十]{1,2}|\d{1,2})\s*[、.．]|^\([一二三四五六七八九十\d]{1,2}\)")
_NOISE_PREFIX = re.compile(r"^(?:page\s*\d+|p\.\s*\d+)", re.I)
_LINE_EDGES = re.compile(r"^[#>*\s•·\-|]+|[*|\s]+$")
# metadata labels glued to a title (`信息名称:X…`, `标题X…`, `内容概述:…`)
_LABEL_PREFIX = re.compile(r"^(?:信息名称|文件名称|标题|名称|题名|内容概述)\s*[:：]?\s*")

# --- what a body's name looks like ------------------------------------------------------------------
_SUFFIXES = ("人民政府办公室", "人民政府办公厅", "人民政府", "政府办公室", "政府", "街道办事处", "办事处", "街道",
             "管理委员会", "管委会", "委员会", "办公室", "办公厅", "开发区", "园区", "实验区", "示范区", "新区", "风景区",
             "苏木", "乡", "镇", "局", "委", "办", "署", "厅", "院", "中心", "市", "县", "区", "旗", "盟", "州", "省")
_SUFFIX_RE = "(?:" + "|".join(_SUFFIXES) + ")"
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff()]{2,40}")
# a name never opens with a self-reference, a determiner or a preposition (`我乡`, `全镇`, `在X县人民政府`)
# (only words no place name begins with: 全椒县, 本溪市, 贵阳市, 如东县, 即墨区, 和平区, 向阳区, 从化区 are names)
_BAD_START = re.compile(r"^(?:我|该|此|其|在|对|由|按|据|根据|关于|为|把|与|及|并|以|是|现|请|上级|下级|有关|相关|所属|"
                        r"直属|省市|市县|县区|区县|乡镇|镇村|村|[全本各](?:县|市|区|乡|镇|旗|街道|单位|局|委|部门|机关|年))")
# chrome, metadata labels and clause words: a line or phrase holding one is not a bare name
_BAD_WORD = re.compile(
    r"公开|报告|年度|情况|字体|打印|位置|首页|来源|发布|浏览|点击|索引|分类|名称|标题|日期|时间|关于|通知|联系|电话|地址|"
    r"网站|网址|领导小组|负责|认真|坚持|持续|健全|推进|推动|加强|深入|贯彻|落实|按照|严格|积极|进一步|依申请|主动|统计|"
    r"围绕|紧紧|立足|聚焦|结合|注重|着力|不断|扎实|全面|切实|高度|重视|"
    r"的|了|着|是|在|全年|编制|成立|开展|要求|规定|条例|工作的|登录|注册|无障碍|繁體|智能|问答")
_SELF_REF = re.compile(r"我(乡|镇|街道|苏木|局|委|办|署|厅|院|中心|区|县|市|旗|单位|部门|公司|馆|站|所|队)")


def is_body_name(name: str) -> bool:
    """Gazetteer-free: 2–40 characters of Chinese (brackets kept) ending in a body suffix, with no chrome,
    self-reference, clause word or opening preposition."""
    base = re.sub(r"\([^()]{2,20}\)$", "", name)  # `X局(Y管委会)`: the suffix stands before the bracket
    return bool(_NAME_CHARS.fullmatch(name) and base.endswith(_SUFFIXES) and not _BAD_START.match(name)
                and not _BAD_WORD.search(name) and name.count("(") == name.count(")")
                and len(base) > max(len(s) for s in _SUFFIXES if base.endswith(s)))


def _headless(name: str) -> bool:
    """`市人民政府办公室`, `区集体经济发展服务署`: the place is missing in front."""
    return name.startswith(_GENERIC_START)


def _clean(line: str) -> str:
    line = _LINE_EDGES.sub("", nfkc(line).strip())
    return " ".join(line.split())


# --- titles -----------------------------------------------------------------------------------------

def title_candidates(text: str, limit: int = 25) -> list[str]:
    """Short early lines that look like a report title (a year and report words)."""
    return list(_title_candidates(text, limit))


@lru_cache(maxsize=4)  # organ, year and title each ask for the same document's candidates
def _title_candidates(text: str, limit: int) -> tuple[str, ...]:
    out = []
    head = nfkc("\n".join(text.split("\n", 80)[:80]))  # once for the head, not once per line
    lines = list(islice(filter(None, (" ".join(_LINE_EDGES.sub("", l.strip()).split()) for l in head.split("\n"))),
                        limit))
    lines = [_LABEL_PREFIX.sub("", normalise_title(l)) if _LABEL_PREFIX.match(l) else l for l in lines]
    lines = [_cut_chrome_tail(l) for l in lines]
    for i, line in enumerate(lines):
        joined = line
        # titles wrapped over two lines: `2024 年上海市科委政府信息公开工作` + `年度报告`
        if i + 1 < len(lines) and len(lines[i + 1]) <= 8 and _TITLE_WORDS.search(lines[i + 1]):
            joined = line + lines[i + 1]
        if _SECTION_HEAD.match(line) or _chrome_line(line) or _SENTENCE.search(line):
            continue
        if len(joined) <= 70 and re.search(_YEAR, joined) and _TITLE_WORDS.search(joined):
            if i and _cut_inside_a_suffix(lines[i - 1], joined):
                joined = lines[i - 1] + joined  # `…管理委` + `员会市场监督管理局2021年…`: one name over two lines
            out.append(joined)
        elif i + 1 < len(lines) and len(line) <= 30 and _CJK.search(line) and not re.search(_YEAR, line) \
                and re.match(_YEAR, lines[i + 1]) and _TITLE_WORDS.search(lines[i + 1]):
            out.append(line + lines[i + 1])  # organ on its own line above `2021年…年度报告`
    return tuple(out)


def _cut_inside_a_suffix(prev: str, line: str) -> bool:
    """Does a line break fall inside a body word (`管理委` / `员会…`) between a short name line and a title?"""
    if len(prev) > 30 or not _NAME_CHARS.fullmatch(prev) or re.search(_YEAR, prev) or _chrome_line(prev):
        return False
    return any(prev.endswith(w[:k]) and line.startswith(w[k:]) for w in _SUFFIXES if len(w) > 1
               for k in range(1, len(w)))


_SENTENCE = re.compile(r"[。，,；;！？]")  # a title is not a sentence: `…现公开X2024年…年度报告。` is the preamble's
_CHROME = re.compile(r">|»|当前位置|所在位置|当前页面|首页|字体|字号|打印|来源|发布时间|发布日期|浏览次数|点击数|"
                     r"索引号|组配分类|主题分类|发布机构|分享|关闭窗口|扫一扫")


_CHROME_TAIL = re.compile(r"\s*(?:[【\[(]?\s*(?:发布时间|发布日期|日期|时间|来源|信息来源|浏览次数|点击数|阅读次数|字体|字号|打印|分享)"
                          r"\s*[:：】\]]|【字体)")


def _cut_chrome_tail(line: str) -> str:
    """`X镇2022年…年度报告 发布时间：2023-01-10 来源：…`: the title without the toolbar printed after it."""
    m = _CHROME_TAIL.search(line)
    return line[:m.start()] if m and m.start() >= 6 else line


def _chrome_line(line: str) -> bool:
    return bool(_CHROME.search(line))


def organ_from_title(title: str) -> str | None:
    """`沙坡头区香山乡 2021年政府信息公开工作年度报告` → `沙坡头区香山乡`; `2024年上海市科委政府…` → `上海市科委`."""
    t = _LABEL_PREFIX.sub("", normalise_title(_clean(title)))
    t = re.sub(r"[《》〈〉\"“”]", "", t)
    t = _NOISE_PREFIX.sub("", t)
    m = re.search(r"((?:19|20)\d{2})(?:年|(?=政府|政务|信息))度?", t)
    if not m:
        return None
    before = re.sub(r"^(?:关于|印发|公布)+|(?:关于|的)+$", "", _NON_NAME.sub("", t[:m.start()]))
    if before:
        before = _strip_report_phrase(before) or before
        return before if len(before) >= 2 else None
    after = re.sub(r"^(?:度|报)+", "", _NON_NAME.sub("", t[m.end():]))
    after = _strip_report_phrase(after)
    return after if len(after) >= 2 else None


def _strip_report_phrase(name: str) -> str:
    """The report words cut off a name; `X人民政府信息公开…` keeps its 人民政府 (the 政府 is the name's)."""
    cut = _REPORT_PHRASE.sub("", name)
    return cut + "政府" if cut.endswith("人民") and name.startswith(cut + "政府") else cut


# --- candidates -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One place the document names a body: its name, rank (0 = a title), where, and the year it goes with."""

    name: str
    rank: int
    place: str
    year: int | None = None


# a report named with its year in the preamble: `现公布X2022年…年度报告`, `《X2024年…》`, `涵盖了X2020年…工作情况`
_NAMED_REPORT = re.compile(_YEAR + r"度?\s*(?:政府|政务)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:工作)?(?:报告|年报|情况)")
_QUOTED_OLD_TITLE = re.compile(r"《([\u4e00-\u9fff()]{2,30}?)(?:政府)?信息公开(?:工作)?\s*" + _YEAR
                               + r"度?(?:工作)?(?:年度)?报告》")
_LEAD_IN = re.compile(r"^.*(?:现公布|现发布|予以公布|公布|发布|编制完成了?|编制了?|制作了?|涵盖了?|现公开|公开了?|现将|特将|"
                      r"将|形成了?|包括了?|撰写了?|附|完成了?|是|为)")
_AUTHORED = re.compile(r"由\s*([\u4e00-\u9fff()]{2,40}?)\s*(?:负责)?(?:组织)?(?:编制|编写|制作|撰写)")
_CONTACT = re.compile(r"(?:请与|请直接与|请联系|联系人?[:：]?|咨询)\s*([\u4e00-\u9fff()]{2,40}?)\s*(?:联系|[(,，。;；:：]|电话|地址)")
_BODY_OF = re.compile(r"(?:全文包括|包括|涵盖|成立)\s*([\u4e00-\u9fff()]{2,40}?)(?:信息公开|政务公开)")
# `在认真总结2020年X镇政府信息公开工作的基础上`: the year, then the body's name, then its disclosure work
_YEAR_THEN_NAME = re.compile(_YEAR + r"度?\s*([\u4e00-\u9fff()]{2,40}?)(?:信息公开|政务公开)工作")
_OPENING = re.compile(r"^\s*(?:[(（][一二三四五六七八九十]{1,2}[)）]\s*)?" + _YEAR + r"(?!\s*\d)度?(?:以来)?\s*[,，、]?\s*"
                      r"([\u4e00-\u9fff()]{2,40})")
# what follows a body's name in an opening sentence: a verb, a preposition or the words for its disclosure work
_AFTER_NAME = re.compile(r"(?:坚持|认真|严格|继续|高度|全面|深入|扎实|进一步|积极|按照|围绕|持续|不断|主动|通过|"
                         r"贯彻|紧紧|紧扣|紧密|紧跟|始终|切实|根据|依据|依照|聚焦|立足|着力|大力|强化|加强|加大|结合|深化|牢固|"
                         r"精心|坚决|重点|不折不扣|各项|累计|全年|坚定|秉持|遵循|注重|抓好|推进|推动|开展|全力|充分|高效|"
                         r"政府信息公开|政务公开|信息公开|共计|收到|及时|稳步|有序|狠抓|本着|以习近平|在上级|在区|在县|在市|"
                         r"[,，。、;；:：])")
_AFTER_CHAR = re.compile(r"[以在对把将于的共未无]")
_SUB_OFFICE = re.compile(r"(?:党政[\u4e00-\u9fff]{0,5}?|综合|行政|政务公开|信息公开)?办(?:公室)?$")
_PUBLISHER = re.compile(r"发布机构\s*[:：]?\s*([\u4e00-\u9fff()]{2,40})?")
_QUOTED_NAME = re.compile(r"[“\"]([\u4e00-\u9fff()]{3,30})[”\"]")


def _cited(text: str, pos: int) -> bool:
    """Is `pos` inside a 《…》 citation?"""
    return text.rfind("《", 0, pos) > text.rfind("》", 0, pos)


def _strip_sub_office(name: str) -> str:
    """`X镇人民政府党政办公室` → `X镇人民政府`, `X局办公室` → `X局`: a contact line names the office that
    answers, the report is its body's (a government's report gives its 办公室 as the contact)."""
    for m in _SUB_OFFICE.finditer(name):
        for start in sorted({m.start(), m.end() - (3 if name.endswith("办公室") else 1)}):
            rest = name[:start]
            if start >= 2 and is_body_name(rest) and not rest.endswith("办"):
                return rest
    return name


def _name_before(run: str) -> str:
    """The body's name at the end of the words before a year: the lead-in (`现公布`, `编制了《`) cut off."""
    run = _LEAD_IN.sub("", run)
    run = re.sub(r"^(?:我[\u4e00-\u9fff]{1,2}?(?=[\u4e00-\u9fff]{2}))?", "", run) if _SELF_REF.match(run) else run
    return run


def _opening_name(rest: str) -> str | None:
    """The name at the head of `rest`: the shortest one a verb phrase or punctuation follows (`X局` of
    `X局紧紧围绕县委…`), else the longest one a single-character word follows (`X镇以…`)."""
    names = []
    for m in re.finditer(_SUFFIX_RE, rest[:42]):
        name, after = rest[:m.end()], rest[m.end():]
        if name.endswith("政府") and not name.endswith("人民政府") and after.startswith("信息公开"):
            continue  # `X乡政府信息公开工作`: the name is X乡
        if is_body_name(name):
            names.append((name, after))
    strong = [n for n, after in names if not after or _AFTER_NAME.match(after)]
    if strong:
        return strong[0]
    weak = [n for n, after in names if _AFTER_CHAR.match(after)]
    return weak[-1] if weak else None


def organ_candidates(text: str, titles: list[str], meta: dict[str, str]) -> list[Candidate]:
    """Every candidate name of the document, best rank first, in document order within a rank."""
    out: list[Candidate] = []
    for title in titles:
        name = organ_from_title(title)
        if name and is_body_name(name):
            out.append(Candidate(name, 0, "title", title_year(title)))
    head = nfkc(text[:3000])
    for m in _NAMED_REPORT.finditer(head):
        tail = head[m.end():m.end() + 40].split("》")[0]
        if re.search(r"通知|编制和?发布|编制工作|做好", tail):
            continue  # a notice about compiling reports names its issuer, not this body
        before = re.split(r"[^\u4e00-\u9fff()《]", head[max(0, m.start() - 45):m.start()])[-1].split("《")[-1]
        name = _name_before(before)
        if is_body_name(name):
            out.append(Candidate(name, 0, "preamble", int(m.group(1))))
    for m in _QUOTED_OLD_TITLE.finditer(head):
        if is_body_name(m.group(1)):
            out.append(Candidate(m.group(1), 0, "preamble", int(m.group(2))))
    for m in _AUTHORED.finditer(head):
        name = _strip_sub_office(m.group(1))
        if is_body_name(name):
            out.append(Candidate(name, 0, "author"))
    for m in _YEAR_THEN_NAME.finditer(head):
        if _cited(head, m.start()) or re.match(r"\s*(?:要点|方案|计划|通知|意见)", head[m.end():m.end() + 6]):
            continue  # `《2021年武汉市政务公开工作要点》`: another document's title
        name = m.group(2)
        name = name[:-2] if name.endswith("政府") and not name.endswith("人民政府") else name
        if is_body_name(name):
            out.append(Candidate(name, 1, "preamble", int(m.group(1))))
    for m in _BODY_OF.finditer(head):
        name = m.group(1)
        name = name[:-2] if name.endswith("政府") and not name.endswith("人民政府") else name  # X乡政府信息公开
        if is_body_name(name):
            out.append(Candidate(name, 1, "preamble"))
    for line in head.split("\n")[:60]:
        m = _OPENING.match(line)
        if m:
            name = _opening_name(m.group(2))
            if name:
                out.append(Candidate(name, 1, "opening", int(m.group(1))))
    for m in _CONTACT.finditer(head):
        name = _strip_sub_office(m.group(1))
        if is_body_name(name):
            out.append(Candidate(name, 1, "contact"))
    for name in _publishers(head, meta):
        out.append(Candidate(name, 3, "publisher"))  # completes a name, never stands alone (see choose_organ)
    sig = _signature(text)
    if sig:
        out.append(Candidate(sig, 1, "signature"))
    if not out:
        out.extend(_self_reference(head))
    out.sort(key=lambda c: (c.rank, _PLACE_ORDER.get(c.place, 9)))
    return out


def _publishers(head: str, meta: dict[str, str]) -> list[str]:
    """The 发布机构 metadata field, in the page's meta tags or printed as a label (value on the line or the next)."""
    names = [meta[k].strip() for k in ("发布机构", "ContentSource") if meta.get(k)]
    lines = head.split("\n")[:60]
    for i, line in enumerate(lines):
        m = _PUBLISHER.search(line)
        if m:
            value = m.group(1) or next((_clean(l) for l in lines[i + 1:i + 3] if _clean(l)), "")
            names.append(value)
    return [n for n in dict.fromkeys(nfkc(n) for n in names) if is_body_name(n)]


def _self_reference(head: str) -> list[Candidate]:
    """`我局` with exactly one quoted name of that kind (`“黄龙县自然资源局”` account) names the body."""
    kinds = {m.group(1) for m in _SELF_REF.finditer(head)}
    found = {m.group(1) for m in _QUOTED_NAME.finditer(head)
             if is_body_name(m.group(1)) and m.group(1).endswith(tuple(kinds)) and not _headless(m.group(1))}
    return [Candidate(found.pop(), 2, "self")] if len(found) == 1 else []


# within a rank: a sentence the body opens with names it more surely than a contact line or a field
_PLACE_ORDER = {"title": 0, "author": 1, "opening": 2, "preamble": 3, "contact": 4, "publisher": 5, "signature": 6}


def choose_organ(cands: list[Candidate], year: int | None) -> str | None:
    """The best-ranked candidate, completed by a candidate that only adds the place in front (any candidate
    as good, or any at all for a headless name) or, from a title phrase or 发布机构, the body word after it."""
    cands = [c for c in cands if not (c.rank == 0 and c.place == "preamble" and year and c.year and c.year != year)]
    # 发布机构 is often the office that posts the page (a county's 政府办 for a township's report)
    best = next((c for c in cands if c.place != "publisher"), None)
    if best is None:
        return None
    name = best.name
    for c in cands:
        if len(c.name) <= len(name):
            continue
        prefixed = c.name.endswith(name) and (c.rank <= best.rank or _headless(name) or best.rank > 0)
        suffixed = c.name.startswith(name) and c.name[len(name):] in _SUFFIXES and (
            c.rank == 0 or c.place == "publisher")
        if prefixed or suffixed:
            name = c.name
    return name


def find_organ(text: str, page_title: str | None, meta: dict[str, str], year: int | None = None,
               hints: list[str] | tuple[str, ...] = ()) -> str | None:
    titles = ([page_title] if page_title else []) + title_candidates(text) + [h for h in hints if h]
    name = choose_organ(organ_candidates(text, titles, meta), year)
    if name and _headless(name):
        name = _widen_headless(name, text)
    return name


def _widen_headless(name: str, text: str) -> str:
    """A headless title name (`市人民政府办公室`) takes the place the text puts before it (`天门`)."""
    for m in re.finditer(r"([\u4e00-\u9fff]{2})" + re.escape(name), nfkc(text)):
        if not _BAD_WORD.search(m.group(1)) and not _BAD_START.match(m.group(1)):
            return m.group(1) + name
    return name


def _signature(text: str) -> str | None:
    lines = [l.strip() for l in nfkc(text[-800:]).split("\n") if l.strip()]
    for i in range(len(lines) - 1, 0, -1):
        if _DATE_LINE.match(lines[i]):
            prev = _NON_NAME.sub("", lines[i - 1])
            return prev if is_body_name(prev) else None
    return None


# --- year, date, title, format ----------------------------------------------------------------------

_STATS_PERIOD = re.compile(r"(?:统计|期限|时限|时段|周期|数据)[^。\n]{0,24}?" + _YEAR + r"\s*1\s*月\s*1\s*日"
                           r"|" + _YEAR + r"\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|~|－)"
                           r"|截[至止]\s*" + _YEAR + r"\s*12\s*月\s*31\s*日")
_OPENING_YEAR = re.compile(r"^\s*(?:[(（][一二三四五六七八九十]{1,2}[)）]\s*)?" + _YEAR + r"(?![\s\d]*月)(?:度|以来|来)?")


def find_year(text: str, page_title: str | None, hints: list[str] | tuple[str, ...] = ()) -> int | None:
    """The covered year: a title's, else the statistics period's, else the opening's (`2022年,我镇…`).

    Never the publication date: a report is published the year after the one it covers, or later."""
    for title in ([page_title] if page_title else []) + title_candidates(text) + [h for h in hints if h]:
        year = title_year(title)
        if year:
            return year
    head = nfkc(text[:4000])
    m = _STATS_PERIOD.search(head)
    if m:
        return int(next(g for g in m.groups() if g))
    for line in head.split("\n")[:60]:
        m = _OPENING_YEAR.match(line)
        if m and not _DATE_LINE.match(line):
            return int(m.group(1))
    m = re.search(_YEAR + r"度?\s*(?:政府|政务)?信息公开(?:工作)?(?:年度报告|工作|情况)", head) or \
        re.search(r"总体情况\s*\n?[^\n]{0,40}?" + _YEAR, head)
    return int(m.group(1)) if m else None


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
    m = re.search(r"(?:发布日期|发布时间|公开日期|成文日期|日期|时间)\s*[:：]?\s*" + _DATE.pattern, nfkc(text[:3000]))
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def _iso(m: re.Match) -> str | None:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def find_title(text: str, page_title: str | None, hints: list[str] | tuple[str, ...] = ()) -> str | None:
    """The report's title: the page's own if it names a report, else the text's title line, else a hint's;
    a page title naming something else (a column: `工作动态`) only when nothing better is printed."""
    if page_title and is_report_title(page_title):
        return _clean(page_title)
    cands = title_candidates(text)
    if cands:
        return cands[0]
    hinted = next((_clean(h) for h in hints if h and is_report_title(h)), None)
    return hinted or (_clean(page_title) if page_title else None)


def _citation(year: int, number: int) -> re.Pattern[str]:
    """`〔2019〕60号` in any bracket pair (NFKC folds ﹝﹞ to 〔〕 and full-width ［］（） to ASCII)."""
    return re.compile(r"[〔\[【〖(]\s*" + str(year) + r"\s*[〕\]】〗)]\s*" + str(number) + r"\s*号")


# the template notices: 国办公开办函〔2021〕30号 (2021 format) supersedes 〔2019〕60号 (2019 format)
_TEMPLATE_NOTICES = (("2021", _citation(2021, 30)), ("2019", _citation(2019, 60)))
# the outline of a pre-2019 report: its fee section (the 2019 template has none; 概述 and an appended
# statistics table also come with 2019-template tables, seeds and real2/n099)
_LEGACY_OUTLINE = re.compile(r"收费及减免|收费和减免|收费与减免")


def cited_format(text: str) -> str | None:
    """The template a report says it follows, from the notice its preamble cites (the newer one wins)."""
    head = nfkc(text[:6000])
    return next((fmt for fmt, notice in _TEMPLATE_NOTICES if notice.search(head)), None)


def untabled_format(text: str, year: int | None, n_sections: int) -> str:
    """The template of a report whose tables were not read (images, cut off): its citation, else the year.

    〔2021〕30号 always decides. 〔2019〕60号 decides only up to 2020 (or with no year): reports of 2021 on
    keep citing it while printing the 2021 tables (seeds/001), so there the year rule is the better guess.
    A 2019 report citing nothing and written to the old outline (a fee section) is legacy.
    """
    cited = cited_format(text)
    if cited == "2021" or (cited == "2019" and (year is None or year <= 2020)):
        return cited
    if year == 2019 and cited is None and _LEGACY_OUTLINE.search(nfkc(text[:6000])):
        return "legacy"
    return year_format(year, n_sections)


def year_format(year: int | None, n_sections: int) -> str:
    """The template in force for the covered year; a yearless report with 3+ template sections is 2019-style."""
    if year is None:
        return "2019" if n_sections >= 3 else "legacy"
    return "legacy" if year <= 2018 else ("2021" if year >= 2021 else "2019")
