"""The shared spider: fetch list pages, route report pages and their attachments, hand raw bytes on.

Spiders only fetch and route. Every response becomes a `Fetched` item (raw bytes, untouched); list
pages are read by page objects (`crawler.pages`) to find report links by title and further pages;
report bodies are parsed later, outside the reactor (crawler.archivist).

A listing can move while it is read (a report published on top pushes the others down a page). So when
the run has nothing left to fetch, the first page of each listing is read again (one plain, unconditional
request each); if its links changed, the listing is walked again from that read, so reports pushed past
the pages read are fetched in this run, and the check repeats. A listing that still moves after
`REREADS` re-reads leaves the run `listing_moved`: nothing is marked gone on an incomplete listing.

How much is read is `crawler.walk`'s business: every listing and run is capped, and a re-crawl walks a
listing that did not change only as far as it shows reports the archive does not know, and asks again only
for the known reports whose re-check is due. A run that cut any listing short marks nothing gone.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from archive.store import normalize_headers

from crawler.items import Fetched, Head
from crawler.pages import PARSERS, Follow, Link, Listing, Page, looks_like_error_page
from crawler.portals import Portal, load_portals
from crawler.walk import WalkRules, full_walk_due, recheck_due
from crawler.walls import describe_failure, wall_page
from parsers.html import find_attachments

REREADS = 3  # end-of-run re-reads of a listing's first page before a run that keeps seeing it move gives up
ListKey = tuple[str, str, str | None]


def list_key(follow: Follow) -> ListKey:
    """What identifies a list page request (a POST page is its body as much as its URL)."""
    return follow.method, follow.url, follow.body


def listing_id(key: ListKey) -> str:
    """A listing's key as the archive stores it (`listings.key`)."""
    method, url, body = key
    return f"{method} {url}" + (f" {body}" if body else "")


def declared_charset(response: Response) -> str | None:
    """The charset the Content-Type header declares (w3lib's reading, aliases resolved), or None."""
    return http_content_type_encoding(response.headers.get("Content-Type", b"").decode("latin-1"))


