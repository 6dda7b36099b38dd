"""Page objects on list pages fetched live from the replica (fixtures made in the test, city-scrapers style).

Each test walks one site with the page objects alone (no Scrapy): start page -> Follow -> Follow …,
exactly as the spider would, and compares the report links found with the replica's truth. A page
object that mishandles its site's quirk (cms-patterns.md §6) misses reports or asks for pages that
do not exist, and the test says which.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import Counter

import pytest

from crawler.pages import ENTRY, PARSERS, Follow, Page, detect_family, is_report_title
from crawler.portals import Portal
from replica import Replica
from crawler.spiders import TrsSpider
from parsers.html import decode_html


@pytest.fixture(scope="module")
def replica():
    with Replica(seed=1) as r:
        yield r


def fetch(url: str, follow: Follow | None = None, headers: dict | None = None) -> tuple[int, bytes, str | None]:
    """(status, body, header charset) of a GET or of a Follow's POST."""
    data = follow.body.encode() if follow and follow.body is not None else None
    req = urllib.request.Request(url, data=data, method=follow.method if follow else "GET",
                                 headers={**(follow.headers if follow else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get_content_charset()
    except urllib.error.HTTPError as e:
        return e.code, e.read(), None


def walk(start: str, parser: str, limit: int = 200) -> tuple[dict[str, str], list[Follow], list[Page]]:
    """Read a site the way the spider does: every Follow once; returns report links, requests, pages."""
    queue, seen, reports, asked, pages = [Follow(start, parser)], set(), {}, [], []
    while queue and len(asked) < limit:
        f = queue.pop(0)
        key = (f.url, f.method, f.body)
        if key in seen:
            continue
        seen.add(key)
        asked.append(f)
        status, body, charset = fetch(f.url, f)
        assert status == 200, f"{f.method} {f.url} -> {status}: the page object asked for a page that does not exist"
        page = Page.from_bytes(f.url, body, charset)
        pages.append(page)
        listing = PARSERS[f.parser](page, f)
        for link in listing.reports:
            reports.setdefault(link.url, link.title)
        queue += listing.follow
    return reports, asked, pages


def site(replica, site_id: str) -> dict:
    return next(s for s in replica.sites() if s["id"] == site_id)


def truth_urls(replica, site_id: str) -> set[str]:
    return {t["detail_url"] for t in replica.truth() if t["site"] == site_id and t["listed"]}


def walk_site(replica, site_id: str) -> tuple[dict[str, str], list[Follow], list[Page]]:
    s = site(replica, site_id)
    return walk(s["start_urls"][0], ENTRY[s["family"]])


# ------------------------------------------------------------------ quirks 1, 2, 4 (TRS)

def test_trs_js_pager_zero_based(replica):
    reports, asked, _ = walk_site(replica, "trs0")
    assert set(reports) == truth_urls(replica, "trs0")
    pages = [f.url.rsplit("/", 1)[1] for f in asked]
    assert pages[0] == "index.html" and pages[1] == "index_1.html", "TRS page 2 is index_1.html (0-based)"
    assert all(not t.endswith("…") for t in reports.values()), "titles come from the title attribute, not the cut text"


def test_trs_js_pager_one_based(replica):
    reports, asked, _ = walk_site(replica, "trs1")
    assert set(reports) == truth_urls(replica, "trs1")
    assert not any(f.url.endswith("index_1.html") for f in asked), "this template's page 2 is index_2.html"


def test_trs_past_the_end_is_an_end_marker(replica):
    url = site(replica, "trs0")["start_urls"][0].replace("index.html", "index_99.html")
    status, body, _ = fetch(url)
    assert status == 200  # the quirk: no 404 past the end
    listing = PARSERS["trs.list"](Page.from_bytes(url, body), Follow(url, "trs.list"))
    assert listing.end and not listing.reports and not listing.follow


def test_trs_relative_links_resolve_under_the_column(replica):
    reports, _, pages = walk_site(replica, "trs0")
    assert "./20" in pages[0].text  # the list really links relatively
    assert all(re.search(r"/zwgk/zfxxgk/zfxxgknb/\d{6}/t\d{8}_\d+\.html$", u) for u in reports)


# ------------------------------------------------------------------ quirks 3, 5 (Fujian)

def test_fujian_static_page_then_post_json(replica):
    reports, asked, _ = walk_site(replica, "fujian")
    assert set(reports) == truth_urls(replica, "fujian") and len(reports) == 35
    posts = [f for f in asked if f.method == "POST"]
    assert posts and all(f.url.endswith("/fjdzapp/search") for f in posts)
    assert not any("index_1" in f.url for f in asked)


def test_fujian_attachment_only_in_script_arrays(replica):
    spider = TrsSpider(portal=Portal("fujian", "x", site(replica, "fujian")["start_urls"]))
    with_att = [t for t in replica.truth() if t["site"] == "fujian" and t["attachment_url"]]
    assert with_att
    for t in with_att[:5]:
        status, body, _ = fetch(t["detail_url"])
        assert t["attachment_url"] not in re.sub(r"<script.*?</script>", "", body.decode(), flags=re.S)
        assert spider.attachment_urls(decode_html(body), t["detail_url"]) == [t["attachment_url"]]


# ------------------------------------------------------------------ quirks 6, 7, 8, 9 (Hanweb)

def test_hanweb_datastore_and_dataproxy_groups(replica):
    s = site(replica, "hanweb")
    status, body, _ = fetch(s["start_urls"][0])
    text = body.decode()
    assert '<ul class="main_list"></ul>' in text  # the visible list is an empty shell
    reports, asked, pages = walk_site(replica, "hanweb")
    assert set(reports) == truth_urls(replica, "hanweb") and len(reports) == 70
    assert all(re.search(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$", u) for u in reports)
    assert any(f.method == "POST" and "startrecord=46" in f.url for f in asked)
    # the later group repeats the previous group's last record; dedupe by URL keeps 70
    raw = Counter(re.findall(r'href="(/art/[^"]+)"', "".join(p.text for p in pages)))
    assert max(raw.values()) == 2


def test_hanweb_pagenum_is_ignored(replica):
    url = site(replica, "hanweb")["start_urls"][0]
    assert fetch(url + "?uid=4561249&pageNum=2")[1] == fetch(url)[1]


def test_hanweb_xxgk_search_and_annual_report_module(replica):
    reports, asked, _ = walk_site(replica, "hanweb-xxgk")
    assert set(reports) == truth_urls(replica, "hanweb-xxgk")
    assert any("currpage=2" in f.url for f in asked), "page 2 of 共N页 is asked for"
    # the per unit-year annual-report page is read too (titles only in link text)
    index = Page.from_bytes(site(replica, "hanweb-xxgk")["start_urls"][0], fetch(site(replica, "hanweb-xxgk")["start_urls"][0])[1])
    annual = next(a for a in index.selector.css("a::attr(href)").getall() if "xxgkAnnualReport" in a)
    url = index.url.rsplit("/module", 1)[0] + annual
    listing = PARSERS["hanweb.xxgk"](Page.from_bytes(url, fetch(url)[1]), Follow(url, "hanweb.xxgk"))
    assert all(u in truth_urls(replica, "hanweb-xxgk") for u in (link.url for link in listing.reports))


# ------------------------------------------------------------------ quirks 10, 11 (Guangdong)

def test_nfcms_index_2_numbering_and_alt_named_attachments(replica):
    reports, asked, _ = walk_site(replica, "gd")
    assert set(reports) == truth_urls(replica, "gd")
    assert [f.url.rsplit("/", 1)[1] for f in asked][:2] == ["index.html", "index_2.html"]
    spider = TrsSpider(portal=Portal("gd", "x", site(replica, "gd")["start_urls"]))
    t = next(t for t in replica.truth() if t["site"] == "gd" and t["attachment_url"])
    body = fetch(t["detail_url"])[1].decode()
    assert "点击下载</a>" in body and 'class="nfw-cms-attachment"' in body
    assert spider.attachment_urls(body, t["detail_url"]) == [t["attachment_url"]]


def test_gkmlpt_config_tree_and_json_api(replica):
    reports, asked, _ = walk_site(replica, "gkmlpt")
    assert set(reports) == truth_urls(replica, "gkmlpt") and len(reports) == 130
    api = [f.url for f in asked if "/gkmlpt/api/all/" in f.url]
    assert len(api) == 2 and not any("page=0" in u for u in api), "page 0 repeats page 1: start at 1"


# ------------------------------------------------------------------ quirks 12, 13 (Boda)

def test_boda_descending_pages(replica):
    reports, asked, _ = walk_site(replica, "boda")
    assert set(reports) == truth_urls(replica, "boda")
    names = [f.url.split("/xxgk/")[1] for f in asked]
    assert names[0] == "xxgknb.htm" and "xxgknb/4.htm" in names and "xxgknb/1.htm" in names


def test_boda_download_needs_the_article_as_referer(replica):
    from parsers.sniff import html_instead_of_file

    t = next(t for t in replica.truth() if t["site"] == "boda" and t["attachment_url"])
    spider = TrsSpider(portal=Portal("boda", "x", site(replica, "boda")["start_urls"]))
    page = fetch(t["detail_url"])[1].decode()
    [url] = spider.attachment_urls(page, t["detail_url"])
    assert url == t["attachment_url"] and "download.jsp" in url
    assert html_instead_of_file(fetch(url)[1]), "without Referer the replica answers an HTML error page"
    assert not html_instead_of_file(fetch(url, headers={"Referer": t["detail_url"]})[1])


# ------------------------------------------------------------------ quirks 16, 17, 18 (encodings, generic)

def test_gbk_page_without_header_charset_decodes(replica):
    reports, _, pages = walk_site(replica, "gbk")
    assert set(reports) == truth_urls(replica, "gbk")
    titles = {t["detail_url"]: t["title"] for t in replica.truth() if t["site"] == "gbk"}
    assert all(reports[u] == titles[u] for u in reports), "GBK-only characters (喆, 堃 …) survive decoding"


def test_utf8_page_claiming_gb2312_decodes(replica):
    reports, _, _ = walk_site(replica, "lying")
    titles = {t["detail_url"]: t["title"] for t in replica.truth() if t["site"] == "lying"}
    assert reports == {u: titles[u] for u in truth_urls(replica, "lying")}


def test_generic_shell_onclick_and_subcolumns(replica):
    reports, asked, pages = walk_site(replica, "generic")
    assert "location.replace" in pages[0].text and len(pages[0].text) < 300
    assert set(reports) == truth_urls(replica, "generic")
    assert not set(reports) & set(replica.non_reports()), "工作要点 / 通知 items are not reports"
    subs = {f.url.split("/gknb/")[1] for f in asked if "/gknb/" in f.url}
    assert {"xzjd/", "bmxxgknb/", "2024n78/"} <= subs


def test_report_titles():
    assert is_report_title("XX县2024年政府信息公开工作年度报告")
    assert is_report_title("XX县 2023 年度政务公开工作年报")
    assert not is_report_title("关于2014年政府信息公开工作要点落实情况的函")
    assert not is_report_title("2023年政务公开工作要点")
    assert not is_report_title("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知")


def test_family_detection_from_the_first_page(replica):
    for s in replica.sites():
        if s["family"] in ("hostile", "generic"):
            continue
        status, body, charset = fetch(s["start_urls"][0])
        assert detect_family(decode_html(body, charset)) == s["family"], s["id"]


def test_one_damaged_href_does_not_cost_the_pages_other_links():
    """A list page with a link urllib cannot join (a broken `[` host) still yields its other report links."""
    from parsel import Selector

    from crawler.pages.common import anchors

    html = ('<ul><li><a href="http://[broken/t1.htm" title="XX县2023年政府信息公开工作年度报告">x</a></li>'
            '<li><a href="./202401/t20240120_1.htm" title="XX县2024年政府信息公开工作年度报告">y</a></li></ul>')
    links = anchors(Selector(text=html), "http://127.0.0.2/zwgk/zfxxgknb/index.html")
    assert [(l.url, l.title) for l in links] == [
        ("http://127.0.0.2/zwgk/zfxxgknb/202401/t20240120_1.htm", "XX县2024年政府信息公开工作年度报告")]
