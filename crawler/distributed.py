"""Scale-out: N crawler processes share one Redis frontier (scrapy-redis 0.9.1) and parse what they fetch;
ONE process writes the archive.

    nianbao crawl --redis redis://127.0.0.1:6379 --workers 4 PORTAL...

Workers fetch, route and parse: each response (a `Fetched` item, raw bytes) is parsed in the worker's own
parse pool (parsers.pool, at normal priority: parsing is the worker's share of the run) and pickled onto a Redis list together
with its parse result (the `Report`, or the reason it failed) — `Fetched.worker_parsed`. The process that
started the workers drains that list through the ordinary pipeline and `Archivist`, which only writes:
the raw fetch first (committed before anything derived from it), then the report the worker parsed, with
the same `ReportAssembler` pairing a page with its attachments (a page and its PDF are often fetched by
different workers; only the writer sees both), the same crawl_runs row and blocked/failed/ok rules.

Parsing is the crawl's dominant CPU cost: the workers spend ~35 ms a page fetching and parsing, the writer
~5 ms writing (bench/redis_bench.py), so a run grows with workers until the one writer process is busy.

An attachment needs parsing only when its page holds no report (详见附件). The worker that parsed a
report page publishes that verdict (`crawler.assembly.carries_report`, the writer's own rule) in the
run's `carried` hash; a worker holding one of its attachments waits for it (the page was fetched first:
its response produced the attachment's request) and parses the file only when the page did not carry
the report.

A 304 report page whose report came from a file (asked again with its files) is completed from its
archived page: the worker reads and parses that from the archive it reads (validators come from it too),
so workers must see the archive file: run them on one machine, or several machines with the file on
shared storage for reads.

Each run uses fresh Redis keys (``nianbao:<portal>:<token>:…``), so its dupefilter starts empty: a
worker killed with SIGKILL loses its in-flight requests (popped without acknowledgement), and a
fingerprint left behind by such a request must not hide that page from the next run. The keys are
deleted when the run ends.

Workers are scrapy-redis `RedisMixin` spiders (a worker that joins after the start URL was taken
must not close just because its own start() was empty) with the `async def start()` shim, since
Scrapy ≥ 2.16 never calls `start_requests()`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator

import redis
from scrapy import Request, signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.spiders import RedisMixin

from crawler.archivist import Archivist, not_a_file
from crawler.assembly import carries_report
from crawler.items import Fetched
from crawler.pages import Follow
from crawler.portals import load_portals
from crawler import settings as project
from crawler.run import settings_for, summary
from crawler.spiders.base import PortalSpider, spider_for
from parsers.pool import close_pool

log = logging.getLogger("nianbao.distributed")

IDLE_CLOSE = 2  # seconds a worker waits with nothing to do (frontier empty) before it closes


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one portal's distributed run."""

    prefix: str

    @classmethod
    def fresh(cls, portal: str, token: str) -> "RunKeys":
        return cls(f"nianbao:{portal}:{token}")

    @property
    def start(self) -> str:
        return f"{self.prefix}:start"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def items(self) -> str:
        return f"{self.prefix}:items"

    @property
    def carried(self) -> str:
        """report page URL -> "1" if the page itself carried its report, "0" if it waits for its files."""
        return f"{self.prefix}:carried"

    def all(self) -> list[str]:
        return [self.start, self.requests, self.dupefilter, self.items, self.carried]


# ---------------------------------------------------------------- workers

class WorkerMixin(RedisMixin):
    """A portal spider fed from the shared frontier. Closes after IDLE_CLOSE s of its own idleness.

    scrapy-redis measures idleness from the last time its start-URL list was non-empty, so a worker
    that was busy for a minute would close the moment the frontier is briefly empty; here any
    request or response counts as activity. A worker never re-reads a listing's first page at its own
    idleness (others may still be reading the listing): the writer does, once every worker closed.
    """

    rereads_listings = False

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        spider.last_activity = time.monotonic()
        for sig in (signals.request_scheduled, signals.response_received):
            crawler.signals.connect(spider.active, signal=sig)
        return spider

    def active(self, **_: Any) -> None:
        self.last_activity = time.monotonic()

    async def start(self) -> AsyncIterator[Request]:
        # the shim from scrapy-redis PR #316: take the first batch now instead of waiting for idle
        for request in await asyncio.to_thread(lambda: list(self.next_requests())):
            yield request

    def make_request_from_data(self, data: bytes) -> Request:
        return self.follow_request(Follow(data.decode("utf-8"), self.entry), top=True)

    def spider_idle(self) -> None:
        self.schedule_next_requests()
        if time.monotonic() - self.last_activity < self.max_idle_time:
            # wake the engine soon rather than at its 5 s heartbeat: another worker may be
            # about to push the next list page's links onto the shared frontier
            self.crawler.engine._slot.nextcall.schedule(0.2)
            raise DontCloseSpider


