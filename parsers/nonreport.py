"""Telling a page that is not a report (a column's list of report links) from a report, however short.

Why: a crawl or `nianbao load` may hand the parser a list page, whose link titles name a year and an
organ; parsed as a report it would become that organ's newest report in the archive. A document is
called a list only when every sign of a report is missing and the links say so: no template table,
no report headings (template sections or a legacy report's own `一、` `二、` parts), a title that does
not name one report, several links titled as reports, and less prose than link text. Reports whose
tables are images or whose text is cut off keep their prose or headings, so they still parse.
"""
from __future__ import annotations

import re

from parsers.cells import nfkc
from parsers.document import Document
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


def not_a_report(doc: Document, tables_found: bool, n_sections: int) -> str | None:
    """Why the document is a list page rather than a report, or None when it may be a report."""
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
