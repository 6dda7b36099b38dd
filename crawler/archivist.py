"""Where the crawl meets the archive: one Scrapy extension per crawler, the only crawl code that opens it.

- Requests: when a report page or attachment is scheduled, it reads what the archive knows of the URL
  (the file an archived report came from, the validators of its last good response) into the request's
  meta; `ConditionalRequestMiddleware` and the spider take it from there and never open the archive.
- Items: the pipeline hands every `Fetched` to `take`: the raw response goes to the process's writer thread
  first (`archive.writer`), report pages and attachments are parsed in worker processes (`parsers.pool`)
  only after their raw fetch committed, and `ReportAssembler` decides which parse becomes the report.
- Lifecycle: `spider_opened` starts the portal's `crawl_runs` row; `spider_closed` ends it with the
  status the spider's listing and Scrapy's stats give, marks gone what a complete listing no longer
  shows, and leaves the run's figures in the `nianbao/*` stats (the run summary).
- Misses: a listed report that ends the run neither archived nor confirmed unchanged (its page or the
  attachment it needs failed after its retries, was refused as not a report, or did not parse) is
  `missed` with its first reason; any miss, or a cap the spider hit, makes the run `partial`.

With `ARCHIVE_READ_ONLY` (a distributed run's workers) it only reads: the one writer process records.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import replace
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive.store import Archive, now
from archive.writer import archive_writer, open_archive
from crawler.assembly import Decision, Ingest, Parsed, ReportAssembler, Retry, Seen
from crawler.items import Fetched
from parsers.pool import WORKER_NICE, Hints, listing_hints, parse_job, pool
from parsers.sniff import html_instead_of_file

logger = logging.getLogger(__name__)
ERROR_HEADER = "X-Nianbao-Error"
MAX_PENDING = 256  # documents parsed or waiting for a worker, per portal


class Archivist:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db = crawler.settings.get("ARCHIVE_DB")
        if not self.db:
            raise NotConfigured("no ARCHIVE_DB")
        self.read_only = crawler.settings.getbool("ARCHIVE_READ_ONLY")
        self.workers = crawler.settings.getint("PARSE_WORKERS")
        self.nice = crawler.settings.getint("PARSE_NICE", WORKER_NICE)
        self.assembler = ReportAssembler()
        self.page_decided: dict[str, asyncio.Event] = {}
        self.pending: set[asyncio.Future] = set()
        self.counts: Counter[str] = Counter()
        self.trouble: dict[str, str] = {}  # report URL -> first reason it was not archived this run
        self.archived: set[str] = set()  # report URLs archived or confirmed unchanged this run
        self.run_id: int | None = None
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        if not self.read_only:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "Archivist":
        return cls(crawler)

    @property
    def archive(self) -> Archive:
        """The archive for reads on the reactor thread (sub-millisecond; WAL readers never wait)."""
        if not hasattr(self, "_archive"):
            self._archive = Archive.read_only(self.db) if self.read_only else open_archive(self.db)
        return self._archive

    # ------------------------------------------------------------------ requests

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """What the archive knows of a report page or attachment, for a conditional request. Only what an
        archived report came from is asked conditionally, so a report that failed last time (an attachment
        that never arrived) is fetched in full again."""
        if not request.meta.get("conditional") or "validators" in request.meta:
            return
        source = self.archive.archived_source(request.meta.get("report_url") or request.url)
        request.meta["archived_source"] = source
        asks = source is not None and (request.meta.get("role") != "attachment" or source == request.url)
        request.meta["validators"] = self.archive.validators(request.url) if asks else {}

    # ------------------------------------------------------------------ the run

    def spider_opened(self, spider: Spider) -> None:
        self.writer = archive_writer(self.db)
        self.run_id = self.writer.call(_open_run, spider.portal)
        spider.run_id = self.run_id
        spider.know(self.archive.known_reports(spider.portal.id), self.archive.listing_heads(spider.portal.id))
        missed = self.archive.missed_since_ok(spider.portal.id)
        if missed:  # after a partial run: every listing walked whole, and what it missed asked for, whatever the rotation
            spider.full_pass = True
            for url in missed:
                spider.known.pop(url, None)
        self.opened = self.last_response = time.monotonic()

    def write(self, fn, *args: Any, **kwargs: Any) -> asyncio.Future:
        """Await an archive write done by the writer thread (resolved once committed)."""
        return asyncio.wrap_future(self.writer.submit(fn, *args, **kwargs))

    # ------------------------------------------------------------------ items

    async def take(self, item: Fetched) -> None:
        """Archive a response raw, then parse and ingest what it carries in the background."""
        spider = self.crawler.spider
        if item.role == "attachment" and item.status == 200 and not item.error:
            item = _refuse_non_file(item)
            if item.error:
                spider.failures.append((item.url, item.error))
        headers = item.headers
        if item.error:  # fetches has no error column: the reason travels as a pseudo-header of the row
            headers = {**headers, ERROR_HEADER: item.error}
        # a report page or file confirmed unchanged moves its stored response's last_seen; list pages are
        # evidence of what a listing showed at each read: always a row
        record = _record if item.role != "list" else Archive.record_fetch
        fetch_id = await self.write(
            record, item.url, raw=True, final_url=item.final_url or item.url, status=item.status,
            headers=headers, body=item.body, fetched_at=now(), run_id=self.run_id,
            portal_id=spider.portal.id, content_type=item.content_type, listing_title=item.title or None)
        self.last_response = time.monotonic()
        if item.error and item.role in ("report", "attachment") and not item.blocked:
            self.miss(item.report_url or item.url, item.error if item.role == "report" else f"{item.url}: {item.error}")
        if item.role == "report" and not item.error:
            self.start(self.report(item, fetch_id), item.url)
        elif item.role == "attachment":
            self.start(self.attachment(item, fetch_id), item.url)
        while len(self.pending) > MAX_PENDING:  # bodies wait in memory for a worker: bound them
            await asyncio.wait(self.pending, return_when=asyncio.FIRST_COMPLETED)

    def start(self, work, url: str) -> None:
        """Parse and ingest in the background, so the crawl goes on while workers parse."""
        task = asyncio.ensure_future(work)
        self.pending.add(task)
        task.add_done_callback(lambda t: self.done(t, url))

    def done(self, task: asyncio.Task, url: str) -> None:
        self.pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("archiving %s failed: %r (the raw response is stored)", url, task.exception(),
                         exc_info=task.exception())

    async def parse(self, body: bytes, url: str, content_type: str | None, hints: Hints = None) -> tuple[Any, str | None]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool(self.workers, self.nice), parse_job, body, url, content_type, None, hints)

    async def parsed(self, item: Fetched) -> tuple[Any, str | None]:
        """The item's body parsed (with the title it was listed under): by a distributed run's worker if it
        did (the writer then only writes)."""
        if item.worker_parsed and item.parsed is not None:
            return item.parsed
        return await self.parse(item.body, item.url, item.content_type, listing_hints(item.title))

    async def stored_page(self, url: str) -> Parsed | None:
        """The page body the 304 vouched for, parsed: its report still completes its attachment's."""
        page = self.archive.validating_fetch(url)
        if page is None:
            return None
        return (page["id"], *await self.parse(self.archive.body(page["sha256"]), url, page["content_type"],
                                              listing_hints(page["listing_title"])))

    def decided(self, url: str) -> asyncio.Event:
        """Set once the page at `url` is parsed: its attachments wait for it (they may not need parsing)."""
        return self.page_decided.setdefault(url, asyncio.Event())

    async def report(self, item: Fetched, fetch_id: int) -> None:
        url = item.report_url or item.url
        try:
            if item.status == 304:
                stored = item.stored if item.worker_parsed else (
                    await self.stored_page(url) if item.attachments else None)
                decisions = self.assembler.unchanged_page(url, stored, item.attachments)
            else:
                report, error = await self.parsed(item)
                decisions = self.assembler.page(url, (fetch_id, report, error), item.attachments)
        finally:
            self.decided(url).set()
        await self.carry_out(decisions)

    async def attachment(self, item: Fetched, fetch_id: int) -> None:
        url = item.report_url or item.url
        await self.decided(url).wait()
        if not self.assembler.wants_attachments(url):
            return  # the page itself carried the report; the file stays archived raw
        if item.status == 304:
            decisions = self.assembler.attachment(url, item.url, unchanged=True)
        elif item.error or item.status != 200:
            decisions = self.assembler.attachment(url, item.url, failed=True)
        else:
            report, error = await self.parsed(item)
            decisions = self.assembler.attachment(url, item.url, parsed=(fetch_id, report, error))
        await self.carry_out(decisions)

    async def carry_out(self, decisions: list[Decision]) -> None:
        spider = self.crawler.spider
        for d in decisions:
            if isinstance(d, Seen):
                self.archived.add(d.url)
                self.counts["unchanged"] += 1
                await self.write(Archive.mark_seen, d.url, self.run_id)
            elif isinstance(d, Retry):
                self.miss(d.url, "its report is in an attachment that did not arrive")
                logger.warning("%s: its report is in an attachment that did not arrive; trying again next run", d.url)
            elif isinstance(d, Ingest):
                error = d.error if d.report is not None or d.error is not None else "the parser returned nothing"
                outcome = await self.write(_ingest, d.fetch_id, d.report, error=error, url=d.url,
                                           portal_id=spider.portal.id, run_id=self.run_id)
                self.counts[outcome] += 1
                if outcome != "parse_error":
                    self.archived.add(d.url)
                else:
                    self.miss(d.url, error)
                    logger.warning("could not parse %s: %s (the body is archived; `nianbao reparse` retries it)",
                                   d.url, error)

    def miss(self, report_url: str, reason: str) -> None:
        """Note why a listed report may end the run unarchived (it is missed unless archived later on)."""
        self.trouble.setdefault(report_url, reason)

    def missed(self) -> dict[str, str]:
        """Report URL -> first reason, for the reports this run did not archive nor confirm unchanged."""
        return {url: why for url, why in self.trouble.items() if url not in self.archived}

    async def drain(self) -> None:
        """The crawl is over: wait for the parses still running, then decide what never got its files."""
        self.crawler.stats.set_value("nianbao/crawl_seconds", round(self.last_response - self.opened, 3))
        while self.pending:
            await asyncio.wait(set(self.pending))
        await self.carry_out(self.assembler.leftovers())

    # ------------------------------------------------------------------ end of run

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        missed = self.missed()
        status = run_status(spider, reason, missed)
        # gone means: missing from a complete listing (no listing cut short by an incremental walk or a cap)
        complete = status == "ok" and not spider.listing_moved and spider.walked_whole()
        gone = self.writer.call(Archive.mark_gone, spider.portal.id, set(spider.listed), self.run_id) if complete else 0
        if status == "ok" and not spider.listing_moved and not spider.failures and not spider.caps_hit:
            # the listings' first pages as this run read them whole: the next run compares its own with them
            self.writer.call(Archive.record_listing_heads, spider.portal.id, spider.heads_to_store(),
                             full=spider.walked_whole())
        row = dict(requests=stats.get_value("downloader/request_count", 0),
                   bytes=stats.get_value("downloader/response_bytes", 0),
                   new_reports=self.counts["new_report"], new_versions=self.counts["new_version"],
                   gone_reports=gone, parse_errors=self.counts["parse_error"], missed=len(missed),
                   missed_urls=json.dumps(list(missed), ensure_ascii=False) if missed else None,
                   error=run_error(spider, reason, status, missed), listed=len(spider.listed))
        self.writer.call(Archive.finish_run, self.run_id, status, **row)
        for key, value in {**row, "status": status, "unchanged": self.counts["unchanged"],
                           "rechecks_deferred": spider.deferred, "full_pass": spider.walked_whole(),
                           "caps_hit": [f"{w}: {c}" for w, c in spider.caps_hit]}.items():
            stats.set_value(f"nianbao/{key}", value)
        stats.set_value("nianbao/failures", [{"url": u, "reason": r} for u, r in spider.failures])
        stats.set_value("nianbao/blocked", [{"url": u, "reason": r} for u, r in spider.blocked])
        stats.set_value("nianbao/missed_reports", [{"url": u, "reason": r} for u, r in missed.items()])
        logger.info("%s: %s — %d listed, %d new reports, %d new versions, %d unchanged, %d gone, %d parse errors, "
                    "%d missed", spider.portal.id, status, len(spider.listed), row["new_reports"], row["new_versions"],
                    self.counts["unchanged"], gone, row["parse_errors"], len(missed))


