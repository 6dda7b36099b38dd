"""TRS WCM portals (JS pager `createPageHTML`, `./YYYYMM/t…htm`), incl. Fujian's static + JSON search variant."""
from crawler.spiders.base import PortalSpider


class TrsSpider(PortalSpider):
    name = "trs"
    family = "trs"
    entry = "trs.list"
