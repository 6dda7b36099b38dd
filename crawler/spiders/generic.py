"""Unknown sites: report links by title, JS redirect shells, onclick links, year/unit sub-columns."""
from crawler.spiders.base import PortalSpider


class GenericSpider(PortalSpider):
    name = "generic"
    family = "generic"
    entry = "generic.list"
