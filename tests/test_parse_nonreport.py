"""Pages that are not reports (a column's list of report links) raise ParseError; short real reports still parse."""
from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from replica import Replica
from parsers import ParseError, parse_bytes, parse_file

LIST_PAGE = "pingtan_zfxxgknb_list_index.html"
REPORT_SUFFIXES = (".txt", ".html", ".pdf", ".docx", ".doc")


def _links(n: int, organ: str = "某县人民政府") -> str:
    """A sidebar or list of n links titled as other years' reports."""
    return "".join(f'<li><a href="/nb/{y}.html" title="{organ}{y}年度政府信息公开工作年度报告">{organ}{y}年度政府信息公开'
                   f"工作年度报告</a><span>{y + 1}-02-01</span></li>" for y in range(2024 - n, 2024))


def _page(body: str, title: str = "政府信息公开年报") -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>{body}</body></html>').encode()


def test_the_corpus_list_page_is_not_a_report(corpus: Path) -> None:
    with pytest.raises(ParseError, match=r"list_index\.html: not a report: a list of 10 report links"):
        parse_file(corpus / "html" / LIST_PAGE)


def test_every_other_corpus_document_still_parses(corpus: Path) -> None:
    files = [p for p in sorted(corpus.rglob("*")) if p.suffix in REPORT_SUFFIXES and p.name != LIST_PAGE]
    assert len(files) >= 30
    for path in files:
        assert parse_file(path).source == str(path)


def test_a_bare_list_of_report_links_is_not_a_report() -> None:
    with pytest.raises(ParseError, match="not a report"):
        parse_bytes(_page(f'<ul class="list">{_links(6)}</ul><div class="page">共2页</div>'), "list.html")


@pytest.mark.parametrize("body,title", [
    # tables as images, no headings: the page names one report (its own title)
    ('<h1>某县人民政府2023年度政府信息公开工作年度报告</h1><p><img src="t2.png"/><img src="t3.png"/></p>'
     '<div class="related">相关报告<ul>{links}</ul></div>', "某县人民政府2023年度政府信息公开工作年度报告"),
    # cut off: starts at 一、总体情况, no title at all
    ("<p>一、总体情况</p><p>本年度主动公开政府信息121条。</p><p>二、主动公开政府信息情况</p><ul>{links}</ul>", ""),
    # metadata and prose only (r031): prose outweighs the link list
    ("<p>根据《中华人民共和国政府信息公开条例》要求，现公布本镇2023年度政府信息公开工作年度报告。本年度本镇坚持以公开为常态、"
     "不公开为例外，全年主动公开政府信息七十余条，受理政府信息公开申请一件，依法予以公开，未发生行政复议和行政诉讼。"
     "本镇将继续完善工作机制，加强培训，推进基层政务公开标准化规范化建设，不断提升政务公开质量和实效。</p><ul>{links}</ul>",
     "政府信息公开年报"),
])
def test_short_reports_beside_report_links_still_parse(body: str, title: str) -> None:
    report = parse_bytes(_page(body.format(links=_links(5)), title), "short.html")  # no ParseError
    assert report.metrics == {} and "2023" in report.text


@pytest.fixture(scope="module")
def replica():
    with Replica(seed=1) as rep:
        yield rep


def _fetch(url: str) -> tuple[bytes, str | None]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read(), r.headers.get("Content-Type")


@pytest.mark.parametrize("site", ["trs0", "boda", "hanweb"])
def test_replica_list_pages_are_not_reports(replica: Replica, site: str) -> None:
    """TRS (truncated link texts, titles in attributes), Boda (pager), Hanweb (items inside a script's CDATA)."""
    (start,) = [s["start_urls"][0] for s in replica.sites() if s["id"] == site]
    body, content_type = _fetch(start)
    with pytest.raises(ParseError, match="not a report"):
        parse_bytes(body, start, content_type)


@pytest.mark.parametrize("site", ["trs0", "boda", "hanweb"])
def test_replica_report_pages_of_every_carrier_still_parse(replica: Replica, site: str) -> None:
    """Full pages, image tables, 详见附件 attachment-only pages and legacy reports are all reports."""
    truth = [t for t in replica.truth() if t["site"] == site]
    picks = {(t["carrier"], t["format"] == "legacy"): t for t in truth}.values()
    assert len(picks) >= 3
    for t in picks:
        body, content_type = _fetch(t["detail_url"])
        report = parse_bytes(body, t["detail_url"], content_type)
        assert report.meta["year"] == t["year"], t["detail_url"]
