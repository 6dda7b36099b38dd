"""Telling a document that is not a report from a report, however short or cut off.

Refused (each with its reason): text too short to be a report (a one-line text, random bytes that decode
to a few characters); a login wall, a busy or error page served with 200; a page whose own title is a
notice about reports (`关于做好…年度报告编制发布工作的通知`), 工作要点, news or another column item (when it
names no report anywhere); a document that shows none of a report's signs (a report title, the 条例
preamble / `本年度报告`, the template section headings, the template tables, two of the words a report's
parts are written in), which is how an unrelated PDF/DOCX is told; and a list page.
Wall, error and notice pages are refused only when no template table or section heading is read, so a
report page that carries a login link or a 404 widget in its chrome still parses.

The list page:

Why: a crawl or `nianbao load` may hand the parser a list page, whose link titles name a year and an
organ; parsed as a report it would become that organ's newest report in the archive. A document is
called a list only when every sign of a report is missing and the links say so: no template table,
no report headings (template sections or a legacy report's own `一、` `二、` parts), a title that does
not name one report, several links titled as reports, and less prose than link text. Reports whose
tables are images or whose text is cut off keep their prose or headings, so they still parse.
"""
from __future__ import annotations

import re
from itertools import islice

from parsers.cells import nfkc
from parsers.document import Document
from parsers.html import PASSWORD_KEY
from parsers.meta import title_candidates
from parsers.titles import is_report_title

MIN_REPORT_LINKS = 3  # prev/next links name at most two other reports
_NUMBERED_HEAD = re.compile(r"^\s*[一二三四五六七八九十]{1,2}\s*[、.．]", re.M)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def report_links(doc: Document) -> list[str]:
    """Distinct link labels (title attribute, else text) that name one year's report."""
    labels = (title or text for text, title in doc.links)
    return list(dict.fromkeys(l for l in labels if is_report_title(l)))


def prose_chars(doc: Document) -> int:
    """Chinese characters of the text outside the page's links (list pages print link texts and dates)."""
    text = nfkc(doc.text or "")
    for label in sorted({nfkc(x) for link in doc.links for x in link if x}, key=len, reverse=True):
        text = text.replace(label, "")
    return len(_CJK.findall(text))


def names_itself(doc: Document) -> bool:
    """The page's own title names one report, and not merely as the first item of its list.

    A report page may list itself among related reports; its title then also stands outside the links."""
    title = " ".join((doc.title or "").split())
    if not is_report_title(title):
        return False
    as_link = sum(1 for text, t in doc.links if title in (" ".join(text.split()), " ".join(t.split())))
    return as_link == 0 or (doc.text or "").count(title) > as_link


def has_report_structure(text: str, n_sections: int) -> bool:
    """Template section headings, or two numbered parts (`一、工作情况` / `二、…` of a legacy report)."""
    return n_sections > 0 or len(_NUMBERED_HEAD.findall(nfkc(text))) >= 2


_IMAGES = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
           (b"BM", "BMP"))


def image_format(data: bytes) -> str | None:
    """PNG, JPEG, GIF, TIFF, BMP or WEBP when the bytes are an image (a table's scan served as the report)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in _IMAGES if data.startswith(magic)), None)


MIN_CJK = 40  # a title alone is ~20 characters; the shortest real chunk has hundreds
_WALL = re.compile(r"请登录|请先登录|登录后(?:查看|浏览|访问)|用户登录|会员登录|统一身份认证|验证码")
_ERROR = re.compile(r"系统繁忙|服务器繁忙|请稍后再试|稍后重试|页面不存在|页面未找到|找不到(?:该|您要的)?页面|访问的页面不存在|"
                    r"\b404\b|\b50[023]\b|Not\s*Found|Internal\s*Server\s*Error|Service\s*Unavailable|访问出错|"
                    r"系统错误|信息已删除|文章已删除|该信息不存在|无权访问|禁止访问|访问受限", re.I)
# a page's own title naming something a 年报 column also files: notices about reports, 要点, interpretations
_ITEM_TITLE = re.compile(r"通知|要点|的函|意见|方案|计划|解读|图解|公示|会议|召开|新闻|动态|培训|部署|答记者问")
_PREAMBLE_SIGN = re.compile(r"信息公开条例|本年度报告|本报告|本年报|年度报告|信息公开年报|政务公开年报|工作报告如下|情况报告如下")


# the words a report's own parts are written in (a chunk cut out of its middle still shows two of them)
_VOCABULARY = re.compile(r"主动公开|依申请|政府信息管理|行政复议|行政诉讼|政务公开|政府信息公开|公开平台|监督保障|政务新媒体|"
                         r"政府网站|门户网站|公开申请")


_SENTENCE = re.compile(r"[。，,；;！？]")


def own_title(doc: Document) -> str:
    """The document's own title: the reader's, else its first short line that is not a sentence."""
    if doc.title and doc.title.strip():
        return " ".join(doc.title.split())
    for line in (doc.text or "").split("\n", 12)[:12]:
        line = " ".join(line.split())
        if 4 <= len(line) <= 60 and _CJK.search(line) and not _SENTENCE.search(line):
            return line
    return ""


def report_signs(doc: Document, tables_found: bool, n_sections: int, titles: list[str]) -> list[str]:
    """Which of a report's signs the document shows."""
    text = doc.text or ""
    signs = []
    if tables_found:
        signs.append("template table")
    if n_sections:
        signs.append("section headings")
    if any(is_report_title(t) for t in [own_title(doc), *titles, *title_candidates(text)]):
        signs.append("report title")
    head = nfkc(text[:6000])
    if _PREAMBLE_SIGN.search(head):
        signs.append("preamble")
    if len(set(_VOCABULARY.findall(head))) >= 2:
        signs.append("report vocabulary")
    return signs


def _count_cjk(text: str, cap: int) -> int:
    """Chinese characters in `text`, counted up to `cap` (a report has thousands: no need to count them all)."""
    return sum(1 for _ in islice(_CJK.finditer(text), cap))


def not_a_report(doc: Document, tables_found: bool, n_sections: int, titles: list[str] | None = None) -> str | None:
    """Why the document is not a report, or None when it may be one."""
    text = doc.text or ""
    if tables_found:
        return None
    n_cjk = _count_cjk(text, 400)
    if n_cjk < MIN_CJK:
        return f"too short to be a report ({n_cjk} Chinese characters)"
    if not n_sections:
        head = nfkc(text[:3000]) + " " + own_title(doc)
        if doc.meta.get(PASSWORD_KEY) or _WALL.search(head):
            return "a login page" + (" (password field)" if doc.meta.get(PASSWORD_KEY) else "")
        m = _ERROR.search(head)
        if m and n_cjk < 400:
            return f"an error or busy page ({m.group(0)})"
    signs = report_signs(doc, tables_found, n_sections, list(titles or []))
    if not signs:
        return "none of a report's signs (report title, 条例 preamble, section headings, template tables)"
    title = own_title(doc)
    if not n_sections and "report title" not in signs and _ITEM_TITLE.search(nfkc(title)):
        return f"a column item titled {title[:60]!r}, not a report"
    if tables_found or has_report_structure(doc.text or "", n_sections):
        return None
    links = report_links(doc)
    if len(links) < MIN_REPORT_LINKS or names_itself(doc):
        return None
    link_chars = sum(len(_CJK.findall(l)) for l in links)
    prose = prose_chars(doc)
    if prose >= link_chars:
        return None
    return (f"a list of {len(links)} report links ({links[0]} …) with no template table, no report headings "
            f"and {prose} characters of prose")
