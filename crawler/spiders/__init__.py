"""One spider per CMS family, made from the family registry (crawler.pages), plus `auto`.

Every family spider is `PortalSpider` with the family's name and entry reader; nothing else differs, so
a new family module gets its spider here without a file of its own. The classes are module attributes
so that Scrapy's spider loader (`scrapy crawl trs -a portal=…`) finds them too.
"""
from crawler.pages import FAMILIES
from crawler.pages.registry import Family
from crawler.spiders.auto import AutoSpider
from crawler.spiders.base import PortalSpider


def _spider(family: Family) -> type[PortalSpider]:
    attrs = {"name": family.name, "family": family.name, "entry": family.entry, "__module__": __name__,
             "__doc__": f"Crawl a {family.name} portal from its start pages with `{family.entry}`."}
    return type(f"{family.name.capitalize()}Spider", (PortalSpider,), attrs)


SPIDERS: dict[str, type[PortalSpider]] = {**{name: _spider(f) for name, f in FAMILIES.items()}, "auto": AutoSpider}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
