"""TRS WCM static columns, and the Fujian "动静结合" variant (page 1 static, the rest from a JSON search).

The pager is JavaScript only (`createPageHTML(total, current, "index", "html")`), so page URLs are
computed from the script, never taken from `<a>` tags. Whether page 2 is `index_1` (TRS default,
0-based) or `index_2` (1-based templates) is read off the call on the first page: `current` is the
first page's own number.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urljoin

from crawler.pages.common import Follow, Link, Listing, Page, anchors, clean, refreshes_to_column, report_links
from crawler.pages.registry import family

TRS = family("trs", rank=40, markers=r"createPageHTML|TRS_Editor|TRS_UEDITOR|/fjdzapp/|\bt\d{8}_\d+\.s?html?")

# createPageHTML(total, current, "index", "html"), or the 6-argument form createPageHTML('page_div', total, current, 'index', 'html', records)
CREATE_PAGE = re.compile(r"""createPageHTML\(\s*(?:['"][\w-]*['"]\s*,\s*)?['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([\w.-]+)['"]\s*,\s*['"](\w+)['"]""")
PAGER_OBJ = re.compile(r"""Pager\(\s*\{([^}]*)\}""")
COUNT_PAGE = re.compile(r"""var\s+countPage\s*=\s*['"]?(\d+)""")
CURRENT_PAGE = re.compile(r"""var\s+currentPage\s*=\s*['"]?(\d+)""")
# Fujian 动静结合: the list model's config names the search arguments; the endpoint itself lives in the
# platform's JS library (list2.trsapi), always /fjdzapp/search on the site's own host.
FJ_MARKER = re.compile(r"动静结合|list2\.trsapi|/fjdzapp/search")
FJ_ARGS = re.compile(r"listArgs\s*:\s*\{(.*?)\}", re.S)
FJ_ARG = re.compile(r"""(\w+)\s*:\s*((?:"[^"]*"|'[^']*'|[^,\n'"])+)""")
FJ_PREPAGE = re.compile(r"""prepage\s*:\s*['"]?(\d+)""")
FJ_RECORDS = re.compile(r"""recordCount\s*:\s*['"]?(\d+)""")
AJAX = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "X-Requested-With": "XMLHttpRequest"}


def pager(page: Page) -> tuple[int, int, str, str] | None:
    """(total pages, first page's own number, prefix, extension) from the JS pager, if there is one."""
    m = CREATE_PAGE.search(page.text)
    if m:
        return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    m = PAGER_OBJ.search(page.text)
    if m:
        conf = dict(re.findall(r"""(\w+)\s*:\s*['"]?([\w.-]+)['"]?""", m.group(1)))
        total = conf.get("size") or conf.get("count") or conf.get("total") or conf.get("pageCount")
        if total and total.isdigit():
            return int(total), int(conf.get("current", 0)), conf.get("prefix", "index"), conf.get("suffix", "html")
    m = COUNT_PAGE.search(page.text)
    if m:
        cur = CURRENT_PAGE.search(page.text)
        return int(m.group(1)), int(cur.group(1)) if cur else 0, "index", page.url.rsplit(".", 1)[-1] if "." in page.url.rsplit("/", 1)[-1] else "html"
    return None


def page_urls(page: Page) -> list[str]:
    """Every further list page of the column. Only the first page's pager is used (later ones repeat it)."""
    p = pager(page)
    if not p:
        return []
    total, first, prefix, ext = p
    if re.search(rf"/{re.escape(prefix)}_\d+\.{ext}$", page.url) or first not in (0, 1):
        return []  # a later page: its pager says nothing new
    numbers = range(1, total) if first == 0 else range(2, total + 1)
    return [urljoin(page.url, f"{prefix}_{n}.{ext}") for n in numbers]


@TRS.reads("list")
def listing(page: Page, follow: Follow | None = None) -> Listing:
    """A TRS column page: report links (relative `./YYYYMM/t…htm`), further pages, the Fujian search."""
    if refreshes_to_column(page):
        return Listing(end=True)
    out = Listing(reports=report_links(anchors(page.selector, page.url)))
    out.follow = [Follow(u, "trs.list") for u in page_urls(page)]
    fj = fujian_search(page)
    if fj:
        out.follow.append(fj)
    return out


def _js_value(expr: str, text: str) -> str:
    """A config value: the last non-empty quoted string (`"" || "chnlid=1813"`), a number, or a
    `Obj.field` reference resolved against `field: value` elsewhere on the page."""
    quoted = [q for q in re.findall(r"""['"]([^'"]*)['"]""", expr) if q]
    if quoted:
        return quoted[-1]
    expr = expr.strip()
    if re.fullmatch(r"\d+", expr):
        return expr
    ref = re.fullmatch(r"[\w$]+\.(\w+)", expr)
    if ref:
        m = re.search(rf"""\b{ref.group(1)}\s*:\s*['"]?([^'",\s}}]+)""", text)
        if m:
            return m.group(1)
    return ""


def fujian_search(page: Page) -> Follow | None:
    """The POST for page 2 of a Fujian column (only page 1 is static; there is no `index_1.htm`)."""
    if not FJ_MARKER.search(page.text):
        return None
    args = FJ_ARGS.search(page.text)
    if not args:
        return None
    form = {k: _js_value(v, page.text) for k, v in FJ_ARG.findall(args.group(1))}
    prepage = FJ_PREPAGE.search(page.text)
    form.update(page="2", prepage=prepage.group(1) if prepage else "10")
    records = FJ_RECORDS.search(page.text)
    if records and int(records.group(1)) <= int(form["prepage"]):
        return None
    return Follow(urljoin(page.url, "/fjdzapp/search"), "trs.fjdz", method="POST", body=urlencode(form),
                  headers={**AJAX, "Referer": page.url})


@TRS.reads("fjdz")
def fujian_results(page: Page, follow: Follow) -> Listing:
    """A `/fjdzapp/search` JSON answer (`data` rows with doctitle/chnldocurl, `total`); asks for the next page."""
    request_body, referer = follow.body or "", follow.headers.get("Referer", page.url)
    data = json.loads(page.text)
    rows = data.get("data") or data.get("docs") or data.get("list") or []
    links = [Link(urljoin(referer, r.get("chnldocurl") or r.get("url") or ""), clean(r.get("doctitle") or r.get("title")))
             for r in rows if isinstance(r, dict)]
    out = Listing(reports=report_links(links))
    form = dict(parse_qsl(request_body, keep_blank_values=True))
    current, size = int(form.get("page") or 1), int(form.get("prepage") or 10)
    total = _int(data.get("total"))
    if rows and (total is None or current * size < total):
        form["page"] = str(current + 1)
        out.follow.append(Follow(page.url, "trs.fjdz", method="POST", body=urlencode(form),
                                 headers={**AJAX, "Referer": referer}))
    return out


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
