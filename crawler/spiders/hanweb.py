"""Hanweb 大汉 jcms portals: `<datastore>` CDATA lists, POST `dataproxy.jsp` groups, the xxgk module."""
from crawler.spiders.base import PortalSpider


class HanwebSpider(PortalSpider):
    name = "hanweb"
    family = "hanweb"
    entry = "hanweb.list"
