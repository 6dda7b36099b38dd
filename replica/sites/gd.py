"""Guangdong NFCMS portal column and the gkmlpt 信息公开目录 (cms-patterns.md §C).

Quirks kept: `index_2.html` is page 2; absolute `content/post_N.html` links;
`a.nfw-cms-attachment` with the file name only in `alt` and link text 点击下载; attachments at
`/attachment/0/a/b/<postid>.pdf`; gkmlpt SPA index with `window._CONFIG = {SID, TREE}`, JSON API
100/page where page 0 == page 1, detail content only JSON-escaped inside `_CONFIG.DETAIL`.
"""
from __future__ import annotations

import json
import math

from replica.catalog import Entry, published_dt
from replica.sites.base import Request, Response, Site, esc


def _attachment(e: Entry, kind: str) -> str:
    fid = e.doc_id * 3 + 7
    return f"/attachment/0/{fid // 1000}/{fid}/{e.doc_id}.{kind}"


class Nfcms(Site):
    column = "/zwgk/xxgknb/"
    per_page = 20

    def detail_path(self, e: Entry) -> str:
        return f"{self.column}content/post_{e.doc_id}.html"

    def attachment_path(self, e: Entry) -> str | None:
        return _attachment(e, self.attachment_kind(e)) if e.report.carrier in ("pdf", "docx") else None

    def image_path(self, e: Entry, which: str) -> str:
        return f"/img/0/{e.doc_id // 100}/{e.doc_id}{which}.png"

    def route(self, req: Request) -> Response | None:
        if req.path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain", "robots")
        if not req.path.startswith(self.column):
            return None
        name = req.path[len(self.column):] or "index.html"
        entries = self.catalog.listed(self.info.id)
        pages = max(1, math.ceil(len(entries) / self.per_page))
        page = 1 if name == "index.html" else (int(name[6:-5]) if name.startswith("index_") and name[6:-5].isdigit() else 0)
        if not 1 <= page <= pages or name == "index_1.html":
            return None
        return self.page(self.render_list(entries[(page - 1) * self.per_page: page * self.per_page], page, pages))

    def render_list(self, chunk: list[Entry], page: int, pages: int) -> str:
        items = "\n".join(f'<li><a href="{self.url(self.detail_path(e))}" target="_blank" title="{esc(e.report.title)}">'
                          f"{esc(e.report.title)}</a><span>{e.report.published.isoformat()}</span></li>" for e in chunk)
        nav = "".join(f'<a href="{"index.html" if p == 1 else f"index_{p}.html"}" class="{"active" if p == page else ""}">{p}</a>'
                      for p in range(1, pages + 1))
        nxt = f'<a class="next" href="index_{page + 1}.html">下一页</a>' if page < pages else ""
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报-{self.info.name}</title></head>'
                f'<body><div class="content"><ul class="list">\n{items}\n</ul><div class="page">{nav}{nxt}</div></div>'
                f"</body></html>")

    def content_html(self, e: Entry, link_html: str = "") -> str:
        from replica.markup import attachment_only_body, body_html
        if e.report.carrier in ("pdf", "docx"):
            return attachment_only_body(e.report, link_html)
        return body_html(e.report, lambda which: self.image_path(e, which))

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        link = (f'附件：<a class="nfw-cms-attachment" href="{att}" alt="{esc(self.attachment_name(e))}">点击下载</a>'
                if att else "")
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f"<script>var NFCMS_SITE_ID = 755001, NFCMS_POST_ID = {e.doc_id};</script></head><body>"
                f'<table class="classify"><tr><td>索引号：</td><td class="td-value-xl"><span>11441521007{e.doc_id}/2024-0{e.rid % 9}</span></td>'
                f'<td>发布机构：</td><td><span>{esc(r.organ)}</span></td></tr><tr><td>成文日期：</td><td><span>{r.published}</span>'
                f'</td><td>发布日期：</td><td><span>{r.published}</span></td></tr></table>'
                f'<div class="article-content">{self.content_html(e, link)}</div></body></html>')


