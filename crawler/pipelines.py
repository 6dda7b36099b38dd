"""The item pipeline: hands every `Fetched` to the crawl's `Archivist` (crawler.archivist), which archives
it raw, parses it off the reactor and decides what becomes a report. Anything else passes through."""
from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.archivist import Archivist
from crawler.items import Fetched


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        return cls(crawler)

    @property
    def archivist(self) -> Archivist:
        return self.crawler.get_extension(Archivist)

    async def process_item(self, item):
        if isinstance(item, Fetched):
            await self.archivist.take(item)
        return item

    async def close_spider(self) -> None:
        await self.archivist.drain()
