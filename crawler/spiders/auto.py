"""Family `auto`: read the first page, recognise the CMS from its markers, then crawl as that family."""
from __future__ import annotations

from typing import Any, Iterator

from scrapy.http import Response

from crawler.pages import ENTRY, Follow, detect_family
from crawler.spiders.base import PortalSpider


class AutoSpider(PortalSpider):
    name = "auto"
    family = "auto"
    entry = "auto"

    def parse_list(self, response: Response) -> Iterator[Any]:
        follow: Follow = response.meta["follow"]
        if follow.parser == "auto":
            self.family = detect_family(self.page(response).text)
            self.crawler.stats.set_value("nianbao/family", self.family)
            self.logger.info("%s looks like a %s site; crawling it as one", response.url, self.family)
            follow.parser = ENTRY[self.family]
        yield from super().parse_list(response)
