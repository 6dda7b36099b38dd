"""Boda VSB 博达 site (cms-patterns.md §D).

Quirks kept: list pages numbered downwards (page 2 of N is `xxgknb/<N-1>.htm`, the last is
`xxgknb/1.htm`), `span.p_next` and `p_t` "1/N" pager; relative `../info/1034/ID.htm` links
(`../../info/…` from the sub-pages); attachments via extensionless `download.jsp?…&wbfileid=`
that return an HTML error page unless the Referer is the article page.
"""
from __future__ import annotations

import math

from replica.catalog import Entry, published_dt
from replica.sites.base import Request, Response, Site, esc

OWNER = 1348324972


class Boda(Site):
    per_page = 12
    query_in_key = True

    def detail_path(self, e: Entry) -> str:
        return f"/info/1034/{e.doc_id}.htm"

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier not in ("pdf", "docx"):
            return None
        return f"/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner={OWNER}&wbfileid={e.doc_id * 7}"

    def image_path(self, e: Entry, which: str) -> str:
        return f"/__local/{e.doc_id % 16:X}/{e.doc_id % 251:02X}/{e.doc_id}{which.upper()}_W.png"

    def content_html(self, e: Entry, link_html: str = "") -> str:
        from replica.markup import attachment_only_body, body_html
        if e.report.carrier in ("pdf", "docx"):
            return attachment_only_body(e.report)
        return body_html(e.report, lambda which: self.image_path(e, which))

    def attachment_response(self, req: Request, e: Entry) -> Response:
        referer = req.header("Referer").split("?")[0].split("#")[0]
        if not referer.endswith(self.detail_path(e)):
            body = ('<html><head><meta charset="utf-8"><title>提示信息</title></head><body><div class="err">'
                    "<p>对不起，您访问的附件不存在或已被删除，或者您没有权限下载此附件！</p></div></body></html>")
            return Response(200, body.encode(), "text/html;charset=UTF-8", "block")
        return super().attachment_response(req, e)

    def route(self, req: Request) -> Response | None:
        entries = self.catalog.listed(self.info.id)
        pages = max(1, math.ceil(len(entries) / self.per_page))
        if req.path == "/xxgk/xxgknb.htm":
            return self.page(self.render_list(entries, 1, pages))
        if req.path.startswith("/xxgk/xxgknb/") and req.path.endswith(".htm"):
            n = req.path.rsplit("/", 1)[1][:-4]
            if n.isdigit() and 1 <= int(n) < pages:
                return self.page(self.render_list(entries, pages - int(n) + 1, pages))
        return None

    @staticmethod
    def page_href(page: int, pages: int, from_page: int) -> str:
        """Relative link to `page` from the list page `from_page` (page 1 lives one directory up)."""
        if from_page == 1:
            return "xxgknb.htm" if page == 1 else f"xxgknb/{pages - page + 1}.htm"
        return "../xxgknb.htm" if page == 1 else f"{pages - page + 1}.htm"

    def render_list(self, entries: list[Entry], page: int, pages: int) -> str:
        chunk = entries[(page - 1) * self.per_page: page * self.per_page]
        up = "../" if page == 1 else "../../"
        items = "\n".join(f'<li id="line_u8_{i}"><a href="{up}info/1034/{e.doc_id}.htm" title="{esc(e.report.title)}">'
                          f"{esc(e.report.title)}</a><span>{e.report.published.isoformat()}</span></li>"
                          for i, e in enumerate(chunk))
        href = lambda p: self.page_href(p, pages, page)  # noqa: E731
        if page > 1:
            first = f'<span class="p_first p_fun"><a href="{href(1)}">首页</a></span><span class="p_prev p_fun"><a href="{href(page - 1)}">上页</a></span>'
        else:
            first = '<span class="p_first_d p_fun_d">首页</span><span class="p_prev_d p_fun_d">上页</span>'
        nums = "".join(f'<span class="p_no_d">{p}</span>' if p == page else f'<span class="p_no"><a href="{href(p)}">{p}</a></span>'
                       for p in range(1, pages + 1))
        if page < pages:
            last = (f'<span class="p_next p_fun"><a href="{href(page + 1)}">下页</a></span>'
                    f'<span class="p_last p_fun"><a href="{href(pages)}">尾页</a></span>')
        else:
            last = '<span class="p_next_d p_fun_d">下页</span><span class="p_last_d p_fun_d">尾页</span>'
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报-{self.info.name}</title></head>'
                f'<body><!--#begineditable name="列表" action="" layout="" tpltype="" contype="" clone="" viewid="" contentviewid="" tagname="静态翻页列表"-->'
                f'<ul>\n{items}\n</ul><div class="pb_sys_common pb_sys_normal pb_sys_style1"><span class="p_pages">'
                f'{first}{nums}{last}</span><span class="p_t">{page}/{pages}</span></div>'
                f'<script>_showDynClickBatch([],[],"wbnews", 1632666717)</script><!--#endeditable--></body></html>')

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        files = ""
        if att:
            files = (f'<ul style="list-style-type:none;"><li>附件【<a href="{esc(att)}" target="_blank">'
                     f'{esc(self.attachment_name(e))}</a>】已下载<span id="nattach{e.doc_id * 7}">{e.rid % 40}</span>次</li></ul>')
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f'</head><body><form name="_newscontent_fromname"><div class="title">{esc(r.title)}</div>'
                f'<div class="info">{published_dt(r.published)} 来源：{esc(r.organ)}</div>'
                f'<div id="vsb_content"><div class="v_news_content">{self.content_html(e)}</div></div>{files}</form>'
                f"</body></html>")
