"""The synthetic report generator: consistent numbers, real-looking markup, stable bytes, and
documents that the project's parser reads back to their truth."""
from __future__ import annotations

import random
import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from replica import Replica
from replica.documents import placements, render_docx, render_pdf
from replica.markup import body_html
from replica.probe import fetch
from replica.reports import APPLICANTS, T4_COLS, T4_GROUPS, make_report, result_rows, t3_rows, value
from replica.tables import grid, split_result_label, word_grid_shift
from parsers.schema import keys_for_format


def report(seed: int, fmt: str, markup: str = "clean", carrier: str = "html", quirks: set[str] | None = None):
    year = {"legacy": 2016, "2019": 2020, "2021": 2023}[fmt]
    r = make_report(random.Random(seed), seed, "青川县城关镇人民政府", year, fmt=fmt, markup=markup, carrier=carrier)
    if quirks is not None:
        from dataclasses import replace
        r = replace(r, quirks=frozenset(quirks))
    return r


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), fmt=st.sampled_from(["2019", "2021"]))
def test_metrics_are_internally_consistent(seed, fmt):
    m = report(seed, fmt).metrics
    assert list(m) == keys_for_format(fmt)
    for row in t3_rows(fmt):
        assert value(m, f"t3.{row}.total") == sum(value(m, f"t3.{row}.{c}") for c in APPLICANTS)
    for col in APPLICANTS + ["total"]:
        v = lambda row: value(m, f"t3.{row}.{col}")  # noqa: E731
        assert v("new") + v("carried_over") == v("handled_total") + v("carried_forward")
        assert sum(v(row) for row in result_rows(fmt)) == v("handled_total")
    for g in T4_GROUPS:
        assert value(m, f"t4.{g}.total") == sum(value(m, f"t4.{g}.{c}") for c in T4_COLS[:-1])
    assert all(v is None or (isinstance(v, (int, float)) and (v >= 0 or k.endswith(".change"))) for k, v in m.items())


def test_values_mostly_small_some_large_some_blank_fees_decimal():
    reports = [report(s, "2021") for s in range(200)]
    totals = [r.metrics["t3.new.total"] or 0 for r in reports]
    assert sum(t < 100 for t in totals) > 120 and any(t >= 1000 for t in totals)
    assert any(v is None for r in reports for v in r.metrics.values())
    fees = [r.metrics["t2.fees.amount"] for r in reports]
    assert any(isinstance(f, float) and 0 < f < 1 for f in fees) and any(isinstance(f, float) and f > 100 for f in fees)


def test_truth_shape_per_variant():
    assert report(1, "legacy").truth == {"meta": {"organ": "青川县城关镇人民政府", "year": 2016, "format": "legacy"},
                                        "metrics": {}}
    assert report(1, "2021", carrier="image").truth["metrics"] == {}
    assert set(report(1, "2019", carrier="pdf").truth["metrics"]) == set(keys_for_format("2019"))


def test_same_seed_same_bytes_and_revision_changes_them():
    a, b = report(5, "2021", "word", "pdf"), report(5, "2021", "word", "pdf")
    assert body_html(a) == body_html(b) and render_pdf(a) == render_pdf(b) and render_docx(a) == render_docx(b)
    r2 = a.revised()
    assert r2.metrics != a.metrics and render_pdf(r2) != render_pdf(a) and body_html(r2) != body_html(a)


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_grids_are_rectangular_with_template_spans(fmt):
    r = report(3, fmt)
    shapes = {"t2": 4, "t3": 10, "t4": 15}
    for which, cols in shapes.items():
        nrows, ncols, cells = placements(grid(r, which))
        assert ncols == cols and sum(c.rowspan * c.colspan for _, _, c in cells) == nrows * ncols
    t3 = {c.text: (c.rowspan, c.colspan) for _, _, c in placements(grid(r, "t3"))[2]}
    assert t3["三、本年度办理结果"] == ((22, 1) if fmt == "2021" else (20, 1))
    assert t3["（三）不予公开"] == (8, 1) and t3["自然人"] == (2, 1) and t3["申请人情况"] == (1, 7)
    for quirk in (word_grid_shift, split_result_label):  # the Word artefacts keep the grid rectangular
        nrows, ncols, cells = placements(quirk(grid(r, "t3")))
        assert sum(c.rowspan * c.colspan for _, _, c in cells) == nrows * ncols


