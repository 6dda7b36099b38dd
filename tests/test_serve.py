"""A real `nianbao serve` (Datasette on 127.0.0.1): exact search in the JSON API, canned queries, read-only."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import urllib.parse

import pytest
from archive_helpers import EVIL_ORGAN, EVIL_TITLE, get, get_json, served, served_archive_db, truth_ids

from archive.metadata import QUERIES

QUERIES_TO_CHECK = ["复议", "公开", "依申请公开", "信息处理费", "费", "决策、执行", "行政复议 诉讼", "“三公”"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, corpus):
    db = served_archive_db(tmp_path_factory, corpus)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with served(db) as base:
        yield base, db
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest  # serving never changed the file


def q(text: str) -> str:
    return urllib.parse.quote(text)


@pytest.mark.parametrize("query", QUERIES_TO_CHECK)
def test_search_json_api_is_exact(server, query):
    base, db = server
    truth = truth_ids(db, query)
    assert truth, query  # the archive has matches for every query checked
    page = get_json(f"{base}/archive/search.json?_search={q(query)}&_col=id&_shape=objects&_size=max")
    assert page["filtered_table_rows_count"] == len(truth)
    assert sorted(r["id"] for r in page["rows"]) == truth
    canned = get_json(f"{base}/archive/search_reports.json?q={q(query)}&_shape=array")
    assert sorted(r["report_id"] for r in canned) == truth


def test_search_misses_return_nothing(server):
    base, _ = server
    page = get_json(f"{base}/archive/search.json?_search={q('鑫鑫鑫')}&_size=0")
    assert page["filtered_table_rows_count"] == 0


def test_canned_queries_answer(server):
    base, db = server
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    timeline = get_json(f"{base}/archive/organ_timeline.json?organ={q('平潭')}&_shape=array")
    assert [r["year"] for r in timeline] == list(range(2018, 2026))
    failed = get_json(f"{base}/archive/failed_checks.json?_shape=array")
    assert len(failed) == conn.execute(
        "select count(*) from checks c join reports r on r.current_version_id = c.version_id where c.passed = 0").fetchone()[0]
    broken = get_json(f"{base}/archive/broken_carry_over.json?_shape=array")
    for row in broken:
        assert row["carried_forward"] != row["carried_over"] and row["year"] == row["previous_year"] + 1
    assert broken  # the generated set breaks ~1 year in 10
    changes = get_json(f"{base}/archive/largest_changes.json?region=&key={q('t3.%.total')}&_shape=array")
    deltas = [abs(r["delta"]) for r in changes]
    assert deltas == sorted(deltas, reverse=True) and deltas
    for r in changes:
        assert r["percent"] == (round(100 * r["delta"] / abs(r["old"]), 1) if r["old"] else None)
    by_year = get_json(f"{base}/archive/region_by_year.json?region={q('宁夏')}&_shape=array")
    assert by_year and all(type(r["报告数"]) is int for r in by_year)
    assert isinstance(get_json(f"{base}/archive/published_late.json?region=&_shape=array"), list)
    status, page = get(f"{base}/-/rollup?region={q('宁夏')}")
    assert status == 200 and page.count(b"<svg") == 6
    missing = get_json(f"{base}/archive/missing_years.json?year=&_shape=array")
    assert {"organ", "missing_year"} <= set(missing[0]) if missing else True
    assert {"search_reports", "organ_timeline", "largest_changes", "failed_checks", "broken_carry_over",
            "missing_years"} <= set(QUERIES)


def test_metadata_labels_units_and_facets(server):
    base, _ = server
    meta = get_json(f"{base}/-/metadata.json")
    tables = meta["databases"]["archive"]["tables"]
    assert tables["report_metrics"]["columns"]["t3.new.total"].startswith("一、本年新收政府信息公开申请数量")
    assert tables["report_metrics"]["columns"]["t2.fees.amount"].endswith("（万元）")
    assert "units" not in tables["report_metrics"]  # Datasette's pint shows 17477 件 as "17.477 k件"
    facets = get_json(f"{base}/archive/reports.json?_size=0")["facet_results"]
    assert {"province", "year", "format", "check_status"} <= set(facets)


def test_report_pages_link_to_the_diff(server):
    base, _ = server
    status, html = get(f"{base}/archive/reports?organ={q('平潭综合实验区')}")
    assert status == 200 and b"/-/diff?db=archive&amp;organ_id=" in html
    status, page = get(f"{base}/-/diff?organ={q('平潭综合实验区')}&from=2022&to=2023")
    assert status == 200 and page.count(b"<svg") == 8 and "平潭综合实验区".encode() in page
    assert b"<header><nav>" in page and b'<footer class="ft">' in page  # inside Datasette's page, like the others
    status, page = get(f"{base}/-/diff?organ={q('没有这个机关')}")
    assert status == 404 and b"<header><nav>" in page


def test_writes_are_refused(server):
    base, db = server
    before = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True).execute("select count(*) from organs").fetchone()[0]
    for sql in ("insert into organs(key, name, core) values ('x', 'x', 'x')", "delete from reports",
                "update reports set year = 1", "drop table reports", "pragma journal_mode=delete"):
        status, body = get(f"{base}/archive.json?sql={q(sql)}")
        assert status in (400, 403), (sql, status, body[:200])
    for method, path in [("POST", "/archive/search_reports"), ("POST", "/archive/organs/-/insert"),
                         ("PUT", "/archive/organs"), ("DELETE", "/archive/reports/1"), ("POST", "/-/login")]:
        status, body = get(base + path, method=method, data=b"q=x")
        assert status == 405, (method, path, status, body[:200])
    dbs = get_json(f"{base}/-/databases.json")
    assert [(d["name"], d["is_mutable"]) for d in dbs] == [("archive", False)]
    plugins = [p["name"] for p in get_json(f"{base}/-/plugins.json")]
    assert plugins == ["nianbao"]  # ours only (archive.datasette_plugin, by its entry point): no write or upload plugin
    assert not any(query.get("write") for query in get_json(f"{base}/-/metadata.json")["databases"]["archive"]["queries"].values())
    after = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True).execute("select count(*) from organs").fetchone()[0]
    assert after == before


def test_portal_text_is_data_not_sql_or_path(server):
    base, db = server
    rows = get_json(f"{base}/archive/reports.json?_shape=array&organ={q(EVIL_ORGAN)}")
    assert [r["title"] for r in rows] == [EVIL_TITLE]
    page = get_json(f"{base}/archive/search.json?_search={q('passwd <script>')}&_col=title&_shape=array")
    assert [r["title"] for r in page] == [EVIL_TITLE]
    status, html = get(f"{base}/archive/reports?organ={q(EVIL_ORGAN)}")
    assert status == 200 and b'<script>alert("x")' not in html
    status, _ = get(f"{base}/-/diff?organ={q(EVIL_ORGAN)}")
    assert status == 404  # one year only: a clear message, not a server error
    status, body = get(f"{base}/-/diff?organ_id=1%20or%201=1")
    assert status == 400
    assert json.loads(json.dumps(EVIL_TITLE)) == EVIL_TITLE


def test_metric_pages_answer_with_integer_counts_and_decimal_amounts(server):
    base, _ = server
    for path in ("/archive/report_metrics", "/archive/current_metrics", "/archive/metrics", "/archive/metric_keys"):
        status, body = get(base + path)
        assert status == 200, (path, body[:300])
    rows = get_json(f"{base}/archive/report_metrics.json?_shape=array&_size=max")
    counts = [r["t3.new.total"] for r in rows if r["t3.new.total"] is not None]
    assert counts and all(type(v) is int for v in counts)
    fees = [r["t2.fees.amount"] for r in rows if r["t2.fees.amount"] is not None]
    assert fees and all(type(v) is float for v in fees)
    status, html = get(f"{base}/archive/report_metrics?_size=5")
    assert status == 200


def test_csv_with_chinese_headers(server):
    base, db = server
    status, body = get(f"{base}/-/metrics.csv")
    assert status == 200
    lines = body.decode("utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["报告编号", "机关", "年度", "省份", "模板"]
    assert "一、本年新收政府信息公开申请数量 | 总计（件）" in header
    fees = header.index("第二十条第（八）项 行政事业性收费 本年收费金额（单位：万元）（万元）")
    new = header.index("一、本年新收政府信息公开申请数量 | 总计（件）")
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    assert len(lines) - 1 == conn.execute("select count(*) from reports where status != 'replaced'").fetchone()[0]
    rows = [line.split(",") for line in lines[1:] if "," in line]
    assert any(r[new].isdigit() for r in rows) and not any(r[new].endswith(".0") for r in rows)
    assert all("." in r[fees] for r in rows if len(r) > fees and r[fees])
    status, body = get(f"{base}/-/metrics.csv?year=2022&headers=keys")
    keyed = body.decode("utf-8").splitlines()
    assert keyed[0].startswith("report_id,organ,year,") and all(",2022," in line for line in keyed[1:])
    assert get(f"{base}/-/metrics.csv?year=x")[0] == 400


def test_sql_functions_cap_their_input(server):
    base, _ = server
    sql = "select length(escape_fts(printf('%.*c', 15000000, 'x'))) as n"
    started = time.monotonic()
    status, body = get(f"{base}/archive.json?sql={q(sql)}")
    assert time.monotonic() - started < 2
    assert status in (200, 400) and b"raised exception" in body
    ok = get_json(f"{base}/archive.json?sql={q('select escape_fts(:s) as e')}&s={q('复议')}&_shape=array")
    assert ok[0]["e"]


def test_plugin_pages_escape_portal_text_and_answer_errors(server):
    base, db = server
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    report_id, organ_id = conn.execute("select id, organ_id from reports where organ = ?", (EVIL_ORGAN,)).fetchone()
    for path in (f"/-/report/{report_id}", f"/-/organ/{organ_id}", f"/-/search?q={q('passwd <script>')}",
                 f"/-/rollup?region={q(EVIL_ORGAN)}", f"/-/rollup?region={q('<script>alert(1)')}"):
        status, html = get(base + path)
        assert status == 200 and b"<script>alert" not in html, path
        assert b"&lt;script&gt;alert" in html or path.startswith("/-/rollup?region=%E9"), path
    assert get(f"{base}/-/report/999999")[0] == 404 and get(f"{base}/-/organ/999999")[0] == 404
    assert get(f"{base}/-/search?q=x&year=abc")[0] == 400
    assert get(f"{base}/-/search?q={q('字' * 1001)}")[0] == 400
    status, body = get(f"{base}/-/report/{report_id}/original?fetch=1")
    assert status == 404  # a fetch of another report is not served under this one


def test_a_stopped_server_leaves_no_temporary_files(tmp_path_factory, corpus, tmp_path):
    """`nianbao serve` writes its metadata to a temporary folder; SIGTERM (how services are stopped) removes it."""
    db = served_archive_db(tmp_path_factory, corpus)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with served(db, env={**os.environ, "TMPDIR": str(tmpdir)}) as base:
        assert get(base + "/-/versions.json")[0] == 200
        assert [p.name[:14] for p in tmpdir.iterdir()] == ["nianbao-serve-"]
    assert list(tmpdir.iterdir()) == []
