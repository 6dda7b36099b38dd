"""`nianbao discover` on the replica's whole counties: every 年报 column of each county, with the right unit,
and nothing else; then `nianbao crawl all --portals <its output>` archives every report of those columns.

Discovery and the crawl run in subprocesses (the Twisted reactor cannot restart); the replica runs here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.discover import COLUMN_TEXT, Scope, full_unit_name, json_units, site_owner
from crawler.discover_cli import portal_toml, slug
from crawler.pages import Page
from crawler.portals import load_portals
from replica import Replica
from nianbao.truthcheck import compare

REPO = Path(__file__).resolve().parents[1]


def nianbao(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def county_replica():
    with Replica(seed=1, counties=True) as replica:
        yield replica


@pytest.fixture(scope="module")
def discovered(county_replica, tmp_path_factory):
    """{county id: [columns found from its homepage]}, one `discover` per county (so nothing one county's run
    finds is credited to another), and their portal files joined into one."""
    tmp = tmp_path_factory.mktemp("discover")
    counties = county_replica.counties()
    procs = {c["id"]: subprocess.Popen(
        [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "discover", c["homepage"],
         "-o", str(tmp / f"{c['id']}.toml"), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for c in counties}
    by_county = {}
    for cid, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        by_county[cid] = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    out = tmp / "portals.toml"
    out.write_text("\n".join((tmp / f"{c['id']}.toml").read_text(encoding="utf-8") for c in counties), encoding="utf-8")
    return by_county, out


def test_replica_counties_are_big_enough(county_replica):
    counties = county_replica.counties()
    assert len(counties) >= 4
    for c in counties:
        assert len(c["columns"]) >= 20, c["id"]
        assert len({col["unit"] for col in c["columns"]}) == len(c["columns"])  # one column per unit
    hosts = {col["url"].split("/")[2] for c in counties for col in c["columns"]}
    assert len(hosts) >= 5  # own sites of departments and the shared provincial platform included


def test_county_sites_stay_out_of_the_plain_replica():
    """The 17-site replica (demo, crawl tests) is unchanged unless counties are asked for."""
    plain = Replica(seed=1)
    assert len(plain.sites()) == 17 and plain.counties() == []
    assert not any(t["site"].startswith(("qingshan", "songxi", "heyang", "qingshui", "lianxi")) for t in plain.truth())


def test_discover_finds_every_column_of_each_county_and_nothing_else(county_replica, discovered):
    by_county, _ = discovered
    for county in county_replica.counties():
        truth = {(col["url"], col["unit"]) for col in county["columns"]}
        got = {(f["url"], f["unit"]) for f in by_county[county["id"]]}
        assert got == truth, f"{county['id']}: missing {sorted(truth - got)[:5]}, extra {sorted(got - truth)[:5]}"
        families = {col["url"]: col["family"] for col in county["columns"]}
        assert all(f["family"] == families[f["url"]] for f in by_county[county["id"]])


def test_discover_says_how_it_got_there(discovered):
    by_county, _ = discovered
    township = next(f for f in by_county["qingshan"] if f["unit"] == "青山县城关镇")
    assert township["via"] == ["政务公开", "政府信息公开", "青山县城关镇", "法定主动公开内容", "政府信息公开年报"]
    police = next(f for f in by_county["qingshan"] if f["unit"] == "青山县公安局")
    assert police["via"][0] == "青山县公安局" and police["family"] == "boda"  # its own site, from 部门网站
    gov = next(f for f in by_county["heyang"] if f["unit"] == "河阳县人民政府")
    assert gov["unit_inferred"] and "/620521/" in gov["url"]  # the provincial platform, this county's part only


def test_discover_from_a_platform_page_or_a_column(county_replica):
    """Started on a 信息公开 platform (TRS zfxxgk, Hanweb unit tree, a county's part of the provincial platform,
    gkmlpt, the Hanweb xxgk module) or on a column itself: that platform's columns only."""
    port = county_replica.port
    starts = {"qingshan": f"http://127.0.0.30:{port}/zfxxgk/index.html", "songxi": f"http://127.0.0.33:{port}/col/col1001/index.html",
              "heyang": f"http://127.0.0.40:{port}/620521/xxgk/index.shtml"}
    others = [f"http://127.0.0.8:{port}/gkmlpt/index", f"http://127.0.0.9:{port}/xxgk/xxgknb.htm",
              f"http://127.0.0.6:{port}/module/xxgk/index.jsp"]
    proc = nianbao("discover", *starts.values(), *others, "--json")
    found = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    truth = {c["id"]: c["columns"] for c in county_replica.counties()}
    for cid, start in starts.items():
        got = {(f["url"], f["unit"]) for f in found if f["origin"] == start}
        platform_host = start.split("/")[2]
        expected = {(c["url"], c["unit"]) for c in truth[cid] if c["url"].split("/")[2] == platform_host}
        if cid == "songxi":  # the government's own column hangs off 政务公开, not off the platform page
            expected = {e for e in expected if "1229114100" not in e[0]}
        assert got == expected and len(got) >= 19, (cid, sorted(expected ^ got)[:4])
    assert {(f["family"], f["url"]) for f in found if f["origin"] in others} == {
        ("gd", others[0]), ("boda", others[1]), ("hanweb", others[2])}


