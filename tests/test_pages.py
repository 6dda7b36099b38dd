"""The data behind the served pages: report tables, the original file, organ years, places, search, CSV."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date

import pytest
from archive_helpers import ingest_reports, served_archive_db, truth_ids
from click.testing import CliRunner

from archive import kinds, pages, places, rollups
from archive import search as fulltext
from archive.store import Archive
from nianbao.cli import main
from parsers.model import Report


def _report(organ: str, year: int, metrics: dict, fmt: str = "2021") -> Report:
    return Report(source=f"{organ}{year}", meta={"organ": organ, "year": year, "format": fmt, "title": f"{organ}{year}年报"},
                  metrics=metrics, sections={"总体情况": "本年度收到申请。"}, text="本年度收到申请。")


@pytest.fixture()
def small(tmp_path):
    db = tmp_path / "small.db"
    with Archive(db) as archive:
        ingest_reports(archive, [
            _report("四川省广元市青川县财政局", 2019, {"t3.new.total": 5, "t3.granted.total": None, "t2.fees.amount": 1.5}),
            _report("四川省广元市青川县财政局", 2021, {"t3.new.total": 7}),
            _report("四川省广元市青川县财政局", 2023, {"t3.new.total": 9}),
        ])
    return db


def test_report_page_cells_distinguish_value_blank_absent(small):
    conn = sqlite3.connect(small)
    report_id = conn.execute("select id from reports where year = 2019").fetchone()[0]
    data = pages.report(conn, report_id)
    t3 = {c.key: c for row in data["tables"]["t3"]["rows"] for c in row["cells"]}
    assert (t3["t3.new.total"].state, t3["t3.new.total"].text) == ("value", "5")
    assert (t3["t3.granted.total"].state, t3["t3.granted.total"].text) == ("blank", "空")
    assert t3["t3.new.natural"].state == "absent"
    t2 = {c.key: c for block in data["tables"]["t2"]["blocks"] for row in block["rows"] for c in row["cells"] if c}
    assert t2["t2.fees.amount"].text == "1.5"
    assert [b["article"] for b in data["tables"]["t2"]["blocks"]] == [
        "第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert data["organ"]["province"] == "四川省" and data["inferred"] == []


def test_inferred_cells_are_read_from_the_archive_when_recorded(small):
    conn = sqlite3.connect(small)
    conn.execute("update report_versions set inferred = ?", (json.dumps(["t3.new.total"]),))
    report_id = conn.execute("select id from reports where year = 2019").fetchone()[0]
    t3 = {c.key: c for row in pages.report(conn, report_id)["tables"]["t3"]["rows"] for c in row["cells"]}
    assert t3["t3.new.total"].state == "inferred" and t3["t3.new.total"].value == 5


def test_original_is_the_stored_body_with_its_name(small):
    conn = sqlite3.connect(small)
    report_id = conn.execute("select id from reports where year = 2021").fetchone()[0]
    data, content_type, name = pages.original(conn, report_id)
    assert data == "本年度收到申请。".encode() and content_type == "text/html" and name == "2021.html"
    other = conn.execute("select id from fetches where id not in (select fetch_id from report_versions"
                         " where report_id = ?)", (report_id,)).fetchone()[0]
    assert pages.original(conn, report_id, other) is None  # only this report's own fetches


def test_file_name_from_content_disposition():
    fetch = {"headers": json.dumps({"content-disposition": "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf"}),
             "url": "http://x/download.jsp?id=3", "content_type": "application/pdf"}
    assert pages.file_name(fetch, {}) == "年报.pdf"
    assert pages.file_name({"url": "http://x/download.jsp?id=3", "content_type": "application/pdf"},
                           {"organ": "某局", "year": 2022}) == "某局-2022.pdf"


def test_organ_years_missing_and_not_yet_due(small):
    conn = sqlite3.connect(small)
    organ_id = conn.execute("select id from organs").fetchone()[0]
    data = pages.organ(conn, organ_id, today=date(2025, 3, 31))  # 2024's report is due after 31 March 2025
    assert [r["year"] for r in data["reports"]] == [2019, 2021, 2023]
    assert data["missing"] == [2020, 2022] and data["not_due"] == [2024]
    assert pages.organ(conn, organ_id, today=date(2025, 4, 1))["missing"] == [2020, 2022, 2024]


@pytest.mark.parametrize("name, expected", [
    ("青川县上河镇人民政府", ("四川省", "广元市", "青川县")),
    ("宁夏回族自治区中卫市沙坡头区香山乡人民政府", ("宁夏回族自治区", "中卫市", "沙坡头区")),
    ("北京市朝阳区人民政府", ("北京市", "北京市", "朝阳区")),
    ("广东省人民政府", ("广东省", None, None)),
])
def test_places_from_the_gazetteer(name, expected):
    place = places.place_of(name)
    assert (place.province, place.city, place.county) == expected


def test_places_need_a_full_name_and_no_ambiguity():
    assert places.place_of("青川人民政府") is None  # 青川 without 县 is not a division name
    assert places.place_of("朝阳区人民政府") is None  # 北京 and 长春 both have one
    assert places.place_of("长乐镇人民政府", "松阳县人民政府").county == "松阳县"  # the portal places a town
    assert places.organ_place("平潭综合实验区", None, None, "福建") == ("福建省", None)


def test_body_kinds():
    assert kinds.body_kind("application/pdf") == "pdf"
    assert kinds.body_kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document") == "docx"
    assert kinds.body_kind(None, "http://x/a/b.DOC") == "doc"
    assert kinds.body_kind("text/html; charset=GBK") == "html" and kinds.body_kind(None, "http://x/") is None


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory, corpus):
    return served_archive_db(tmp_path_factory, corpus)


@pytest.mark.parametrize("query", ["复议", "信息处理费", "费", "行政复议 诉讼"])
def test_search_is_exact_with_snippets_and_facets(archive_db, query):
    conn = sqlite3.connect(f"{archive_db.as_uri()}?mode=ro", uri=True)
    truth = set(truth_ids(archive_db, query)) - {r[0] for r in conn.execute("select id from search where status = 'replaced'")}
    results = fulltext.search(conn, query, limit=10_000)
    assert results.total == len(truth) and {r["id"] for r in results.rows} == truth
    for name in fulltext.FACETS:
        assert sum(n for _, n in results.facets[name]) == results.total
    words = query.split()
    for row in results.rows[:50]:
        hits = {text for snippet in row["snippets"] for text, hit in snippet if hit}
        assert all(any(w == h for h in hits) for w in words), (row["id"], hits)
    year = results.facets["year"][0][0]
    narrowed = fulltext.search(conn, query, fulltext.Filters(year=year), limit=10_000)
    assert narrowed.total == dict(results.facets["year"])[year] and all(r["year"] == year for r in narrowed.rows)


def test_search_refuses_a_huge_query(archive_db):
    conn = sqlite3.connect(f"{archive_db.as_uri()}?mode=ro", uri=True)
    with pytest.raises(fulltext.QueryTooLong):
        fulltext.search(conn, "字" * 15_000_000)


def test_search_cli_json_with_year_and_province(archive_db):
    result = CliRunner().invoke(main, ["search", "复议", "--db", str(archive_db), "--json", "--year", "2022",
                                       "--province", "宁夏"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == len(data["reports"]) > 0
    assert all(r["year"] == 2022 and "宁夏" in r["province"] and "【复议】" in "".join(r["snippets"]) for r in data["reports"])


def test_metrics_csv_headers_and_numbers(small):
    conn = sqlite3.connect(small)
    table = list(csv.reader(io.StringIO(pages.metrics_csv(conn))))
    header = table[0]
    new, fees = header.index("一、本年新收政府信息公开申请数量 | 总计（件）"), header.index(
        "第二十条第（八）项 行政事业性收费 本年收费金额（单位：万元）（万元）")
    assert [row[new] for row in table[1:]] == ["9", "7", "5"]
    assert [row[fees] for row in table[1:]] == ["", "", "1.5"]
    keyed = list(csv.reader(io.StringIO(pages.metrics_csv(conn, year=2021, chinese=False))))
    assert keyed[0][:3] == ["report_id", "organ", "year"] and len(keyed) == 2


def test_region_by_year_sums_the_metrics(archive_db):
    conn = sqlite3.connect(f"{archive_db.as_uri()}?mode=ro", uri=True)
    rows = {r["年度"]: r for r in rollups.by_year(conn, "宁夏")}
    assert rows
    for year, row in rows.items():
        ids = [r[0] for r in conn.execute("select current_version_id from reports where status != 'replaced' and year = ?"
                                          " and (province like '%宁夏%' or organ like '%宁夏%')", (year,))]
        assert row["报告数"] == len(ids)
        values = [v for (v,) in conn.execute(
            f"select value from metrics where key = 't3.new.total' and version_id in ({','.join('?' * len(ids))})", ids)]
        assert row["新收申请"] == (sum(v for v in values if v is not None) if any(v is not None for v in values) else None)
        assert row["新收申请"] is None or type(row["新收申请"]) is int


def test_published_late_and_missing_years(small):
    conn = sqlite3.connect(small)
    conn.execute("update report_versions set date = '2022-04-02' where year = 2021")
    late = rollups.compliance(conn, "青川县")["late"]
    assert [(r["year"], r["迟延天数"]) for r in late] == [(2021, 2)]
    missing = [r["missing_year"] for r in rollups.compliance(conn, "青川县")["missing"]]
    assert {2020, 2022} <= set(missing) and 2019 not in missing and 2023 not in missing
    assert rollups.compliance(conn, "广东")["missing"] == []


def test_region_matches_a_city_by_division_code(tmp_path):
    db = tmp_path / "city.db"
    with Archive(db) as archive:
        ingest_reports(archive, [_report("青川县财政局", 2022, {"t3.new.total": 4})])
    conn = sqlite3.connect(db)
    assert conn.execute("select region_code from organs").fetchone()[0] == "510822000000"
    assert [(r["年度"], r["新收申请"]) for r in rollups.by_year(conn, "广元市")] == [(2022, 4)]
    assert rollups.by_year(conn, "汕头市") == [] and places.region_prefix("朝阳区") == "-"
