"""Hanweb 大汉 jcms columns (records in `<datastore>` CDATA, further groups from `dataproxy.jsp`) and the
信息公开目录 module (`/module/xxgk/search.jsp`, `xxgkAnnualReport.jsp`).

The visible `<ul>` is an empty shell and `?pageNum=` is ignored by the server, so only the XML and
the POST endpoint list anything. A group holds 3 × perpage records and later groups repeat the last
record of the previous one; reports are deduplicated by URL (the spider keeps one request per URL).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin

from parsel import Selector

from crawler.pages.common import Follow, Link, Listing, Page, anchors, report_links
from crawler.pages.registry import family

HANWEB = family("hanweb", rank=10, markers=r"<datastore>|dataproxy\.jsp|/module/xxgk/|var\s+param_\d+\s*=")

RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
PARAM = re.compile(r"var\s+param_\w+\s*=\s*\{([^}]*)\}")
TOTAL_RECORD = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
DATAPROXY = re.compile(r"""(/module/(?:web/)?jpage/dataproxy\.jsp)""")
XML_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
PAGES_TEXT = re.compile(r"共\s*(\d+)\s*页")
AJAX_SEARCH = re.compile(r"""url\s*:\s*['"]([^'"]*search\.jsp[^'"]*)['"][^}]*?data\s*:\s*\{([^}]*)\}""", re.S)
AJAX = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "X-Requested-With": "XMLHttpRequest"}


def records(text: str, base_url: str) -> list[Link]:
    """The links inside `<record><![CDATA[<li><a …>]]></record>` items."""
    links: list[Link] = []
    for frag in RECORD.findall(text):
        links += anchors(Selector(text=f"<div>{frag}</div>"), base_url)
    return links


def _param(text: str) -> dict[str, str]:
    m = PARAM.search(text)
    if not m:
        return {}
    return {k: v for k, v in re.findall(r"""(\w+)\s*:\s*['"]?([^'",]*)['"]?""", m.group(1))}


@HANWEB.reads("list")
def column(page: Page, follow: Follow | None = None) -> Listing:
    """A jcms column page: group 1 inline, then POST dataproxy for groups 2…n (computed from totalRecord)."""
    if "/module/xxgk/" in page.url:
        return xxgk(page)
    out = Listing(reports=report_links(records(page.text, page.url) or anchors(page.selector, page.url)))
    param = _param(page.text)
    total = TOTAL_RECORD.search(page.text)
    if not param or not total:
        return out
    perpage = int((PERPAGE.search(page.text) or re.match(r"(\d+)", "15")).group(1))
    group = 3 * perpage
    inline = len(RECORD.findall(page.text)) or group
    proxy = DATAPROXY.search(page.text)
    endpoint = urljoin(page.url, proxy.group(1) if proxy else "/module/web/jpage/dataproxy.jsp")
    form = urlencode({k: v for k, v in param.items()})
    start = inline + 1
    while start <= int(total.group(1)):
        end = start + group - 1
        out.follow.append(Follow(f"{endpoint}?startrecord={start}&endrecord={end}&perpage={perpage}", "hanweb.xml",
                                 method="POST", body=form, headers={**AJAX, "Referer": page.url}))
        start = end + 1
    return out


@HANWEB.reads("xml")
def dataproxy(page: Page, follow: Follow | None = None) -> Listing:
    """A dataproxy.jsp XML group: records only (the column page already scheduled every group)."""
    return Listing(reports=report_links(records(page.text, page.url)))


@HANWEB.reads("xxgk")
def xxgk_page(page: Page, follow: Follow) -> Listing:
    """A 信息公开目录 page: a search.jsp answer when it was POSTed, else the index."""
    if follow.method == "POST":
        return xxgk_results(page, follow.body or "", follow.headers.get("Referer", page.url))
    return xxgk(page)


def xxgk(page: Page) -> Listing:
    """The 信息公开目录 index: its list comes from a JS `$.ajax({url:'…search.jsp?…currpage=1…', type:'POST',
    data:{…}})` call, which we replay. Per unit-year `xxgkAnnualReport.jsp` links are only followed when
    the page has no search call (the search lists every unit's reports at a fraction of the requests)."""
    out = Listing(reports=report_links(anchors(page.selector, page.url)))
    for url, data in AJAX_SEARCH.findall(page.text):
        form = dict(re.findall(r"""(\w+)\s*:\s*['"]([^'"]*)['"]""", data))
        out.follow.append(Follow(urljoin(page.url, url), "hanweb.xxgk", method="POST", body=urlencode(form),
                                 headers={**AJAX, "Referer": page.url}))
    if not out.follow:
        out.follow = [Follow(link.url, "hanweb.xxgk") for link in anchors(page.selector, page.url)
                      if "xxgkAnnualReport.jsp" in link.url]
    return out


def xxgk_results(page: Page, request_body: str, referer: str) -> Listing:
    """A search.jsp answer: result rows, and (from page 1 only) the same POST for pages 2…N of 共N页."""
    out = Listing(reports=report_links(anchors(page.selector, page.url)))
    pages = PAGES_TEXT.search(page.text)
    base, _, query = page.url.partition("?")
    q = dict(parse_qsl(query, keep_blank_values=True))
    if pages and int(q.get("currpage") or 1) == 1:
        for n in range(2, int(pages.group(1)) + 1):
            q["currpage"] = str(n)
            out.follow.append(Follow(f"{base}?{urlencode(q)}", "hanweb.xxgk", method="POST", body=request_body,
                                     headers={**AJAX, "Referer": referer}))
    return out
