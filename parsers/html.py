"""HTML report pages: charset decoding, attachment links, and reading a page into a Document.

`decode_html` and `find_attachments` are also used by the crawler on raw response bodies, so they
work on bytes or text with regex only (no DOM) and stay well under 2 ms for a 100 KB page.
"""
from __future__ import annotations

import html as htmllib
import json
import os
import re
from bisect import bisect_right
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from w3lib.encoding import read_bom, resolve_encoding

from parsers.document import Cell, Document, Grid
from parsers.model import ParseError
from parsers.titles import is_report_title

# ---------------------------------------------------------------------------------------------
# charset

# GB labels w3lib.resolve_encoding does not know (it already maps gb2312, gbk, cp936, euc-cn, … to gb18030)
_GB_ALIASES = {"x-gbk", "gb_2312", "windows-936"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)


def _norm_charset(name: str | None) -> str | None:
    """Map a declared charset to the codec we decode with (gb2312/gbk → gb18030, a superset)."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_ALIASES:
        return "gb18030"
    return resolve_encoding(name)  # w3lib: the WHATWG aliases browsers use (latin-1 → cp1252, …)


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode a page body to text without trusting declarations blindly.

    Order: a BOM (UTF-8/16/32); UTF-16 without a BOM (told by its NUL bytes, see `utf16_without_bom`);
    strict UTF-8 (a GBK body essentially never decodes as UTF-8, so success is proof);
    then the declared charset (`declared` from the HTTP header, else the <meta> one) with gb2312/gbk
    read as gb18030; a single-byte declaration (latin-1 & co.) on a page whose bytes decode strictly as
    gb18030 is taken as a lie; finally gb18030 with replacement characters.
    """
    if isinstance(data, str):
        return data
    codec, bom = read_bom(data)  # w3lib: UTF-8, UTF-16 and UTF-32 byte-order marks
    if codec:
        return data[len(bom):].decode(codec, errors="replace")
    utf16 = utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for name in (declared, _meta_charset(data)):
        codec = _norm_charset(name)
        if codec and codec not in candidates and codec not in ("utf-8", "ascii"):
            candidates.append(codec)
    for codec in candidates:
        if _is_single_byte(codec):
            continue  # a Chinese page declaring latin-1 is almost always lying; try gb18030 first
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def utf16_without_bom(data: bytes) -> str | None:
    """`utf-16-le` / `utf-16-be` for UTF-16 text that carries no BOM, else None.

    UTF-8 and the GB codecs never put a NUL byte in text; UTF-16 puts one in every ASCII character. Of the
    two byte orders the right one reads line breaks, digits and Chinese punctuation (the wrong one turns
    them into U+0A00, U+3x00 …), and nearly all of it is ASCII, Chinese or punctuation."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    sample = sample[:len(sample) & ~1]
    best, best_score = None, 0
    for codec in ("utf-16-le", "utf-16-be"):
        text = sample.decode(codec, errors="replace")
        plain = sum(1 for ch in text if _plain(ch))
        score = sum(text.count(ch) for ch in "\n0123456789，。、；：,.")
        if plain >= 0.95 * len(text) and score > best_score:
            best, best_score = codec, score
    return best


def utf16_to_utf8(data: bytes) -> bytes:
    """UTF-16 bytes without a BOM re-encoded as UTF-8 (every reader and sniffer expects an ASCII-compatible
    encoding); any other bytes unchanged."""
    codec = utf16_without_bom(data)
    return data.decode(codec, errors="replace").encode("utf-8") if codec else data


def _plain(ch: str) -> bool:
    return ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" \
        or "\u2000" <= ch <= "\u206f"


def _is_single_byte(codec: str) -> bool:
    return codec.startswith(("latin", "iso8859", "cp125", "windows-125", "mac", "cp437", "cp850"))


# ---------------------------------------------------------------------------------------------
# attachments

FILE_EXTS = ("pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et")
_EXT_RE = r"(?:pdf|docx?|wps|ofd|xlsx?|et)"
_FILE_PATH = re.compile(r"\.(" + _EXT_RE + r")$", re.I)
_NAME_WITH_EXT = re.compile(r"\.(" + _EXT_RE + r")\s*$", re.I)
_ANCHOR = re.compile(r"<a\b([^>]{0,4000})>(.{0,4000}?)</a\s*>", re.I | re.S)
_EMBED = re.compile(r"<(?:iframe|embed|object)\b([^>]{0,4000})>", re.I)
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_TAG = re.compile(r"<[^>]{0,4000}>")
_SCRIPT = re.compile(r"<script\b[^>]{0,2000}>(.*?)</script\s*>", re.I | re.S)
_JS_OBJECT = re.compile(r"\{[^{}]{0,4000}\}")
_JS_URL = re.compile(r"""\b(?:url|href|file|path|fileurl|filepath|src)\s*["']?\s*[:=]\s*["']([^"']{1,1000})["']""", re.I)
_JS_NAME = re.compile(r"""\b(?:name|filename|title|alt|fileName)\s*["']?\s*[:=]\s*["']([^"']{1,500})["']""", re.I)
_JS_FILE = re.compile(r"""["']([^"'\s<>{}]{0,1000}/[^"'\s<>{}/]{1,300}\.""" + _EXT_RE + r""")["']""", re.I)
_HINT = re.compile(r"\." + _EXT_RE + r"\b|nfw-cms-attachment|file=", re.I)
# What every link the finders below accept contains: a file extension, the NFCMS attachment class or a
# viewer's `file=`. Checked first, page-wide, in a form Python scans ~5x faster than _HINT (a literal
# first character, plain substring search): most report pages offer no file at all.
_DOT_EXT = re.compile(r"\.(?i:" + _EXT_RE + r")\b")
_HINT_WORDS = ("nfw-cms-attachment", "file=")
_GENERIC_TEXT = {"点击下载", "下载", "附件", "文件下载", "点击查看", "查看", "下载附件", "附件下载", "原文下载"}


