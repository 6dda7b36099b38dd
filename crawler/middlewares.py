"""Downloader middlewares, one job each: conditional requests, Retry-After backoff, no off-portal redirects,
the other scheme when one of http/https is broken."""
from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

from OpenSSL import SSL
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as _cookies
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError, IgnoreRequest
from scrapy.http import Response
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.web.client import ResponseNeverReceived

from tldextract import TLDExtract

logger = logging.getLogger(__name__)

# Scrapy's cookie middleware asks tldextract for the public suffix list, which by default DOWNLOADS it
# from publicsuffix.org the first time a site sets a cookie. A crawler must contact only the portals it
# crawls, so use the snapshot that ships with tldextract.
_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class ConditionalRequestMiddleware:
    """Ask for a report page or attachment only if it changed since we stored it: the If-None-Match /
    If-Modified-Since that `crawler.archivist.Archivist` put in the request's meta when it was scheduled.
    List pages are never conditional: they must be re-read."""

    def process_request(self, request: Request) -> None:
        if "If-None-Match" in request.headers:
            return None
        for name, value in request.meta.get("validators", {}).items():
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


class NeitherSchemeWorks(Exception):
    """A request failed at the connection level on both http:// and https://."""


class SchemeFallbackMiddleware:
    """Quirk #20: a portal whose https is broken (TLS handshake fails) while its http works, or the reverse.
    When a request to a host that has not answered yet fails at the connection level after its retries, ask
    for the same URL once on the other scheme; if that answers, send the host's later requests straight
    there and say so in the log. Hosts are the same on both schemes, so allowed hosts, the redirect guard,
    the download slot and robots.txt (keyed by host) treat the switched URLs as the same portal; a report is
    stored under the URL it was listed with, and the list pages read over the working scheme give the same
    URLs on every run, so conditional requests keep working. Both failing raises `NeitherSchemeWorks`
    with both reasons, which the run records as its error. Runs after RetryMiddleware (550) for exceptions."""

    FALLBACK = "scheme_fallback"  # meta: (the URL that failed, why) on the one request sent on the other scheme

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.switched: dict[str, str] = {}  # host -> the scheme this run uses for it
        self.answered: set[str] = set()     # hosts that gave any response: their failures are ordinary ones

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SchemeFallbackMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        scheme = self.switched.get(parts.hostname or "")
        if scheme is None or parts.scheme == scheme:
            return None
        return request.replace(url=other_scheme(request.url))

    def process_response(self, request: Request, response: Response) -> Response:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        self.answered.add(host)
        failed = request.meta.get(self.FALLBACK)
        if failed and host not in self.switched:
            self.switched[host] = parts.scheme
            self.crawler.stats.set_value("nianbao/scheme_switched", dict(self.switched))
            logger.warning("%s: %s; using %s:// for this host", origin(failed[0]), failed[1], parts.scheme)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        reason = connection_failure(exception)
        parts = urlsplit(request.url)
        if reason is None or parts.scheme not in ("http", "https") or parts.hostname in self.answered:
            return None
        failed = request.meta.get(self.FALLBACK)
        if failed:
            raise NeitherSchemeWorks(f"{failed[0]}: {failed[1]}; {request.url}: {reason}")
        retry = request.replace(url=other_scheme(request.url))
        retry.meta[self.FALLBACK] = (request.url, reason)
        logger.info("%s: %s; trying %s once", origin(request.url), reason, retry.url)
        return retry


def other_scheme(url: str) -> str:
    """`url` on the other one of http/https; a port other than the scheme's default stays (one port, both
    schemes), an explicit default port goes."""
    parts = urlsplit(url)
    scheme = "http" if parts.scheme == "https" else "https"
    netloc = parts.netloc
    if parts.port == (443 if parts.scheme == "https" else 80):
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def connection_failure(exc: BaseException) -> str | None:
    """In plain words, why a request failed before any response byte came back (refused, TLS handshake,
    connection closed), or None for other failures (a timeout, a cut-off body, DNS): those are not the
    scheme's fault."""
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectError) and not isinstance(exc, DNSLookupError):
        return f"could not connect ({exc})"
    cause = exc.__cause__ if isinstance(exc, DownloadFailedError) else exc
    if not isinstance(cause, ResponseNeverReceived):
        return None
    for failure in cause.reasons:
        if isinstance(failure.value, SSL.Error):  # args: ([(library, function, reason), …],)
            reasons = [e[-1] for e in (failure.value.args[0] if failure.value.args else []) if e]
            return f"TLS handshake failed ({'; '.join(reasons) or 'SSL error'})"
    return "the connection closed before any answer"
