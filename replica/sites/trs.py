"""TRS WCM static sites (cms-patterns.md §A): trs0 (0-based pager), trs1 (1-based), the
Fujian "动静结合" variant and an old GBK TRS site.

Quirks kept: JS-only `createPageHTML` pager; list pages past the end answer 200 with a
meta-refresh to `./`; relative `./YYYYMM/tYYYYMMDD_id.htm(l)` links; unquoted
`class=TRS_Editor`; metadata only in `<meta>`; Fujian: 10 static items then
`POST /fjdzapp/search` JSON, no `index_1.htm`, attachments only in JS arrays + pdf.js iframe.
"""
from __future__ import annotations

import json
import math

from replica.catalog import Entry, published_dt
from replica.sites.base import Request, Response, Site, esc

PAST_END = ('<html><head><meta http-equiv="refresh" content="0; url=./"><title>跳转</title></head>'
            "<body></body></html>")


class TrsSite(Site):
    column = "/zwgk/zfxxgk/zfxxgknb/"
    ext = "html"
    per_page = 20
    first_index = 0  # 0: page 2 is index_1; 1: page 2 is index_2

    def detail_path(self, e: Entry) -> str:
        p = e.report.published
        return f"{self.column}{p:%Y%m}/t{p:%Y%m%d}_{e.doc_id}.{self.ext}"

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier not in ("pdf", "docx"):
            return None
        p = e.report.published
        return f"{self.column}{p:%Y%m}/P0{p:%Y%m%d}{e.doc_id:010d}.{self.attachment_kind(e)}"

    def page_file(self, page: int) -> str:
        """index.html for page 1; index_<n> for later pages, n per the site's numbering."""
        if page == 1:
            return f"index.{self.ext}"
        return f"index_{page - 1 + self.first_index}.{self.ext}"

    def route(self, req: Request) -> Response | None:
        if not req.path.startswith(self.column):
            return None
        name = req.path[len(self.column):] or f"index.{self.ext}"
        entries = self.catalog.listed(self.info.id)
        pages = max(1, math.ceil(len(entries) / self.per_page))
        for page in range(1, pages + 1):
            if name == self.page_file(page):
                chunk = entries[(page - 1) * self.per_page: page * self.per_page]
                return self.page(self.render_list(chunk, page, pages))
        if name.startswith("index_") and name.endswith("." + self.ext):
            if self.replica.endless == self.info.id:
                return self.endless_page(name, entries, pages)
            return self.page(PAST_END)
        return None

    def endless_page(self, name: str, entries: list[Entry], pages: int) -> Response | None:
        """`Replica(endless=site)`: past the last page, page N shows reports and links to page N+1, forever
        (issue #11: a crawler must end it). `endless_items`: "cycle" shows other reports on each page,
        "repeat" the last real page's reports again."""
        number = name[len("index_"):-len("." + self.ext)]
        if not number.isdigit():
            return None
        page = int(number) + 1 - self.first_index
        if not entries or page <= pages:
            return None
        if self.replica.endless_items == "repeat":
            chunk = entries[(pages - 1) * self.per_page:]
        else:
            start = (page * self.per_page) % len(entries)
            chunk = (entries[start:] + entries[:start])[:self.per_page]
        return self.page(self.render_list(chunk, page, page + 1))

    def pager_script(self, page: int, pages: int) -> str:
        return f'<script language="JavaScript">createPageHTML({pages}, {page - 1}, "index", "{self.ext}");</script>'

    def render_list(self, chunk: list[Entry], page: int, pages: int) -> str:
        items = "\n".join(
            f'<li><a href="./{self.detail_path(e)[len(self.column):]}" target="_blank" title="{esc(e.report.title)}">'
            f'{esc(e.report.title[:24])}…</a><span>{e.report.published.isoformat()}</span></li>' for e in chunk)
        return (f'<!DOCTYPE html><html><head><meta charset="{self.encoding}"><title>政府信息公开年报_{self.info.name}</title>'
                f'<script src="/js/common.js"></script></head><body><div class="header">{self.info.name}</div>'
                f'<div class="position">当前位置：<a href="/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
                f'<ul class="list">\n{items}\n</ul><div class="page">{self.pager_script(page, pages)}</div>'
                f"</body></html>")

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        link = ""
        if att:
            link = f'<a href="./{att.rsplit("/", 1)[1]}" OLDSRC="/protect/{att.rsplit("/", 1)[1]}">{esc(self.attachment_name(e))}</a>'
        return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={self.encoding}">\n'
                f"{self.meta_tags(e)}\n<title>{esc(r.title)}_政府信息公开年报_{self.info.name}</title></head><body>"
                f'<div class="article"><div class="article_title">{esc(r.title)}</div>'
                f'<div class="article_info"><span class="article_source">来源：{esc(r.organ)}</span>'
                f'<span class="article_time">时间：{published_dt(r.published)}</span></div>'
                f'<div class="article_content"><div class=TRS_Editor>{self.content_html(e, link)}</div></div>'
                f"</div></body></html>")


