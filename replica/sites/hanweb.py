"""Hanweb 大汉 jcms sites (cms-patterns.md §B): the jpage column and the xxgk module.

Quirks kept: the column's `<ul>` is an empty shell and records sit only in
`<script type="text/xml"><datastore>` CDATA; `var param_N={…}` and `totalRecord`;
`POST dataproxy.jsp?startrecord=&endrecord=&perpage=` answers XML groups of 3×perpage whose
first record repeats the previous group's last; `?pageNum=` is ignored; unpadded
`art/Y/M/D/art_C_A.html`; body in `#zoom` between `<!--<$[信息内容]>begin-->` markers;
xxgk `search.jsp` (POST, `currpage`, 共N页) and `xxgkAnnualReport.jsp?area=&fbtime=`.
"""
from __future__ import annotations

import hashlib
import math

from replica.catalog import Entry, published_dt
from replica.sites.base import Request, Response, Site, esc


class HanwebBase(Site):
    column_id = 1229114055
    query_in_key = True

    def detail_path(self, e: Entry) -> str:
        p = e.report.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{self.column_id}_{e.doc_id}.html"

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier not in ("pdf", "docx"):
            return None
        return f"/module/download/downfile.jsp?classid=0&filename={e.report.published:%y%m%d}{e.doc_id}.{self.attachment_kind(e)}"

    def image_path(self, e: Entry, which: str) -> str:
        return f"/picture/0/{e.report.published:%y%m%d}{e.doc_id}{which}.png"

    def content_html(self, e: Entry, link_html: str = "") -> str:
        """Images are site-absolute on Hanweb (/picture/…)."""
        from replica.markup import attachment_only_body, body_html
        if e.report.carrier in ("pdf", "docx"):
            return attachment_only_body(e.report, link_html)
        return body_html(e.report, lambda which: self.image_path(e, which))

    def record(self, e: Entry) -> str:
        return (f'<li><a href="{self.detail_path(e)}" title="{esc(e.report.title)}" target="_blank">'
                f"{esc(e.report.title)}</a><span>{e.report.published.isoformat()}</span></li>")

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        files = f'<p>附件：<a href="{esc(att)}">{esc(self.attachment_name(e))}</a></p>' if att else ""
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f'</head><body><div class="main"><div class="title">{esc(r.title)}</div>'
                f'<div class="info">发布日期：{published_dt(r.published)} 信息来源：{esc(r.organ)}</div>'
                f'<div id="zoom"><!--<$[信息内容]>begin-->{self.content_html(e)}<!--<$[信息内容]>end--></div>'
                f"{files}</div></body></html>")


class Hanweb(HanwebBase):
    unit_id = 4561249
    per_page = 15
    webid = 3095

    def params(self) -> str:
        return (f"col=1&appid=1&webid={self.webid}&path=/&columnid={self.column_id}&sourceContentType=1"
                f"&unitid={self.unit_id}&webname={self.info.name}&permissiontype=0")

    def datastore(self, rows: list[Entry], total: int) -> str:
        recs = "\n".join(f"<record><![CDATA[\n{self.record(e)}\n]]></record>" for e in rows)
        return (f"<datastore>\n<nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?page=1&{self.params()}\"></a>]]>"
                f"</nextgroup>\n<recordset>\n{recs}\n</recordset>\n</datastore>")

    def route(self, req: Request) -> Response | None:
        entries = self.catalog.listed(self.info.id)
        if req.path == f"/col/col{self.column_id}/index.html":  # ?uid=&pageNum= is ignored, as on real sites
            return self.page(self.render_column(entries))
        if req.path in ("/module/web/jpage/dataproxy.jsp", "/module/jpage/dataproxy.jsp"):
            return self.dataproxy(req, entries)
        return None

    def dataproxy(self, req: Request, entries: list[Entry]) -> Response:
        perpage = int(req.query.get("perpage") or self.per_page)
        if req.method == "POST":
            if req.form.get("columnid") != str(self.column_id):
                return Response(200, b'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>0</totalrecord>'
                                     b"<totalpage>0</totalpage><recordset></recordset></datastore>",
                                "text/xml;charset=UTF-8", "api")
            start = max(1, int(req.query.get("startrecord") or 1))
            end = int(req.query.get("endrecord") or start + 3 * perpage - 1)
        else:  # GET ?page=N (the nextgroup link) gives group N
            group = max(1, int(req.query.get("page") or 1))
            start, end = (group - 1) * 3 * perpage + 1, group * 3 * perpage
        first = start - 2 if start > 1 else 0  # look-ahead quirk: repeat the previous group's last record
        rows = entries[first:end]
        total = len(entries)
        recs = "".join(f"<record><![CDATA[{self.record(e)}]]></record>" for e in rows)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
                f"<totalpage>{math.ceil(total / perpage)}</totalpage><recordset>{recs}</recordset></datastore>")
        return Response(200, body.encode(), "text/xml;charset=UTF-8", "api")

    def render_column(self, entries: list[Entry]) -> str:
        group = entries[: 3 * self.per_page]
        params = (f"{{col:1,appid:1,webid:{self.webid},path:'/',columnid:{self.column_id},sourceContentType:1,"
                  f"unitid:'{self.unit_id}',webname:'{self.info.name}',permissiontype:0}}")
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">'
                f"<title>政府信息公开年报 {self.info.name}</title></head><body>"
                f'<div class="bt-box"><ul class="main_list"></ul></div>'
                f'<div id="{self.unit_id}"><script type="text/xml">\n{self.datastore(group, len(entries))}\n</script>'
                f"<script language=\"javascript\" src=\"/module/web/jpage/jpage.js\"></script>"
                f"<script>var param_{self.unit_id} = {params};</script>"
                f"<script>new Jpage({{ id:'{self.unit_id}', perPage:{self.per_page}, totalRecord:{len(entries)}, "
                f"groupSize:3, dataproxy:'/module/web/jpage/dataproxy.jsp' }});</script></div></body></html>")


