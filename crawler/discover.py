"""`nianbao discover`: from a government homepage (or its 信息公开 platform) to every 年报 column under it.

Why: a county's reports sit in one column per unit (government, each department, each township), often
behind unit lists that a script loads as JSON, and some departments publish on their own sites. Nobody
can write those portal entries by hand, so this follows the navigation a person would:

  menu links (政府信息公开 / 信息公开 / 政务公开 / 法定主动公开内容 …) → unit lists (links, <select> boxes,
  JSON a page's script loads: Hanweb trees, TRS unit lists, provincial platforms) → links named like a
  年报 column (政府信息公开年报 / 信息公开年报 / 年度报告 …) or a gkmlpt index, read with the family's
  list-page parser (crawler.pages) to confirm that it lists reports.

Scope: the start URL's host, plus sites the start page links to as the same county's (its 信息公开
platform, a department's own site: the link names the county or is a menu item) — only under the linked
path's first directory on such a host, so a provincial platform shared by many counties is not walked
whole. Bounded by depth and pages; polite like the crawl (a Scrapy spider with the project's settings:
robots.txt, delays). Breadth first, so a unit list's name is what a column is attributed to.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

from crawler.pages import ENTRY, PARSERS, Follow, Link, Page, detect_family
from crawler.pages.common import anchors, clean, redirect_target
from crawler.spiders.base import declared_charset
from crawler.walls import describe_failure

MAX_DEPTH = 8
MAX_PAGES = 1500

# A menu item leading towards the 信息公开 pages (not a news item: short, no year).
NAV_TEXT = re.compile(r"信息公开|政务公开|主动公开|公开目录|公开平台")
NAV_SKIP = re.compile(r"指南|制度|规定|申请|要点|通知|解读|推进|会议|动态|意见|办法|培训|\d")
# A link to a 年报 column: 政府信息公开年报, 信息公开年报, 政府信息公开工作年度报告, 政务公开年报, 年报, 年度报告 …
COLUMN_TEXT = re.compile(r"^(?:.{0,6}(?:信息公开|政务公开)(?:工作)?)?(?:年度报告|年报)(?:专栏|栏目)?$")
# A unit's name as unit lists show it.
UNIT_TEXT = re.compile(r"^[^\d\s]{2,30}(?:局|委员会|委|办公室|办|中心|院|所|馆|队|站|镇|乡|街道|街道办事处|人民政府|政府|管委会)$")
# URLs a page's script loads data from: $.getJSON("…"), $.ajax({url: "…"}), $.get("…"), fetch("…").
DATA_URL = re.compile(r"""(?:\burl\s*:\s*|getJSON\(\s*|\$\.(?:get|post)\(\s*|fetch\(\s*|\.load\(\s*)["']([^"']+)["']""")
# Where 年报 columns usually live (cms-patterns.md §5.3): tried on a start site whose menus led to none.
PROBE_PATHS = ("zfxxgk/zfxxgknb/", "zwgk/zfxxgk/zfxxgknb/", "zwgk/zfxxgknb/", "xxgk/zfxxgknb/", "zwgk/xxgknb/",
               "xxgk/xxgknb/", "xxgk/xxgknb.htm", "xxgknb/", "zfxxgknb/", "ndbg/", "xxgk/ndbg/", "zwgk/ndbg/",
               "gk/zfxxgknb/", "zfxxgk/xxgknb/", "gkmlpt/index")
JSONP = re.compile(r"^[\w.$]+\s*\((.*)\)\s*;?$", re.S)
NAME_KEYS = ("name", "text", "title", "label", "deptName", "unitName", "orgName", "dwmc", "jgmc")
URL_KEYS = ("url", "href", "link", "linkurl", "path")
# Platforms whose own index the crawl reads as the 年报 column: gkmlpt (its _CONFIG tree names the 年报
# category), the Hanweb xxgk module (search.jsp by unit, xxgkAnnualReport.jsp).
PLATFORM_LIST = re.compile(r"/gkmlpt/index\b|/module/xxgk/index\.jsp")
COLUMN_TITLE = re.compile(r"年报|年度报告")
COUNTY_IN_TEXT = re.compile(r"([\u4e00-\u9fff]{1,10}?(?:自治县|县|区|市|旗))")
SITE_SUFFIX = re.compile(r"(?:门户网站|官方网站|官网|首页|网站)$")


@dataclass
class Column:
    """A 年报 column found: where, whose, which family, and the links that led there."""

    url: str
    unit: str
    family: str
    via: list[str]
    reports: int
    county: str
    origin: str  # the start URL it was found from
    unit_inferred: bool = False  # the unit is the start site's owner, not named by a unit list

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Scope:
    """Where discovery may go: (host, path prefix) pairs."""

    areas: set[tuple[str, str]] = field(default_factory=set)

    def add(self, url: str, whole_host: bool) -> None:
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        prefix = "/" if whole_host or len(segments) < 2 else f"/{segments[0]}/"
        self.areas.add((parts.netloc, prefix))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        return any(parts.netloc == host and (parts.path or "/").startswith(prefix) for host, prefix in self.areas)


def site_owner(page: Page) -> str:
    """The site's owner as its <title> names it (`青山县人民政府门户网站` → 青山县人民政府; on a platform page
    `河阳县政府信息公开_XX省政务公开平台` → 河阳县人民政府)."""
    title = clean(" ".join(page.selector.css("title ::text").getall()))
    parts = [SITE_SUFFIX.sub("", p) for p in re.split(r"[-_|—–\s]+", title) if p]
    owners = [p for p in parts if re.search(r"(?:人民政府|政府|管委会|委员会|局)$", p)]
    if owners:
        return owners[-1]
    place = COUNTY_IN_TEXT.search(title)
    if place:
        return place.group(1) + "人民政府"
    return urlsplit(page.url).hostname or page.url  # nothing better: the unit is for a person to fill in


def county_of(owner: str) -> str:
    """The innermost division a site's owner names, which the county's own units name too:
    青山县人民政府 → 青山县, 广州市天河区人民政府 → 天河区, 平潭综合实验区管委会 → 平潭综合实验区."""
    name = owner.removesuffix("人民政府")
    nested = re.match(r"^.*(?:省|自治区|市|州|盟)(.{2,8}?(?:自治县|自治旗|县|区|旗|市))$", name)
    if nested:
        return nested.group(1)
    m = re.match(r"^(.{1,12}?(?:自治县|自治旗|县|区|市|旗))", name)
    return m.group(1) if m else name


def full_unit_name(name: str, county: str) -> str:
    """`县公安局` as a county's own list writes it → `青山县公安局` (names with the county stay as they are)."""
    name = "".join(name.split())
    if county and not name.startswith(county) and name[:1] in "县区市旗" and county.endswith(name[:1]):
        return county + name[1:]
    return name


def government_host(url: str) -> bool:
    """A county government's host: under .gov.cn (not the State Council's own), or loopback (the replica)."""
    host = (urlsplit(url).hostname or "").lower()
    return (host.endswith(".gov.cn") and host not in ("www.gov.cn", "gov.cn")) or host.startswith("127.")


def names_county(text: str, county: str) -> bool:
    t = "".join(text.split())
    return bool(county) and (county in t or (t[:1] in "县区市旗" and bool(UNIT_TEXT.match(t))))


def json_units(data: Any) -> Iterator[tuple[str, str]]:
    """(name, url) of every node of a JSON unit list or tree that has both."""
    if isinstance(data, list):
        for item in data:
            yield from json_units(item)
    elif isinstance(data, dict):
        name = next((data[k] for k in NAME_KEYS if isinstance(data.get(k), str) and data[k].strip()), None)
        url = next((data[k] for k in URL_KEYS if isinstance(data.get(k), str) and data[k].strip()), None)
        if name and url:
            yield clean(name), url.strip()
        for value in data.values():
            if isinstance(value, (list, dict)):
                yield from json_units(value)


def data_units(page: Page) -> list[tuple[str, str]]:
    """(name, absolute URL) of the units a script-loaded unit list names: JSON, JSONP (`cb({...})`), or an HTML
    fragment of links (Hanweb trees come as any of them)."""
    text = page.text.strip()
    jsonp = JSONP.match(text)
    for candidate in (text, jsonp.group(1) if jsonp else None):
        if candidate is None:
            continue
        try:
            return [(name, urljoin(page.url, url)) for name, url in json_units(json.loads(candidate))]
        except json.JSONDecodeError:
            continue
    return [(link.title, link.url) for link in page_links(page) if UNIT_TEXT.match("".join(link.title.split()))]


def page_links(page: Page) -> list[Link]:
    """Anchors plus `<select>` options whose value is a URL (部门网站 boxes, unit selectors)."""
    links = anchors(page.selector, page.url)
    for opt in page.selector.css("select option"):
        value = (opt.attrib.get("value") or "").strip()
        if value and ("/" in value or value.startswith("http")):
            links.append(Link(urljoin(page.url, value), clean("".join(opt.xpath(".//text()").getall()))))
    return links


def script_data_urls(page: Page) -> list[str]:
    scripts = " ".join(page.selector.xpath("//script[not(@src)]/text()").getall())
    return [urljoin(page.url, u) for u in dict.fromkeys(DATA_URL.findall(scripts)) if not u.endswith(".js")]


def column_key(url: str) -> str:
    """The same column linked as `…/zfxxgknb/`, `…/zfxxgknb/index.html` or with a #fragment is one column."""
    return re.sub(r"/index\.s?html?$", "/", url.split("#", 1)[0])


def as_column(page: Page) -> tuple[str, int] | None:
    """(family, report links on the first page) when the page is a 年报 list the crawl can read, else None."""
    family = detect_family(page.text)
    listing = PARSERS[ENTRY[family]](page, Follow(page.url, ENTRY[family]))
    if not listing.reports and not listing.follow:
        return None
    return family, len(listing.reports)


class DiscoverSpider(scrapy.Spider):
    """Breadth-first walk of a county's navigation; the result is `self.columns`."""

    name = "discover"
    custom_settings = {"ITEM_PIPELINES": {}, "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
                       "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue", "DEPTH_PRIORITY": 1}

    def __init__(self, start_urls: list[str], max_depth: int = MAX_DEPTH, max_pages: int = MAX_PAGES,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_list = list(start_urls)
        self.max_depth, self.max_pages = max_depth, max_pages
        self.scope = Scope()
        self.columns: dict[str, Column] = {}
        self.pages = 0
        self.failures: list[tuple[str, str]] = []
        self.truncated = False
        self.probed: set[str] = set()
        self.rejected: list[tuple[str, str]] = []  # off-host pages not walked: their title names another owner

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "DiscoverSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.probe, signal=signals.spider_idle)
        return spider

    def probe(self) -> None:
        """Menus done: for a start site where they led to no column, try the usual column paths once."""
        fruitless = [u for u in self.start_list if u not in self.probed
                     and not any(c.origin == u for c in self.columns.values())]
        if not fruitless or self.truncated:
            return
        for origin in fruitless:
            self.probed.add(origin)
            root = urljoin(origin, "/")
            for path in PROBE_PATHS:
                req = self.request(root + path, "column", depth=1, via=[f"(tried /{path})"], unit=None, origin=origin)
                if req is not None:
                    req.meta["probe"] = True
                    self.crawler.engine.crawl(req)
        raise DontCloseSpider

    async def start(self) -> Any:
        for url in self.start_list:
            self.scope.add(url, whole_host=False)  # a homepage: the whole host; a platform page: its part
            yield self.request(url, "nav", depth=0, via=[], unit=None, origin=url)

    def request(self, url: str, kind: str, *, depth: int, via: list[str], unit: str | None, origin: str,
                owner: str = "") -> scrapy.Request | None:
        if depth > self.max_depth:
            return None
        callback = {"nav": self.parse_nav, "data": self.parse_data, "column": self.parse_column}[kind]
        return scrapy.Request(url, callback=callback, errback=self.failed, priority=-depth,
                              meta={"kind": kind, "d": depth, "via": via, "unit": unit, "origin": origin,
                                    "owner": owner})

    def counted(self, response: Response) -> Page | None:
        self.pages += 1
        if self.pages > self.max_pages:
            self.truncated = True
            return None
        return Page.from_bytes(response.url, response.body, declared_charset(response), response.status)

    def parse_nav(self, response: Response, page: Page | None = None) -> Iterator[scrapy.Request]:
        page = page or self.counted(response)
        if page is None:
            return
        m = response.meta
        depth, via, unit = m["d"], m["via"], m["unit"]
        if m.get("claim") and not self.claimed(response, page, m["claim"]):
            return
        owner = m["owner"] or site_owner(page)
        county = county_of(owner)
        follow = dict(depth=depth + 1, origin=m["origin"], owner=owner)
        shell = redirect_target(page)
        if shell and shell != page.url:
            yield from filter(None, [self.request(shell, "nav", depth=depth, via=via, unit=unit, origin=m["origin"],
                                                  owner=owner)])
            return
        if PLATFORM_LIST.search(page.url) or (depth == 0 and COLUMN_TITLE.search(
                clean(" ".join(page.selector.css("title ::text").getall())))):
            # a gkmlpt index or a Hanweb xxgk module (the crawl reads their 年报 through them), or a start URL
            # that is a 年报 column itself
            yield from self.parse_column(response, page)
            return
        for link in page_links(page):
            text = "".join(link.title.split())
            if not text or not link.url.startswith("http"):
                continue
            kind = ("column" if COLUMN_TEXT.match(text) else
                    "nav" if NAV_TEXT.search(text) and not NAV_SKIP.search(text) and len(text) <= 12 else
                    "unit" if UNIT_TEXT.match(text) else None)
            if kind is None:
                continue
            if not self.scope.allows(link.url):
                # From the start page only: the county's platform elsewhere, or a unit of the county on its own site.
                # Walked only if its title names the county too (checked in parse_nav): a 信息公开 link to the
                # State Council's or the province's pages is not this county's platform.
                if depth != 0 or not government_host(link.url) or not (
                        kind == "nav" or (kind == "unit" and names_county(text, county))):
                    continue
                claim = {"whole_host": kind == "unit", "county": county}
            else:
                claim = None
            if kind == "unit":
                req = self.request(link.url, "nav", via=via + [text], unit=full_unit_name(text, county), **follow)
            else:
                req = self.request(link.url, kind, via=via + [text], unit=unit, **follow)
            if req is not None:
                req.meta["claim"] = claim
                yield req
        for url in script_data_urls(page):
            if urlsplit(url).netloc == urlsplit(page.url).netloc:  # what the page's own script loads
                req = self.request(url, "data", via=via, unit=unit, **follow)
                if req is not None:
                    yield req

    def claimed(self, response: Response, page: Page, claim: dict[str, Any]) -> bool:
        """An off-host page the start page links to: in scope from now on if its title names the county."""
        title = "".join(" ".join(page.selector.css("title ::text").getall()).split())
        if claim["county"] not in title:
            self.rejected.append((response.url, title))
            return False
        url = (response.meta.get("redirect_urls") or [response.url])[0]
        self.scope.add(url, whole_host=claim["whole_host"])
        if response.url != url:
            self.scope.add(response.url, whole_host=claim["whole_host"])
        return True

    def parse_data(self, response: Response) -> Iterator[scrapy.Request]:
        page = self.counted(response)
        if page is None:
            return
        m = response.meta
        county = county_of(m["owner"])
        for name, url in data_units(page):
            if self.scope.allows(url):
                req = self.request(url, "nav", depth=m["d"] + 1, via=m["via"] + [name],
                                   unit=full_unit_name(name, county), origin=m["origin"], owner=m["owner"])
                if req is not None:
                    yield req

    def parse_column(self, response: Response, page: Page | None = None) -> Iterator[scrapy.Request]:
        page = page or self.counted(response)
        if page is None:
            return
        m = response.meta
        found = as_column(page)
        if found is None:  # a landing page named like a column: look for the column below it
            m["owner"] = m["owner"] or site_owner(page)
            if m["kind"] == "column":
                response.meta["kind"] = "nav"
                yield from self.parse_nav(response, page)
            return
        family, reports = found
        owner = m["owner"] or site_owner(page)
        key = column_key(response.url)
        if key not in self.columns:
            self.columns[key] = Column(
                url=response.url, unit=m["unit"] or owner, family=family, via=m["via"], reports=reports,
                county=county_of(owner), origin=m["origin"], unit_inferred=not m["unit"])

    def failed(self, failure: Any) -> None:
        if failure.request.meta.get("probe"):
            return  # a guessed path that is not there says nothing about the site
        reason, _ = describe_failure(failure)
        self.failures.append((failure.request.url, reason))


def discover(start_urls: list[str], *, max_depth: int = MAX_DEPTH, max_pages: int = MAX_PAGES,
             overrides: dict[str, Any] | None = None, fast: bool = False) -> DiscoverSpider:
    """Run discovery (one Scrapy process; call once per process) and return the finished spider."""
    from scrapy.crawler import CrawlerProcess

    from crawler.run import settings_for

    settings = settings_for("", fast=fast, overrides={"LOG_LEVEL": "WARNING", **(overrides or {})})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, start_urls=start_urls, max_depth=max_depth, max_pages=max_pages)
    process.start()
    return crawler.spider
