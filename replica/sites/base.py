"""What every replica site shares: request/response records, URL maps over the catalog, and
the cached bodies of report pages, attachments and table images.

Why URL maps: each family spells its URLs differently, but a path resolves the same way
everywhere: build `path -> (what, entry)` from the catalog once per catalog version.
"""
from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from typing import Callable, Protocol
from urllib.parse import quote

from replica.catalog import Catalog, Entry, published_dt
from replica.documents import render_docx, render_pdf, render_table_png
from replica.layout import SiteInfo
from replica.markup import attachment_only_body, body_html


class Host(Protocol):
    """What a site needs of the server that hosts it (`replica.server.Replica`)."""

    catalog: Catalog
    port: int

    def cached(self, e: Entry, kind: str, make: Callable[[], bytes]) -> bytes: ...


MIME = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png": "image/png"}


@dataclass
class Request:
    method: str
    path: str                       # without the query
    query: dict[str, str]
    headers: dict[str, str]         # lower-case names
    form: dict[str, str]
    client: str
    raw_path: str                   # path + query as requested

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    kind: str = "other"             # list | detail | attachment | image | api | robots | block | other
    headers: dict[str, str] = field(default_factory=dict)
    entry: Entry | None = None      # set for report bodies: enables ETag / Last-Modified / 304


def not_found(charset: str = "utf-8") -> Response:
    body = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
    return Response(404, body.encode(), f"text/html; charset={charset}")


def esc(s: str) -> str:
    return html.escape(s)