class Trs0(TrsSite):
    pass


class Trs1(TrsSite):
    """1-based numbering; the pager is the 6-argument TRS variant with a 1-based current page."""
    column = "/xxgk/zfxxgknb/"
    first_index = 1
    per_page = 15

    def pager_script(self, page: int, pages: int) -> str:
        total = len(self.catalog.listed(self.info.id))
        return f"<script>createPageHTML('page_div',{pages}, {page},'index','{self.ext}',{total});</script>"


class GbkSite(TrsSite):
    """An old TRS template: GBK bytes, no charset in the HTTP header, the page claims gb2312."""
    column = "/xxgk/nb/"
    ext = "htm"
    per_page = 10
    encoding = "gbk"

    def content_type(self) -> str | None:
        return "text/html"

    def render_list(self, chunk: list[Entry], page: int, pages: int) -> str:
        return super().render_list(chunk, page, pages).replace(
            '<meta charset="gbk">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')

    def render_detail(self, e: Entry) -> str:
        return super().render_detail(e).replace("charset=gbk", "charset=gb2312")


class Fujian(TrsSite):
    """Fujian 动静结合: page 1 static (10 items), more only via POST /fjdzapp/search."""
    column = "/zwgk/zfxxgk/zfxxgknb/"
    ext = "htm"
    per_page = 10
    channel_id, chnl_id = 200210, 1813

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier in ("pdf", "docx") or e.doc_id % 2 == 0:  # half the html reports have a 全真版 PDF
            p = e.report.published
            return f"{self.column}{p:%Y%m}/P0{p:%Y%m%d}{e.doc_id:010d}.{self.attachment_kind(e)}"
        return None

    def route(self, req: Request) -> Response | None:
        if req.path == "/fjdzapp/search":
            return self.search(req)
        if req.path == "/generic2/web/viewer.html":
            return self.page('<!DOCTYPE html><html><head><title>PDF.js viewer</title><script src="viewer.js">'
                             '</script></head><body><div id="viewerContainer"></div></body></html>', kind="other")
        if req.path in (self.column, self.column + "index.htm"):
            entries = self.catalog.listed(self.info.id)
            return self.page(self.render_list(entries[:self.per_page], 1, len(entries)))
        return None

    def search(self, req: Request) -> Response:
        if req.method != "POST":
            return Response(405, b'{"status":0,"msg":"method not allowed"}', "application/json;charset=UTF-8", "api")
        if req.form.get("classsql") != f"chnlid={self.chnl_id}" or req.form.get("channelid") != str(self.channel_id):
            body = {"status": 1, "total": 0, "data": []}
        else:
            entries = self.catalog.listed(self.info.id)
            page = max(1, int(req.form.get("page") or 1))
            size = int(req.form.get("prepage") or self.per_page)
            rows = entries[(page - 1) * size: page * size]
            body = {"status": 1, "total": len(entries), "page": page, "prepage": size, "data": [
                {"docid": e.doc_id, "doctitle": e.report.title, "chnldocurl": self.url(self.detail_path(e)),
                 "docreltime": published_dt(e.report.published), "chnlname": "政府信息公开年报"} for e in rows]}
        return Response(200, json.dumps(body, ensure_ascii=False).encode(), "application/json;charset=UTF-8", "api")

    def render_list(self, chunk: list[Entry], page: int, total: int) -> str:
        items = "".join(
            f'\n<dl>\n<dd class="trt-col-sm-24 slb-trt-col-24 text_align_left">\n'
            f'<a href="./{self.detail_path(e)[len(self.column):]}" target="_blank" title="{esc(e.report.title)}">'
            f"{esc(e.report.title)}</a>\n</dd>\n"
            f'<dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">\n        {e.report.published.isoformat()}\n'
            f"                                            </dd>\n</dl>\n" for e in chunk)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"/><meta name="ColumnName" content="政府信息公开年报"/>'
                f"<title>政府信息公开年报_{self.info.name}</title>"
                f"<script>var SiteInfo = {{ searchId: {self.channel_id}, defaultPgTemp: \"pgBar_pt.html\" }};</script></head>"
                f'<body><div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">{items}</div>'
                f'<div class="rules_tabs_01" ms-visible="!showStatic"><dl ms-repeat="list"><dd><a ms-attr-href="el.url" '
                f'ms-text="el.title"></a></dd></dl></div><div id="pagebar"></div>'
                f'<script>require(["list2.trsapi", "tools"], function(listModel, tools) {{ listModel({{\n'
                f'  quickMode: "动静结合",\n  maxStaticIndex: 1,\n  listArgs: {{\n    channelid: SiteInfo.searchId,\n'
                f'    classsql: "" || "chnlid={self.chnl_id}",\n    sortfield: "-docorderpri,-docreltime"\n  }},\n'
                f"  pagebar: {{\n    prepage: {self.per_page},\n    recordCount: '{total}',\n"
                f'    pgTemp: "pgBar_xxgk.html",\n    pgCountMode: "recordCount",\n    displayNum: 2\n  }}\n}}); }});'
                f"</script></body></html>")

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        apps1 = ""
        if att:
            apps1 = f'{{"url": "{self.url(att)}", "name": "{esc(self.attachment_name(e))}"}}'
        return (f'<!DOCTYPE html><html ms-controller="windowRoot"><head><meta charset="utf-8" />\n{self.meta_tags(e)}\n'
                f'<meta name="ChnlId" content="{self.chnl_id}"/>\n'
                f"<title>{esc(r.title)}_政府信息公开年报_{self.info.name}</title></head><body>"
                f'<div class="tabs_content tabs_bd"><div class="pic_con" ms-controller="QzbView" '
                f"ms-visible=\"show==0&&qzbFile!=''\"><iframe class=\"isofd\" ms-controller=\"QzbView\" "
                f'ms-attr-src="/generic2/web/viewer.html?file={{{{qzbFile}}}}" rameborder="0" scrolling="no"></iframe></div>'
                f'<div class="word_con"><div class="article_content article_content_01 font_family_cn">'
                f"<div class=TRS_Editor>{self.content_html(e)}</div></div></div>"
                f'<div class="article_attachment" id="file_xmb"><ul id="file_ul_fj">\n</ul></div></div>'
                f'<script>\n      \tvar qzbFile = "";\n      \tvar qzbFileName = "";\n\t\t  var apps = [\n              \n'
                f"            ];\n\t\tvar apps1 = [\n\t\t\t  {apps1}\n            ];\n"
                f"\t\t  for (var i = 0; i < apps1.length; i++) {{\n\t\t\tif (apps1[i].url.indexOf(\"pdf\") > -1) {{\n"
                f'\t\t\t\tqzbFile = apps1[i].url.replace("http:", document.location.protocol);\n'
                f"\t\t\t\tqzbFileName = apps1[i].name;\n\t\t\t}}\n\t\t  }}\n"
                f"      \tvar docid = '{e.doc_id}';\n</script></body></html>")