def _attrs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        out.setdefault(m.group(1).lower(), htmllib.unescape(m.group(2) or m.group(3) or m.group(4) or ""))
    return out


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(_TAG.sub("", fragment)).split())


def _url_path(url: str) -> str:
    """A URL's path; "" for one urllib cannot split (a broken `[` host in a damaged page)."""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _is_file_url(url: str) -> bool:
    path = unquote(_url_path(url)) if "://" in url or url.startswith(("/", ".")) else unquote(url.split("?")[0])
    return bool(_FILE_PATH.search(path.strip()))


def _viewer_file(url: str) -> str | None:
    """The file behind a pdf.js-style viewer URL (`viewer.html?file=…`)."""
    m = re.search(r"[?&]file=([^&#]+)", url)
    if m:
        inner = unquote(m.group(1))
        if _is_file_url(inner):
            return inner
    return None


def _resolve(url: str, base_url: str | None) -> str:
    url = url.strip().replace("\\/", "/")
    return urljoin(base_url, url) if base_url else url


def _name_for(url: str, *labels: str) -> str:
    """Prefer a label that carries a file name; else the first non-generic label; else the URL's file name."""
    labels = tuple(l.strip() for l in labels if l and l.strip())
    for label in labels:
        if _NAME_WITH_EXT.search(label):
            return label
    for label in labels:
        if label not in _GENERIC_TEXT:
            return label
    return unquote(_url_path(url).rsplit("/", 1)[-1])


