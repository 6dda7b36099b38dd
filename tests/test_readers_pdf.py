"""read_pdf on PDFs generated here with reportlab (CID font STSong-Light) and on the two real PDFs."""
from __future__ import annotations

import io
import json
from functools import lru_cache

import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

from parsers import parse_document
from parsers.document import Cell, Grid
from parsers.model import ParseError
from parsers.limits import Limits
from parsers.pdf import read_pdf
from test_readers_templates import grid, metrics, t3, t4

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
CELL = ParagraphStyle("cell", fontName="STSong-Light", fontSize=7, leading=9, wordWrap="CJK")
BODY = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK",
                      backColor=colors.white)  # a white box behind every paragraph, as WPS exports do
TITLE = ParagraphStyle("title", fontName="STSong-Light", fontSize=18, leading=24, wordWrap="CJK")
T3_WIDTHS = [22, 40, 110] + [38] * 7  # narrow label columns, so labels wrap inside their cells
T4_WIDTHS = [30] * 15


def pdf_table(g: Grid, widths: list[float], top: bool = True, bottom: bool = True) -> Table:
    """A reportlab table of grid `g`; top/bottom False leaves that outer rule undrawn (a page-break cut)."""
    data = [["" if c is None else Paragraph(c.text, CELL) for c in row] for row in g]
    style = [("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
             ("LINEBEFORE", (0, 0), (0, -1), 0.5, colors.black),
             ("LINEAFTER", (-1, 0), (-1, -1), 0.5, colors.black),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if top:
        style.append(("LINEABOVE", (0, 0), (-1, 0), 0.5, colors.black))
    if bottom:
        style.append(("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.black))
    for r, row in enumerate(g):
        for c, cell in enumerate(row):
            if cell is not None and (cell.rowspan > 1 or cell.colspan > 1):
                style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    return Table(data, colWidths=widths, style=TableStyle(style))


def split(g: Grid, k: int) -> tuple[Grid, Grid]:
    """Rows [0, k) and [k, end) as a word processor prints a table cut by a page break:
    a cell spanning the cut keeps its text above and continues as an empty cell below."""
    top = [[None if c is None else Cell(c.text, c.rowspan, c.colspan) for c in row] for row in g[:k]]
    bottom = [[None if c is None else Cell(c.text, c.rowspan, c.colspan) for c in row] for row in g[k:]]
    for r, row in enumerate(top):
        for c, cell in enumerate(row):
            if cell is not None and r + cell.rowspan > k:
                bottom[0][c] = Cell("", r + cell.rowspan - k, cell.colspan)
                cell.rowspan = k - r
    return top, bottom


def page_number(canv, doc) -> None:
    canv.setFont("STSong-Light", 9)
    canv.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")


def build(story: list, **kwargs) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, **kwargs).build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


@lru_cache(maxsize=None)
def report_pdf(cut: int | None = None) -> bytes:
    """Title, prose, t3 (2021) — cut over two pages at data row `cut` if given — and t4."""
    story = [Paragraph("某县人民政府2021年政府信息公开工作年度报告", TITLE),
             Paragraph("一、总体情况", BODY),
             Paragraph("本年度，我县坚持以公开为常态、不公开为例外，" * 4, BODY),
             Paragraph("三、收到和处理政府信息公开申请情况", BODY)]
    g = grid(t3("2021"))
    if cut is None:
        story.append(pdf_table(g, T3_WIDTHS))
    else:
        top, bottom = split(g, cut)
        story += [pdf_table(top, T3_WIDTHS, bottom=False), PageBreak(), pdf_table(bottom, T3_WIDTHS, top=False)]
    story += [Paragraph("四、政府信息公开行政复议、行政诉讼情况", BODY), pdf_table(grid(t4()), T4_WIDTHS),
              Paragraph("五、存在的主要问题及改进情况", BODY)]
    return build(story)


def test_gridded_template_tables_come_back_exactly():
    doc = read_pdf(report_pdf(), "r.pdf")
    assert doc.kind == "pdf"
    assert doc.tables == [grid(t3("2021")), grid(t4())]


def test_prose_on_white_boxes_is_text_not_a_table():
    doc = read_pdf(report_pdf(), "r.pdf")
    assert len(doc.tables) == 2
    lines = doc.text.splitlines()
    assert lines[0] == "某县人民政府2021年政府信息公开工作年度报告"
    assert lines[1] == "一、总体情况"
    assert lines.index("三、收到和处理政府信息公开申请情况") < lines.index("三、本年度办理结果\t（一）予以公开\t2\t3\t4\t5\t6\t7\t27")
    assert lines.index("四、政府信息公开行政复议、行政诉讼情况") + 1 == lines.index("行政复议\t行政诉讼")
    assert "- 1 -" not in lines  # page numbers are dropped


def test_title_is_the_large_type_on_page_one():
    assert read_pdf(report_pdf(), "r.pdf").title == "某县人民政府2021年政府信息公开工作年度报告"


@pytest.mark.parametrize("cut", [5, 17, 20])
def test_table_cut_by_a_page_break_is_joined(cut):
    """No closing rule at the cut, and 三、本年度办理结果 (and a sub-group) cut in two: one grid again."""
    doc = read_pdf(report_pdf(cut), "r.pdf")
    assert doc.tables == [grid(t3("2021")), grid(t4())]


@pytest.mark.parametrize("cut", [None, 17])
def test_parser_reads_the_exact_metrics(cut):
    report = parse_document(read_pdf(report_pdf(cut), "r.pdf"))
    assert (report.meta["format"], report.meta["year"]) == ("2021", 2021)
    assert report.metrics == metrics("2021")


@pytest.mark.parametrize("name", ["hzq_2023", "hzq_2024"])
def test_real_pdfs_parse_to_their_truth(corpus, name):
    truth = json.loads((corpus / "pdf" / f"{name}.json").read_text(encoding="utf-8"))
    report = parse_document(read_pdf((corpus / "pdf" / f"{name}.pdf").read_bytes(), f"{name}.pdf"))
    assert {k: report.meta[k] for k in truth["meta"]} == truth["meta"]
    assert report.metrics == truth["metrics"]


def test_blank_value_under_a_number_is_not_merged_across_the_cut():
    g = grid(t3("2021", blank_row=10))  # data row 10 = 13th table row, all values blank
    top, bottom = split(g, 13)
    data = build([pdf_table(top, T3_WIDTHS, bottom=False), PageBreak(), pdf_table(bottom, T3_WIDTHS, top=False)])
    (joined,) = read_pdf(data, "b.pdf").tables
    assert joined == g
    assert [c.text for c in joined[13][3:]] == [""] * 7


def test_real_pdfs_grids(corpus):
    """hzq_2023: t2 cut over pages 2-3 and t3 over pages 3-4 come back as one grid each."""
    doc = read_pdf((corpus / "pdf" / "hzq_2023.pdf").read_bytes(), "hzq_2023.pdf")
    assert doc.title == "洪泽区人民政府2023年政府信息公开工作年度报告"
    t2, t3_, t4_ = doc.tables
    assert (len(t2), len(t2[0]), len(t3_), len(t3_[0]), len(t4_), len(t4_[0])) == (14, 4, 26, 10, 4, 15)
    assert [c.text for c in t2[9] if c] == ["行政处罚", "4119"] and t2[9][1].colspan == 3
    assert t3_[5][0] == Cell("三、本年度办理结果", 20, 1)
    assert t3_[15][1] == Cell("（四）无法提供", 3, 1)  # cut by the page break after its 2nd row
    assert [c.text for c in t3_[17] if c] == ["3.补正后申请内容仍不明确"] + ["0"] * 7
    assert [c.text for c in t4_[3]] == "10 1 0 0 0 0 0 0 0 0 5 0 0 0 0".split()
    assert doc.text.count("\n六、其他需要报告的事项\n") == 1


def test_pages_past_the_limit_are_not_read():
    buf = io.BytesIO()
    canv = canvas.Canvas(buf, pagesize=A4)
    for n in range(1, Limits().pdf_pages + 6):
        canv.setFont("STSong-Light", 12)
        canv.drawString(72, 700, f"第{n}页内容")
        canv.showPage()
    canv.save()
    text = read_pdf(buf.getvalue(), "long.pdf").text
    assert f"第{Limits().pdf_pages}页内容" in text and f"第{Limits().pdf_pages + 1}页内容" not in text


def _encrypted() -> bytes:
    buf = io.BytesIO()
    canv = canvas.Canvas(buf, encrypt=StandardEncryption("secret", "owner"))
    canv.drawString(72, 700, "hidden")
    canv.save()
    return buf.getvalue()


def _no_text() -> bytes:
    buf = io.BytesIO()
    canv = canvas.Canvas(buf)
    canv.rect(72, 72, 300, 300, fill=1)
    canv.save()
    return buf.getvalue()


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"<!DOCTYPE html><html><body>not found</body></html>", "not a PDF"),
    (b"%PDF-1.7\n" + b"\x00garbage" * 50, "unreadable PDF"),
    (_encrypted(), "encrypted PDF"),
    (_no_text(), "no text layer"),
])
def test_bad_input_raises_parse_error_naming_source(data, reason):
    with pytest.raises(ParseError) as err:
        read_pdf(data, "http://x.gov.cn/a.pdf")
    assert str(err.value).startswith("http://x.gov.cn/a.pdf: ")
    assert reason in str(err.value)


