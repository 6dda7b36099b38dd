"""PDF attachments: pdfplumber text and ruled tables, with merged cells recovered as spans.

Three facts about real report PDFs (WPS / Word exports) shape this reader:
- Word processors paint white background boxes behind every paragraph line and table cell.
  pdfplumber takes every rect edge as a ruling line, so prose turns into 1-column "tables".
  Unstroked white fills are therefore dropped before looking for tables.
- A table that runs over a page break has no closing rule at the page bottom (and none at the
  top of the next page), so its last (first) row would vanish. Vertical rules that end together
  with no horizontal rule there get one synthesised.
- A table split over pages is joined back into one grid when the next page starts with a table
  whose column edges match; a label cell cut by the break (text above, empty below) is re-merged.
"""
from __future__ import annotations

import bisect
import io
import itertools
import re
import zlib
from dataclasses import dataclass
from typing import Any

import pdfminer.pdftypes
import pdfplumber
import pdfplumber.page
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfpage import PDFPage

from . import limits
from .document import Cell, Document, Grid
from .model import ParseError

MAX_CHARS_PER_PAGE = 20_000  # a full dense A4 page is ~2,000 CJK chars
MAX_EDGES_PER_PAGE = 2_000  # past either bound, table finding is skipped for the page (text is kept):
MAX_CROSSINGS_PER_PAGE = 4_000  # pdfplumber's cell finding is quadratic in rule crossings (a t3 page has ~400)
_TOL = 3.0  # points: edges/ends closer than this are the same line
MARGIN = 0.1  # top and bottom tenth of a page: where page numbers are
COLUMN_GAP = 1.5  # ems of empty space inside a text line that mark a column break

_CJK = r"\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
_PAGE_NUMBER = re.compile(r"[-—–－\s]*\d{1,3}[-—–－\s]*|(共\s*\d+\s*页\s*)?第\s*\d+\s*页([\s,，/]*共\s*\d+\s*页)?")
_NOT_NUMERIC = re.compile(r"[^\d\s.,，%\-—–/]")


@dataclass
class _Block:
    """A prose line or a table on a page, placed by its top edge for reading order."""

    top: float
    bottom: float
    text: str | None = None
    grid: Grid | None = None
    xs: list[float] | None = None  # column edges of a table, to recognise its continuation


def read_pdf(data: bytes, source: str) -> Document:
    """Read a PDF's text and ruled tables; raise ParseError naming `source` if it cannot be read."""
    if not data:
        raise ParseError(f"{source}: empty file")
    start = data[:1024].find(b"%PDF-")
    if start < 0:
        raise ParseError(f"{source}: not a PDF (starts with {data[:16]!r})")
    try:
        return _read(data[start:], source)
    except ParseError:
        raise
    except Exception as exc:  # pdfminer raises anything on corrupt input; none of it may escape
        inner = _unwrap(exc)
        if isinstance(inner, limits.LimitExceeded):  # raised inside pdfminer by the caps below
            raise limits.LimitExceeded(f"{source}: {inner}") from exc
        if "Password" in type(inner).__name__:
            raise ParseError(f"{source}: encrypted PDF (needs a password)") from exc
        raise ParseError(f"{source}: unreadable PDF ({type(inner).__name__}: {inner})"[:500]) from exc