class PortalSpider(scrapy.Spider):
    """Crawl one portal. Subclasses name their family and the page object that reads the start page."""

    family = "generic"
    entry = "generic.list"
    rereads_listings = True  # False for a distributed run's workers: their idleness is not the end of the run

    def __init__(self, portal: Portal | str | None = None, portals: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if portal is None:
            raise ValueError(f"spider {self.name}: say which portal to crawl (-a portal=ID)")
        self.portal = portal if isinstance(portal, Portal) else load_portals(portals)[portal]
        self.allowed_domains = list(self.portal.allowed_hosts)
        self.listed: dict[str, str] = {}  # report URL -> title, in listing order (the portal's current reports)
        self.list_pages_ok = 0
        self.list_failures: list[tuple[str, str]] = []
        self.failures: list[tuple[str, str]] = []
        self.blocked: list[tuple[str, str]] = []
        self.heads: dict[ListKey, Head] = {}  # the first page of each listing, as last read
        self.rereads = 0  # end-of-run re-read rounds so far; from the first on, list pages are walked again
        self.rewalked: set[ListKey] = set()  # list pages requested in the current re-walk
        self.listing_moved: str | None = None  # why nothing may be marked gone although the run read everything
        self.caps_hit: list[tuple[str, str]] = []  # (URL or portal id, which cap and its value): the run is partial
        self.rules = WalkRules.from_settings(BaseSettings())  # the defaults; from_crawler reads the settings
        self.known: dict[str, str | None] = {}  # the archive's current reports of the portal -> last confirmed
        self.stored_heads: dict[str, dict] = {}  # listing key -> its first page at the last complete walk
        self.full_pass = True  # every listing walked whole this run (the archivist says otherwise)
        self.walks: dict[ListKey, str] = {}  # listing (its first page's key) -> "full" | "short"
        self.cut_short: set[ListKey | None] = set()  # listings whose further pages were not all read (short walk, cap)
        self.capped: set[ListKey | None] = set()  # listings stopped by the page cap
        self.pages_per_listing: Counter[ListKey | None] = Counter()
        self.requested_lists: set[ListKey] = set()
        self.deferred = 0  # known reports listed but not due for a re-check
        self.requests_scheduled = 0
        self.stop_reason: str | None = None
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.rules = WalkRules.from_settings(crawler.settings)
        crawler.signals.connect(spider.reread_heads, signal=signals.spider_idle)
        crawler.signals.connect(spider.count_request, signal=signals.request_scheduled)
        crawler.signals.connect(spider.start_clock, signal=signals.spider_opened)
        crawler.signals.connect(spider.stop_clock, signal=signals.spider_closed)
        return spider

    # ------------------------------------------------------------------ caps and what the archive knows

    def know(self, known: dict[str, str | None], heads: dict[str, dict]) -> None:
        """What the archive knows of the portal (the archivist tells at the start of the run): its current
        reports and each listing's first page at the last complete walk. Decides whether this run is a full pass."""
        self.known, self.stored_heads = known, heads
        today = datetime.now(timezone.utc).date()
        self.full_pass = self.rules.full or full_walk_due([h["full_walk_at"] for h in heads.values()], today,
                                                          self.rules.full_walk_days)

    def hit_cap(self, where: str, what: str, advice: str) -> None:
        self.caps_hit.append((where, what))
        self.logger.warning("%s: %s — %s", where, what, advice)

    def start_clock(self, spider: scrapy.Spider) -> None:
        from twisted.internet import reactor  # the running one (importing it at module level would install one)

        self.timer = reactor.callLater(self.rules.max_seconds, self.time_up)

    def stop_clock(self, spider: scrapy.Spider) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()

    def time_up(self) -> None:
        self.hit_cap(self.portal.id, f"run time cap, {self.rules.max_seconds:g} s (NIANBAO_MAX_RUN_SECONDS)",
                     "the run was stopped; what it fetched is archived and nothing is marked gone. The next run "
                     "goes on; raise NIANBAO_MAX_RUN_SECONDS if the portal is really this big or this slow")
        self.close("nianbao_time_cap")

    def count_request(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        self.requests_scheduled += 1
        if self.requests_scheduled > self.rules.max_requests and self.stop_reason is None:
            self.hit_cap(self.portal.id, f"request cap, {self.rules.max_requests} requests (NIANBAO_MAX_REQUESTS)",
                         "the run was stopped; what it fetched is archived and nothing is marked gone. If the "
                         "portal really needs more, raise NIANBAO_MAX_REQUESTS (`-s NIANBAO_MAX_REQUESTS=N`)")
            self.close("nianbao_request_cap")

    def close(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def due(self, url: str) -> bool:
        """Ask for a listed report now? New (or not current) ones always; known ones when their re-check is due."""
        if self.rules.full or url not in self.known:
            return True
        return recheck_due(url, self.known[url], datetime.now(timezone.utc).date(), self.rules.recheck_days)

    def walk_kind(self, head: Head) -> str:
        """"short" when the listing's first page shows what it showed at the last complete walk and no full
        pass is due; otherwise "full"."""
        stored = self.stored_heads.get(listing_id(list_key(head.follow)))
        if self.full_pass or stored is None or (tuple(stored["links"]), stored["further"]) != head.shows():
            return "full"
        return "short"

    def heads_to_store(self) -> list[tuple[str, str, list[str], int]]:
        """The first pages of the listings this run read whole, for the next run's comparison."""
        return [(listing_id(key), head.follow.url, list(head.links), head.further)
                for key, head in self.heads.items() if key not in self.cut_short]

    def walked_whole(self) -> bool:
        """No listing was cut short (by a short walk or a cap): the run may mark reports gone."""
        return not self.cut_short

    # ------------------------------------------------------------------ requests

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal.start_urls:
            follow = Follow(url, self.entry)
            self.requested_lists.add(list_key(follow))
            yield self.follow_request(follow, top=True)

    def follow_request(self, follow: Follow, top: bool = False, listing: ListKey | None = None,
                       previous: tuple[str, ...] | None = None) -> scrapy.Request:
        """`top`: no page on the way here listed reports yet, so this page may be a listing's first page.
        `listing`: the first page of the listing this page belongs to; `previous`: the reports the page that
        led here showed (a page showing them again is the end of a pager that does not end)."""
        return scrapy.Request(
            follow.url, method=follow.method, body=follow.body, headers=follow.headers or None,
            callback=self.parse_list, errback=self.failed, dont_filter=follow.method == "POST" or self.rereads > 0,
            meta={"role": "list", "follow": follow, "top": top, "listing": listing, "previous": previous},
        )

    def follow_requests(self, follows: list[Follow], top: bool, parent: Follow | None = None,
                        listing: ListKey | None = None, previous: tuple[str, ...] | None = None
                        ) -> Iterator[scrapy.Request]:
        """The further list pages of a page. A re-walk bypasses the dupefilter (it read them before), so
        it keeps its own: each page once per re-walk. A sub-column (deeper than its parent) starts a listing
        of its own; a page of the same listing counts towards its page cap, and a page asked for before in
        this walk is not asked for again (a POST pager is not deduplicated by Scrapy)."""
        for follow in follows:
            key = list_key(follow)
            if self.rereads:
                if key in self.rewalked:
                    continue
                self.rewalked.add(key)
            elif key in self.requested_lists:
                continue
            self.requested_lists.add(key)
            if parent is not None and follow.depth > parent.depth:
                yield self.follow_request(follow, top=True)
                continue
            if self.pages_per_listing[listing] + 1 >= self.rules.max_list_pages:
                self.cut_short.add(listing)
                if listing not in self.capped:
                    self.capped.add(listing)
                    where = listing[1] if listing else self.portal.id
                    self.hit_cap(where, f"list page cap, {self.rules.max_list_pages} pages (NIANBAO_MAX_LIST_PAGES)",
                                 "the listing seems not to end; its reports past that page were not read and nothing "
                                 "is marked gone this run. If the column is really that long, raise "
                                 "NIANBAO_MAX_LIST_PAGES")
                continue
            self.pages_per_listing[listing] += 1
            yield self.follow_request(follow, top, listing, previous)

    def report_request(self, link: Link, referer: str) -> scrapy.Request | None:
        if link.url in self.listed or not self.portal.allows(link.url):
            return None
        self.listed[link.url] = link.title
        if not self.due(link.url):
            self.deferred += 1
            return None
        return scrapy.Request(
            link.url, callback=self.parse_report, errback=self.failed, headers={"Referer": referer},
            meta={"role": "report", "report_url": link.url, "title": link.title, "conditional": True,
                  "handle_httpstatus_list": [304]},
        )

    # ------------------------------------------------------------------ callbacks

    def page(self, response: Response) -> Page:
        return Page.from_bytes(response.url, response.body, declared_charset(response), response.status)

    def fetched(self, response: Response, role: str, **extra: Any) -> Fetched:
        return Fetched(url=response.request.url if response.request else response.url, role=role,
                       final_url=response.url, status=response.status, headers=normalize_headers(response.headers),
                       body=response.body, **extra)

    def parse_list(self, response: Response) -> Iterator[Any]:
        follow: Follow = response.meta["follow"]
        listing, problem = self.read_list(response, follow)
        head = self.head_of(response, follow, listing) if listing is not None else None
        yield self.fetched(response, "list", head=head)
        if listing is None:
            # A list page we could not read means the listing is incomplete: nothing may be marked gone.
            self.logger.warning("list page %s: %s (it will be read again on the next run)", response.url, problem)
            self.list_failures.append((response.url, problem))
            self.failures.append((response.url, problem))
            return
        self.list_pages_ok += 1
        reread = response.meta.get("reread", False)
        if head is not None and not self.note_head(head, reread=reread):
            return  # read again at the end of the run and unchanged: its listing was read whole
        key = list_key(head.follow) if head is not None else response.meta.get("listing")
        if head is not None:
            self.walks[key] = "full" if reread else self.walk_kind(head)
        items = tuple(link.url for link in listing.reports)
        if head is None and items and items == response.meta.get("previous"):
            self.logger.info("list page %s shows the same reports as the page before it: the end of its listing",
                             response.url)
            return
        unknown = [link for link in listing.reports if link.url not in self.known]
        for link in listing.reports:
            request = self.report_request(link, response.url)
            if request is not None:
                yield request
        follows = listing.follow
        if self.walks.get(key) == "short" and not unknown:
            # Unchanged at the top, and everything here is known: the rest of the listing is what it was.
            pager = [f for f in follows if f.depth <= follow.depth]
            if pager:
                self.cut_short.add(key)
            follows = [f for f in follows if f.depth > follow.depth]
        yield from self.follow_requests(follows, top=response.meta.get("top", False) and not listing.reports,
                                        parent=follow, listing=key, previous=items)

    def read_list(self, response: Response, follow: Follow) -> tuple[Listing | None, str | None]:
        """The listing a list page shows, or why it cannot be trusted."""
        page = self.page(response)
        problem = body_problem(page, response)
        if problem is not None:
            return None, problem
        try:
            return PARSERS[follow.parser](page, follow), None
        except (ValueError, KeyError, TypeError) as e:  # malformed JSON/XML, a template we do not know
            return None, f"could not read the list page ({type(e).__name__}: {e})"

    def head_of(self, response: Response, follow: Follow, listing: Listing) -> Head | None:
        """The page as a listing's first page: the first page on the way from a start URL that lists reports."""
        if not response.meta.get("reread") and not (response.meta.get("top") and listing.reports):
            return None
        return Head(follow, tuple(link.url for link in listing.reports), len(listing.follow))

    def note_head(self, head: Head, reread: bool = False) -> bool:
        """Remember a listing's first page; for a re-read, whether it moved (then its listing is walked again)."""
        key = list_key(head.follow)
        before = self.heads.get(key)
        if reread and before is not None and before.shows() == head.shows():
            before.confirmed = True
            return False
        if reread:
            self.logger.warning("%s: the listing moved while it was read (its first page changed); reading it "
                                "again so no report pushed past the pages read is missed", head.follow.url)
        self.heads[key] = head
        return True

    # ------------------------------------------------------------------ end of run

    def listing_read_whole(self) -> bool:
        """Every list page was read (none failed, nothing blocked): the only runs that may mark reports gone."""
        return not self.list_failures and not self.blocked and self.list_pages_ok > 0

    def reread_heads(self) -> None:
        """Nothing left to fetch: read the first page of each listing not yet confirmed once more."""
        pending = [head for head in self.heads.values() if not head.confirmed]
        if (not self.rereads_listings or not pending or self.listing_moved or not self.listing_read_whole()
                or not self.walked_whole() or self.stop_reason):
            return
        if self.rereads >= REREADS:
            self.listing_moved = (f"the listing kept moving while it was read ({self.rereads} re-reads of "
                                  f"{pending[0].follow.url}); nothing marked gone this run")
            self.logger.warning("%s: %s", self.portal.id, self.listing_moved)
            return
        self.rereads += 1
        self.rewalked = {list_key(head.follow) for head in pending}
        for head in pending:
            request = self.follow_request(head.follow, top=True)
            request.meta["reread"] = True
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def parse_report(self, response: Response) -> Iterator[Any]:
        report_url = response.meta["report_url"]
        title = response.meta.get("title", "")
        if response.status == 304:
            # Unchanged page. If its report was parsed from an attachment (详见附件), the file may have
            # changed on its own: ask for it again, conditionally.
            files = self.attachments_of_stored_page(response)
            yield self.fetched(response, "report", report_url=report_url, title=title, attachments=files)
            yield from self.attachment_requests(files, response.url, report_url, title)
            return
        page = self.page(response)
        reason = body_problem(page, response)
        if reason is not None:
            self.logger.warning("report page %s: %s (it will be fetched again on the next run)", response.url, reason)
            self.failures.append((response.url, reason))
            yield self.fetched(response, "report", report_url=report_url, title=title, error=reason)
            return
        files = self.attachment_urls(page.text, response.url)
        yield self.fetched(response, "report", report_url=report_url, title=title, attachments=files)
        yield from self.attachment_requests(files, response.url, report_url, title)

    def attachment_urls(self, text: str, url: str) -> list[str]:
        return list(dict.fromkeys(a["url"] for a in find_attachments(text, url) if self.portal.allows(a["url"])))

    def attachments_of_stored_page(self, response: Response) -> list[str]:
        """The file the archived report of this page was parsed from, when that was not the page itself
        (the archivist put it in the request's meta)."""
        source = response.meta.get("archived_source")
        return [source] if source and source != response.url and self.portal.allows(source) else []

    def attachment_requests(self, files: list[str], page_url: str, report_url: str,
                            title: str) -> Iterator[scrapy.Request]:
        for url in files:
            # Boda's download.jsp answers an HTML error page unless the article page is the Referer.
            yield scrapy.Request(url, callback=self.parse_attachment, errback=self.failed, dont_filter=True,
                                 headers={"Referer": page_url},
                                 meta={"role": "attachment", "report_url": report_url, "title": title, "conditional": True,
                                       "handle_httpstatus_list": [304]})

    def parse_attachment(self, response: Response) -> Iterator[Fetched]:
        yield self.fetched(response, "attachment", report_url=response.meta["report_url"],
                           title=response.meta.get("title", ""))

    def failed(self, failure: Failure) -> Iterator[Fetched]:
        """Any request that did not produce a usable response: recorded with its reason, never as 'no reports'."""
        request = failure.request
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # what was asked for, not the last hop
        role = request.meta.get("role", "list")
        response = getattr(failure.value, "response", None)
        reason, blocked = describe_failure(failure)
        (self.blocked if blocked else self.failures).append((url, reason))
        if role == "list":
            self.list_failures.append((url, reason))
        if blocked:
            self.logger.warning("blocked: %s — %s", url, reason)
        else:
            self.logger.warning("fetch failed: %s — %s (it will be retried on the next run)", url, reason)
        yield Fetched(url=url, role=role, final_url=response.url if response else request.url,
                      status=response.status if response else 0,
                      headers=normalize_headers(response.headers) if response else {},
                      body=response.body if response else b"", report_url=request.meta.get("report_url"),
                      error=reason, blocked=blocked)


def body_problem(page: Page, response: Response) -> str | None:
    """Why a 200 page cannot be trusted (empty, an error page, cut off), or None."""
    body = response.body.strip()
    if not body:
        return "an empty 200 response"
    if looks_like_error_page(page.text):
        return "an error page (页面不存在) came back instead of the page"
    wall = wall_page(page.text)
    if wall is not None:
        return wall
    ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    if ("html" in ctype or body[:1] == b"<") and b"<html" in body[:2000].lower() and b"</html>" not in body[-4096:].lower():
        return "the page is cut off (no </html>): the connection closed early"
    return None


def spider_for(family: str) -> type[PortalSpider]:
    """The spider class that crawls a family (`auto` detects it from the first page)."""
    from crawler.spiders import SPIDERS

    return SPIDERS[family]


__all__ = ["PortalSpider", "spider_for"]
