"""HTML helpers: charset decoding, attachment links, grids from the DOM."""
from __future__ import annotations

from pathlib import Path

from parsers import parse_bytes
from parsers.html import decode_html, embedded_content, find_attachments, js_string, read_html, table_grid
import lxml.html

TEXT = "平潭综合实验区喆堃2024年度政府信息公开工作年度报告"


def test_decode_utf8_gbk_bom_and_lying_declarations() -> None:
    page = f"<html><head><meta charset='utf-8'></head><body>{TEXT}</body></html>"
    assert TEXT in decode_html(page.encode("utf-8"), "gbk")            # header lies (says gbk)
    assert TEXT in decode_html(page.encode("gbk"))                     # meta lies (says utf-8)
    assert TEXT in decode_html(page.encode("gb18030"), "iso-8859-1")   # header says latin-1
    assert TEXT in decode_html(page.replace("utf-8", "gb2312").encode("gb18030"))
    assert TEXT in decode_html(b"\xef\xbb\xbf" + TEXT.encode())
    assert TEXT in decode_html(b"\xff\xfe" + TEXT.encode("utf-16-le"))
    assert decode_html(b"\xff\xfe\xfd") is not None  # garbage decodes with replacement, never raises


ATTACH_PAGE = """<html><body>
<a href="./202503/P020250310.pdf">报告.pdf</a>
<a href="/system/_content/download.jsp?urltype=news.DownloadAttachUrl&amp;owner=1&amp;wbfileid=14861131">XX县2024年报告.doc</a>
<a class="nfw-cms-attachment" href="/attachment/0/88/88389/963149.pdf" alt="XX区2024年报.pdf">点击下载</a>
<a href="/news/1.html">新闻</a><a href="javascript:void(0)">x.pdf</a>
<iframe src="/generic2/web/viewer.html?file=/p/W0123.ofd"></iframe>
<script>var apps=[{url:'./202503/P0123.wps',name:'原件'}]; if (apps[0].url.indexOf("pdf") > -1) {}</script>
</body></html>"""


def test_find_attachments_all_shapes() -> None:
    got = find_attachments(ATTACH_PAGE, "http://x.gov.cn/zwgk/t1.htm")
    assert got == [
        {"url": "http://x.gov.cn/zwgk/202503/P020250310.pdf", "name": "报告.pdf"},
        {"url": "http://x.gov.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=14861131",
         "name": "XX县2024年报告.doc"},
        {"url": "http://x.gov.cn/attachment/0/88/88389/963149.pdf", "name": "XX区2024年报.pdf"},
        {"url": "http://x.gov.cn/p/W0123.ofd", "name": "W0123.ofd"},
        {"url": "http://x.gov.cn/zwgk/202503/P0123.wps", "name": "原件"},
    ]
    assert find_attachments(ATTACH_PAGE.encode("gbk"), None)[0]["url"] == "./202503/P020250310.pdf"


def test_find_attachments_page_wide_hint_keeps_every_spelling() -> None:
    """The page-wide pre-check must not hide a file: each kind of link alone on its page is still found."""
    links = {
        '<a href="/u/REPORT.PDF">下载</a>': "http://x.gov.cn/u/REPORT.PDF",
        '<iframe src="/pdfjs/web/viewer.html?file=%2Fu%2Fscan.pdf"></iframe>': "http://x.gov.cn/u/scan.pdf",
        '<a class="nfw-cms-attachment" href="/attachment/0/1/2/3" alt="报告">点击下载</a>': "http://x.gov.cn/attachment/0/1/2/3",
    }
    for link, url in links.items():
        page = f"<html><body><p>正文</p>{link}</body></html>"
        assert [a["url"] for a in find_attachments(page, "http://x.gov.cn/a/t.htm")] == [url], link
    assert find_attachments("<html><body><a href='/a/t2.htm'>2023年报</a> 附件: 无</body></html>", None) == []


def test_grid_expands_rowspan_and_colspan() -> None:
    t = lxml.html.fromstring("""<table>
      <tr><td rowspan="2">A</td><td colspan="2">B</td></tr>
      <tr><td>c<br/>d</td><td>e</td></tr>
      <tr><td>f</td><td>g</td><td>h</td></tr></table>""")
    g = table_grid(t)
    assert [[c.text if c else None for c in row] for row in g] == [["A", "B", None], [None, "cd", "e"], ["f", "g", "h"]]
    assert g[0][0].rowspan == 2 and g[0][1].colspan == 2


