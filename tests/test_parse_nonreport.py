"""Pages that are not reports (a column's list of report links) raise ParseError; short real reports still parse."""
from __future__ import annotations

import random
import re
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


# --- a non-report set of our own making: every kind a crawl meets, generated here ---------------------

NEWS = ("<h1>我县召开2023年度政务公开工作推进会</h1><p>3月15日，县政府召开全县政务公开工作推进会，各乡镇、县直各部门分管负责同志"
        "参加会议。会议通报了上年度政务公开工作考核结果，安排部署了本年度重点任务。会议强调，要提高政治站位，压实工作责任，"
        "扎实推进基层政务公开标准化规范化建设，不断提升群众满意度。县政府办公室主要负责同志主持会议并讲话。</p>")
NOTICE = ("<h1>关于做好2023年度政府信息公开工作年度报告编制发布工作的通知</h1><p>各乡镇人民政府、县直各部门：</p>"
          "<p>为做好2023年度政府信息公开工作年度报告编制发布工作，现将有关事项通知如下：</p>"
          "<p>一、编制要求。各单位要严格按照《中华人民共和国政府信息公开条例》和年度报告格式要求编制，内容包括总体情况等六部分。</p>"
          "<p>二、发布时间。各单位须于2024年1月31日前在政府门户网站发布年度报告。</p><p>三、工作要求。请各单位高度重视。</p>")
LOGIN = ('<h2>用户登录</h2><p>该信息需登录后查看，请登录。</p><form><input name="u"/><input type="Password" name="p"/>'
         "<button>登录</button></form>")


def _html(body: str, title: str = "政府信息公开") -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>{body}</body></html>').encode()


def _pdf(lines: list[str]) -> bytes:
    from test_readers_pdf import build
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16)
    return build([Paragraph(line, style) for line in lines])


def _docx(lines: list[str]) -> bytes:
    import io

    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


UNRELATED = ["关于印发《XX县2024年森林防火工作方案》的通知", "各乡镇人民政府，县直各部门：",
             "现将《XX县2024年森林防火工作方案》印发给你们，请结合实际认真贯彻执行。森林防火工作事关人民群众生命财产安全，"
             "各单位要加强值班值守，落实巡山护林责任，发现火情及时报告，确保不发生重大森林火灾。"]

NON_REPORTS_MADE = {
    "random bytes": (random.Random(7).randbytes(4000), "x.doc", None),
    "random text bytes": (bytes(random.Random(8).choices(range(0x20, 0x7f), k=3000)), "x.txt", None),
    "png": (b"\x89PNG\r\n\x1a\n" + random.Random(9).randbytes(500), "t2.png", None),
    "jpeg": (b"\xff\xd8\xff\xe0" + random.Random(10).randbytes(500), "t3.jpg", None),
    "gif": (b"GIF89a" + random.Random(11).randbytes(200), "x.gif", None),
    "one-line text": ("2022年政府信息公开工作年度报告".encode(), "one.txt", None),
    "login page": (_html(LOGIN, "用户登录"), "login.html", "text/html"),
    "login wall text": (_html("<p>请登录后查看某县人民政府2022年度政府信息公开工作年度报告全文。</p>"), "wall.html", "text/html"),
    "busy page": (_html("<p>系统繁忙，请稍后再试！</p>", "提示"), "busy.html", "text/html"),
    "404 with 200": (_html("<h1>404</h1><p>对不起，您访问的页面不存在或已被删除！</p>", "页面不存在"), "gone.html", "text/html"),
    "compiling notice": (_html(NOTICE, "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"), "notice.html", "text/html"),
    "news item": (_html(NEWS, "我县召开2023年度政务公开工作推进会"), "news.html", "text/html"),
    "work points": (_html("<h1>2023年政务公开工作要点</h1><p>一、加强政策发布解读。各单位要围绕中心工作及时发布政策文件。</p>"
                          "<p>二、做好依申请公开。规范办理流程，依法依规答复。</p><p>三、加强平台建设。优化政府网站栏目设置。</p>",
                          "2023年政务公开工作要点"), "points.html", "text/html"),
    "unrelated docx": (_docx(UNRELATED), "fire.docx", None),
}