def test_discover_output_is_a_portals_file_to_review(county_replica, discovered):
    _, out = discovered
    portals = load_portals(out)
    assert len(portals) == sum(len(c["columns"]) for c in county_replica.counties())
    assert not any(p.verified for p in portals.values())
    assert {p.options["organ"] for p in portals.values()} >= {"青山县公安局", "松溪县城关镇", "清水县财政局"}
    assert {p.region for p in portals.values()} == {"青山县", "松溪县", "河阳县", "清水县", "连溪县"}


def test_check_reads_the_discovered_entries(discovered):
    _, out = discovered
    portals = load_portals(out)
    ids = [next(p.id for p in portals.values() if p.family == fam) for fam in ("trs", "hanweb", "boda")]
    proc = nianbao("check", *ids, "--portals", str(out), "--json")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and len(results) == 3, proc.stderr[-2000:]
    assert all(r["reports"] and all(rep["year"] for rep in r["reports"]) for r in results)


def test_crawling_the_discovered_portals_archives_every_report(county_replica, discovered, tmp_path):
    _, out = discovered
    db = tmp_path / "county.db"
    proc = nianbao("crawl", "all", "--portals", str(out), "--db", str(db), "--json", "--no-progress",
                   "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", timeout=600)
    summaries = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert summaries and all(s["status"] == "ok" for s in summaries), proc.stderr[-3000:]
    county_sites = {col["site"] for c in county_replica.counties() for col in c["columns"]}
    truth = [t for t in county_replica.truth() if t["site"] in county_sites]
    assert len(truth) >= 150
    result = compare(str(db), truth, county_sites)
    assert not result.missing, result.missing[:5]


# ---------------------------------------------------------------------------- the pieces, offline


def test_column_link_texts():
    for text in ("政府信息公开年报", "信息公开年报", "政府信息公开工作年度报告", "政务公开年报", "年报", "年度报告",
                 "部门信息公开年报"):
        assert COLUMN_TEXT.match(text), text
    for text in ("青山县2024年政府信息公开工作年度报告", "政府信息公开指南", "年报解读会", "政务公开"):
        assert not COLUMN_TEXT.match(text), text


def test_unit_lists_in_json():
    tree = [{"text": "县政府部门", "children": [{"text": "县公安局", "href": "/col/col2/index.html"}]},
            {"list": [{"deptName": "城关镇", "link": "/a/index.shtml"}]}]
    assert list(json_units(tree)) == [("县公安局", "/col/col2/index.html"), ("城关镇", "/a/index.shtml")]
    assert full_unit_name("县公安局", "青山县") == "青山县公安局"
    assert full_unit_name("青山县公安局", "青山县") == "青山县公安局"


