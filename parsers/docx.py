"""DOCX attachments: body paragraphs and tables in document order, merged cells kept as spans.

python-docx's `row.cells` repeats a merged cell's text in every position it covers, so merged and
copied cells look alike. The table XML is walked instead: `w:gridBefore` shifts a row, `w:gridSpan`
is a colspan, and `w:vMerge` ("restart" opens a rowspan, "continue" extends the open one above).
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Iterator

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from . import limits
from .document import Cell, Document, Grid
from .model import ParseError

MAX_COLUMNS = 64  # report tables have <= 15; a hostile gridSpan="1000000000" is cut here
MAX_ROWS = 1_000  # rows past this are not read (t3 has 28)
_CJK = r"\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_END = re.compile(rf"[{_CJK}]$")
_CJK_START = re.compile(rf"^[{_CJK}]")


def read_docx(data: bytes, source: str) -> Document:
    """Read a .docx's text and tables; raise ParseError naming `source` if it cannot be read."""
    _check_package(data, source)
    try:
        package = docx.Document(io.BytesIO(data))
        body = package.element.body
        blocks = [b for b in _blocks(body) if b]
        title = _title(body) or (package.core_properties.title or "").strip() or None
    except Exception as exc:  # lxml/zipfile/python-docx raise many types on corrupt input
        raise ParseError(f"{source}: unreadable DOCX ({type(exc).__name__}: {exc})"[:500]) from exc
    lines = [b if isinstance(b, str) else _flatten(b) for b in blocks]
    return Document(
        source=source,
        kind="docx",
        text="\n".join(line for line in lines if line.strip()),
        tables=[b for b in blocks if not isinstance(b, str)],
        title=title,
    )


def _check_package(data: bytes, source: str) -> None:
    """A clear reason for the common wrong inputs before python-docx gives an obscure one, and the size caps.

    python-docx reads every part of the package (styles, media, ...) into memory, so every member counts:
    each against `docx_part_bytes`, all together against `docx_total_bytes`. The declared sizes are checked
    first, then each member is inflated once in 1 MB steps: zipfile stops a member at its declared size, but
    a one-shot read inflates a whole compressed chunk before cutting it, so a member that lies about its
    size is caught here (its CRC fails) with bounded memory, not inside python-docx.
    """
    if not data:
        raise ParseError(f"{source}: empty file")
    if not data.startswith(b"PK\x03\x04"):
        raise ParseError(f"{source}: not a DOCX (not a zip file; starts with {data[:16]!r})")
    cap = limits.current()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            zf.getinfo("word/document.xml")
            for info in members:
                if info.file_size > cap.docx_part_bytes:
                    raise limits.LimitExceeded(
                        f"{source}: {info.filename} is {info.file_size:,} bytes uncompressed, over the part limit "
                        f"({cap.describe('docx_part_bytes')})")
            total = sum(info.file_size for info in members)
            if total > cap.docx_total_bytes:
                raise limits.LimitExceeded(f"{source}: its parts are {total:,} bytes uncompressed, over the package "
                                           f"limit ({cap.describe('docx_total_bytes')})")
            for info in members:
                _inflate_in_steps(zf, info)
    except KeyError:
        raise ParseError(f"{source}: zip without word/document.xml (not a Word document)") from None
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"{source}: broken zip ({type(exc).__name__}: {exc})"[:500]) from exc


def _inflate_in_steps(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read one member to its end 1 MB at a time (zipfile checks its CRC there)."""
    with zf.open(info) as fh:
        while fh.read(1 << 20):
            pass


def _blocks(parent) -> Iterator[str | Grid]:
    """Paragraph texts and table grids in body order (content controls are looked into)."""
    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, None).text.strip()
        elif child.tag == qn("w:tbl"):
            yield _grid(child)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(content)


def _grid(tbl) -> Grid:
    """The table as a grid; positions no cell reaches (gridBefore, short rows) are empty cells.

    Bounded to MAX_ROWS x MAX_COLUMNS so a hostile table cannot exhaust memory."""
    rows: list[dict[int, Cell | None]] = []
    open_spans: dict[int, Cell] = {}  # column -> the vMerge cell still growing downwards
    for tr in tbl.tr_lst[:MAX_ROWS]:
        row: dict[int, Cell | None] = {}
        col = min(max(0, tr.grid_before), MAX_COLUMNS)
        for tc in tr.tc_lst:
            span = min(max(1, tc.grid_span), MAX_COLUMNS - col)
            if span <= 0:
                break
            above = open_spans.get(col)
            if tc.vMerge == "continue" and above is not None and above.colspan == span:
                above.rowspan += 1
                row.update({c: None for c in range(col, col + span)})
                col += span
                continue
            cell = Cell(_cell_text(tc), colspan=span)
            row[col] = cell
            row.update({c: None for c in range(col + 1, col + span)})
            for c in range(col, col + span):
                open_spans.pop(c, None)
            if tc.vMerge == "restart":
                open_spans[col] = cell
            col += span
        for c in [c for c in open_spans if c not in row]:  # a row that skips a column ends its span
            del open_spans[c]
        rows.append(row)
    width = max((max(r) + 1 for r in rows if r), default=0)
    return [[r[c] if c in r else Cell("") for c in range(width)] for r in rows] if width else []


def _cell_text(tc) -> str:
    """The cell's paragraphs joined; a label broken over lines is one label again."""
    out = ""
    for p in tc.iter(qn("w:p")):
        line = Paragraph(p, None).text.strip()
        if line:
            cjk = not out or _CJK_END.search(out) or _CJK_START.search(line)
            out += ("" if cjk else " ") + line
    return out


def _flatten(grid: Grid) -> str:
    rows = ["\t".join(cell.text for cell in row if cell is not None) for row in grid]
    return "\n".join(row for row in rows if row.strip())


def _title(body) -> str | None:
    """Leading centred or title-styled paragraphs (a title often wraps: organ / year + 年度报告)."""
    parts: list[str] = []
    for child in body.iterchildren():
        if child.tag != qn("w:p"):
            break
        para = Paragraph(child, None)
        text = para.text.strip()
        if not text:
            continue
        if not _is_title_like(child) or len(parts) == 3:
            break
        parts.append(text)
    return "".join(parts) or None


def _is_title_like(p) -> bool:
    jc = p.find(f"{qn('w:pPr')}/{qn('w:jc')}")
    if jc is not None and jc.get(qn("w:val")) == "center":
        return True
    style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style is not None and (style.get(qn("w:val")) or "").lower().startswith(("title", "heading1", "1"))