def run_status(spider: Spider, reason: str, missed: dict[str, str] | None = None) -> str:
    """blocked (a bot wall or robots.txt), interrupted (stopped before the end), failed (a list page could
    not be read, or none was), partial (the listing was read, but a listed report was missed or a cap
    stopped the walk) or ok. A cap closes the spider early on purpose: that run is partial, not interrupted."""
    caps = getattr(spider, "caps_hit", [])
    if spider.blocked:
        return "blocked"
    if reason != "finished" and not caps:
        return "interrupted"
    if spider.list_failures or not spider.list_pages_ok:
        return "failed"
    if missed or caps:
        return "partial"
    return "ok"


def run_error(spider: Spider, reason: str, status: str, missed: dict[str, str] | None = None) -> str | None:
    """The run's `error` column: caps hit, the first blocks, failures and missed reports, why it stopped,
    why nothing was marked gone."""
    missed = missed or {}
    caps = getattr(spider, "caps_hit", [])
    failures = [(u, r) for u, r in spider.failures if u not in missed]
    problems = [f"cap hit: {w} — {c}" for w, c in caps[:3]]
    problems += [f"blocked: {u} — {r}" for u, r in spider.blocked[:3]]
    problems += [f"missed {u} — {r}" for u, r in list(missed.items())[:5]]
    problems += [f"{u} — {r}" for u, r in failures[:5]]
    more = len(caps) + len(spider.blocked) + len(missed) + len(failures) - len(problems)
    error = "; ".join(problems) + (f"; and {more} more" if more > 0 else "") if problems else None
    if missed:
        error = f"{len(missed)} listed report(s) missed (asked again next run): {error}"
    if reason != "finished" and status not in ("blocked", "partial"):
        error = f"stopped before the end ({reason})" + (f"; {error}" if error else "")
    if status == "ok" and spider.listing_moved:
        error = spider.listing_moved + (f"; {error}" if error else "")
    return error


