"""Unknown sites: report links by title, JS redirect shells, `onclick` links, plain pagers, and the
year / unit sub-columns a 年报 column is often split into (`2023n/`, "2023年", 乡镇（街道）, 部门…).

Sub-columns are followed at most `MAX_DEPTH` levels below the start page; the spider enforces it.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.pages.trs import page_urls
from crawler.pages.common import Follow, Listing, Page, anchors, is_report_title, redirect_target, report_links
from crawler.pages.registry import family

GENERIC = family("generic")  # no markers: what `auto` falls back to

MAX_DEPTH = 2
# Link text of a sub-column: a bare year, or a kind of unit whose reports are listed separately.
SUBCOLUMN_TEXT = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年?度?(?:年报|报告)?|.{0,8}(?:乡镇|街道|部门|区县|开发区|镇街|县直|单位|市直|委办局).{0,10})$")
SUBCOLUMN_PATH = re.compile(r"/(?:(?:19|20)\d{2}n?\d*|xzjd\w*|bmxxgknb|bmnb|jdnb|xznb|qxnb)/(?:index[_\d]*\.\w+)?$", re.I)
NEXT_TEXT = re.compile(r"^(?:下一?页|下页|后页|尾页|末页|>|»|\d{1,3})$")
FILE = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|ofd|zip|rar|jpg|png|gif)$", re.I)


@GENERIC.reads("list")
def column(page: Page, follow: Follow) -> Listing:
    depth = follow.depth
    shell = redirect_target(page)
    if shell and shell != page.url:
        return Listing(follow=[Follow(shell, "generic.list", depth=depth)])
    links = anchors(page.selector, page.url)
    out = Listing(reports=report_links(links))
    host = urlsplit(page.url).netloc
    col_dir = page.url.rsplit("/", 1)[0] + "/"
    for link in links:
        if urlsplit(link.url).netloc != host or FILE.search(urlsplit(link.url).path) or is_report_title(link.title):
            continue
        title = "".join(link.title.split())
        if NEXT_TEXT.match(title) and link.url.startswith(col_dir):
            out.follow.append(Follow(link.url, "generic.list", depth=depth))
        elif depth < MAX_DEPTH and link.url.startswith(col_dir) and (
                SUBCOLUMN_TEXT.match(title) or SUBCOLUMN_PATH.search(urlsplit(link.url).path)):
            out.follow.append(Follow(link.url, "generic.list", depth=depth + 1))
    out.follow += [Follow(u, "generic.list", depth=depth) for u in page_urls(page)]
    return out
