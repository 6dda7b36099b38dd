"""Prose read from the CMS families' article containers with lxml instead of trafilatura: same sections."""
from __future__ import annotations

import random

import lxml.html
import pytest

import parsers
from parsers.html import USE_TRAFILATURA_ENV, container_text
from replica.markup import body_html
from replica.reports import make_report


def _tree(body: str):
    return lxml.html.document_fromstring(f"<html><body><h1>标题</h1>{body}<div>页脚 扫一扫</div></body></html>")


def test_container_lines_tables_left_out():
    text = container_text(_tree(
        '<div class="x TRS_Editor y"><p>一、总体情况</p><p><span>本年度</span> <b>主动公开</b>\n12条。<br>第二行</p>'
        "<table><tr><td>表格不入正文</td></tr></table><div>六、其他需要报告的事项</div></div>"))
    assert text == "一、总体情况\n本年度 主动公开 12条。\n第二行\n六、其他需要报告的事项"


@pytest.mark.parametrize("body", [
    '<div id="zoom"><p>甲</p></div><div id="vsb_content"><p>乙</p></div>',  # two containers: which one?
    "<div class=content><p>no family container</p></div>",
    '<div class="article-content"><table><tr><td>表</td></tr></table></div>',  # nothing but a table
])
def test_no_single_container_no_text(body):
    assert container_text(_tree(body)) is None


def test_nested_containers_count_once():
    assert container_text(_tree('<div id="zoom"><div class=TRS_Editor><p>正文</p></div></div>')) == "正文"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("markup", ["clean", "word", "compact"])
def test_same_report_as_trafilatura_but_the_text(seed, markup, monkeypatch):
    """On the replica's markups the containers give the sections, metrics and meta trafilatura gave."""
    fmt = "2021" if seed % 2 else "2019"
    r = make_report(random.Random(seed), seed, "青川县城关镇人民政府", 2023 if fmt == "2021" else 2020,
                    fmt=fmt, markup=markup, carrier="html")
    page = (f'<html><head><meta charset="utf-8"><title>{r.title}</title></head><body><h1>{r.title}</h1>'
            f"<div>来源：青川县人民政府 时间：2024-01-02</div>"
            f"<div class=TRS_Editor>{body_html(r, lambda t: f'./W0{t}.png')}</div></body></html>").encode()
    now = parsers.parse_bytes(page, "p.html")
    monkeypatch.setenv(USE_TRAFILATURA_ENV, "trafilatura")
    before = parsers.parse_bytes(page, "p.html")
    assert now.sections == before.sections and len(now.sections) >= 5
    assert (now.metrics, now.meta) == (before.metrics, before.meta)