def test_read_html_meta_title_and_gbk(corpus: Path) -> None:
    page = (corpus / "html" / "pingtan_2024.html").read_bytes().decode("utf-8")
    gbk = page.replace('charset="utf-8"', 'charset="gbk"').encode("gb18030")
    doc = read_html(gbk, "p.html")
    assert doc.title == "平潭综合实验区2024年度政府信息公开工作年度报告"
    assert doc.meta["ContentSource"] == "平潭综合实验区管委会办公室"
    assert len(doc.tables) == 3
    r = parse_bytes(gbk, "p.html")
    assert r.metrics["t3.new.total"] == 218 and r.metrics["t4.review.total"] == 7


# ---------------------------------------------------------------------------- gkmlpt: body only inside a script

def _gkmlpt_report():
    import random

    from replica.markup import body_html
    from replica.reports import make_report
    r = make_report(random.Random(7), 7, "广州市天河区人民政府", 2023, fmt="2021", markup="clean", carrier="html")
    return r, body_html(r)


def _gkmlpt_page(title: str, script: str) -> bytes:
    """A gkmlpt detail page: the DOM holds only the metadata table; the report is in the script."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<table class="gkml-detail-meta"><tr><th>索引号：</th><td>007/2024-00001</td></tr>'
            f'<tr><th>发布机构：</th><td>天河区</td></tr></table><div id="app"></div>'
            f"<script>{script}</script></body></html>").encode()


def test_gkmlpt_json_escaped_content_is_the_body() -> None:
    import json
    r, body = _gkmlpt_report()
    blob = json.dumps({"id": 1, "title": r.title, "content": body}, ensure_ascii=False)
    blob = blob.replace('\\"', "\\u0022").replace("/", "\\/")  # as the CMS escapes it
    page = _gkmlpt_page(r.title, f"window._CONFIG = window._CONFIG || {{}};\nwindow._CONFIG.DETAIL = {blob};")
    got = parse_bytes(page, "post_1.html")
    assert got.metrics == r.truth["metrics"] and len(got.metrics) == 200
    assert (got.meta["organ"], got.meta["year"], got.meta["format"]) == ("广州市天河区人民政府", 2023, "2021")


def test_gkmlpt_content_in_a_loose_js_object() -> None:
    """Single quotes, bare keys, `\\x3c`/`\\'` escapes and trailing commas: only the literal is decoded."""
    r, body = _gkmlpt_report()
    literal = body.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("<", "\\x3c")
    script = (f"window._CONFIG = {{SID: '755041', TREE: [], DETAIL: {{id: 1, title: '{r.title}', "
              f"content: '{literal}', attachment: [],}},}};")
    got = parse_bytes(_gkmlpt_page(r.title, script), "post_1.html")
    assert got.metrics == r.truth["metrics"]


def test_visible_body_wins_over_a_short_script_string(corpus: Path) -> None:
    page = (corpus / "html" / "pingtan_2024.html").read_text(encoding="utf-8")
    page = page.replace("</body>", "<script>var cfg = {content: '<p>公告</p>'};</script></body>")
    doc = read_html(page, "p.html")
    assert len(doc.tables) == 3 and "公告" not in doc.text


def test_js_string_literals() -> None:
    assert js_string(r"\u003cp\u003e\/a\u0022b") == '<p>/a"b'
    assert js_string(r"it\'s \x3cb> \"q\" " + '"') == 'it\'s <b> "q" "'
    assert js_string("\\ud83d\\ude00") == "\U0001f600" and js_string("bad \\u12") is None
    assert embedded_content("<script>x = {content: '<p>a</p>', title: 'b'}</script>") == "<p>a</p>"
    assert embedded_content("<style>p:after {content: '<p>'}</style><script>x = {content: 'no tags'}</script>") is None


def test_a_malformed_link_is_skipped_not_raised():
    """Found by bench/fuzz_parsers.py: a damaged href with a `[` host made urllib raise ValueError."""
    from parsers.html import find_attachments

    page = '<a href="http://[broken/report.pdf">a.pdf</a><a href="./ok/2024.pdf">2024.pdf</a>'
    assert find_attachments(page, "http://example.gov.cn/col/") == [
        {"url": "http://example.gov.cn/col/ok/2024.pdf", "name": "2024.pdf"}]
    assert find_attachments('<base href="http://[x"><a href="r.pdf">r.pdf</a>', "http://a.gov.cn/") == [
        {"url": "http://a.gov.cn/r.pdf", "name": "r.pdf"}]