def not_a_file(body: bytes) -> str | None:
    """Why an attachment's 200 body is no file (a web page: error, login, missing Referer; or nothing), else None."""
    if not body:
        return "an empty 200 response where a file was expected"
    if html_instead_of_file(body):
        return "a web page came back where a file was expected (error page, login or missing Referer)"
    return None


def _refuse_non_file(item: Fetched) -> Fetched:
    """An attachment that answered 200 with a web page (error, login, missing Referer) or nothing: kept
    as a fetch with its reason, never parsed as a report."""
    reason = not_a_file(item.body)
    if reason is None:
        return item
    logger.warning("attachment %s: %s; not archived as a report", item.url, reason)
    return replace(item, error=reason)


# ---------------------------------------------------------------------- jobs run by the writer thread

def _open_run(archive: Archive, portal) -> int:
    archive.upsert_portal(portal.id, portal.name, region=portal.region or None, family=portal.family,
                          start_urls=portal.start_urls, schedule=portal.schedule)
    return archive.start_run(portal.id)


def _record(archive: Archive, url: str, *, status: int, body: bytes, run_id: int | None,
            **kwargs: Any) -> int:
    """Keep a response: a 304, or the same body as last time, only moves the stored response's `last_seen`
    (no new `fetches` row); anything else is a new row. Failures are always recorded."""
    if ERROR_HEADER not in kwargs.get("headers", {}):
        confirmed = archive.confirm_fetch(url, status=status, body=body, run_id=run_id,
                                          listing_title=kwargs.get("listing_title"))
        if confirmed is not None:
            return confirmed
    return archive.record_fetch(url, status=status, body=body, run_id=run_id, **kwargs)


def _ingest(archive: Archive, fetch_id: int, report, **kwargs: Any) -> str:
    """Ingest a parse result; an unchanged report is also marked seen (one job, one savepoint)."""
    result = archive.ingest(fetch_id, report, **kwargs)
    if result.outcome == "unchanged":
        archive.mark_seen(kwargs["url"], kwargs["run_id"])
    return result.outcome
