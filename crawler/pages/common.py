"""Page objects shared by every family: what a fetched list page says, as plain data.

Page objects read a `Page` (URL + decoded text) and return a `Listing`: report links found by their
TITLE, further list pages to read (`Follow`, possibly POST), sub-columns. They never fetch, so tests
feed them saved HTML. Spiders turn `Follow`s into requests.
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from parsers.html import decode_html
from parsers.titles import is_report_title  # re-exported: one title vocabulary for the crawl and the parser

# A report title: a year, then 政府信息公开/政务公开, then 年度报告/年报. Not 工作要点, notices about reports, etc.
REPORT_TITLE = re.compile(r"(?:19|20)\d{2}\s*年(?:度)?.*(?:政府信息公开|政务公开).*(?:年度报告|年报)")
# `onclick="jumpToDetail('./202605/t….html')"`, `window.open("…")` and friends: the first quoted relative/absolute path.
ONCLICK_URL = re.compile(r"""['"]((?:\.{0,2}/|https?://)[^'"\s]+)['"]""")
# JS redirect shells (`location.replace('./x/')`, `location.href = "…"`, `window.location = …`) and meta refresh.
JS_REDIRECT = re.compile(r"""location(?:\.href)?\s*(?:=|\.replace\s*\(|\.assign\s*\()\s*['"]([^'"]+)['"]""")
META_REFRESH = re.compile(r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d+\s*;\s*url\s*=\s*['"]?([^"'>\s]+)""", re.I)
ERROR_PAGE = re.compile(r"页面不存在|页面未找到|找不到(?:该|您要的)?页面|访问的页面|404\s*Not\s*Found|信息已删除|文章已删除|该信息不存在|Page Not Found", re.I)


@dataclass
class Page:
    """A fetched page, decoded with `parsers.html.decode_html` (charset declarations lie)."""

    url: str
    text: str
    status: int = 200

    @classmethod
    def from_bytes(cls, url: str, body: bytes, declared: str | None = None, status: int = 200) -> "Page":
        return cls(url, decode_html(body, declared), status)

    @property
    def selector(self) -> Selector:
        sel = self.__dict__.get("_sel")
        if sel is None:
            sel = self.__dict__["_sel"] = Selector(text=self.text or "<html></html>", base_url=self.url)
        return sel


@dataclass
class Link:
    url: str
    title: str


@dataclass
class Follow:
    """A further page to read. `parser` names the page object that reads it (see crawler.pages.PARSERS)."""

    url: str
    parser: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    depth: int = 0  # sub-column depth (generic spider), 0 for pager pages of the same column


@dataclass
class Listing:
    reports: list[Link] = field(default_factory=list)
    follow: list[Follow] = field(default_factory=list)
    end: bool = False  # the page says "past the last page" (meta-refresh back to the column)

    def extend(self, other: "Listing") -> "Listing":
        self.reports += other.reports
        self.follow += other.follow
        self.end = self.end or other.end
        return self


def clean(text: str | None) -> str:
    return " ".join(htmllib.unescape(text or "").split())


def anchors(sel: Selector, base_url: str) -> list[Link]:
    """Every link in a fragment as (absolute URL, best title): `title` attr beats text (jcms pollutes text,
    lists truncate it with …); `href="javascript:…"` links take their URL from `onclick`."""
    out = []
    for a in sel.xpath(".//a"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript", "#", "mailto:")):
            m = ONCLICK_URL.search(a.attrib.get("onclick") or "")
            if not m:
                continue
            href = m.group(1)
        try:
            url = urljoin(base_url, href)
        except ValueError:
            continue  # a damaged href (e.g. a broken `[` host) must not cost the page's other links
        title = clean(a.attrib.get("title")) or clean("".join(a.xpath(".//text()").getall()))
        out.append(Link(url, title))
    return out


def report_links(links: list[Link]) -> list[Link]:
    """The links whose title names an annual report, first occurrence of each URL kept."""
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url not in seen and is_report_title(link.title) and link.url.startswith("http"):
            seen.add(link.url)
            out.append(link)
    return out


def redirect_target(page: Page) -> str | None:
    """Where a tiny JS/meta-refresh shell page sends the browser (real pages are far bigger than a shell)."""
    if len(page.text) > 3000:
        return None
    m = JS_REDIRECT.search(page.text) or META_REFRESH.search(page.text)
    return urljoin(page.url, htmllib.unescape(m.group(1))) if m else None


def refreshes_to_column(page: Page) -> bool:
    """TRS answers `index_N.html` past the last page with 200 + meta-refresh to `./`: an end marker, not data."""
    m = META_REFRESH.search(page.text)
    if not m:
        return False
    target = urljoin(page.url, m.group(1))
    return urlsplit(target).path.rstrip("/") in (urlsplit(page.url).path.rsplit("/", 1)[0], "")


def looks_like_error_page(text: str) -> bool:
    """A 200 page that is really "页面不存在": short, says so, and names no report."""
    if len(text) > 20000:
        return False
    body = re.sub(r"<[^>]+>", " ", text)
    return bool(ERROR_PAGE.search(body)) and not REPORT_TITLE.search("".join(body.split()))