class Gkmlpt(Site):
    sid = "755041"
    category = 2860

    def detail_path(self, e: Entry) -> str:
        return f"/gkmlpt/content/{e.doc_id // 100000}/{e.doc_id // 1000}/post_{e.doc_id}.html"

    def attachment_path(self, e: Entry) -> str | None:
        return _attachment(e, self.attachment_kind(e)) if e.report.carrier in ("pdf", "docx") else None

    def image_path(self, e: Entry, which: str) -> str:
        return f"/img/0/{e.doc_id // 100}/{e.doc_id}{which}.png"

    content_html = Nfcms.content_html

    def route(self, req: Request) -> Response | None:
        if req.path == "/gkmlpt/index":
            tree = [{"id": 2850, "name": "机构职能", "children": []},
                    {"id": 2855, "name": "政府信息公开", "children": [
                        {"id": self.category, "name": "政府信息公开年报", "children": []},
                        {"id": 2861, "name": "政府信息公开指南", "children": []}]}]
            cfg = json.dumps({"SID": self.sid, "TREE": tree, "API": "/gkmlpt/api/all/"}, ensure_ascii=False)
            return self.page(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开目录</title></head>'
                             f'<body><div id="app"></div><script>window._CONFIG = {cfg};</script>'
                             f'<script src="/gkmlpt/static/js/app.js"></script></body></html>')
        if req.path.startswith("/gkmlpt/api/all/"):
            return self.api(req)
        return None

    def article(self, e: Entry) -> dict:
        att = self.attachment_path(e)
        return {"id": e.doc_id, "title": e.report.title, "url": self.url(self.detail_path(e)),
                "post_url": self.url(self.detail_path(e)), "identifier": f"007{e.doc_id}/2024-{e.rid:05d}",
                "publisher": e.report.organ, "document_number": "", "created_at": published_dt(e.report.published),
                "display_publish_time": int(e.modified.timestamp()), "date": e.report.published.isoformat(),
                "attachment": [{"name": self.attachment_name(e), "type": self.attachment_kind(e),
                                "mime": "application/pdf", "size": 0, "url": self.url(att)}] if att else []}

    def api(self, req: Request) -> Response:
        cat = req.path.rsplit("/", 1)[1]
        if req.query.get("sid") != self.sid or cat not in (str(self.category), "2861", "2850"):
            return Response(404, b'{"code":404,"msg":"not found"}', "application/json", "api")
        entries = self.catalog.listed(self.info.id) if cat == str(self.category) else []
        page = max(1, int(req.query.get("page") or 1))  # page 0 and page 1 are the same batch
        rows = entries[(page - 1) * 100: page * 100]
        body = {"classify": {"id": int(cat), "name": "政府信息公开年报", "post_count": len(entries)},
                "total": len(entries), "articles": [self.article(e) for e in rows]}
        return Response(200, json.dumps(body, ensure_ascii=False).encode(), "application/json", "api")

    def render_detail(self, e: Entry) -> str:
        r = e.report
        detail = dict(self.article(e), content=self.content_html(e))
        blob = json.dumps(detail, ensure_ascii=False).replace('\\"', "\\u0022").replace("/", "\\/")
        labels = [("索引号", detail["identifier"]), ("分类", "政府信息公开年报"), ("发布机构", r.organ),
                  ("成文日期", str(r.published)), ("名称", r.title), ("文号", ""), ("发布日期", str(r.published)),
                  ("主题词", "")]
        meta = "".join(f'<tr><th>{k}：</th><td>{esc(v)}</td></tr>' for k, v in labels)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f'</head><body><table class="gkml-detail-meta">{meta}</table><div id="app"></div>'
                f"<script>window._CONFIG = window._CONFIG || {{}};\nwindow._CONFIG.DETAIL = {blob};</script></body></html>")
