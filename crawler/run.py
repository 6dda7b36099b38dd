"""Run crawls in this process: one Scrapy crawler per portal, all in one CrawlerProcess.

The Twisted reactor cannot restart, so call `crawl()` once per process (tests and the bench run it
in a subprocess). Returns each portal's run summary (the `nianbao/*` stats the archivist set).
"""
from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.portals import Portal
from crawler.settings import FAST
from crawler.spiders.base import spider_for


def settings_for(db: str, *, fast: bool = False, overrides: dict[str, Any] | None = None) -> Settings:
    """Production settings (crawler.settings) + the archive path, + FAST for the loopback replica."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DB", db, priority="cmdline")
    if fast:
        settings.update(FAST, priority="cmdline")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def crawl(portals: list[Portal], db: str, *, fast: bool = False, progress: bool = False,
          overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Crawl `portals` into the archive at `db`; one summary dict per portal, in the given order."""
    settings = settings_for(db, fast=fast, overrides=overrides)
    if progress:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    process = CrawlerProcess(settings)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc=f"crawling {len(portals)} portal(s)", unit=" pages", dynamic_ncols=True)
    crawlers = []
    for portal in portals:
        crawler = process.create_crawler(spider_for(portal.family))
        if bar is not None:
            crawler.signals.connect(lambda **_: bar.update(1), signal=signals.response_received, weak=False)
        crawlers.append(crawler)
        process.crawl(crawler, portal=portal)
    process.start()
    if bar is not None:
        bar.close()
    return [summary(p, c.stats.get_stats()) for p, c in zip(portals, crawlers)]


def summary(portal: Portal, stats: dict[str, Any]) -> dict[str, Any]:
    out = {"portal": portal.id, "family": stats.get("nianbao/family", portal.family)}
    out.update({k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("nianbao/")})
    out.setdefault("status", "failed")
    out["finish_reason"] = stats.get("finish_reason")
    out["responses"] = stats.get("response_received_count", 0)
    out["elapsed"] = stats.get("elapsed_time_seconds")  # crawl, then waiting for the last parses
    return out