def test_unit_lists_as_jsonp_or_html_fragments():
    from crawler.discover import data_units

    base = "http://www.a.gov.cn/module/xxgk/tree.jsp"
    jsonp = Page(base, 'jQuery1123({"data": [{"name": "县财政局", "url": "/col/col9/index.html"}]});')
    assert data_units(jsonp) == [("县财政局", "http://www.a.gov.cn/col/col9/index.html")]
    fragment = Page(base, '<ul><li><a href="/col/col7/index.html">城关镇</a></li><li><a href="/x">更多</a></li></ul>')
    assert data_units(fragment) == [("城关镇", "http://www.a.gov.cn/col/col7/index.html")]


def test_one_column_however_it_is_linked():
    from crawler.discover import column_key

    assert column_key("http://a.gov.cn/zfxxgk/zfxxgknb/index.html") == column_key("http://a.gov.cn/zfxxgk/zfxxgknb/#top")
    assert column_key("http://a.gov.cn/xxgk/xxgknb.htm") != column_key("http://a.gov.cn/xxgk/xxgknb/")


def test_scope_of_a_shared_platform_is_the_county_part():
    scope = Scope()
    scope.add("http://www.a.gov.cn/", whole_host=True)
    scope.add("http://xxgk.prov.gov.cn/620521/xxgk/index.shtml", whole_host=False)
    assert scope.allows("http://www.a.gov.cn/x/y.html")
    assert scope.allows("http://xxgk.prov.gov.cn/620521/dw001/zfxxgknb/index.html")
    assert not scope.allows("http://xxgk.prov.gov.cn/620522/xxgk/index.shtml")
    assert not scope.allows("http://www.gov.cn/")


def test_only_county_government_hosts_are_claimed():
    from crawler.discover import county_of, government_host, names_county

    assert government_host("http://xxgk.gansu.gov.cn/620521/") and government_host("http://127.0.0.40:8816/")
    assert not government_host("http://www.gov.cn/zhengce/xxgk/") and not government_host("http://example.com/")
    assert county_of("广州市天河区人民政府") == "天河区" and county_of("青山县人民政府") == "青山县"
    assert names_county("广州市天河区教育局", "天河区") and names_county("县公安局", "青山县")
    assert not names_county("松溪县人民政府", "青山县")


def test_site_owner_and_ids():
    page = Page("http://www.qingshan.gov.cn/", "<html><head><title>青山县人民政府门户网站</title></head></html>")
    assert site_owner(page) == "青山县人民政府"
    assert slug("http://www.qingshan.gov.cn/") == "qingshan" and slug("http://127.0.0.30:8816/") == "127-0-0-30"


def test_portal_toml_round_trips(tmp_path):
    from crawler.discover import Column

    cols = [Column("http://www.a.gov.cn/zfxxgk/zfxxgknb/", '青山县"人民"政府', "trs", ["政务公开", "年报"], 3, "青山县",
                   "http://www.a.gov.cn/", unit_inferred=True)]
    path = tmp_path / "p.toml"
    path.write_text(portal_toml(cols, "nianbao discover http://www.a.gov.cn/"), encoding="utf-8")
    (p,) = load_portals(path).values()
    assert (p.id, p.name, p.family, p.verified) == ("a-01", '青山县"人民"政府', "trs", False)


def test_discover_tries_the_usual_paths_when_menus_lead_nowhere():
    """The plain replica sites have no homepage: the usual column paths (cms-patterns §5.3) are tried once."""
    with Replica(seed=1) as replica:
        port = replica.port
        starts = {f"http://127.0.0.2:{port}/": ("trs", "/zwgk/zfxxgk/zfxxgknb/"),
                  f"http://127.0.0.7:{port}/": ("gd", "/zwgk/xxgknb/"),
                  f"http://127.0.0.9:{port}/": ("boda", "/xxgk/xxgknb.htm")}
        proc = nianbao("discover", *starts, "--json")
    found = {f["origin"]: f for f in (json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{"))}
    assert set(found) == set(starts), proc.stderr[-2000:]
    for origin, (family, path) in starts.items():
        f = found[origin]
        assert (f["family"], f["url"]) == (family, origin.rstrip("/") + path) and f["reports"] > 0
        assert f["via"] == [f"(tried {path})"] and f["unit_inferred"]