def _unwrap(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's errors (PdfminerException(PDFPasswordIncorrect())): name the real one."""
    for _ in range(5):
        if exc.args and isinstance(exc.args[0], BaseException):
            exc = exc.args[0]
        elif exc.__context__ is not None and not str(exc):
            exc = exc.__context__
        else:
            break
    return exc


def _read(data: bytes, source: str) -> Document:
    _TEXT.start(limits.current())
    pdf = pdfplumber.open(io.BytesIO(data))  # not `with`: its close() walks the whole page tree again
    first: list[Any] = []
    try:
        first = _first_pages(pdf, _TEXT.limits.pdf_pages)
        pages = [_page_blocks(page) for page in first]
        meta_title = _meta_title(pdf.doc.info)
        title = _heading(first[0]) if first else None
    finally:
        for page in first:
            page.close()
        pdf.stream.close()
    blocks = _join_continuations(pages)
    if not any(b.text or b.grid for b in blocks):
        raise ParseError(f"{source}: no text layer (a scanned PDF? OCR is not supported)")
    lines = [b.text if b.grid is None else _flatten(b.grid) for b in blocks]
    return Document(
        source=source,
        kind="pdf",
        text="\n".join(line for line in lines if line),
        tables=[b.grid for b in blocks if b.grid is not None],
        title=title or meta_title,
    )


# ---------------------------------------------------------------------------------------------
# caps inside pdfminer: it inflates a whole stream in one call and interprets every operator of a page
# before pdfplumber sees a char, so both are bounded where they happen.


class _TextBudget:
    """Text shown so far, per page and per document, against the limits in force."""

    def __init__(self) -> None:
        self.limits = limits.Limits()
        self.page = self.total = 0

    def start(self, current: limits.Limits) -> None:
        self.limits, self.page, self.total = current, 0, 0

    def spend(self, units: int) -> None:
        self.page += units
        self.total += units
        if self.page > self.limits.pdf_text_ops_per_page:
            raise limits.LimitExceeded(f"a page shows over {self.limits.pdf_text_ops_per_page:,} text operators "
                                       "and glyph bytes (limit pdf_text_ops_per_page)")
        if self.total > self.limits.pdf_text_ops:
            raise limits.LimitExceeded(f"the document shows over {self.limits.pdf_text_ops:,} text operators "
                                       "and glyph bytes (limit pdf_text_ops)")


_TEXT = _TextBudget()


class _CappedInterpreter(PDFPageInterpreter):
    """pdfminer's interpreter, counting the text it is asked to show (a one-char `Tj` costs as much as a
    line: every glyph becomes a layout object) and stopping past the limits."""

    def process_page(self, page: PDFPage) -> None:
        _TEXT.page = 0
        super().process_page(page)

    def do_TJ(self, seq: Any) -> None:
        shown = sum(len(s) for s in seq if isinstance(s, (bytes, str))) if isinstance(seq, list) else 0
        _TEXT.spend(1 + shown)
        super().do_TJ(seq)


class _BoundedZlib:
    """Stands in for `zlib` inside pdfminer.pdftypes: `decompress` stops at `pdf_stream_bytes` instead of
    inflating a bomb (1.5 MB → 1.5 GB) whole; a corrupt stream still raises zlib.error as before."""

    error = zlib.error

    @staticmethod
    def decompress(data: bytes, *args: Any) -> bytes:
        cap = limits.current().pdf_stream_bytes
        inflater = zlib.decompressobj(*args[:1])
        out = inflater.decompress(data, cap + 1)
        if len(out) > cap:
            raise limits.LimitExceeded(f"a PDF stream inflates past {limits.human_bytes(cap)} "
                                       "(limit pdf_stream_bytes)")
        if not inflater.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out

    @staticmethod
    def decompressobj(*args: Any) -> Any:
        return _BoundedInflater(zlib.decompressobj(*args))


class _BoundedInflater:
    """pdfminer's byte-at-a-time recovery of a corrupt stream, with the same cap."""

    def __init__(self, inflater: Any) -> None:
        self.inflater, self.size = inflater, 0

    def decompress(self, data: bytes) -> bytes:
        out = self.inflater.decompress(data)
        self.size += len(out)
        cap = limits.current().pdf_stream_bytes
        if self.size > cap:
            raise limits.LimitExceeded(f"a PDF stream inflates past {limits.human_bytes(cap)} "
                                       "(limit pdf_stream_bytes)")
        return out


pdfminer.pdftypes.zlib = _BoundedZlib  # type: ignore[assignment]  # pdftypes' only use of zlib is inflating streams
pdfplumber.page.PDFPageInterpreter = _CappedInterpreter  # type: ignore[misc]  # what Page.layout instantiates


def _first_pages(pdf: Any, n: int) -> list[Any]:
    """The first n pages. pdfplumber's `pages` (also with `pages=[1..n]`, and again in its close()) walks
    the whole page tree (a 50,000-page file: 30 s); the page tree is a lazy generator, so stop it at n."""
    pages: list[Any] = []
    doctop = 0.0
    for number, page in enumerate(itertools.islice(PDFPage.create_pages(pdf.doc), n), start=1):
        pages.append(pdfplumber.page.Page(pdf, page, page_number=number, initial_doctop=doctop))
        doctop += pages[-1].height
    return pages


# ---------------------------------------------------------------------------------------------
# one page


def _page_blocks(page: Any) -> list[_Block]:
    """Prose lines outside tables and the tables themselves, top to bottom."""
    page = page.filter(_is_drawn)
    chars = page.chars[:MAX_CHARS_PER_PAGE]
    tables = page.find_tables(_table_settings(page)) if _tables_affordable(page.edges) else []
    blocks: list[_Block] = []
    inside: set[int] = set()
    for table in tables:
        grid, xs, used = _grid(table, chars)
        if grid is None:
            continue
        inside |= used
        blocks.append(_Block(table.bbox[1], table.bbox[3], grid=grid, xs=xs))
    prose = [c for i, c in enumerate(chars) if i not in inside]
    for line in _lines(prose):
        blocks.append(_Block(line[0]["top"], line[-1]["bottom"], text=_line_text(line, column_gaps=True)))
    blocks.sort(key=lambda b: b.top)
    return [b for b in blocks if b.grid is not None or (b.text and not _is_page_number(b, page.height))]


def _is_page_number(block: _Block, height: float) -> bool:
    """A "- 3 -" / "第3页" line in the top or bottom margin (a lone number elsewhere may be data)."""
    in_margin = block.bottom < MARGIN * height or block.top > (1 - MARGIN) * height
    return in_margin and bool(_PAGE_NUMBER.fullmatch(block.text or ""))


def _is_drawn(obj: dict) -> bool:
    """False for an unstroked white fill: a paragraph or cell background, not a rule."""
    if obj.get("object_type") != "rect" or obj.get("stroke"):
        return True
    color = obj.get("non_stroking_color")
    if not isinstance(color, (tuple, list)) or not color or not obj.get("fill"):
        return True
    if len(color) == 4:  # CMYK white is all zeros
        return not all(isinstance(v, (int, float)) and v <= 0.05 for v in color)
    return not all(isinstance(v, (int, float)) and v >= 0.95 for v in color)


def _tables_affordable(edges: list[dict]) -> bool:
    """Whether table finding stays cheap: distinct rule positions bound the number of crossings."""
    if len(edges) > MAX_EDGES_PER_PAGE:
        return False
    ys = {round(e["top"]) for e in edges if e["orientation"] == "h"}
    xs = {round(e["x0"]) for e in edges if e["orientation"] == "v"}
    return len(ys) * len(xs) <= MAX_CROSSINGS_PER_PAGE


def _table_settings(page: Any) -> dict:
    """Rule-based table finding, plus horizontal rules closing tables cut by a page break."""
    edges = page.edges
    horizontal = [e for e in edges if e["orientation"] == "h"]
    vertical = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] > _TOL]
    closing: list[dict] = []
    for end in ("top", "bottom"):
        open_ends = [v for v in vertical if not _capped(v, v[end], horizontal)]
        for group in _cluster(open_ends, key=lambda v: v[end]):
            y = group[0][end]
            xs = [v["x0"] for v in group] + [x for h in horizontal if abs(h["top"] - y) <= _TOL
                                              for x in (h["x0"], h["x1"])]
            if len(xs) >= 2:  # a lone vertical stub with nothing to join closes nothing
                closing.append({"object_type": "line", "x0": min(xs), "x1": max(xs), "top": y,
                                "bottom": y, "width": max(xs) - min(xs), "height": 0})
    return {"vertical_strategy": "lines", "horizontal_strategy": "lines",
            "explicit_horizontal_lines": closing}


