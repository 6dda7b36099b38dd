"""A report as a PDF (reportlab, CID font STSong-Light), a DOCX (python-docx) or table images (PNG).

Why byte-stable: the replica serves ETags and the crawler compares content hashes, so the
same report revision must give the same bytes in every process (reportlab `invariant`,
fixed DOCX core properties and zip timestamps).
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from replica.prose import blocks
from replica.reports import Report
from replica.tables import Cell, Grid, grid

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def placements(g: Grid) -> tuple[int, int, list[tuple[int, int, Cell]]]:
    """(rows, cols, [(row, col, cell)]) — where each origin cell lands once spans are laid out."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(g):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    nrows = max(r for r, _ in taken) + 1
    ncols = max(c for _, c in taken) + 1
    return nrows, ncols, out


# ---------------------------------------------------------------------------- PDF

def render_pdf(r: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, firstLineIndent=21, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, firstLineIndent=0, fontSize=12, leading=20)
    title = ParagraphStyle("title", parent=body, firstLineIndent=0, fontSize=15, leading=24, alignment=1)
    right = ParagraphStyle("right", parent=body, firstLineIndent=0, alignment=2)
    cellstyle = ParagraphStyle("cell", fontName=font, fontSize=6.5, leading=8, wordWrap="CJK", alignment=1)
    width = A4[0] - 30 * mm

    story = []
    for b in blocks(r):
        if b.kind == "table":
            story.append(_pdf_table(grid(r, b.text), width, cellstyle, font, Table, TableStyle, Paragraph, colors))
            story.append(Spacer(1, 6))
        else:
            style = {"title": title, "h": head, "sign": right, "date": right}.get(b.kind, body)
            story.append(Paragraph(b.text, style))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=r.title, author=r.organ, invariant=True)
    doc.build(story)
    return buf.getvalue()


def _pdf_table(g: Grid, width: float, cellstyle, font, Table, TableStyle, Paragraph, colors):
    nrows, ncols, cells = placements(g)
    data = [[""] * ncols for _ in range(nrows)]
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONT", (0, 0), (-1, -1), font, 6.5),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]
    for r, c, cell in cells:
        data[r][c] = cell.text if cell.is_value else Paragraph(cell.text, cellstyle)
        if cell.rowspan > 1 or cell.colspan > 1:
            style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    return Table(data, colWidths=[width / ncols] * ncols, style=TableStyle(style))


# ---------------------------------------------------------------------------- DOCX

def render_docx(r: Report) -> bytes:
    from docx import Document
    from docx.shared import Pt
    from docx.table import _Cell

    d = Document()
    when = datetime(r.published.year, r.published.month, r.published.day)
    props = d.core_properties
    props.created = props.modified = props.last_printed = when
    props.author = props.last_modified_by = r.organ
    props.title = r.title
    for b in blocks(r):
        if b.kind == "table":
            nrows, ncols, cells = placements(grid(r, b.text))
            t = d.add_table(rows=nrows, cols=ncols)
            t.style = "Table Grid"
            # `Table.cell()` re-walks the whole grid per call (O(n^2)); take the cells once, before merging
            tcs = [[_Cell(tc, t) for tc in tr.tc_lst] for tr in t._tbl.tr_lst]
            for row, col, cell in cells:
                target = tcs[row][col]
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(tcs[row + cell.rowspan - 1][col + cell.colspan - 1])
                target.text = cell.text
                for p in target.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(7)
        elif b.kind == "title":
            d.add_heading(b.text, level=1)
        elif b.kind == "h":
            d.add_heading(b.text, level=2)
        else:
            p = d.add_paragraph(b.text)
            if b.kind in ("sign", "date"):
                p.alignment = 2
    buf = io.BytesIO()
    d.save(buf)
    return _fixed_zip_times(buf.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """python-docx stamps zip entries with the current time; pin them so bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------- PNG (tables as images)

def render_table_png(r: Report, which: str) -> bytes:
    """A scanned-looking picture of one table: the numbers exist only as pixels."""
    from PIL import Image, ImageDraw, ImageFont

    nrows, ncols, cells = placements(grid(r, which))
    cw, ch = 64, 26
    img = Image.new("L", (ncols * cw + 2, nrows * ch + 2), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT_PATH), 11) if FONT_PATH.exists() else ImageFont.load_default()
    for row, col, cell in cells:
        x0, y0 = col * cw, row * ch
        x1, y1 = x0 + cell.colspan * cw, y0 + cell.rowspan * ch
        draw.rectangle([x0, y0, x1, y1], outline=0)
        limit = max(2, cell.colspan * cw // 12)
        draw.text((x0 + 3, y0 + 6), cell.text[:limit], fill=0, font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return buf.getvalue()
