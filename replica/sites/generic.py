"""Generic static platforms (cms-patterns.md §E/F): a sub-columned county site and a site
with a lying charset.

Quirks kept: the column URL is a ~160-byte `location.replace('./gknb/')` shell; items are
`href="javascript:void(0)" onclick="openDetail('./…html')"`; year sub-columns (`2023n/`, and
`2024n78/` holding the 2025 reports), unit sub-columns `xzjd/` and `bmxxgknb/`; non-report
items in the column. The `lying` site serves UTF-8 under `<meta charset="gb2312">`, half its
pages also with a `charset=GBK` header.
"""
from __future__ import annotations

import hashlib

from replica.catalog import Entry, published_dt
from replica.sites.base import Request, Response, Site, esc

NON_REPORTS = [  # (doc id, date, title): items of the 年报 column that are not reports
    (5101, "2015-03-02", "关于2014年政府信息公开工作要点落实情况的函"),
    (5102, "2023-04-11", "2023年政务公开工作要点"),
    (5103, "2024-01-05", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"),
]


def year_dir(year: int) -> str:
    """Directory of a year sub-column; the newest one's name does not match its year (Tongzhou)."""
    return "2024n78" if year == 2025 else f"{year}n"


class Generic(Site):
    root = "/zfxxgk/zfxxgknb/"
    col = root + "gknb/"

    def section(self, e: Entry) -> str:
        organ = e.report.organ
        if organ.endswith(("镇人民政府", "乡人民政府", "街道办事处")):
            return "xzjd"
        if organ.endswith(("人民政府", "人民政府办公室")):
            return year_dir(e.report.year)
        return "bmxxgknb"

    def detail_path(self, e: Entry) -> str:
        p = e.report.published
        return f"{self.col}{self.section(e)}/{p:%Y%m}/t{p:%Y%m%d}_{e.doc_id}.html"

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier not in ("pdf", "docx"):
            return None
        return self.detail_path(e).rsplit("/", 1)[0] + f"/P0{e.doc_id:012d}.{self.attachment_kind(e)}"

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        link = f'附件：<a href="./{att.rsplit("/", 1)[1]}">{esc(self.attachment_name(e))}</a>' if att else ""
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f'</head><body><h1 class="xl_title">{esc(r.title)}</h1><div class="xl_info">发布时间：{published_dt(r.published)}'
                f'</div><div class="xl_con">{self.content_html(e, link)}</div></body></html>')

    def route(self, req: Request) -> Response | None:
        if req.path in (self.root, self.root + "index.html"):
            return self.page("<html><head><script>location.replace('./gknb/');</script></head><body></body></html>",
                             kind="list")
        if not req.path.startswith(self.col):
            return None
        rest = req.path[len(self.col):]
        entries = self.catalog.listed(self.info.id)
        sections = sorted({self.section(e) for e in entries}, reverse=True)
        if rest in ("", "index.html"):
            return self.page(self.render_column(sections))
        for sec in sections:
            if rest in (f"{sec}/", f"{sec}/index.html"):
                return self.page(self.render_sub(sec, [e for e in entries if self.section(e) == sec]))
        for doc_id, day, title in NON_REPORTS:
            if rest == f"{day[:4]}{day[5:7]}/t{day.replace('-', '')}_{doc_id}.html":
                return self.page(f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
                                 f'<h1 class="xl_title">{title}</h1><div class="xl_con"><p>各乡镇人民政府、县直各部门：</p>'
                                 f"<p>现将有关事项通知如下……</p></div></body></html>", kind="other")
        return None

    def render_column(self, sections: list[str]) -> str:
        names = {"xzjd": "乡镇（街道）年报", "bmxxgknb": "部门年报"}
        subs = "".join(f'<li><a href="./{s}/">{names.get(s, s[:4] + "年")}</a></li>' for s in sections)
        extras = "".join(
            f'<li><a href="javascript:void(0)" onclick="openDetail(\'./{d[:4]}{d[5:7]}/t{d.replace("-", "")}_{i}.html\')" '
            f'title="{t}">{t}</a><span>{d}</span></li>' for i, d, t in NON_REPORTS)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title>'
                f"<script>function openDetail(u){{window.open(u);}}</script></head><body>"
                f'<div class="subnav"><ul>{subs}</ul></div><ul class="list">{extras}</ul></body></html>')

    def render_sub(self, sec: str, entries: list[Entry]) -> str:
        prefix = f"{self.col}{sec}/"
        items = "\n".join(
            f'<li><a href="javascript:void(0)" onclick="openDetail(\'./{self.detail_path(e)[len(prefix):]}\')" '
            f'title="{esc(e.report.title)}">{esc(e.report.title)}</a><span>{e.report.published.isoformat()}</span></li>'
            for e in entries)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title>'
                f"<script>function openDetail(u){{window.open(u);}}</script></head><body>"
                f'<ul class="list">\n{items}\n</ul></body></html>')