def _capped(vertical: dict, y: float, horizontal: list[dict]) -> bool:
    x = vertical["x0"]
    return any(abs(h["top"] - y) <= _TOL and h["x0"] - _TOL <= x <= h["x1"] + _TOL for h in horizontal)


def _cluster(items: list[dict], key) -> list[list[dict]]:
    groups: list[list[dict]] = []
    for item in sorted(items, key=key):
        if groups and key(item) - key(groups[-1][-1]) <= _TOL:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Chars grouped into text lines by their vertical centre, each line left to right."""
    lines: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        mid = (ch["top"] + ch["bottom"]) / 2
        if lines and abs(mid - (lines[-1][0]["top"] + lines[-1][0]["bottom"]) / 2) <= _TOL:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _line_text(line: list[dict], column_gaps: bool = False) -> str:
    """One line's text. Between CJK glyphs a gap is layout (justified or letter-spaced text), not a
    space; a gap wider than COLUMN_GAP ems is a column break of a table drawn without rules, written
    as a tab when `column_gaps` so the text parser sees cells."""
    out: list[str] = []
    prev = None
    for ch in line:
        if prev is not None:
            gap = ch["x0"] - prev["x1"]
            em = max(prev["size"], ch["size"], 1.0)
            if column_gaps and gap > COLUMN_GAP * em:
                out.append("\t")
            elif gap > 0.2 * em:
                out.append(" ")
        out.append(ch["text"])
        prev = ch
    return "\t".join(_SPACE_NEAR_CJK.sub("", " ".join(part.split())) for part in "".join(out).split("\t"))


# ---------------------------------------------------------------------------------------------
# a table


def _grid(table: Any, chars: list[dict]) -> tuple[Grid | None, list[float], set[int]]:
    """The table's grid with spans from cell bboxes; text taken by char centre.

    Returns (grid, column edges, indexes of the chars used). Positions no cell covers (a rule the
    PDF never drew) become empty cells so every position is an origin or covered by one.
    """
    cells = table.cells
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    ys = _edges([c[1] for c in cells] + [c[3] for c in cells])
    if len(xs) < 2 or len(ys) < 2:
        return None, xs, set()
    grid: Grid = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    covered = [[False] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    used: set[int] = set()
    tx0, ttop, tx1, tbottom = table.bbox
    centres = [((ch["top"] + ch["bottom"]) / 2, (ch["x0"] + ch["x1"]) / 2, i) for i, ch in enumerate(chars)]
    centres = sorted((y, x, i) for y, x, i in centres if tx0 <= x <= tx1 and ttop <= y <= tbottom)
    heights = [y for y, _, _ in centres]  # chars by centre height: a cell looks only at its own band
    for x0, top, x1, bottom in sorted(cells, key=lambda c: (c[1], c[0])):
        r0, r1, c0, c1 = _index(ys, top), _index(ys, bottom), _index(xs, x0), _index(xs, x1)
        if r1 <= r0 or c1 <= c0 or covered[r0][c0]:
            continue
        band = centres[bisect.bisect_left(heights, top):bisect.bisect_right(heights, bottom)]
        mine = sorted(i for _, x, i in band if x0 <= x <= x1 and i not in used)
        used.update(mine)
        grid[r0][c0] = Cell(_cell_text([chars[i] for i in mine]), rowspan=r1 - r0, colspan=c1 - c0)
        for r in range(r0, r1):
            for c in range(c0, c1):
                covered[r][c] = True
    for r, row in enumerate(grid):
        for c in range(len(row)):
            if not covered[r][c]:
                row[c] = Cell("")
    return grid, xs, used


def _edges(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _TOL:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    """Index of the edge nearest to v (edges sorted)."""
    i = bisect.bisect_left(edges, v)
    return min((j for j in (i - 1, i) if 0 <= j < len(edges)), key=lambda j: abs(edges[j] - v))


def _cell_text(chars: list[dict]) -> str:
    """A cell's text with its wrapping undone: "三、本年\\n度办理结\\n果" is one label."""
    lines = [_line_text(line) for line in _lines(chars)]
    out = ""
    for line in filter(None, lines):
        joint = "" if not out or re.match(rf"[{_CJK}]", line) or re.search(rf"[{_CJK}]$", out) else " "
        out += joint + line
    return out


