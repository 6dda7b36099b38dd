"""Page objects: list-page parsing, separate from crawling (the web-poet idea).

`PARSERS` maps the name a `Follow` carries to the function that reads such a page; each takes the
decoded `Page` and the `Follow` that fetched it (for its POST body and sub-column depth).
"""
from __future__ import annotations

from typing import Callable

from crawler.pages import boda, gd, generic, hanweb, trs
from crawler.pages.common import Follow, Link, Listing, Page, is_report_title, looks_like_error_page

PARSERS: dict[str, Callable[[Page, Follow], Listing]] = {
    "trs.list": lambda page, req: trs.listing(page),
    "trs.fjdz": lambda page, req: trs.fujian_results(page, req.body or "", req.headers.get("Referer", page.url)),
    "hanweb.list": lambda page, req: hanweb.column(page),
    "hanweb.xml": lambda page, req: hanweb.dataproxy(page),
    "hanweb.xxgk": lambda page, req: hanweb.xxgk_results(page, req.body or "", req.headers.get("Referer", page.url)) if req.method == "POST" else hanweb.xxgk(page),
    "gd.list": lambda page, req: gd.column(page),
    "gd.api": lambda page, req: gd.gkmlpt_api(page),
    "boda.list": lambda page, req: boda.column(page),
    "generic.list": lambda page, req: generic.column(page, req.depth),
}

__all__ = ["PARSERS", "Follow", "Link", "Listing", "Page", "is_report_title", "looks_like_error_page"]
