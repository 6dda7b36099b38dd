"""One spider per CMS family, plus `generic` and `auto`; all share crawler.spiders.base.PortalSpider."""
from crawler.spiders.auto import AutoSpider
from crawler.spiders.boda import BodaSpider
from crawler.spiders.gd import GdSpider
from crawler.spiders.generic import GenericSpider
from crawler.spiders.hanweb import HanwebSpider
from crawler.spiders.trs import TrsSpider

SPIDERS = {s.family: s for s in (TrsSpider, HanwebSpider, GdSpider, BodaSpider, GenericSpider, AutoSpider)}
