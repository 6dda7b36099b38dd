"""Boda VSB (博达) columns: list pages numbered DOWNWARDS (`xxgknb.htm`, then `xxgknb/10.htm` … `1.htm`).

The pager is static markup (`span.p_pages`, `span.p_t` "1/11"), so the first page gives every page:
page k of N is `<column>/<N-k+1>.htm`.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.pages.common import Follow, Listing, Page, anchors, report_links
from crawler.pages.registry import family

BODA = family("boda", rank=30, markers=r"\bvsb_|p_pages|pb_sys_common|_showDynClick|/system/_content/")

P_T = re.compile(r"(\d+)\s*/\s*(\d+)")


@BODA.reads("list")
def column(page: Page, follow: Follow | None = None) -> Listing:
    out = Listing(reports=report_links(anchors(page.selector, page.url)))
    sel = page.selector
    pager_links = anchors(sel.css("span.p_pages, div.pb_sys_common, .p_next, .p_last"), page.url) if sel.css(
        "span.p_pages, div.pb_sys_common") else []
    out.follow = [Follow(link.url, "boda.list") for link in pager_links]
    p_t = P_T.search(" ".join(sel.css("span.p_t ::text").getall()))
    if p_t and p_t.group(1) == "1":
        total = int(p_t.group(2))
        stem = page.url.rsplit("/", 1)[-1].rsplit(".", 1)[0]  # xxgknb.htm -> xxgknb/<n>.htm
        out.follow += [Follow(urljoin(page.url, f"{stem}/{n}.htm"), "boda.list") for n in range(total - 1, 0, -1)]
    return out
