"""Boda VSB portals: descending list pages (`xxgknb/10.htm` … `1.htm`), Referer-checked `download.jsp`."""
from crawler.spiders.base import PortalSpider


class BodaSpider(PortalSpider):
    name = "boda"
    family = "boda"
    entry = "boda.list"
