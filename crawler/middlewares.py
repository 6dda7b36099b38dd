"""Downloader middlewares, one job each: conditional requests, Retry-After backoff, no off-portal redirects."""
from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as _cookies
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.archiving import archived_source, open_archive
from tldextract import TLDExtract

logger = logging.getLogger(__name__)

# Scrapy's cookie middleware asks tldextract for the public suffix list, which by default DOWNLOADS it
# from publicsuffix.org the first time a site sets a cookie. A crawler must contact only the portals it
# crawls, so use the snapshot that ships with tldextract.
_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class ConditionalRequestMiddleware:
    """Ask for a report page or attachment only if it changed since we stored it (If-None-Match /
    If-Modified-Since from the archive). List pages are never conditional: they must be re-read. Only
    what an archived report came from is asked conditionally, so a report that failed last time (an
    attachment that never arrived) is fetched in full again."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db = crawler.settings.get("ARCHIVE_DB")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConditionalRequestMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional") or not self.db or "If-None-Match" in request.headers:
            return None
        archive = open_archive(self.db)
        source = archived_source(archive, request.meta.get("report_url") or request.url)
        if source is None or (request.meta.get("role") == "attachment" and source != request.url):
            return None
        for name, value in archive.validators(request.url).items():
            if value:
                request.headers[name] = value
        return None


class RetryAfterMiddleware:
    """On 429/503, slow the host's download slot down to the server's Retry-After before RetryMiddleware
    re-queues the request, so the retry does not hit the wall again at once; the slot's own delay comes
    back with the host's next good response. Waits are capped by RETRY_AFTER_MAX seconds (a host asking
    for longer is treated as blocking us: no retry)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("RETRY_AFTER_MAX", 300)
        self.slowed: dict[str, float] = {}  # slot key -> the delay it had before we slowed it

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RetryAfterMiddleware":
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if response.status not in (429, 503):
            if key in self.slowed and slot is not None:
                slot.delay = self.slowed.pop(key)
            return response
        wait = retry_after(response.headers.get("Retry-After", b"").decode("latin-1"))
        if wait is None:
            wait = 2 * self.crawler.settings.getfloat("DOWNLOAD_DELAY", 0) or 1.0
        if wait > self.cap:
            request.meta["dont_retry"] = True
            return response
        if slot is not None and slot.delay < wait:
            logger.info("%s answered %s; waiting %.0f s before asking this host again", request.url,
                        response.status, wait)
            self.slowed.setdefault(key, slot.delay)
            slot.delay = wait
        self.crawler.stats.inc_value("nianbao/retry_after")
        return response


def retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


class OffsiteRedirectMiddleware:
    """Refuse a redirect that leaves the portal's hosts (its start-URL hosts), or that comes back to a URL
    of its own redirect chain (a loop), and say so in the run's failures. Runs before RedirectMiddleware
    (it sits closer to the downloader), because Scrapy would otherwise drop the off-site hop, and its
    duplicate filter the looping one, silently: the page would just be missing."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "OffsiteRedirectMiddleware":
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        portal = getattr(self.crawler.spider, "portal", None)
        target = urljoin(request.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            # Scrapy's duplicate filter would drop the repeated hop without a word: the page would just be missing.
            self.crawler.stats.inc_value("nianbao/redirect_loops")
            raise IgnoreRequest(f"redirect loop refused: {chain[0]} -> … -> {request.url} -> {target}")
        if portal is None or portal.allows(target):
            return response
        self.crawler.stats.inc_value("nianbao/offsite_redirects")
        raise IgnoreRequest(f"redirect off the portal refused: {request.url} -> {target}")
