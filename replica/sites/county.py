"""Whole counties for `nianbao discover` (issue #15): homepages with menus, 信息公开 platforms whose unit
lists are loaded by script as JSON, one 年报 column per unit, departments on their own sites, and two
counties sharing a provincial platform.

Why: a county's reports are spread over ~20+ columns (the government's, each department's, each
township's), reachable only by navigating as a person would. The columns themselves reuse the family
sites (`TrsSite`, `Hanweb`, `Boda`) so the crawl reads them exactly as it reads the other replica sites.

Off by default (`Replica(counties=True)`, `python -m replica --counties`) so the 17-site demo and
its figures stay as they are. Truth: `Replica.counties()` / GET /__replica__/counties.json.

  address      what                               navigation to the 年报 columns
  127.0.0.30   青山县 homepage + TRS zfxxgk        / → 政务公开 → 政府信息公开 (platform; unit <select> from
                                                  unitList.json) → unit page → 政府信息公开年报 (departments) or
                                                  → 法定主动公开内容 → 政府信息公开年报 (townships)
  127.0.0.31   青山县公安局 own site (Boda)         homepage 部门网站 <select> → / → 信息公开 → 信息公开年报
  127.0.0.32   青山县教育局 own site (TRS)          homepage 部门网站 <select> → / → 信息公开 → 政府信息公开年报
  127.0.0.33   松溪县 homepage + Hanweb xxgk       / → 政务公开 → 政府信息公开 (unit tree from tree.jsp JSON,
                                                  nested 部门 / 乡镇) → unit page → 政府信息公开年报 (jpage)
  127.0.0.34   河阳县 homepage                     / → 政务公开 → provincial platform /620521/…
  127.0.0.35   清水县 homepage                     / → 政务公开 → provincial platform /620522/…
  127.0.0.36   连溪县 homepage (Guangdong)         / → 政务公开 → 政府信息公开目录 (/gkmlpt/index); departments' gkmlpt
                                                  from a <select> filled from bmlist.json, townships' from a link
                                                  list; each unit's gkmlpt at /<unit>/gkmlpt/index, API by sid
  127.0.0.40   陇原省 shared platform              /<code>/xxgk/index.shtml: county 年报 column + unit <select> from
                                                  units.json; links to the other counties (not theirs to find)
Traps a discoverer must not fall into: 友情链接 to 中国政府网, to a neighbouring county and to the province's
信息公开 pages (a menu-like link off the host whose page is not the county's), news items that name 政务公开
or a report, the platform's 全省各县区 menu.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Callable

from replica.layout import SiteInfo
from replica.sites.base import Host, Request, Response, Site, esc, not_found
from replica.sites.boda import Boda
from replica.sites.gd import Gkmlpt
from replica.sites.hanweb import Hanweb
from replica.sites.trs import TrsSite


DEPTS = ["发展和改革局", "教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源局",
         "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "应急管理局",
         "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局", "退役军人事务局"]
TOWNS = ["城关镇", "石门镇", "龙泉乡", "东城街道", "西城街道", "柳林镇", "白沙乡", "桥头镇", "双河镇", "新塘乡", "黄坪镇"]
PROVINCE_HOST = "127.0.0.40"


@dataclass(frozen=True)
class County:
    id: str
    name: str          # 青山县
    host: str          # homepage
    platform: str      # trs | hanweb | shared
    code: str = ""     # on the shared platform
    departments: int = 12
    towns: int = 7


COUNTIES = (
    County("qingshan", "青山县", "127.0.0.30", "trs", departments=13, towns=6),
    County("songxi", "松溪县", "127.0.0.33", "hanweb", departments=13, towns=7),
    County("heyang", "河阳县", "127.0.0.34", "shared", "620521", departments=12, towns=7),
    County("qingshui", "清水县", "127.0.0.35", "shared", "620522", departments=11, towns=8),
    County("lianxi", "连溪县", "127.0.0.36", "gd", departments=13, towns=7),
)
OWN_SITES = (("127.0.0.31", "qingshan", "公安局", "boda"), ("127.0.0.32", "qingshan", "教育局", "trs"))


class UnitTrs(TrsSite):
    """A TRS 年报 column at any path (one per unit)."""

    def __init__(self, info: SiteInfo, replica: Host, column: str) -> None:
        super().__init__(info, replica)
        self.column = column


class UnitHanweb(Hanweb):
    """A Hanweb jpage 年报 column of one unit (its own column id)."""

    def __init__(self, info: SiteInfo, replica: Host, column_id: int) -> None:
        super().__init__(info, replica)
        self.column_id, self.unit_id = column_id, column_id % 10_000_000


class UnitGkmlpt(Gkmlpt):
    """A unit's gkmlpt 信息公开目录 at `/<unit>/gkmlpt/index`; the list API stays at the host's root and tells
    units apart by `sid`, as on Guangdong county sites."""

    def __init__(self, info: SiteInfo, replica: Host, prefix: str, sid: str) -> None:
        super().__init__(info, replica)
        self.prefix, self.sid = prefix, sid

    def route(self, req: Request) -> Response | None:
        if req.path == f"{self.prefix}/gkmlpt/index":
            req = Request(req.method, "/gkmlpt/index", req.query, req.headers, req.form, req.client, req.raw_path)
        elif req.path == "/gkmlpt/index":
            return None
        return super().route(req)


class NavHost(Site):
    """A host of navigation pages (built per request: links carry the port), JSON endpoints and the 年报
    columns of its units (family sites that answer their own paths)."""

    def __init__(self, info: SiteInfo, replica: Host, pages: Callable[[], dict[str, str]],
                 data: Callable[[], dict[str, object]], columns: list[Site]) -> None:
        super().__init__(info, replica)
        self.pages, self.data, self.columns = pages, data, columns

    def handle(self, req: Request) -> Response:
        pages = self.pages()
        if req.path in pages:
            return self.page(pages[req.path], kind="other")
        data = self.data()
        if req.path in data:
            return Response(200, json.dumps(data[req.path], ensure_ascii=False).encode(),
                            "application/json; charset=utf-8", "api")
        if req.path.endswith("/dataproxy.jsp"):  # shared by every jpage column of the host: pick by columnid
            cid = req.form.get("columnid") or req.query.get("columnid")
            for col in self.columns:
                if isinstance(col, UnitHanweb) and str(col.column_id) == cid:
                    return col.handle(req)
            return not_found()
        for col in self.columns:
            resp = col.handle(req)
            if resp.status != 404:
                return resp
        if any(f'href="{req.path}"' in html for html in pages.values()):  # a menu item with nothing to find
            return self.page(_html(self.info.name, '<p>暂无信息</p><a href="/">返回首页</a>'), kind="other")
        return not_found()


def _html(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<script src="/js/jquery.min.js"></script></head><body>{body}</body></html>')


def _links(items: list[tuple[str, str]], cls: str = "nav") -> str:
    return f'<ul class="{cls}">' + "".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for t, h in items) + "</ul>"


def homepage(gov: str, nav: list[tuple[str, str]], extra: str, port: int, neighbour: County) -> str:
    """A county homepage: menu, news (one names 政务公开, one a report), 友情链接 traps, extra blocks."""
    news = _links([(f"{gov[:-4]}召开2024年政务公开工作推进会", "/xwzx/202403/t20240312_1.html"),
                   (f"{gov[:-4]}2024年政府信息公开工作年度报告解读", "/xwzx/202403/t20240320_2.html")], "news")
    friends = (f'<div class="links">友情链接：<a href="http://www.gov.cn/">中国政府网</a>'
               f'<a href="http://{PROVINCE_HOST}:{port}/">省政府信息公开</a>'
               f'<a href="http://{neighbour.host}:{port}/">{neighbour.name}人民政府</a></div>')
    return _html(f"{gov}门户网站", f'<div class="header"><a href="/" class="logo">{esc(gov)}</a>{_links(nav)}</div>'
                 f"{news}{extra}{friends}")


class Counties:
    """Builds every county host, registers its units' reports in the catalog and keeps the truth."""

    def __init__(self, replica: Host) -> None:
        self.replica = replica
        self.rng = random.Random(f"counties|{replica.catalog.seed}")
        self.hosts: dict[str, Site] = {}
        self.columns_by_id: dict[str, Site] = {}
        self.truth: dict[str, list[Site]] = {c.id: [] for c in COUNTIES}  # county id -> its 年报 columns
        self.shared: dict[str, tuple[Callable[[], dict[str, str]], Callable[[], dict[str, object]], list[Site]]] = {}
        for county in COUNTIES:
            getattr(self, f"_build_{county.platform}")(county)
        for host, county_id, dept, family in OWN_SITES:
            self._build_own_site(host, next(c for c in COUNTIES if c.id == county_id), dept, family)
        self._build_province()

    # ------------------------------------------------------------------ helpers

    @property
    def port(self) -> int:
        return self.replica.port

    def units(self, county: County) -> list[str]:
        """The county's units with a 年报 column on its platform (own-site departments excluded)."""
        own = {d for _, c, d, _ in OWN_SITES if c == county.id}
        depts = [d for d in DEPTS if d not in own][: county.departments]
        return [county.name + d for d in depts] + [county.name + t for t in TOWNS[: county.towns]]

    def column(self, site: Site, county: County, unit: str) -> Site:
        """Publish 1–3 reports of `unit` in `site` (a column) and note the column in the county's truth."""
        first = self.rng.randint(2022, 2024)
        for year in range(first, 2025):
            self.replica.catalog.publish(self.rng, site.info.id, unit, year)
        self.columns_by_id[site.info.id] = site
        self.truth[county.id].append(site)
        return site

    def trs_column(self, county: County, host: str, uid: str, unit: str, column: str) -> Site:
        info = SiteInfo(f"{county.id}-{uid}", "trs", host, (column + "index.html",), unit)
        return self.column(UnitTrs(info, self.replica, column), county, unit)

    def base(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ TRS county (青山县)

    def _build_trs(self, c: County) -> None:
        gov = c.name + "人民政府"
        cols = [self.trs_column(c, c.host, "gov", gov, "/zfxxgk/zfxxgknb/")]
        units = [(f"u{i:02d}", name) for i, name in enumerate(self.units(c), 1)]
        for code, name in units:
            cols.append(self.trs_column(c, c.host, code, name, f"/zfxxgk/{code}/zfxxgknb/"))
        town = {code for code, name in units if name.endswith(("镇", "乡", "街道"))}

        def pages() -> dict[str, str]:
            own = "".join(f'<option value="{self.base(h)}/">{esc(c.name + d)}</option>'
                          for h, cid, d, _ in OWN_SITES if cid == c.id)
            out = {
                "/": homepage(gov, [("首页", "/"), ("走进" + c.name[:-1], "/zjqs/"), ("政务公开", "/zwgk/"),
                                    ("政务服务", "/zwfw/"), ("互动交流", "/hdjl/")],
                              f'<div class="bmwz"><select onchange="window.open(this.value)"><option value="">部门网站'
                              f"</option>{own}</select></div>", self.port, COUNTIES[1]),
                "/zwgk/": _html(f"政务公开_{gov}", _links([("政府信息公开", "/zfxxgk/index.html"), ("政策解读", "/zwgk/zcjd/"),
                                                        ("新闻发布会", "/zwgk/xwfbh/")])),
                "/zfxxgk/index.html": _html(f"政府信息公开_{gov}", _links(
                    [("政府信息公开指南", "/zfxxgk/zfxxgkzn/"), ("政府信息公开制度", "/zfxxgk/zfxxgkzd/"),
                     ("法定主动公开内容", "/zfxxgk/fdzdgknr/"), ("政府信息公开年报", "/zfxxgk/zfxxgknb/index.html")],
                    "left-nav") + '<div class="unit">部门/乡镇信息公开：<select id="unitSelect"></select></div>'
                    '<script>$.getJSON("/zfxxgk/unitList.json", function (d) { $.each(d.units, function (i, u) {'
                    ' $("#unitSelect").append(new Option(u.name, u.url)); }); });</script>'),
                "/zfxxgk/fdzdgknr/": _html("法定主动公开内容", _links([("机构职能", "/zfxxgk/fdzdgknr/jgzn/"),
                                                                 ("规划计划", "/zfxxgk/fdzdgknr/ghjh/")])),
            }
            for code, name in units:
                nb = ("政府信息公开年报", f"/zfxxgk/{code}/zfxxgknb/index.html")
                nav = [("政府信息公开指南", f"/zfxxgk/{code}/zn/"), ("法定主动公开内容", f"/zfxxgk/{code}/fdzdgknr/")]
                out[f"/zfxxgk/{code}/index.html"] = _html(f"{name}_政府信息公开", f"<h2>{esc(name)}</h2>"
                                                          + _links(nav if code in town else nav + [nb], "left-nav"))
                out[f"/zfxxgk/{code}/fdzdgknr/"] = _html(f"法定主动公开内容_{name}", _links(
                    [("机构职能", f"/zfxxgk/{code}/jgzn/")] + ([nb] if code in town else []), "sub-nav"))
            return out

        data = {"/zfxxgk/unitList.json": {"units": [{"name": n, "code": k, "url": f"/zfxxgk/{k}/index.html"}
                                                     for k, n in units]}}
        self.hosts[c.host] = NavHost(SiteInfo(c.id, "county", c.host, ("/",), gov), self.replica, pages,
                                     lambda: data, cols)

    # ------------------------------------------------------------------ Hanweb county (松溪县)

    def _build_hanweb(self, c: County) -> None:
        gov = c.name + "人民政府"
        cols: list[Site] = []

        def jpage(uid: str, unit: str, column_id: int) -> None:
            info = SiteInfo(f"{c.id}-{uid}", "hanweb", c.host, (f"/col/col{column_id}/index.html",), unit)
            cols.append(self.column(UnitHanweb(info, self.replica, column_id), c, unit))

        jpage("gov", gov, 1229114100)
        units = [(2000 + i, name) for i, name in enumerate(self.units(c), 1)]
        for i, name in units:
            jpage(f"u{i}", name, 1229115000 + i)

        def pages() -> dict[str, str]:
            out = {
                "/": homepage(gov, [("首页", "/"), ("政务公开", "/col/col1000/index.html"), ("办事服务", "/col/col1002/index.html"),
                                    ("互动交流", "/col/col1003/index.html")], "", self.port, COUNTIES[0]),
                "/col/col1000/index.html": _html(f"政务公开 {gov}", _links(
                    [("政府信息公开", "/col/col1001/index.html"), ("政府信息公开年报", "/col/col1229114100/index.html"),
                     ("政策文件", "/col/col1005/index.html")])),
                "/col/col1001/index.html": _html(f"政府信息公开 {gov}", '<div id="unitTree" class="xxgk_tree"></div>'
                    '<script>$.ajax({url: "/module/xxgk/tree.jsp?divid=unitTree&webid=3095", dataType: "json",'
                    ' success: function (d) { renderTree("#unitTree", d); }});</script>'),
            }
            for i, name in units:
                out[f"/col/col{i}/index.html"] = _html(f"{name} 信息公开", f"<h2>{esc(name)}</h2>" + _links(
                    [("机构概况", f"/col/col{i + 5000}/index.html"), ("政府信息公开指南", f"/col/col{i + 6000}/index.html"),
                     ("政府信息公开年报", f"/col/col{1229115000 + i}/index.html")], "xxgk_nav"))
            return out

        def group(label: str, town: bool) -> dict:
            return {"text": label, "children": [{"text": n, "href": f"/col/col{i}/index.html"} for i, n in units
                                                if n.endswith(("镇", "乡", "街道")) == town]}

        data = {"/module/xxgk/tree.jsp": [group("县政府部门", False), group("乡镇（街道）", True)]}
        self.hosts[c.host] = NavHost(SiteInfo(c.id, "county", c.host, ("/",), gov), self.replica, pages,
                                     lambda: data, cols)

    # ------------------------------------------------------------------ Guangdong county (连溪县): gkmlpt per unit

    def _build_gd(self, c: County) -> None:
        gov = c.name + "人民政府"
        cols: list[Site] = []

        def gkmlpt(uid: str, unit: str, prefix: str, sid: int) -> None:
            info = SiteInfo(f"{c.id}-{uid}", "gd", c.host, (f"{prefix}/gkmlpt/index",), unit)
            cols.append(self.column(UnitGkmlpt(info, self.replica, prefix, str(sid)), c, unit))

        gkmlpt("gov", gov, "", 762000)
        units = [(f"lx{i:02d}", name) for i, name in enumerate(self.units(c), 1)]
        for i, (code, name) in enumerate(units, 1):
            gkmlpt(code, name, f"/{code}", 762000 + i)
        depts = [(k, n) for k, n in units if not n.endswith(("镇", "乡", "街道"))]
        towns = [(k, n) for k, n in units if n.endswith(("镇", "乡", "街道"))]

        def pages() -> dict[str, str]:
            return {
                "/": homepage(gov, [("首页", "/"), ("政务公开", "/zwgk/"), ("政务服务", "/zwfw/"), ("互动交流", "/hdjl/")],
                              "", self.port, COUNTIES[0]),
                "/zwgk/": _html(f"政务公开-{gov}", _links([("政府信息公开目录", "/gkmlpt/index"), ("政策解读", "/zwgk/zcjd/")])
                                + '<div class="bm">部门信息公开目录：<select id="bm"><option value="">请选择</option></select></div>'
                                '<script>$.ajax({ url: "/zwgk/bmlist.json", dataType: "json", success: function (d) {'
                                ' d.data.forEach(function (u) { $("#bm").append(new Option(u.title, u.linkurl)); }); }});</script>'
                                + '<div class="zj">镇街信息公开目录：' + _links([(n, f"/{k}/gkmlpt/index") for k, n in towns], "zj")
                                + "</div>"),
            }

        data = {"/zwgk/bmlist.json": {"code": 0, "data": [{"title": n, "linkurl": f"/{k}/gkmlpt/index"} for k, n in depts]}}
        self.hosts[c.host] = NavHost(SiteInfo(c.id, "county", c.host, ("/",), gov), self.replica, pages,
                                     lambda: data, cols)

    # ------------------------------------------------------------------ counties on the provincial platform

    def _build_shared(self, c: County) -> None:
        gov = c.name + "人民政府"
        root = f"/{c.code}/"
        cols = [self.trs_column(c, PROVINCE_HOST, "gov", gov, f"{root}zfxxgknb/")]
        units = [(f"dw{i:03d}", name) for i, name in enumerate(self.units(c), 1)]
        for code, name in units:
            cols.append(self.trs_column(c, PROVINCE_HOST, code, name, f"{root}{code}/zfxxgknb/"))
        others = [o for o in COUNTIES if o.platform == "shared" and o.id != c.id]

        def platform() -> dict[str, str]:
            counties = _links([(o.name + "政府信息公开", f"/{o.code}/xxgk/index.shtml") for o in others]
                              + [("省政府信息公开", "/")], "qx")
            out = {f"{root}xxgk/index.shtml": _html(f"{c.name}政府信息公开_陇原省政务公开平台", f"<div>全省各县区：{counties}</div>"
                   + _links([("政府信息公开指南", f"{root}xxgk/zn.shtml"), ("政府信息公开年报", f"{root}zfxxgknb/index.html")],
                            "left-nav")
                   + '<select id="dept"><option>请选择部门</option></select><script>$.get("units.json", function (d) {'
                     ' d.list.forEach(function (u) { $("#dept").append(new Option(u.deptName, u.link)); }); });</script>')}
            for code, name in units:
                out[f"{root}{code}/index.shtml"] = _html(f"{name}_陇原省政务公开平台", f"<h2>{esc(name)}</h2>" + _links(
                    [("信息公开目录", f"{root}{code}/ml.shtml"), ("信息公开年报", f"{root}{code}/zfxxgknb/index.html")]))
            return out

        data = {f"{root}xxgk/units.json": {"list": [{"deptName": n, "link": f"{root}{k}/index.shtml"} for k, n in units]}}
        self.shared[c.id] = (platform, lambda: data, cols)
        pages = lambda: {"/": homepage(gov, [("首页", "/"), ("政务公开", f"http://{PROVINCE_HOST}:{self.port}{root}xxgk/index.shtml"),  # noqa: E731
                                             ("政务服务", "/zwfw/")], "", self.port, others[0])}
        self.hosts[c.host] = NavHost(SiteInfo(c.id, "county", c.host, ("/",), gov), self.replica, pages, dict, [])

    def _build_province(self) -> None:
        def pages() -> dict[str, str]:
            out = {"/": _html("陇原省政务公开平台", _links([(c.name + "政府信息公开", f"/{c.code}/xxgk/index.shtml")
                                                        for c in COUNTIES if c.platform == "shared"]))}
            for platform, _, _ in self.shared.values():
                out.update(platform())
            return out

        def data() -> dict[str, object]:
            return {k: v for _, d, _ in self.shared.values() for k, v in d().items()}

        cols = [col for _, _, cs in self.shared.values() for col in cs]
        self.hosts[PROVINCE_HOST] = NavHost(SiteInfo("province", "county", PROVINCE_HOST, ("/",), "陇原省政务公开平台"),
                                            self.replica, pages, data, cols)

    # ------------------------------------------------------------------ departments on their own sites

    def _build_own_site(self, host: str, c: County, dept: str, family: str) -> None:
        name = c.name + dept
        info = SiteInfo(f"{c.id}-own-{host.rsplit('.', 1)[1]}", family, host,
                        ("/xxgk/xxgknb.htm" if family == "boda" else "/xxgk/zfxxgknb/index.html",), name)
        site = Boda(info, self.replica) if family == "boda" else UnitTrs(info, self.replica, "/xxgk/zfxxgknb/")
        col = self.column(site, c, name)
        nb = "信息公开年报" if family == "boda" else "政府信息公开年报"
        pages = lambda: {  # noqa: E731
            "/": _html(name, f'<div class="logo">{esc(name)}</div>' + _links(
                [("首页", "/"), ("机构概况", "/jggk/"), ("信息公开", "/xxgk/"), ("返回" + c.name + "人民政府", self.base(c.host) + "/")])),
            "/xxgk/": _html(f"信息公开_{name}", _links([("信息公开指南", "/xxgk/zn/"), (nb, info.start_paths[0])], "left-nav"))}
        self.hosts[host] = NavHost(SiteInfo(info.id + "-nav", "county", host, ("/",), name), self.replica, pages, dict, [col])

    # ------------------------------------------------------------------ truth

    def describe(self) -> list[dict]:
        """Per county: homepage and every 年报 column (absolute URL, unit, family) a discoverer should find."""
        return [{"id": c.id, "name": c.name + "人民政府", "homepage": self.base(c.host) + "/",
                 "columns": [{"url": s.url(s.info.start_paths[0]), "unit": s.info.name, "family": s.info.family,
                              "site": s.info.id} for s in self.truth[c.id]]} for c in COUNTIES]