def test_markups_look_like_the_real_pages():
    clean = body_html(report(11, "2021", "clean"))
    assert 'class="firstRow"' in clean and 'valign="center"' in clean and "<p style=\"text-indent: 0em;\">" in clean
    assert "&nbsp; &nbsp;" in clean and "<br/>" in clean  # split labels, 结果<br/>纠正
    word = body_html(report(12, "2021", "word"))
    assert 'class="MsoNormal"' in word and "<o:p></o:p>" in word and "mso-border-insideh" in word
    assert re.search(r'style="[^"]*\n[^"]*"', word)  # newlines inside style attributes
    assert '<font face="Calibri">&nbsp;</font><font face="仿宋_GB2312">' in word
    upper = next(body_html(r) for r in (report(s, "2019", "word") for s in range(20)) if r.content_seed % 2 == 0)
    assert "BORDER-BOTTOM: windowtext 1pt solid" in upper and 'border="0"' in upper and "<br/>制作数量" in upper
    compact = body_html(report(13, "2021", "compact"))
    assert 'nowrap="nowrap"' in compact and '<p align="center">&nbsp;</p>' in compact
    for text in (clean, word, compact):
        doc = lxml.html.fromstring(text)
        assert len(doc.xpath("//table")) == 3
        flat = re.sub(r"\s+", "", doc.text_content().replace("\xa0", ""))
        for needle in ("一、总体情况", "六、其他需要报告的事项", "三、本年度办理结果", "行政复议", "第二十条第（八）项"):
            assert needle in flat
    legacies = [body_html(report(s, "legacy")) for s in range(14, 24)]
    assert all("一、概述" in x for x in legacies)
    assert {x.count("<table") for x in legacies} == {0, 1}  # some carry the old 统计表


def test_prose_states_table_numbers():
    r = report(21, "2021", "clean")
    text = lxml.html.fromstring(body_html(r)).text_content()
    assert f"收到政府信息公开申请{value(r.metrics, 't3.new.total')}件" in text
    assert re.search(r"主动公开政府信息\d+条", text) and text.rstrip().endswith("日")


# ---------------------------------------------------------------------------- parse-back

def _page(r) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{r.title}</title></head><body>'
            f'<div class=TRS_Editor>{body_html(r, lambda t: f"./W0{t}.png", with_title=True)}</div></body></html>').encode()


CASES = [(fmt, kind, seed) for seed in range(3) for fmt in ("2019", "2021", "legacy")
         for kind in ("clean", "word", "compact", "pdf", "docx")
         if not (fmt == "legacy" and kind in ("pdf", "docx"))] + [("2019", "image", 0), ("2021", "image", 0)]


@pytest.mark.parametrize("fmt,kind,seed", CASES)
def test_documents_parse_back_to_truth(fmt, kind, seed):
    markup = kind if kind in ("clean", "word", "compact") else "clean"
    carrier = kind if kind in ("pdf", "docx", "image") else "html"
    quirks = {"word_grid_shift", "split_result_label", "blanks"} if (kind == "word" and seed == 1) else None
    r = report(100 + seed, fmt, markup, carrier, quirks)
    data = {"pdf": render_pdf, "docx": render_docx}.get(kind, _page)(r)
    got = parsers.parse_bytes(data, f"replica-{fmt}-{kind}-{seed}")
    assert {k: got.meta.get(k) for k in ("organ", "year", "format")} == r.truth["meta"]
    assert got.metrics == r.truth["metrics"]


@pytest.fixture(scope="module")
def served():
    with Replica(seed=1) as rep:
        yield rep


SITES = ["trs0", "trs1", "fujian", "hanweb", "hanweb-xxgk", "gd", "boda", "generic", "gbk", "lying", "gkmlpt"]


@pytest.mark.parametrize("site", SITES)
def test_served_pages_parse_back(served, site):
    """Each site's report bodies, as served (encodings, wrappers, attachments), parse to their truth."""
    picks = [t for t in served.truth() if t["site"] == site and t["format"] != "legacy" and t["carrier"] == "html"][:2]
    picks += [t for t in served.truth() if t["site"] == site and t["carrier"] in ("pdf", "docx")][:1]
    for t in picks:
        url = t["attachment_url"] if t["carrier"] in ("pdf", "docx") else t["detail_url"]
        resp = fetch(url, headers={"Referer": t["detail_url"]})
        got = parsers.parse_bytes(resp.body, url, resp.headers.get("content-type"))
        assert got.metrics == t["truth"]["metrics"], url
        assert (got.meta["organ"], got.meta["year"]) == (t["organ"], t["year"])