class Lying(Site):
    """UTF-8 bytes, `<meta charset="gb2312">`; every other page also says charset=GBK in the header."""
    col = "/c112945/"

    def doc_hex(self, e: Entry) -> str:
        return hashlib.md5(f"{e.doc_id}".encode()).hexdigest()

    def detail_path(self, e: Entry) -> str:
        return f"{self.col}{e.report.published:%Y%m}/{self.doc_hex(e)}.shtml"

    def attachment_path(self, e: Entry) -> str | None:
        if e.report.carrier not in ("pdf", "docx"):
            return None
        return f"{self.col}{e.report.published:%Y%m}/{self.doc_hex(e)}/files/{self.doc_hex(e)[:12]}.{self.attachment_kind(e)}"

    def detail_response(self, req: Request, e: Entry) -> Response:
        resp = super().detail_response(req, e)
        resp.content_type = "text/html; charset=GBK" if e.doc_id % 2 else "text/html"
        return resp

    def route(self, req: Request) -> Response | None:
        entries = self.catalog.listed(self.info.id)
        page = self.endless_page(req.path)
        if req.path in (self.col, self.col + "index.shtml") or page:
            if page and self.replica.endless_items == "repeat":
                chunk = entries
            elif page:  # other reports on each page: a rotation of the column
                start = page % max(1, len(entries))
                chunk = (entries[start:] + entries[:start])[:10]
            else:
                chunk = entries
            items = "\n".join(f'<li><a href="{self.detail_path(e)}" target="_blank">{esc(e.report.title)}</a>'
                              f"<span>[{e.report.published.isoformat()}]</span></li>" for e in chunk)
            more = (f'<a href="{self.col}index_{(page or 1) + 1}.shtml">下一页</a>'
                    if self.replica.endless == self.info.id else "")
            body = (f'<!DOCTYPE html><html><head><meta charset="gb2312"><title>政府信息公开年报</title></head><body>'
                    f'<div class="breadcrumb">政府信息公开 &gt; 政府信息公开年报</div><ul class="list">\n{items}\n</ul>'
                    f'{more}</body></html>')
            return Response(200, body.encode("utf-8"), "text/html", "list")
        return None

    def endless_page(self, path: str) -> int | None:
        """With `Replica(endless="lying")` page N (`index_N.shtml`) links to page N+1 forever (issue #11: a
        crawler must end it); `endless_items`: "cycle" lists other reports on each page, "repeat" the same."""
        if self.replica.endless != self.info.id or not path.startswith(self.col + "index_"):
            return None
        number = path[len(self.col + "index_"):].removesuffix(".shtml")
        return int(number) if number.isdigit() else None

    def render_detail(self, e: Entry) -> str:
        r = e.report
        att = self.attachment_path(e)
        link = f'<a href="{att}">{esc(self.attachment_name(e))}</a>' if att else ""
        return (f'<!DOCTYPE html><html><head><meta charset="gb2312">\n{self.meta_tags(e)}\n<title>{esc(r.title)}</title>'
                f'</head><body><div class="title">{esc(r.title)}</div><div class="info">{published_dt(r.published)}</div>'
                f'<div class="TRS_UEDITOR">{self.content_html(e, link)}</div></body></html>')