def find_attachments(html: bytes | str, base_url: str | None = None) -> list[dict]:
    """Links a report page offers to report files, as [{"url", "name"}] in page order, deduplicated.

    Finds plain `<a href=…pdf>` links, extensionless download links whose text/alt/title names a file
    (`download.jsp?…wbfileid=` with text `….pdf`), `a.nfw-cms-attachment` (name only in `alt`,
    text 点击下载), viewer iframes (`viewer.html?file=…`) and file URLs that exist only inside
    `<script>` arrays (`var apps=[{url:'./202503/P0….pdf',name:'…'}]`, JSON-escaped HTML included).
    URLs are made absolute when `base_url` is given (a `<base href>` in the page wins).
    """
    page = decode_html(html) if isinstance(html, bytes) else html
    if not _DOT_EXT.search(page) and not any(word in page for word in _HINT_WORDS):
        return []
    base = base_url
    m = re.search(r"""<base\b[^>]{0,500}?href\s*=\s*["']?([^"'\s>]+)""", page[:20000], re.I)
    if m:
        try:
            base = urljoin(base_url, m.group(1)) if base_url else m.group(1)
        except ValueError:
            pass  # a malformed <base href>: keep the page URL
    found: list[dict] = []
    seen: set[str] = set()

    def add(url: str, name: str) -> None:
        if not url or url.lower().startswith(("javascript:", "mailto:", "#", "data:")):
            return
        try:
            full = _resolve(url, base)
        except ValueError:
            return  # a malformed URL (e.g. a broken IPv6 host) is not a link anyone can fetch
        if full not in seen:
            seen.add(full)
            found.append({"url": full, "name": name})

    script_spans = [m.span(1) for m in _SCRIPT.finditer(page)]
    starts = [a for a, _ in script_spans]
    for m in _ANCHOR.finditer(page):
        if not _HINT.search(m.group(0)):
            continue  # cheap pre-filter: most anchors are navigation
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and m.start() < script_spans[i][1]:
            continue  # inside a script: handled by _script_files
        a = _attrs(m.group(1))
        href = a.get("href", "").strip()
        if not href:
            continue
        text = _text(m.group(2))
        labels = (a.get("alt", ""), a.get("title", ""), a.get("download", ""), text)
        is_cms = "nfw-cms-attachment" in a.get("class", "")
        viewer = _viewer_file(href)
        if viewer:
            add(viewer, _name_for(viewer, text, a.get("title", "")))
        elif _is_file_url(href) or is_cms or any(_NAME_WITH_EXT.search(l or "") for l in labels):
            add(href, _name_for(href, text, a.get("alt", ""), a.get("title", ""), a.get("download", "")))
    for m in _EMBED.finditer(page):
        if not _HINT.search(m.group(0)):
            continue
        a = _attrs(m.group(1))
        src = a.get("src") or a.get("data") or ""
        target = _viewer_file(src) or (src if _is_file_url(src) else None)
        if target:
            add(target, _name_for(target, a.get("title", "")))
    for a, b in script_spans:
        js = page[a:b]
        if _HINT.search(js):
            _script_files(js.replace('\\"', '"').replace("\\/", "/"), add)
    return found


def _script_files(js: str, add) -> None:
    """File URLs inside a script: `{url:'…pdf', name:'…'}` objects first, then any quoted file path."""
    for obj in _JS_OBJECT.finditer(js):
        body = obj.group(0)
        for um in _JS_URL.finditer(body):
            url = _viewer_file(um.group(1)) or um.group(1)
            if _is_file_url(url):
                nm = _JS_NAME.search(body)
                add(url, _name_for(url, nm.group(1) if nm else ""))
    for fm in _JS_FILE.finditer(js):
        add(fm.group(1), _name_for(fm.group(1)))
    if "<a" in js:  # HTML carried inside a JS string (gkmlpt `content: "<p>…"`)
        for m in _ANCHOR.finditer(js):
            a = _attrs(m.group(1))
            href = a.get("href", "")
            text = _text(m.group(2))
            if href and (_is_file_url(href) or "nfw-cms-attachment" in a.get("class", "")
                         or _NAME_WITH_EXT.search(text) or _NAME_WITH_EXT.search(a.get("alt", ""))):
                add(href, _name_for(href, text, a.get("alt", ""), a.get("title", "")))


def page_links(page: str) -> list[tuple[str, str]]:
    """(text, title) of every link that is not a report file, in page order, scripts included.

    Why scripts too: list pages often ship their items as markup inside a script (Hanweb `<datastore>`
    CDATA records); the list is what tells such a page from a report. File links are attachments."""
    out = []
    for m in _ANCHOR.finditer(page):
        a = _attrs(m.group(1))
        href, text, title = a.get("href", "").strip(), _text(m.group(2)), a.get("title", "").strip()
        if _is_file_url(href) or _viewer_file(href) or "nfw-cms-attachment" in a.get("class", "") \
                or _NAME_WITH_EXT.search(text) or _NAME_WITH_EXT.search(title):
            continue
        if text or title:
            out.append((text, title))
    return out