class ParseAndPush:
    """Item pipeline of a worker: parse what needs parsing, then put the Fetched (raw bytes and parse result)
    onto the run's Redis list for the one writer."""

    VERDICT_WAIT = 60.0  # seconds an attachment waits for its page's verdict before it is parsed anyway

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.server = redis.Redis.from_url(crawler.settings.get("REDIS_URL"))
        self.keys = RunKeys(crawler.settings.get("NIANBAO_RUN_KEYS"))
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> "ParseAndPush":
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Fetched):
            await self.parse(item)
        self.server.rpush(self.keys.items, pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        return item

    async def parse(self, item: Fetched) -> None:
        """Parse as the writer's Archivist would (crawler.archivist), in this worker's parse pool."""
        archivist = self.crawler.get_extension(Archivist)
        url = item.report_url or item.url
        if item.role == "report" and not item.error:
            if item.status == 304:
                item.stored = await archivist.stored_page(url) if item.attachments else None
                carried = not item.attachments
            else:
                item.parsed = await archivist.parsed(item)
                carried = carries_report(item.parsed[0], item.attachments)
            self.server.hset(self.keys.carried, url, "1" if carried else "0")
            item.worker_parsed = True
        elif item.role == "attachment" and item.status == 200 and not item.error and not_a_file(item.body) is None:
            if not await self.page_carried(url):
                item.parsed = await archivist.parsed(item)
            item.worker_parsed = True

    async def page_carried(self, url: str) -> bool:
        """Whether the report page at `url` carried its report (its files then need no parse)."""
        end = time.monotonic() + self.VERDICT_WAIT
        while (verdict := self.server.hget(self.keys.carried, url)) is None:
            if time.monotonic() > end:
                log.warning("%s: no verdict from its report page after %.0f s; parsing the file anyway",
                            url, self.VERDICT_WAIT)
                return False
            await asyncio.sleep(0.05)
        return verdict == b"1"

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        started = stats.get_value("start_time")
        self.server.rpush(self.keys.items, pickle.dumps({
            "worker_closed": os.getpid(), "reason": reason,
            "requests": stats.get_value("downloader/request_count", 0),
            "bytes": stats.get_value("downloader/response_bytes", 0),
            "seconds": (datetime.now(timezone.utc) - started).total_seconds() if started else 0.0}))


def worker_class(family: str) -> type[PortalSpider]:
    base = spider_for(family)
    return type(f"Worker{base.__name__}", (WorkerMixin, base), {})


def worker_settings(redis_url: str, keys: RunKeys) -> dict[str, Any]:
    """What turns a portal spider into a worker on the shared frontier (per-spider settings)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_PERSIST": True,          # a worker that closes first must not flush the others' frontier
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,   # never block the reactor on an empty queue
        "REDIS_START_URLS_KEY": keys.start,
        "MAX_IDLE_TIME_BEFORE_CLOSE": IDLE_CLOSE,
        "ITEM_PIPELINES": {**{name: None for name in project.ITEM_PIPELINES}, "crawler.distributed.ParseAndPush": 300},
        "ARCHIVE_READ_ONLY": True,          # validators only: opening a writable Archive migrates the schema,
                                            # which would make every worker a writer racing the one real writer
        "NIANBAO_RUN_KEYS": keys.prefix,
        "BACKEND_REDIS_URL": redis_url,     # one politeness budget per backend for every process (crawler.backends)
        "PARSE_NICE": 0,                    # parsing is a worker's share of the run, not a backlog that can wait:
                                            # its pipeline holds its downloads back while it parses
    }


def run_worker(portal_ids: list[str], portals_file: str | None, db: str, redis_url: str, token: str, *,
               fast: bool, overrides: dict[str, Any] | None) -> None:
    """One worker process: a crawler per portal, all fed from the shared frontier."""
    portals = load_portals(portals_file)
    process = CrawlerProcess(settings_for(db, fast=fast, overrides=overrides), install_root_handler=True)
    for pid in portal_ids:
        portal = portals[pid]
        cls = worker_class(portal.family)
        cls.custom_settings = worker_settings(redis_url, RunKeys.fresh(pid, token))
        process.crawl(process.create_crawler(cls), portal=portal)
    process.start()
    close_pool()
    t = os.times()
    log.info("worker pid %d: %.2f s CPU, %.2f s of it in its parse processes", os.getpid(),
             t.user + t.system + t.children_user + t.children_system, t.children_user + t.children_system)


# ---------------------------------------------------------------- the writer

class WriterMixin:
    """Replays the workers' Fetched items through the pipeline to the Archivist, rebuilding the spider state
    (listed reports, list pages, failures, blocks, listings' first pages) that decides the run's status.
    Once every worker closed, the writer itself re-reads the listings' first pages (and walks a listing
    that moved again), like a one-process crawl."""

    workers: list[subprocess.Popen]
    redis_url: str
    keys: RunKeys

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.close_reason = None
        crawler.signals.connect(spider.idle_close, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        server = redis.Redis.from_url(self.redis_url)
        closed: list[dict] = []
        while True:
            popped = await asyncio.to_thread(server.blpop, [self.keys.items], 0.5)
            if popped is None:
                if len(closed) >= len(self.workers) or all(w.poll() is not None for w in self.workers):
                    break
                continue
            thing = pickle.loads(popped[1])
            if isinstance(thing, dict):
                closed.append(thing)
                continue
            self.note(thing)
            yield thing
        for c in closed:
            log.info("portal %s: worker pid %s fetched %d responses, %d bytes in %.1f s (%s)",
                     self.portal.id, c["worker_closed"], c["requests"], c["bytes"], c["seconds"], c["reason"])
        stats = self.crawler.stats
        stats.set_value("downloader/request_count", sum(c["requests"] for c in closed))
        stats.set_value("downloader/response_bytes", sum(c["bytes"] for c in closed))
        reasons = {c["reason"] for c in closed} - {"finished"}
        lost = len(self.workers) - len(closed)
        if reasons or lost:
            self.close_reason = ", ".join(sorted(reasons) + ([f"{lost} worker(s) died"] if lost else []))

    def note(self, item: Fetched) -> None:
        if item.role == "list":
            if item.error:
                self.list_failures.append((item.url, item.error))
            else:
                self.list_pages_ok += 1
        if item.error:
            (self.blocked if item.blocked else self.failures).append((item.url, item.error))
        if item.role == "report" and item.report_url:
            self.listed.setdefault(item.report_url, item.title)
        if item.head is not None:
            self.note_head(item.head)

    def listing_read_whole(self) -> bool:
        return not self.close_reason and super().listing_read_whole()

    def idle_close(self) -> None:
        if self.close_reason:
            raise CloseSpider(self.close_reason)


def writer_class(family: str) -> type[PortalSpider]:
    base = spider_for(family)
    return type(f"Writer{base.__name__}", (WriterMixin, base), {})


def crawl_distributed(portal_ids: list[str], portals_file: str | None, db: str, redis_url: str,
                      workers: int, *, fast: bool = False,
                      overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Crawl the portals with ``workers`` processes on one Redis frontier; this process writes.

    Returns one summary per portal, like ``crawler.run.crawl``.
    """
    portals = load_portals(portals_file)
    server = redis.Redis.from_url(redis_url)
    server.ping()  # fail before starting anything if Redis is not there
    token = uuid.uuid4().hex[:12]
    keys = {pid: RunKeys.fresh(pid, token) for pid in portal_ids}
    for pid, k in keys.items():
        server.delete(*k.all())
        server.rpush(k.start, *portals[pid].start_urls)
    argv = [sys.executable, "-m", "crawler.distributed", "--redis", redis_url, "--db", db, "--token", token]
    argv += ["--portals", portals_file] if portals_file else []
    argv += ["--fast"] if fast else []
    for name, value in (overrides or {}).items():
        argv += ["-s", f"{name}={value}"]
    procs = [subprocess.Popen(argv + list(portal_ids)) for _ in range(max(1, workers))]
    log.info("distributed crawl %s: %d worker processes (pids %s) on %s", token, len(procs),
             ", ".join(str(p.pid) for p in procs), redis_url)

    def forward(signum: int, _frame: Any) -> None:
        """Stop gracefully: workers finish their in-flight requests; we keep writing what they fetched."""
        log.info("%s: asking the workers to stop; writing what they already fetched",
                 signal.Signals(signum).name)
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    cpu = time.process_time()
    try:
        # BACKEND_REDIS_URL: the writer's re-reads share the workers' budgets
        settings = settings_for(db, fast=fast, overrides={**(overrides or {}), "BACKEND_REDIS_URL": redis_url})
        process = CrawlerProcess(settings, install_root_handler=True)
        crawlers = []
        for pid in portal_ids:
            crawler = process.create_crawler(writer_class(portals[pid].family))
            crawlers.append(crawler)
            process.crawl(crawler, portal=portals[pid], workers=procs, redis_url=redis_url, keys=keys[pid])
        process.start(install_signal_handlers=False)
        cpu = time.process_time() - cpu
        items = sum(c.stats.get_value("item_scraped_count", 0) for c in crawlers)
        log.info("writer: %d items written, %.2f s CPU in this process (%.2f ms an item)",
                 items, cpu, 1000 * cpu / max(1, items))
    finally:
        for proc in procs:
            proc.wait()
        for k in keys.values():
            server.delete(*k.all())
        for s, handler in previous.items():
            signal.signal(s, handler)
    return [summary(portals[pid], c.stats.get_stats()) for pid, c in zip(portal_ids, crawlers)]


def _overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-s {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry of a worker process (started by crawl_distributed; not meant to be run by hand)."""
    ap = argparse.ArgumentParser(prog="python -m crawler.distributed")
    ap.add_argument("portal_ids", nargs="+")
    ap.add_argument("--redis", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--portals", default=None)
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("-s", dest="overrides", action="append", default=[])
    args = ap.parse_args(argv)
    run_worker(args.portal_ids, args.portals, args.db, args.redis, args.token, fast=args.fast,
               overrides=_overrides(args.overrides))


if __name__ == "__main__":
    main()