@pytest.mark.parametrize("kind", sorted(NON_REPORTS_MADE))
def test_made_non_reports_are_refused_with_a_reason(kind: str) -> None:
    data, source, content_type = NON_REPORTS_MADE[kind]
    with pytest.raises(ParseError, match=rf"^{re.escape(source)}: not a report: \S"):
        parse_bytes(data, source, content_type)


def test_an_unrelated_pdf_is_refused() -> None:
    with pytest.raises(ParseError, match=r"^fire\.pdf: not a report: "):
        parse_bytes(_pdf(UNRELATED), "fire.pdf")


REPORT_HTML = ("<h1>某县人民政府2022年政府信息公开工作年度报告</h1><p>根据《中华人民共和国政府信息公开条例》要求编制本报告。</p>"
               "<p>一、总体情况</p><p>2022年，某县人民政府坚持以公开为常态、不公开为例外，全年主动公开政府信息一千余条。</p>"
               "<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>")


@pytest.mark.parametrize("chrome", [
    '<div class="top"><a href="/login">请登录</a> <a href="/reg">注册</a></div>',
    '<div class="side">热门：<a href="/404.html">404</a> 系统繁忙时请稍后再试</div>',
])
def test_a_report_with_login_or_error_words_in_its_chrome_still_parses(chrome: str) -> None:
    report = parse_bytes(_html(chrome + REPORT_HTML), "r.html", "text/html")
    assert (report.meta["organ"], report.meta["year"]) == ("某县人民政府", 2022)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-8-sig", "gbk", "gb18030", "utf-8"])
def test_real_reports_in_any_encoding_parse_the_same(corpus: Path, codec: str) -> None:
    """UTF-16 without a BOM (issue 11) and GBK, detected from the bytes, not guessed."""
    for name in ("real2/n003.txt", "real2/n045.txt", "real/r019.txt"):
        text = (corpus / name).read_text(encoding="utf-8")
        want = parse_bytes(text.encode("utf-8"), name).meta
        got = parse_bytes(text.encode(codec, errors="replace"), name).meta
        assert (got["organ"], got["year"]) == (want["organ"], want["year"]), (name, codec)


def test_utf16_html_page_without_bom_parses(corpus: Path) -> None:
    page = (corpus / "html" / "pingtan_2024.html").read_text(encoding="utf-8")
    want = parse_bytes(page.encode("utf-8"), "p.html", "text/html")
    got = parse_bytes(page.encode("utf-16-le"), "p.html")
    assert got.meta == want.meta and got.metrics == want.metrics


@pytest.mark.parametrize("depth", [300, 5000])
def test_a_report_nested_past_the_parsers_depth_limit_is_read(depth: int) -> None:
    page = ("<html><body>" + "<div>" * depth + REPORT_HTML + "</div>" * depth + "</body></html>").encode()
    report = parse_bytes(page, "deep.html", "text/html")
    assert (report.meta["organ"], report.meta["year"]) == ("某县人民政府", 2022)
    assert "主动公开政府信息一千余条" in report.text


def test_a_report_under_a_column_named_page_title_still_parses() -> None:
    """The CMS puts the column (`工作动态`) in <title>; the report names itself in its body."""
    body = REPORT_HTML.replace("<h1>", "<p>").replace("</h1>", "</p>").replace("<p>一、总体情况</p>", "")
    body = body.replace("<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>", "")
    report = parse_bytes(_html(body, "工作动态"), "r.html", "text/html")
    assert (report.meta["organ"], report.meta["year"]) == ("某县人民政府", 2022)
    assert report.meta["title"] == "某县人民政府2022年政府信息公开工作年度报告"


def test_chunks_cut_from_the_middle_of_real_reports_are_not_refused(corpus: Path) -> None:
    """A stored page may start anywhere in its report: a chunk of its prose keeps a report's vocabulary."""
    refused = []
    for path in sorted((corpus / "real2").glob("n*.txt")):
        chunk = path.read_text(encoding="utf-8")[200:]
        if len(chunk) < 300:
            continue
        try:
            parse_bytes(chunk.encode(), path.name)
        except ParseError as e:
            refused.append(str(e))
    assert refused == []
