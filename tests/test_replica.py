"""The replica portals: every site answers, every quirk of cms-patterns.md §6 is really served,
truth matches what is served, conditional GETs and mutations behave."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from replica import SITE_LAYOUT, Replica
from replica.probe import fetch


@pytest.fixture(scope="module")
def rep():
    t = time.monotonic()
    r = Replica(seed=1, rate_limit=5, retry_after=7).start()
    r.startup_seconds = time.monotonic() - t
    yield r
    r.stop()


def truth_of(rep: Replica, site: str) -> list[dict]:
    return [t for t in rep.truth() if t["site"] == site]


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


# ---------------------------------------------------------------------------- the whole replica

def test_starts_fast_and_has_enough_varied_reports(rep):
    assert rep.startup_seconds < 3
    truth = rep.truth()
    assert len(truth) >= 400
    assert {t["year"] for t in truth} == set(range(2013, 2026))
    assert {t["format"] for t in truth} == {"legacy", "2019", "2021"}
    assert {t["markup"] for t in truth if t["format"] != "legacy"} == {"clean", "word", "compact"}
    assert {t["carrier"] for t in truth} == {"html", "pdf", "docx", "image"}
    assert len(SITE_LAYOUT) >= 8 and len({s["host"] for s in rep.sites()}) == len(SITE_LAYOUT)


def test_every_start_page_answers(rep):
    expected = {"hostile-412": 412, "hostile-521": 521}
    for s in rep.sites():
        for url in s["start_urls"]:
            if not url.startswith(s["base_url"]):  # quirk 20: the start URL is on the broken scheme
                url = s["base_url"] + urlsplit(url).path
            assert fetch(url).status == expected.get(s["id"], 200), url


def test_truth_is_what_is_served(rep):
    """A sample of each site: detail pages name the report; attachments and images are what they claim."""
    magic = {"pdf": b"%PDF", "docx": b"PK"}
    for s in rep.sites():
        if s["id"].startswith("hostile-4") or s["id"] == "hostile-521":
            continue
        for t in truth_of(rep, s["id"])[:6] + [x for x in truth_of(rep, s["id"]) if x["carrier"] != "html"][:3]:
            page = fetch(t["detail_url"])
            assert page.status == 200
            assert t["title"] in page.text(s["encoding"]) or s["id"] == "gkmlpt"
            if t["attachment_url"]:
                att = fetch(t["attachment_url"], headers={"Referer": t["detail_url"]})
                kind = "docx" if t["carrier"] == "docx" else "pdf"
                assert att.body.startswith(magic[kind]), t["attachment_url"]
            for img in t["image_urls"]:
                assert fetch(img).body.startswith(b"\x89PNG")
            assert (t["truth"]["metrics"] == {}) == (t["format"] == "legacy" or t["carrier"] == "image")


# ---------------------------------------------------------------------------- TRS

def test_trs0_zero_based_js_pager_and_past_end_refresh(rep):
    base = rep.site("trs0").url("/zwgk/zfxxgk/zfxxgknb/")
    first = fetch(base + "index.html").text()
    pages = int(re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', first).group(1))
    assert pages >= 3 and "index_1.html" not in first  # the pager is JS only
    second = fetch(base + "index_1.html").text()
    titles = [t["detail_url"] for t in truth_of(rep, "trs0")]
    assert "./" + titles[20].split("/zfxxgknb/")[1] in hrefs(second)
    past = fetch(base + f"index_{pages}.html")
    assert past.status == 200 and 'http-equiv="refresh"' in past.text() and "url=./" in past.text()
    assert "class=TRS_Editor>" in fetch(titles[0]).text()  # unquoted class


def test_trs1_one_based(rep):
    base = rep.site("trs1").url("/xxgk/zfxxgknb/")
    second = fetch(base + "index_2.html")
    assert second.status == 200
    assert re.search(r"createPageHTML\('page_div',\d+, 2,'index','html',\d+\)", second.text())
    assert truth_of(rep, "trs1")[15]["detail_url"].split("/zfxxgknb/")[1] in second.text()


def test_fujian_page_two_only_via_post_and_attachments_only_in_script(rep):
    site = rep.site("fujian")
    first = fetch(site.url("/zwgk/zfxxgk/zfxxgknb/")).text()
    assert first.count("<dl>") == 10 and "maxStaticIndex: 1" in first
    assert fetch(site.url("/zwgk/zfxxgk/zfxxgknb/index_1.htm")).status == 404
    assert fetch(site.url("/fjdzapp/search")).status == 405
    form = {"channelid": "200210", "classsql": "chnlid=1813", "sortfield": "-docorderpri,-docreltime",
            "page": "2", "prepage": "10"}
    data = fetch(site.url("/fjdzapp/search"), "POST", form).body.decode()
    urls = re.findall(r'"chnldocurl": "([^"]+)"', data)
    assert urls == [t["detail_url"] for t in truth_of(rep, "fujian")[10:20]]
    with_att = next(t for t in truth_of(rep, "fujian") if t["attachment_url"])
    page = fetch(with_att["detail_url"]).text()
    assert with_att["attachment_url"] not in hrefs(page) and "src=\"" + with_att["attachment_url"] not in page
    assert re.search(r"var apps1 = \[\s*\{\"url\": \"" + re.escape(with_att["attachment_url"]), page)
    assert "/generic2/web/viewer.html?file={{qzbFile}}" in page


# ---------------------------------------------------------------------------- Hanweb

def test_hanweb_datastore_group_overlap_and_ignored_pagenum(rep):
    site = rep.site("hanweb")
    col = site.url("/col/col1229114055/index.html")
    page = fetch(col).text()
    assert '<ul class="main_list"></ul>' in page
    assert page.count("<record>") == 45 and "var param_4561249 = {" in page and "totalRecord:70" in page
    assert fetch(col + "?uid=4561249&pageNum=2").body == fetch(col).body
    form = dict(x.split("=", 1) for x in site.params().split("&"))
    xml = fetch(site.url("/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"), "POST", form).text()
    group2 = re.findall(r'href="([^"]+)"', xml)
    group1 = re.findall(r'<record><!\[CDATA\[\s*<li><a href="([^"]+)"', page)
    assert len(group2) == 26 and group2[0] == group1[-1]  # 70 records: 46..70 plus the repeated 45th
    assert re.search(r"/art/\d{4}/[1-9]\d?/[1-9]\d?/art_1229114055_\d+\.html", group2[1])
    detail = fetch(site.url(group2[1])).text()
    assert '<div id="zoom"><!--<$[信息内容]>begin-->' in detail


def test_hanweb_xxgk_search_and_annual_report_module(rep):
    site = rep.site("hanweb-xxgk")
    resp = fetch(site.url("/module/xxgk/search.jsp?texttype=&fbtime=&currpage=2"), "POST",
                 {"infotypeId": "A0801", "jdid": "3144", "area": "", "divid": "div1229565001"})
    assert "共3页" in resp.text() and resp.text().count('class="bt_link"') == 15
    t = truth_of(rep, "hanweb-xxgk")[0]
    area = site.area(t["organ"])
    one = fetch(site.url(f"/module/xxgk/xxgkAnnualReport.jsp?area={area}&fbtime={t['year']}")).text()
    assert hrefs(one) == [t["detail_url"].removeprefix(site.base_url)]


# ---------------------------------------------------------------------------- Guangdong

def test_gd_nfcms_pages_and_attachment_name_only_in_alt(rep):
    site = rep.site("gd")
    assert fetch(site.url("/zwgk/xxgknb/index_1.html")).status == 404
    second = fetch(site.url("/zwgk/xxgknb/index_2.html")).text()
    assert truth_of(rep, "gd")[20]["detail_url"] in second
    t = next(t for t in truth_of(rep, "gd") if t["attachment_url"])
    page = fetch(t["detail_url"]).text()
    m = re.search(r'<a class="nfw-cms-attachment" href="(/attachment/0/\d+/\d+/(\d+)\.\w+)" alt="([^"]+)">点击下载</a>', page)
    assert m and t["attachment_url"].endswith(m.group(1)) and m.group(3).startswith(t["title"])
    assert f"post_{m.group(2)}.html" in t["detail_url"]


def test_gkmlpt_config_api_paging_and_escaped_detail(rep):
    site = rep.site("gkmlpt")
    index = fetch(site.url("/gkmlpt/index")).text()
    assert "window._CONFIG = {" in index and '"SID": "755041"' in index and "政府信息公开年报" in index
    api = site.url("/gkmlpt/api/all/2860?sid=755041&page=")
    p0, p1, p2 = (fetch(api + n).body for n in ("0", "1", "2"))
    assert p0 == p1 and p0.count(b'"post_url"') == 100 and p2.count(b'"post_url"') == 30
    assert fetch(site.url("/gkmlpt/api/all/2860?page=1&sid=1")).status == 404
    detail = fetch(truth_of(rep, "gkmlpt")[0]["detail_url"]).text()
    assert "window._CONFIG.DETAIL = {" in detail and "\\u0022" in detail and "<\\/p>" in detail
    assert "<p" not in detail.split("window._CONFIG.DETAIL", 1)[0].split("<body>", 1)[1]


# ---------------------------------------------------------------------------- Boda

def test_boda_descending_pages_and_referer_checked_download(rep):
    site = rep.site("boda")
    first = fetch(site.url("/xxgk/xxgknb.htm")).text()
    pages = int(re.search(r'<span class="p_t">1/(\d+)</span>', first).group(1))
    assert f'<span class="p_next p_fun"><a href="xxgknb/{pages - 1}.htm">下页</a></span>' in first
    assert 'href="../info/1034/' in first
    second = fetch(site.url(f"/xxgk/xxgknb/{pages - 1}.htm")).text()
    assert f'<span class="p_t">2/{pages}</span>' in second and 'href="../../info/1034/' in second
    assert fetch(site.url("/xxgk/xxgknb/1.htm")).text().count(f"{pages}/{pages}") == 1
    t = next(t for t in truth_of(rep, "boda") if t["attachment_url"])
    assert "." not in t["attachment_url"].rsplit("/", 1)[1].split("?")[0].removesuffix(".jsp")
    bare = fetch(t["attachment_url"])
    assert bare.status == 200 and bare.headers["content-type"].startswith("text/html") and "附件" in bare.text()
    good = fetch(t["attachment_url"], headers={"Referer": t["detail_url"]})
    assert good.body[:4] in (b"%PDF", b"PK\x03\x04")


# ---------------------------------------------------------------------------- generic, encodings

def test_generic_shell_onclick_links_subcolumns_and_non_reports(rep):
    site = rep.site("generic")
    shell = fetch(site.url("/zfxxgk/zfxxgknb/index.html"))
    assert len(shell.body) < 200 and "location.replace('./gknb/')" in shell.text()
    column = fetch(site.url("/zfxxgk/zfxxgknb/gknb/")).text()
    for sub in ("xzjd/", "bmxxgknb/", "2023n/", "2024n78/"):
        assert f'href="./{sub}"' in column
    for title in ("关于2014年政府信息公开工作要点落实情况的函", "2023年政务公开工作要点"):
        assert title in column
    for url in rep.non_reports():
        assert fetch(url).status == 200
    sub = fetch(site.url("/zfxxgk/zfxxgknb/gknb/xzjd/")).text()
    m = re.search(r'<a href="javascript:void\(0\)" onclick="openDetail\(\'\./([^\']+)\'\)"', sub)
    assert fetch(site.url("/zfxxgk/zfxxgknb/gknb/xzjd/" + m.group(1))).status == 200
    in_2024n78 = [t for t in truth_of(rep, "generic") if "/2024n78/" in t["detail_url"]]
    assert in_2024n78 and all(t["year"] == 2025 for t in in_2024n78)


def test_gbk_site_has_no_header_charset_and_gbk_only_names(rep):
    t = truth_of(rep, "gbk")[0]
    page = fetch(t["detail_url"])
    assert page.headers["content-type"] == "text/html"
    assert 'charset=gb2312' in page.body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    assert any(ch in "".join(x["organ"] for x in truth_of(rep, "gbk")) for ch in "喆堃昇珺赟")
    gbk_only = next(x for x in truth_of(rep, "gbk") if any(ch in x["organ"] for ch in "喆堃昇珺赟"))
    with pytest.raises(UnicodeDecodeError):
        fetch(gbk_only["detail_url"]).body.decode("gb2312")


def test_lying_site_serves_utf8_under_gb2312(rep):
    headers = set()
    for t in truth_of(rep, "lying")[:4]:
        page = fetch(t["detail_url"])
        assert '<meta charset="gb2312">' in page.body.decode("utf-8") and t["title"] in page.body.decode("utf-8")
        headers.add(page.headers["content-type"])
    assert headers == {"text/html", "text/html; charset=GBK"}


# ---------------------------------------------------------------------------- hostile

def test_hostile_412_ts_page(rep):
    resp = fetch(rep.site("hostile-412").url("/zfxxgknb/index.html"))
    assert resp.status == 412 and "$_ts" in resp.text()
    assert fetch(rep.site("hostile-412").url("/robots.txt")).status == 412


def test_hostile_521_cookie_script_then_page(rep):
    url = rep.site("hostile-521").url("/zfxxgknb/index.html")
    first = fetch(url)
    assert first.status == 521 and "document.cookie=" in first.text() and "location.href" in first.text()
    token = re.search(r"\+'([0-9a-f]{32})'\+", first.text()).group(1)
    again = fetch(url, headers={"Cookie": f"__jsluid_s=x; __jsl_clearance_s={token}"})
    assert again.status == 200 and "createPageHTML" in again.text()


def test_hostile_429_after_rate_limit(rep):
    url = rep.site("hostile-429").url("/zfxxgknb/index.html")
    got = [fetch(url) for _ in range(7)]  # rate_limit=5 per minute; earlier tests may have used some
    statuses = [g.status for g in got]
    ok = statuses.count(200)
    assert 1 <= ok <= 5 and statuses == [200] * ok + [429] * (7 - ok)
    assert got[-1].headers["retry-after"] == "7"


def test_hostile_robots_disallow_all(rep):
    site = rep.site("hostile-robots")
    assert fetch(site.url("/robots.txt")).text() == "User-agent: *\nDisallow: /\n"
    assert fetch(site.url("/zfxxgknb/index.html")).status == 200


# ---------------------------------------------------------------------------- conditional GET, counters

def test_conditional_get_304_and_counters(rep):
    rep.reset_stats()
    t = next(t for t in truth_of(rep, "trs0") if t["attachment_url"])
    for url in (t["detail_url"], t["attachment_url"]):
        first = fetch(url)
        assert first.status == 200 and first.headers["etag"] and first.headers["last-modified"]
        assert fetch(url, headers={"If-None-Match": first.headers["etag"]}).status == 304
        assert fetch(url, headers={"If-Modified-Since": first.headers["last-modified"]}).status == 304
        assert fetch(url, headers={"If-None-Match": '"stale"'}).status == 200
    stats = rep.stats()
    assert stats["bodies"] == {t["detail_url"]: 2, t["attachment_url"]: 2}
    assert stats["not_modified"] == {t["detail_url"]: 2, t["attachment_url"]: 2}
    assert stats["requests"]["trs0"] == {"detail": 4, "attachment": 4}