class HanwebXxgk(HanwebBase):
    """The 信息公开目录 module: units identified by an org code (`area`), POST search.jsp lists."""
    column_id = 1229565001
    per_page = 15
    jdid = 3144

    @staticmethod
    def area(organ: str) -> str:
        return str(int(hashlib.sha1(organ.encode()).hexdigest(), 16))[:9]

    def units(self) -> dict[str, str]:
        return {self.area(e.report.organ): e.report.organ for e in self.catalog.entries(self.info.id)}

    def route(self, req: Request) -> Response | None:
        entries = self.catalog.listed(self.info.id)
        if req.path == "/module/xxgk/index.jsp":
            return self.page(self.render_index(entries))
        if req.path == "/module/xxgk/search.jsp":
            return self.search(req, entries)
        if req.path == "/module/xxgk/xxgkAnnualReport.jsp":
            return self.annual(req, entries)
        return None

    def render_index(self, entries: list[Entry]) -> str:
        units = sorted({(self.area(e.report.organ), e.report.organ) for e in entries})
        years = sorted({e.report.year for e in entries}, reverse=True)
        unit_links = "".join(
            f'<li><span>{esc(organ)}</span>' + "".join(
                f'<a href="/module/xxgk/xxgkAnnualReport.jsp?area={area}&fbtime={y}">{y}年</a>' for y in years)
            + "</li>" for area, organ in units)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开目录 {self.info.name}</title></head>'
                f'<body><div class="xxgk_nav"><ul>{unit_links}</ul></div><div id="div{self.column_id}"></div>'
                f"<script>$.ajax({{url:'/module/xxgk/search.jsp?texttype=&fbtime=&vc_all=&vc_filenumber=&vc_title=&vc_number=&currpage=1&sortfield=compaltedate:0',"
                f"type:'POST',data:{{infotypeId:'A0801',jdid:'{self.jdid}',area:'',divid:'div{self.column_id}'}}}});"
                f"</script></body></html>")

    def search(self, req: Request, entries: list[Entry]) -> Response:
        if req.method != "POST":
            return self.page("<html><body>参数错误</body></html>", kind="api")
        area = req.form.get("area", "")
        if area:
            entries = [e for e in entries if self.area(e.report.organ) == area]
        if req.form.get("infotypeId", "A0801") != "A0801":
            entries = []
        page = max(1, int(req.query.get("currpage") or 1))
        pages = max(1, math.ceil(len(entries) / self.per_page))
        rows = entries[(page - 1) * self.per_page: page * self.per_page]
        trs = "".join(
            f'<tr class="tr_main_value_{"odd" if i % 2 == 0 else "even"}"><td>{e.doc_id}</td>'
            f'<td align="left"><a class="bt_link" href="{self.detail_path(e)}" title="{esc(e.report.title)}" '
            f'target="_blank">{esc(e.report.title)}</a></td><td>{e.report.published.isoformat()}</td></tr>'
            for i, e in enumerate(rows))
        body = (f'<table class="tb_main"><tr class="tr_main_title"><td>索引号</td><td>名称</td><td>生成日期</td></tr>{trs}'
                f'</table><div class="page">共{len(entries)}条 第{page}/{pages}页 共{pages}页 '
                f'<a href="javascript:void(0)" onclick="searchPage({min(page + 1, pages)})">下一页</a></div>')
        return self.page(body, kind="api")

    def annual(self, req: Request, entries: list[Entry]) -> Response:
        area, year = req.query.get("area", ""), req.query.get("fbtime", "")
        hits = [e for e in entries if self.area(e.report.organ) == area and str(e.report.year) == year]
        rows = "".join(f'<li><a href="{self.detail_path(e)}" target="_blank">{esc(e.report.title)}</a>'
                       f"<span>{e.report.published.isoformat()}</span></li>" for e in hits)
        return self.page(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
                         f'<div class="xxgk_nb"><ul>{rows or "<li>暂无年报</li>"}</ul></div></body></html>')