# ---------------------------------------------------------------------------------------------
# reading a page

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"}


def _cell_text(cell) -> str:
    """A cell's text: <br>/<p> inside a label join without spaces (labels are squeezed later)."""
    return "".join(cell.itertext())


def table_grid(table) -> Grid:
    """Expand one <table> into a grid of origin Cells; positions covered by a span hold None."""
    grid: Grid = []
    pending: dict[tuple[int, int], bool] = {}
    rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
    for r, tr in enumerate(rows):
        row: list[Cell | None] = []
        c = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            while pending.pop((r, c), False):
                row.append(None)
                c += 1
            rowspan = _span(cell.get("rowspan"))
            colspan = _span(cell.get("colspan"))
            row.append(Cell(_cell_text(cell), rowspan, colspan))
            for dc in range(1, colspan):
                row.append(None)
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    pending[(r + dr, c + dc)] = True
            c += colspan
        while pending.pop((r, c), False):
            row.append(None)
            c += 1
        grid.append(row)
    return grid


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip().rstrip(";")), 200))
    except (TypeError, ValueError):
        return 1


def _owner_table(el):
    p = el.getparent()
    while p is not None and (not isinstance(p.tag, str) or p.tag.lower() != "table"):
        p = p.getparent()
    return p


def page_meta(tree) -> dict[str, str]:
    """<meta name=… content=…> pairs (first occurrence wins)."""
    meta: dict[str, str] = {}
    for m in tree.iter("meta"):
        name = m.get("name") or m.get("property") or m.get("http-equiv")
        content = m.get("content")
        if name and content is not None and name not in meta:
            meta[name.strip()] = content.strip()
    return meta


PASSWORD_KEY = "html:password"  # a login form: the page is a wall, not a report (parsers.nonreport)
HTML_TITLE_KEY = "html:title"  # the raw <title>, kept in Document.meta as one more title candidate


_TITLE_SEPARATORS = re.compile(r"\s+[-—–|｜_·]\s+|\s*[_|｜—–]\s*|\s+-\s*|\s*-\s+|(?<=[\u4e00-\u9fff])-(?=[\u4e00-\u9fff])")


def title_parts(title: str) -> list[str]:
    """A <title> cut at its separators (`X县人民政府-X镇2022年…年度报告`, `… - 政府信息公开年报 - …`)."""
    return [p for p in _TITLE_SEPARATORS.split(title.strip()) if p]


def _page_title(tree, meta: dict[str, str]) -> str | None:
    """The page's own title: the first of (title meta, <h1>/<h2> naming a 报告, each part of <title>) that
    names a report; else the first of them at all (meta, a 报告 heading, the <title>'s first part)."""
    metas = [meta[k] for k in ("ArticleTitle", "articletitle", "og:title", "title") if meta.get(k)]
    heads = [" ".join("".join(h.itertext()).split()) for tag in ("h1", "h2") for h in tree.iter(tag)]
    heads = [h for h in heads if h and "报告" in h]
    t = tree.find(".//title")
    parts = title_parts(t.text) if t is not None and t.text and t.text.strip() else []
    found = metas + heads + parts
    return next((x for x in found if is_report_title(x)), None) or next(iter(found), None)


def _fallback_text(tree) -> str:
    body = tree.find(".//body")
    node = body if body is not None else tree
    for bad in node.xpath(".//script|.//style|.//noscript"):
        bad.getparent().remove(bad)
    lines = []
    for el in node.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            lines.append("\n")
        if el.text:
            lines.append(el.text)
        if el.tail:
            lines.append(el.tail)
    return re.sub(r"\n\s*\n+", "\n", "".join(lines)).strip()


# `content: "<p>…"` / `"content":'<table…'` inside a script (gkmlpt `window._CONFIG.DETAIL`): the key, then
# one JS string literal (escapes kept), read up to its own closing quote.
_JS_CONTENT = re.compile(r"""["']?\bcontent["']?\s*:\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)')""",
                         re.I | re.S)
