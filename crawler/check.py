"""`nianbao check`: what the crawl would see on a portal entry's first list pages, without archiving.

Why: an entry (hand-written or from `nianbao discover`) may be marked `verified` only once someone has
seen that the crawl reads its column: the family, the report links with their titles and years, the next
pages, and whether the site blocks us. This runs the portal's own spider (same settings, middlewares,
page objects: robots.txt, scheme fallback, wall detection) but stops at list pages: no report is fetched,
nothing is archived.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import scrapy
from scrapy.http import Response

from crawler.pages import Follow, Link, Listing
from crawler.portals import Portal
from crawler.spiders.base import ListKey, PortalSpider, spider_for

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
MAX_LIST_PAGES = 10  # list pages read at most per portal, whatever `pages` says (shells and sub-columns count)


class CheckMixin:
    """Turns a family spider into a reader of list pages only: report links are noted, never fetched."""

    rereads_listings = False

    def __init__(self, *args: Any, pages: int = 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wanted_pages = pages  # list pages WITH reports to read
        self.pages_seen: list[dict[str, Any]] = []
        self.requested = 0
        self.unread: list[str] = []

    def follow_request(self, follow: Follow, top: bool = False, listing: ListKey | None = None,
                       previous: tuple[str, ...] | None = None) -> scrapy.Request:
        self.requested += 1
        return super().follow_request(follow, top, listing, previous)  # type: ignore[misc]

    def read_list(self, response: Response, follow: Follow) -> tuple[Listing | None, str | None]:
        listing, problem = super().read_list(response, follow)  # type: ignore[misc]
        self.pages_seen.append({"url": response.url, "status": response.status, "problem": problem,
                                "reports": len(listing.reports) if listing else 0,
                                "next": [f.url for f in listing.follow] if listing else []})
        return listing, problem

    def report_request(self, link: Link, referer: str) -> None:
        if link.url not in self.listed and self.portal.allows(link.url):  # type: ignore[attr-defined]
            self.listed[link.url] = link.title  # type: ignore[attr-defined]
        return None

    def follow_requests(self, follows: list[Follow], top: bool, parent: Follow | None = None,
                        listing: ListKey | None = None, previous: tuple[str, ...] | None = None
                        ) -> Iterator[scrapy.Request]:
        with_reports = sum(1 for p in self.pages_seen if p["reports"])
        for follow in follows:
            if with_reports < self.wanted_pages and self.requested < MAX_LIST_PAGES:
                yield self.follow_request(follow, top, listing, previous)
                with_reports += 1
            else:
                self.unread.append(follow.url)


def checker_for(family: str) -> type[PortalSpider]:
    base = spider_for(family)
    return type(f"Check{base.__name__}", (CheckMixin, base), {})


def result(portal: Portal, spider: Any) -> dict[str, Any]:
    return {
        "portal": portal.id, "name": portal.name, "family": spider.family, "start_urls": portal.start_urls,
        "verified": portal.verified, "pages": spider.pages_seen,
        "reports": [{"url": u, "title": t, "year": int(m.group(1)) if (m := YEAR.search(t)) else None}
                    for u, t in spider.listed.items()],
        "next": list(dict.fromkeys(spider.unread)),
        "blocked": [{"url": u, "reason": r} for u, r in spider.blocked],
        "failures": [{"url": u, "reason": r} for u, r in spider.failures],
    }


def check(portals: list[Portal], *, pages: int = 2, fast: bool = False,
          overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Read each portal's first list pages (one Scrapy process; call once per process)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.run import settings_for

    settings = settings_for("", fast=fast, overrides={"LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {}, **(overrides or {})})
    process = CrawlerProcess(settings)
    crawlers = []
    for portal in portals:
        crawler = process.create_crawler(checker_for(portal.family))
        crawlers.append(crawler)
        process.crawl(crawler, portal=portal, pages=pages)
    process.start()
    return [result(p, c.spider) for p, c in zip(portals, crawlers)]


def render(r: dict[str, Any]) -> str:
    """A portal's check as text for a person deciding whether to mark it verified."""
    state = "BLOCKED" if r["blocked"] else ("ok" if r["reports"] else "NO REPORTS")
    lines = [f"{r['portal']} ({r['name']}): {state}; family {r['family']}; {len(r['pages'])} list page(s) read"]
    for p in r["pages"]:
        lines.append(f"  page {p['url']}  HTTP {p['status']}  {p['reports']} report link(s)"
                     + (f"  PROBLEM: {p['problem']}" if p["problem"] else ""))
    for rep in r["reports"]:
        lines.append(f"    {rep['year'] or '????'}  {rep['title']}  {rep['url']}")
    if r["next"]:
        lines.append(f"  next page(s), not read: {', '.join(r['next'][:5])}" + (" …" if len(r["next"]) > 5 else ""))
    for b in r["blocked"]:
        lines.append(f"  blocked: {b['url']}: {b['reason']}")
    for f in r["failures"]:
        lines.append(f"  failed: {f['url']}: {f['reason']}")
    return "\n".join(lines)
