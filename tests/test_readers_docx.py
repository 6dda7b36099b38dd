"""read_docx on DOCX files generated here with python-docx (merged cells made with cell.merge)."""
from __future__ import annotations

import io
import zipfile
from functools import lru_cache

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from parsers import parse_document
from parsers.docx import read_docx
from parsers.model import ParseError
from test_readers_templates import Spec, grid, metrics, t3, t4


def add_table(document, spec: Spec):
    """A python-docx table laid out as `spec`, merges made the way Word users make them."""
    g = grid(spec)
    table = document.add_table(rows=len(g), cols=len(g[0]))
    for r, row in enumerate(g):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            target = table.cell(r, c)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
            target.text = cell.text
    return table


@lru_cache(maxsize=None)  # python-docx merges are slow (~0.8 s a report)
def report_docx(fmt: str, blank_row: int | None = None) -> bytes:
    document = docx.Document()
    for line in ("某县人民政府", f"{fmt}年政府信息公开工作年度报告"):
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("一、总体情况")
    document.add_paragraph("本年度共收到申请。")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    add_table(document, t3(fmt, blank_row))
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    add_table(document, t4())
    document.add_paragraph("五、存在的主要问题及改进情况")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_template_tables_come_back_exactly(fmt):
    doc = read_docx(report_docx(fmt), "r.docx")
    assert doc.kind == "docx"
    assert doc.tables == [grid(t3(fmt)), grid(t4())]


@pytest.mark.parametrize("fmt, blank_row", [("2019", None), ("2021", None), ("2021", 4)])
def test_parser_reads_the_exact_metrics(fmt, blank_row):
    report = parse_document(read_docx(report_docx(fmt, blank_row), "r.docx"))
    assert report.meta["format"] == fmt and report.meta["year"] == int(fmt)
    assert report.metrics == metrics(fmt, blank_row)


def test_blank_cells_stay_empty_strings_not_none():
    doc = read_docx(report_docx("2021", blank_row=4), "r.docx")
    row = doc.tables[0][3 + 4]  # data row 4 = （三）不予公开 1.属于国家秘密
    assert [c.text for c in row[3:]] == [""] * 7
    assert row[0] is None  # covered by 三、本年度办理结果
    assert (row[1].text, row[1].rowspan, row[2].text) == ("（三）不予公开", 8, "1.属于国家秘密")


def test_text_keeps_body_order_and_flattens_rows():
    doc = read_docx(report_docx("2021"), "r.docx")
    assert doc.title == "某县人民政府2021年政府信息公开工作年度报告"
    lines = doc.text.splitlines()
    heading3 = lines.index("三、收到和处理政府信息公开申请情况")
    heading4 = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    assert lines[heading3 + 4] == "一、本年新收政府信息公开申请数量\t0\t1\t2\t3\t4\t5\t15"
    assert lines[heading3 + 6] == "三、本年度办理结果\t（一）予以公开\t2\t3\t4\t5\t6\t7\t27"
    assert heading3 < heading4 < lines.index("五、存在的主要问题及改进情况")
    assert lines[heading4 + 1] == "行政复议\t行政诉讼"


def test_grid_before_shifts_a_row():
    """A row starting with w:gridBefore (Word's 'indented row'): the skipped position is an empty cell."""
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for c, text in enumerate("ABC"):
        table.cell(0, c).text = text
    table.cell(1, 1).text = "y"
    table.cell(1, 2).text = "z"
    tr = table._tbl.tr_lst[1]
    tr.remove(tr.tc_lst[0])
    tr_pr = tr.get_or_add_trPr()
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    tr_pr.insert(0, before)
    buf = io.BytesIO()
    document.save(buf)
    (g,) = read_docx(buf.getvalue(), "b.docx").tables
    assert [[c.text for c in row] for row in g] == [["A", "B", "C"], ["", "y", "z"]]


def test_multi_paragraph_cell_is_one_label():
    document = docx.Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "三、本年"
    cell.add_paragraph("度办理结果")
    cell.add_paragraph("and more")
    buf = io.BytesIO()
    document.save(buf)
    assert read_docx(buf.getvalue(), "c.docx").tables[0][0][0].text == "三、本年度办理结果and more"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return buf.getvalue()


def _with_document_xml(body: bytes) -> bytes:
    good = zipfile.ZipFile(io.BytesIO(report_docx("2019")))
    files = {name: good.read(name) for name in good.namelist()}
    files["word/document.xml"] = body
    return _zip(files)


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"<!DOCTYPE html><html><body>404</body></html>", "not a DOCX"),
    (_zip({"hello.txt": b"hi"}), "zip without word/document.xml"),
    (_with_document_xml(b"<w:document><unclosed"), "unreadable DOCX"),
])
def test_bad_input_raises_parse_error_naming_source(data, reason):
    with pytest.raises(ParseError) as err:
        read_docx(data, "http://x.gov.cn/a.docx")
    assert str(err.value).startswith("http://x.gov.cn/a.docx: ")
    assert reason in str(err.value)


def test_truncated_docx_raises_parse_error():
    data = report_docx("2021")
    for cut in (10, len(data) // 3, len(data) - 30):
        with pytest.raises(ParseError, match=r"^t\.docx: "):
            read_docx(data[:cut], "t.docx")