_JS_ESCAPE = re.compile(r"""\\(x[0-9a-fA-F]{2}|\r\n|.)|(")""", re.S)
_JSON_ESCAPES = frozenset('"\\/bfnrtu')


def _to_json_escape(m: re.Match) -> str:
    """One JS escape (or bare `"`) as JSON writes it: `\\'` → `'`, `\\x3c` → `\\u003c`, `\\v` → `\\u000b`."""
    esc = m.group(1)
    if esc is None:
        return '\\"'  # a bare double quote inside a single-quoted literal
    if esc[0] == "x":
        return "\\u00" + esc[1:]
    if esc in ("\n", "\r\n", "\r"):
        return ""  # a line continuation
    if esc in _JSON_ESCAPES:
        return m.group(0)
    return {"v": "\\u000b", "0": "\\u0000"}.get(esc, esc)  # JS reads any other `\\c` as `c`


def js_string(body: str) -> str | None:
    """The value of a JS string literal given its body (quotes stripped), via json.loads; None if broken."""
    try:
        return json.loads('"' + _JS_ESCAPE.sub(_to_json_escape, body) + '"', strict=False)
    except ValueError:
        return None


def embedded_content(page: str) -> str | None:
    """The longest HTML string a script assigns to a `content` key, decoded.

    Why: gkmlpt detail pages ship the report only as JSON-escaped HTML inside `window._CONFIG`; the DOM
    holds nothing but the metadata table. Only the string literal is read, so the surrounding JS object
    may use single quotes, bare keys or trailing commas."""
    best: str | None = None
    for sm in _SCRIPT.finditer(page):
        js = sm.group(1)
        if "content" not in js.lower():
            continue
        for m in _JS_CONTENT.finditer(js):
            body = m.group(1) if m.group(1) is not None else m.group(2)
            text = js_string(body) if len(body) > len(best or "") else None
            if text and _TAG.search(text):
                best = text
    return best


# libxml2 silently drops everything nested deeper than 256 elements unless told the tree may be huge:
# a report wrapped in 260+ <div>s came back empty. Depth is capped elsewhere (parsers.limits); here we read it.
_HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)


def _parse_tree(page: str, source: str):
    try:
        return lxml.html.document_fromstring(_strip_xml_decl(page), parser=_HTML_PARSER)
    except (lxml.etree.ParserError, ValueError) as e:
        raise ParseError(f"{source}: not readable as HTML ({e})") from e


# The article containers of the CMS families (TRS and Fujian's TRS, Hanweb, Guangdong NFCMS, Boda; crawler/pages/):
# where a page has exactly one, its prose is read straight from it; trafilatura stays for every other page.
_CONTAINERS = lxml.etree.XPath(
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' trs_editor_view ')"
    " or @id='zoom' or @id='vsb_content'"
    " or contains(concat(' ', normalize-space(@class), ' '), ' bt_content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article_content ')]")
_SKIP_TAGS = frozenset({"table", "script", "style", "noscript", "select", "button", "form", "iframe", "textarea"})
_LINE_TAGS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                        "section", "article", "dd", "dt", "dl", "pre", "center", "hr", "header", "footer"})
USE_TRAFILATURA_ENV = "NIANBAO_HTML_PROSE"  # =trafilatura: always trafilatura (the bench's "before" path)