class Site:
    """A virtual site. Subclasses define URLs (`detail_path`, …) and list pages (`route_list`)."""

    encoding = "utf-8"
    query_in_key = False  # True where attachments are addressed by query string (download.jsp, downfile.jsp)

    def __init__(self, info: SiteInfo, replica: Host) -> None:
        self.info = info
        self.replica = replica
        self.catalog: Catalog = replica.catalog
        self._map: dict[str, tuple[str, Entry, str]] = {}
        self._map_version = -1
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ URLs (override)

    def detail_path(self, e: Entry) -> str:
        raise NotImplementedError

    def attachment_path(self, e: Entry) -> str | None:
        """Where the PDF/DOCX holding the report lives (None: the page itself is the report)."""
        return None

    def image_path(self, e: Entry, which: str) -> str:
        base = self.detail_path(e).rsplit("/", 1)[0]
        return f"{base}/W0{e.report.published:%Y%m%d}{e.doc_id:06d}{'234'[int(which[1]) - 2]}.png"

    @property
    def base_url(self) -> str:
        return self.info.base_url(self.replica.port)

    def url(self, path: str) -> str:
        return self.base_url + path

    # ------------------------------------------------------------------ resolution

    def resolve(self, path: str) -> tuple[str, Entry, str] | None:
        """path -> ("detail" | "attachment" | "image", entry, table id for images)."""
        with self._lock:
            if self._map_version != self.catalog.version:
                m: dict[str, tuple[str, Entry, str]] = {}
                for e in self.catalog.entries(self.info.id):
                    m[self.detail_path(e)] = ("detail", e, "")
                    att = self.attachment_path(e)
                    if att:
                        m[att] = ("attachment", e, "")
                    if e.report.carrier == "image":
                        for which in ("t2", "t3", "t4"):
                            m[self.image_path(e, which)] = ("image", e, which)
                self._map, self._map_version = m, self.catalog.version
            return self._map.get(path)

    def handle(self, req: Request) -> Response:
        """Route a request: report resources first, then the family's own pages."""
        key = req.path + (("?" + req.raw_path.split("?", 1)[1]) if self.query_in_key and "?" in req.raw_path else "")
        hit = self.resolve(key)
        if hit:
            what, e, which = hit
            if what == "detail":
                return self.detail_response(req, e)
            if what == "attachment":
                return self.attachment_response(req, e)
            return Response(200, self.replica.cached(e, f"png-{which}", lambda: render_table_png(e.report, which)),
                            MIME["png"], "image", entry=e)
        return self.route(req) or not_found(self.encoding)

    def route(self, req: Request) -> Response | None:
        return None

    # ------------------------------------------------------------------ bodies

    def attachment_name(self, e: Entry) -> str:
        return f"{e.report.title}.{e.report.carrier if e.report.carrier in ('pdf', 'docx') else 'pdf'}"

    def attachment_kind(self, e: Entry) -> str:
        return "docx" if e.report.carrier == "docx" else "pdf"

    def attachment_bytes(self, e: Entry) -> bytes:
        kind = self.attachment_kind(e)
        render: Callable[..., bytes] = render_docx if kind == "docx" else render_pdf
        return self.replica.cached(e, kind, lambda: render(e.report))

    def attachment_response(self, req: Request, e: Entry) -> Response:
        kind = self.attachment_kind(e)
        return Response(200, self.attachment_bytes(e), MIME[kind], "attachment",
                        {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(self.attachment_name(e))}"},
                        entry=e)

    def content_html(self, e: Entry, link_html: str = "") -> str:
        """The report text for the page: full body, or the 详见附件 line for attachment-only reports."""
        r = e.report
        if r.carrier in ("pdf", "docx"):
            return attachment_only_body(r, link_html)
        base = self.detail_path(e).rsplit("/", 1)[0]
        return body_html(r, lambda which: "./" + self.image_path(e, which)[len(base) + 1:])

    def detail_response(self, req: Request, e: Entry) -> Response:
        page = self.replica.cached(e, f"page-{self.info.id}", lambda: self.with_chrome(self.render_detail(e)).encode(self.encoding))
        return Response(200, page, self.content_type(), "detail", entry=e)

    def with_chrome(self, page: str) -> str:
        """Site header/nav and footer around the article: the numbers and years in real page chrome
        (备案号, 网站标识码, phone, ©-years) are there for a parser to ignore."""
        n = sum(map(ord, self.info.id))
        head = (f'<div class="header"><div class="logo"><a href="/">{esc(self.info.name)}</a></div><ul class="nav">'
                '<li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwgk/zfxxgk/">政府信息公开</a>'
                '</li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zwfw/">政务服务</a></li></ul>'
                '<div class="position">当前位置：<a href="/">首页</a> &gt; 政务公开 &gt; 政府信息公开年报</div></div>')
        foot = (f'<div class="footer"><p>主办单位：{esc(self.info.name)}办公室 承办：{esc(self.info.name)}大数据中心</p>'
                f'<p>网站标识码：51{n:08d} ICP备案号：蜀ICP备{n * 37 % 10**8:08d}号-1 公安机关备案号：51{n * 91:011d}</p>'
                f"<p>联系电话：0838-{n * 13 % 10**7:07d} 版权所有 &copy; 2012-2026 建议使用1920×1080分辨率浏览</p>"
                '<script src="/js/jquery.min.js"></script><script>var _hmt = _hmt || [];</script></div>')
        return page.replace("<body>", "<body>" + head, 1).replace("</body>", foot + "</body>", 1)

    def content_type(self) -> str | None:
        return f"text/html; charset={self.encoding}"

    def render_detail(self, e: Entry) -> str:
        raise NotImplementedError

    def page(self, body: str, status: int = 200, kind: str = "list") -> Response:
        return Response(status, body.encode(self.encoding), self.content_type(), kind)

    def meta_tags(self, e: Entry, column: str = "政府信息公开年报") -> str:
        r = e.report
        return "\n".join([
            f'<meta name="SiteName" content="{esc(self.info.name)}"/>',
            f'<meta name="ColumnName" content="{column}"/>',
            f'<meta name="ArticleTitle" content="{esc(r.title)}"/>',
            f'<meta name="PubDate" content="{published_dt(r.published)}"/>',
            f'<meta name="ContentSource" content="{esc(r.organ)}"/>',
            f'<meta name="Url" content="{self.url(self.detail_path(e))}"/>',
            f'<meta name="DocId" content="{e.doc_id}"/>',
        ])