def _flatten(grid: Grid) -> str:
    rows = ["\t".join(cell.text for cell in row if cell is not None) for row in grid]
    return "\n".join(row for row in rows if row.strip())


# ---------------------------------------------------------------------------------------------
# across pages


def _join_continuations(pages: list[list[_Block]]) -> list[_Block]:
    """Flatten the pages' blocks, joining a page's last table to the next page's first one.

    They are one table cut by the page break when both have the same outer left and right
    edges; their column edges are merged, so a 4-column part and a 2-column part join too.
    """
    out: list[_Block] = []
    for blocks in pages:
        if blocks and out and _continues(out[-1], blocks[0]):
            prev, nxt = out[-1], blocks[0]
            xs = _edges(prev.xs + nxt.xs)
            prev.grid = _stitch(_regrid(prev.grid, prev.xs, xs), _regrid(nxt.grid, nxt.xs, xs))
            prev.xs = xs
            blocks = blocks[1:]
        out.extend(blocks)
    return out


def _continues(prev: _Block, nxt: _Block) -> bool:
    if prev.grid is None or nxt.grid is None or not prev.xs or not nxt.xs:
        return False
    return abs(prev.xs[0] - nxt.xs[0]) <= _TOL and abs(prev.xs[-1] - nxt.xs[-1]) <= _TOL


