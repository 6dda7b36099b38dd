"""The archive pipeline: raw bytes into `fetches` first, parsing in worker processes, then ingest.

Per portal run it writes one `crawl_runs` row (start_run … finish_run) and, after a run that read
its whole listing and found it still in place at the end (`PortalSpider.reread_heads`), marks reports
that vanished from the portal as gone (never deletes them).

A report page that holds no tables (详见附件) waits for its attachments: the best-parsing attachment
is ingested under the PAGE's URL, so a report keeps one identity whatever file carries it.

The reactor thread only routes: every archive write (the raw fetch with its zlib and sha256, each
ingest, mark_seen/mark_gone, the crawl_runs row) is a job for the process's archive writer thread
(`crawler.archiving.ArchiveWriter`, batched commits), and parsing runs in a pool of lower-priority
worker processes (`parsers.pool`). A response is parsed only after its raw fetch committed.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from scrapy import signals
from scrapy.crawler import Crawler

from archive.store import Archive
from crawler.archiving import archive_writer, open_archive
from crawler.items import Fetched
from parsers.pool import parse_job, pool
from parsers.model import Report

logger = logging.getLogger(__name__)
ERROR_HEADER = "X-Nianbao-Error"
MAX_PENDING = 256  # documents parsed or waiting for a worker, per portal
FILE_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def html_instead_of_file(body: bytes) -> bool:
    """An attachment URL that answered with a web page (error page, login, missing Referer)."""
    if body.startswith(FILE_MAGIC):
        return False
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<meta", b"<script", b"<div", b"<?xml", b"<p"))


@dataclass
class ReportGroup:
    """A report page and the attachments it is waiting for."""

    page_ready: asyncio.Event = field(default_factory=asyncio.Event)
    page: tuple[int, Report | None, str | None] | None = None
    waiting: set[str] = field(default_factory=set)
    parsed: list[tuple[int, Report]] = field(default_factory=list)
    unchanged: bool = False
    failed: bool = False  # an attachment could not be fetched: the report is retried next run, not guessed
    done: bool = False


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db = crawler.settings.get("ARCHIVE_DB")
        self.workers = crawler.settings.getint("PARSE_WORKERS")
        self.groups: dict[str, ReportGroup] = {}
        self.pending: set[asyncio.Future] = set()
        self.counts: Counter[str] = Counter()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider

    def open_spider(self) -> None:
        self.writer = archive_writer(self.db)
        portal = self.spider.portal
        self.run_id = self.writer.call(_open_run, portal)
        self.spider.run_id = self.run_id
        self.opened = self.last_response = time.monotonic()

    def write(self, fn, *args, **kwargs) -> asyncio.Future:
        """Await an archive write done by the writer thread (resolved once committed)."""
        return asyncio.wrap_future(self.writer.submit(fn, *args, **kwargs))

    # ------------------------------------------------------------------ items

    async def process_item(self, item):
        if not isinstance(item, Fetched):
            return item
        headers = item.headers
        if item.error:  # fetches has no error column: the reason travels as a pseudo-header of the row
            headers = {**headers, ERROR_HEADER: item.error}
        fetch_id = await self.write(
            Archive.record_fetch, item.url, raw=True, final_url=item.final_url or item.url, status=item.status,
            headers=headers, body=item.body, fetched_at=now(), run_id=self.run_id,
            portal_id=self.spider.portal.id, content_type=item.content_type)
        self.last_response = time.monotonic()
        if item.role == "report" and not item.error:
            self.start(self.report(item, fetch_id), item.url)
        elif item.role == "attachment":
            self.start(self.attachment(item, fetch_id), item.url)
        while len(self.pending) > MAX_PENDING:  # bodies wait in memory for a worker: bound them
            await asyncio.wait(self.pending, return_when=asyncio.FIRST_COMPLETED)
        return item

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

    async def parse(self, body: bytes, url: str, content_type: str | None) -> tuple[Report | None, str | None]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool(self.workers), parse_job, body, url, content_type)

    async def stored_page(self, url: str) -> tuple[int, Report | None, str | None] | None:
        """The page's last archived body, parsed: after a 304 its report still completes its attachment's."""
        archive = open_archive(self.db)
        page = archive.latest_fetch(url, status=200)
        if page is None:
            return None
        return (page["id"], *await self.parse(archive.body(page["sha256"]), url, page["content_type"]))

    async def report(self, item: Fetched, fetch_id: int) -> None:
        url = item.report_url or item.url
        group = self.groups.setdefault(url, ReportGroup())
        if item.status == 304 and item.attachments:
            group.waiting = set(item.attachments)  # the report lives in these files: wait for them
            group.page = await self.stored_page(url)
        elif item.status == 304:
            group.done = True
            group.page_ready.set()
            await self.seen(url)
        else:
            report, error = await self.parse(item.body, item.url, item.content_type)
            group.page = (fetch_id, report, error)
            if (report is not None and report.metrics) or not item.attachments:
                group.done = True
                group.page_ready.set()
                await self.ingest(fetch_id, report, error, url)
            else:
                group.waiting = set(item.attachments)
        group.page_ready.set()

    async def attachment(self, item: Fetched, fetch_id: int) -> None:
        url = item.report_url or item.url
        group = self.groups.setdefault(url, ReportGroup())
        await group.page_ready.wait()
        if group.done:
            return  # the page itself carried the report; the file stays archived raw
        if item.status == 304:
            group.unchanged = True
        elif item.error or item.status != 200:
            group.failed = True
        else:
            if html_instead_of_file(item.body) or not item.body:
                reason = ("a web page came back where a file was expected (error page, login or missing Referer)"
                          if item.body else "an empty 200 response where a file was expected")
                self.spider.failures.append((item.url, reason))
                logger.warning("attachment %s: %s; not archived as a report", item.url, reason)
                group.failed = True
            else:
                report, error = await self.parse(item.body, item.url, item.content_type)
                if report is not None and report.metrics:
                    group.parsed.append((fetch_id, report))
                elif error:  # archived with its error; the report is tried again next run
                    group.failed = True
                    await self.ingest(fetch_id, None, error, url)
        group.waiting.discard(item.url)
        if not group.waiting and not group.done:
            await self.finish_group(url, group)

    async def finish_group(self, url: str, group: ReportGroup) -> None:
        """Ingest the attachment that parsed best, with the page's title/organ/year filling its gaps."""
        group.done = True
        if group.parsed:
            fetch_id, report = max(group.parsed, key=lambda p: len(p[1].metrics))
            page_report = group.page[1] if group.page else None
            if page_report is not None:
                report.take_page(page_report)
            await self.ingest(fetch_id, report, None, url)
        elif group.unchanged:
            await self.seen(url)
        elif group.failed:
            logger.warning("%s: its report is in an attachment that did not arrive; trying again next run", url)
        elif group.page is not None:
            await self.ingest(*group.page, url)

    async def seen(self, url: str) -> None:
        self.counts["unchanged"] += 1
        await self.write(Archive.mark_seen, url, self.run_id)

    async def ingest(self, fetch_id: int, report: Report | None, error: str | None, url: str) -> None:
        if report is None and error is None:
            error = "the parser returned nothing"
        outcome = await self.write(_ingest, fetch_id, report, error=error, url=url,
                                   portal_id=self.spider.portal.id, run_id=self.run_id)
        self.counts[outcome] += 1
        if outcome == "parse_error":
            logger.warning("could not parse %s: %s (the body is archived; `nianbao reparse` retries it)", url, error)

    # ------------------------------------------------------------------ end of run

    async def close_spider(self) -> None:
        self.crawler.stats.set_value("nianbao/crawl_seconds", round(self.last_response - self.opened, 3))
        while self.pending:
            await asyncio.wait(set(self.pending))
        for url, group in self.groups.items():
            if not group.done and group.page is not None:  # attachments that never came back
                await self.finish_group(url, group)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        if spider.blocked:
            status = "blocked"
        elif reason != "finished":
            status = "interrupted"
        elif spider.list_failures or not spider.list_pages_ok:
            status = "failed"
        else:
            status = "ok"
        listed = set(spider.listed)
        complete = status == "ok" and not spider.listing_moved  # gone means: missing from a complete listing
        gone = self.writer.call(Archive.mark_gone, spider.portal.id, listed, self.run_id) if complete else 0
        problems = [f"blocked: {u} — {r}" for u, r in spider.blocked[:3]]
        problems += [f"{u} — {r}" for u, r in spider.failures[:5]]
        more = len(spider.blocked) + len(spider.failures) - len(problems)
        error = "; ".join(problems) + (f"; and {more} more" if more > 0 else "") if problems else None
        if reason != "finished" and status != "blocked":
            error = f"stopped before the end ({reason})" + (f"; {error}" if error else "")
        if status == "ok" and spider.listing_moved:
            error = spider.listing_moved + (f"; {error}" if error else "")
        row = dict(requests=stats.get_value("downloader/request_count", 0),
                   bytes=stats.get_value("downloader/response_bytes", 0),
                   new_reports=self.counts["new_report"], new_versions=self.counts["new_version"],
                   gone_reports=gone, parse_errors=self.counts["parse_error"], error=error)
        self.writer.call(Archive.finish_run, self.run_id, status, **row)
        for key, value in {**row, "status": status, "listed": len(spider.listed),
                           "unchanged": self.counts["unchanged"]}.items():
            stats.set_value(f"nianbao/{key}", value)
        stats.set_value("nianbao/failures", [{"url": u, "reason": r} for u, r in spider.failures])
        stats.set_value("nianbao/blocked", [{"url": u, "reason": r} for u, r in spider.blocked])
        logger.info("%s: %s — %d listed, %d new reports, %d new versions, %d unchanged, %d gone, %d parse errors",
                    spider.portal.id, status, len(spider.listed), row["new_reports"], row["new_versions"],
                    self.counts["unchanged"], gone, row["parse_errors"])


# ---------------------------------------------------------------------- jobs run by the writer thread

def _open_run(archive: Archive, portal) -> int:
    archive.upsert_portal(portal.id, portal.name, region=portal.region or None, family=portal.family,
                          start_urls=portal.start_urls, schedule=portal.schedule)
    return archive.start_run(portal.id)


def _ingest(archive: Archive, fetch_id: int, report: Report | None, **kwargs) -> str:
    """Ingest a parse result; an unchanged report is also marked seen (one job, one savepoint)."""
    result = archive.ingest(fetch_id, report, **kwargs)
    if result.outcome == "unchanged":
        archive.mark_seen(kwargs["url"], kwargs["run_id"])
    return result.outcome