def container_text(tree) -> str | None:
    """The prose of the page's one CMS article container, one line per block (tables left out: they are
    read as grids), whitespace squeezed as trafilatura does; None when there is not exactly one container
    (nested containers count once) or it holds no text.

    Why: trafilatura scores the whole page to find its content, ~45% of an HTML parse; on the families'
    pages the content is known."""
    found = _CONTAINERS(tree)
    if not found:
        return None
    outer = [el for el in found if not any(a in found for a in el.iterancestors())]
    if len(outer) != 1:
        return None
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    def walk(el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            return
        block = tag in _LINE_TAGS
        if block:
            flush()
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(outer[0])
    flush()
    return "\n".join(lines) or None


def _body(tree, page: str) -> tuple[list[Grid], str]:
    """Table grids and prose of one parsed page. The prose comes from the family's article container when
    the page has one (`container_text`), else from trafilatura (one call, fast=True, tables excluded: they
    are read as grids); when neither finds anything the body text is used."""
    tables = [table_grid(t) for t in tree.iter("table") if not t.xpath(".//table")]
    text = None if os.environ.get(USE_TRAFILATURA_ENV) == "trafilatura" else container_text(tree)
    if not text or len(text) < 50:
        try:
            text = trafilatura.extract(tree, fast=True, include_tables=False, include_comments=False,
                                       output_format="txt", favor_recall=True)
        except Exception:  # trafilatura has many internal failure modes on odd markup; the body text will do
            text = None
    if not text or len(text) < 50:
        text = _fallback_text(lxml.html.document_fromstring(_strip_xml_decl(page), parser=_HTML_PARSER))
    return [g for g in tables if g], text


def read_html(data: bytes | str, source: str, base_url: str | None = None, declared: str | None = None) -> Document:
    """A report page: decoded text, table grids from the DOM, page meta, title, prose, attachments.

    When a script carries a report body longer than the visible one (gkmlpt `_CONFIG.DETAIL.content`),
    the grids and prose come from that embedded HTML; meta, title and attachments stay the page's.
    """
    page = decode_html(data, declared) if isinstance(data, bytes) else data
    if not page.strip():
        raise ParseError(f"{source}: empty page")
    tree = _parse_tree(page, source)
    meta = page_meta(tree)
    title = _page_title(tree, meta)
    raw_title = tree.find(".//title")
    if raw_title is not None and raw_title.text and raw_title.text.strip():
        meta.setdefault(HTML_TITLE_KEY, " ".join(raw_title.text.split()))
    if any((i.get("type") or "").strip().lower() == "password" for i in tree.iter("input")):
        meta[PASSWORD_KEY] = "1"
    attachments = find_attachments(page, base_url)
    tables, text = _body(tree, page)
    inner = embedded_content(page)
    if inner and len(_TAG.sub("", inner)) > len(text):
        inner_tree = _parse_tree(inner, source)
        title = title or _page_title(inner_tree, {})
        tables, text = _body(inner_tree, inner)
    if len(_CJK.findall(text)) < _LOST_TEXT:
        flat = stripped_text(page)
        if len(_CJK.findall(flat)) >= _LOST_TEXT:  # the tree lost the body (nested past libxml2's depth limit)
            tables, text = [], flat
    return Document(source=source, kind="html", text=text, tables=tables, title=title, meta=meta,
                    attachments=attachments, links=page_links(page))


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LOST_TEXT = 40  # Chinese characters: a tree with fewer while the markup holds more has lost the body
_NOT_TEXT = re.compile(r"<(script|style|noscript)\b[^>]{0,2000}>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BLOCK = re.compile(r"<(?:/?(?:p|div|br|li|tr|h[1-6]|table|section|article)\b)[^>]{0,4000}>", re.I)
_CELL = re.compile(r"<(?:td|th)\b[^>]{0,4000}>", re.I)


def stripped_text(page: str) -> str:
    """The page's text without a DOM (block tags → line breaks, cells → tabs): the reading of last resort
    for markup the HTML parser cannot hold (nesting past its depth limit)."""
    text = _CELL.sub("\t", _BLOCK.sub("\n", _NOT_TEXT.sub("", page)))
    text = htmllib.unescape(_TAG.sub("", text))
    return re.sub(r"\n\s*\n+", "\n", "\n".join(" ".join(l.split()) for l in text.split("\n"))).strip()


def _strip_xml_decl(page: str) -> str:
    """lxml refuses str input that carries an encoding declaration."""
    return re.sub(r"^\s*<\?xml[^>]{0,200}\?>", "", page, count=1)


def looks_like_html(head: str) -> bool:
    h = head.lstrip("\ufeff \t\r\n").lower()
    return h.startswith(("<!doctype", "<html", "<?xml", "<head", "<meta", "<body", "<div", "<table", "<p", "<!--")) or (
        "<html" in h[:2000] or "<body" in h[:2000] or "<table" in h[:2000])