def _regrid(grid: Grid, xs: list[float], union: list[float]) -> Grid:
    """The same grid on finer column edges: cells widen their colspan over the new edges."""
    if len(union) == len(xs):
        return grid
    out: Grid = [[None] * (len(union) - 1) for _ in grid]
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is not None:
                c0, c1 = _index(union, xs[c]), _index(union, xs[c + cell.colspan])
                out[r][c0] = Cell(cell.text, rowspan=cell.rowspan, colspan=max(1, c1 - c0))
    return out


def _stitch(top: Grid, bottom: Grid) -> Grid:
    """Append `bottom`'s rows; an empty first-row cell under a label cut by the break extends it."""
    last = len(top) - 1
    for c, cell in enumerate(bottom[0]):
        if cell is None or cell.text:
            continue
        origin = _origin_at(top, last, c)
        if origin is None:
            continue
        r0, c0, above = origin
        if c0 == c and above.colspan == cell.colspan and r0 + above.rowspan - 1 == last \
                and _NOT_NUMERIC.search(above.text):
            above.rowspan += cell.rowspan
            bottom[0][c] = None
    return top + bottom


def _origin_at(grid: Grid, r: int, c: int) -> tuple[int, int, Cell] | None:
    """The origin cell covering position (r, c)."""
    for r0 in range(r, -1, -1):
        for c0 in range(c, -1, -1):
            cell = grid[r0][c0]
            if cell is not None and r0 + cell.rowspan > r and c0 + cell.colspan > c:
                return r0, c0, cell
    return None


# ---------------------------------------------------------------------------------------------
# title


def _heading(page: Any) -> str | None:
    """The first run of lines set in the page's largest type, when larger than the body text."""
    chars = [c for c in page.chars[:MAX_CHARS_PER_PAGE] if c["text"].strip()]
    if not chars:
        return None
    sizes = sorted(round(c["size"], 1) for c in chars)
    body, biggest = sizes[len(sizes) // 2], sizes[-1]
    if biggest < body * 1.15:
        return None
    lines = _lines(chars)
    big = [max(round(c["size"], 1) for c in line) == biggest for line in lines]
    start = big.index(True)
    stop = big.index(False, start) if False in big[start:] else len(big)
    return _cell_text([c for line in lines[start:stop] for c in line]) or None


def _meta_title(info: list[dict]) -> str | None:
    """The Info dictionary's Title, decoded (pdfminer leaves UTF-16 titles as raw bytes)."""
    raw = info[0].get("Title") if info and isinstance(info[0], dict) else None
    if isinstance(raw, bytes):
        codec = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
        raw = raw.decode(codec, errors="replace")
    if not isinstance(raw, str):
        return None
    return raw.strip() or None