def test_truncated_real_pdf_raises_parse_error_or_reads(corpus):
    """A cut PDF either still reads (pdfminer recovers objects) or raises ParseError, nothing else."""
    data = (corpus / "pdf" / "hzq_2024.pdf").read_bytes()
    for cut in (100, 5_000, len(data) // 2, len(data) - 500):
        try:
            read_pdf(data[:cut], "cut.pdf")
        except ParseError as exc:
            assert str(exc).startswith("cut.pdf: ")


def test_table_without_rules_becomes_tab_separated_lines():
    """No ruling lines, so no grid: wide gaps inside a line become tabs for the text parser."""
    buf = io.BytesIO()
    canv = canvas.Canvas(buf)
    canv.setFont("STSong-Light", 11)
    canv.drawString(72, 760, "本报告（国令第 711 号）说明 2023 年 report text.")
    rows = [("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), ("规章", "0", "0", "0"),
            ("行政规范性文件", "3", "0", "8")]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            canv.drawString(72 + 130 * (c > 0) + 90 * c, 730 - 20 * r, text)
    canv.save()
    doc = read_pdf(buf.getvalue(), "plain.pdf")
    assert doc.tables == []
    assert doc.text.splitlines() == ["本报告（国令第711号）说明2023年report text.",
                                     "信息内容\t本年制发件数\t本年废止件数\t现行有效件数", "规章\t0\t0\t0",
                                     "行政规范性文件\t3\t0\t8"]
