"""Guangdong portals: NFCMS columns (`index_2.html`, `content/post_N.html`) and the gkmlpt JSON catalogue."""
from crawler.spiders.base import PortalSpider


class GdSpider(PortalSpider):
    name = "gd"
    family = "gd"
    entry = "gd.list"
