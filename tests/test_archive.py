"""The Archive API: identity, versions, organs, runs, gone reports, parse errors, transactions."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
from archive_helpers import REPO, ingest_reports, sample_set

from archive import ngrams
from archive.store import Archive, content_hash
from parsers.model import Check, Report


def counts(archive: Archive) -> dict[str, int]:
    return {t: archive.db[t].count for t in ("fetches", "bodies", "reports", "report_versions", "metrics", "sections",
                                              "checks", "organs", "search", "parse_errors")}


def consistent(archive: Archive) -> None:
    """Every version is whole, every report points at one of its versions, search mirrors reports."""
    conn = archive.conn
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    conn.execute("insert into search_fts(search_fts, rank) values ('integrity-check', 0)")
    half = conn.execute(
        """select v.id from report_versions v where
             n_metrics != (select count(*) from metrics m where m.version_id = v.id)
          or n_sections != (select count(*) from sections s where s.version_id = v.id)
          or n_checks != (select count(*) from checks c where c.version_id = v.id)"""
    ).fetchall()
    assert half == []
    assert conn.execute(
        "select count(*) from reports r where r.current_version_id is null or not exists"
        " (select 1 from report_versions v where v.id = r.current_version_id and v.report_id = r.id)"
    ).fetchone()[0] == 0
    assert conn.execute("select count(*) from reports").fetchone() == conn.execute("select count(*) from search").fetchone()


@pytest.fixture()
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as a:
        yield a


def test_generated_archive_is_complete(archive):
    reports = sample_set(30, range(2015, 2026))  # 330 reports over 11 years
    assert len(reports) >= 300
    results = ingest_reports(archive, reports)
    assert Counter(r.outcome for r in results) == {"new_report": len(reports)}
    c = counts(archive)
    assert c["reports"] == c["report_versions"] == c["search"] == len(reports)
    assert c["metrics"] == sum(len(r.metrics) for r in reports)
    assert c["sections"] == sum(len(r.sections) for r in reports)
    assert c["checks"] == sum(len(r.checks) for r in reports)
    assert c["organs"] == 30
    consistent(archive)
    # every stored value is the report's value
    rep = reports[57]
    rid = results[57].report_id
    stored = dict(archive.conn.execute(
        "select key, value from metrics where version_id = (select current_version_id from reports where id = ?)", (rid,)))
    assert stored == rep.metrics
    wide = archive.conn.execute('select "t3.new.total", year from report_metrics where report_id = ?', (rid,)).fetchone()
    assert wide == (rep.metrics.get("t3.new.total"), rep.meta["year"])
    labels = archive.conn.execute("select label from current_metrics where report_id = ? and key = 't3.new.total'", (rid,))
    assert [r[0] for r in labels] == (["一、本年新收政府信息公开申请数量 | 总计"] if "t3.new.total" in rep.metrics else [])


def test_same_content_twice_adds_nothing_and_a_change_adds_one_version(archive):
    reports = sample_set(4, range(2019, 2024))
    ingest_reports(archive, reports)
    before = counts(archive)
    again = ingest_reports(archive, reports)
    assert {r.outcome for r in again} == {"unchanged"}
    after = counts(archive)
    assert {k: v for k, v in after.items() if k != "fetches"} == {k: v for k, v in before.items() if k != "fetches"}
    assert after["bodies"] == before["bodies"]  # identical bodies stored once

    changed = copy.deepcopy(reports[2])
    changed.metrics["t3.new.total"] = (changed.metrics.get("t3.new.total") or 0) + 7
    changed.text += "补充说明。"
    old_version = again[2].version_id
    result = ingest_reports(archive, [changed])[0]
    assert result.outcome == "new_version" and result.report_id == again[2].report_id
    assert archive.db["report_versions"].count == before["report_versions"] + 1
    assert archive.conn.execute("select current_version_id, versions from reports where id = ?",
                                (result.report_id,)).fetchone() == (result.version_id, 2)
    old = dict(archive.conn.execute("select key, value from metrics where version_id = ?", (old_version,)))
    assert old == reports[2].metrics  # the old version is kept as it was
    hits = archive.conn.execute("select rowid from search_fts where search_fts match ?", (ngrams.fts_query("补充说明"),))
    assert [r[0] for r in hits] == [result.report_id]  # the index follows the new version
    consistent(archive)


def _report(organ, year=2021, text="本年度未收取信息处理费。", metrics=None):
    return Report(source="t", meta={"organ": organ, "year": year, "format": "2021", "title": f"{organ}{year}年报告"},
                  metrics=metrics or {"t3.new.total": 1}, checks=[Check("c", True, "ok")],
                  sections={"总体情况": text}, text=text)


def _ingest(archive, rep, url, portal="p1"):
    fid = archive.record_fetch(url, status=200, headers={}, body=rep.text.encode(), fetched_at=None, portal_id=portal)
    return archive.ingest(fid, rep)


def test_organ_name_variants_are_one_organ_within_a_portal_and_region(archive):
    archive.upsert_portal("p1", name="中卫市人民政府", region="宁夏回族自治区中卫市")
    archive.upsert_portal("p2", name="别的门户", region="宁夏回族自治区中卫市")
    a = _ingest(archive, _report("香山乡", 2020), "http://x/1")
    b = _ingest(archive, _report("香山乡人民政府", 2021), "http://x/2")
    c = _ingest(archive, _report("沙坡头区香山乡", 2022), "http://x/3")
    d = _ingest(archive, _report("香山乡", 2020), "http://y/1", portal="p2")
    e = _ingest(archive, _report("兴仁镇", 2020), "http://x/4")
    organ_of = lambda r: archive.conn.execute("select organ_id from reports where id = ?", (r.report_id,)).fetchone()[0]  # noqa: E731
    assert organ_of(a) == organ_of(b) == organ_of(c)
    assert organ_of(d) != organ_of(a) and organ_of(e) != organ_of(a)
    names = archive.conn.execute("select names from organs where id = ?", (organ_of(a),)).fetchone()[0]
    assert set(json.loads(names)) == {"香山乡", "香山乡人民政府", "沙坡头区香山乡"}
    # same organ x year from the same portal again: one report
    f = _ingest(archive, _report("沙坡头区香山乡人民政府", 2020, text="改过的文字。"), "http://x/1b")
    assert f.report_id == a.report_id and f.outcome == "new_version"


def test_report_without_organ_is_keyed_by_portal_and_url(archive):
    r1 = _ingest(archive, _report(None, 2023), "http://x/anon")
    r2 = _ingest(archive, _report(None, 2023, text="第二版。"), "http://x/anon")
    r3 = _ingest(archive, _report(None, 2023), "http://x/other")
    assert r1.outcome == "new_report" and r2.outcome == "new_version" and r2.report_id == r1.report_id
    assert r3.outcome == "new_report" and r3.report_id != r1.report_id
    # a later parse that finds the organ takes the URL-keyed report over
    r4 = _ingest(archive, _report("河东镇", 2023), "http://x/anon")
    assert r4.report_id == r1.report_id
    consistent(archive)


def test_two_urls_with_different_contents_for_one_report_do_not_flip_flop(archive):
    first = _ingest(archive, _report("河东镇", 2023, text="正式版。"), "http://x/a")
    second = _ingest(archive, _report("河东镇", 2023, text="列表页。"), "http://x/b")
    assert second.outcome == "new_version"
    again = [_ingest(archive, _report("河东镇", 2023, text=t), u).outcome
             for t, u in [("正式版。", "http://x/a"), ("列表页。", "http://x/b")] * 2]
    assert again == ["unchanged"] * 4
    assert archive.db["report_versions"].count == 2 and first.report_id == second.report_id


def test_parse_errors_are_archived_and_runs_count(archive):
    archive.upsert_portal("p1", name="门户", region="福建省", start_urls=["http://x/"], family="trs", schedule="season",
                          enabled=True)
    run = archive.start_run("p1")
    fid = archive.record_fetch("http://x/bad", status=200, headers={"Content-Type": "text/html"}, body=b"\x00garbage",
                               fetched_at=1_700_000_000, run_id=run, portal_id="p1")
    result = archive.ingest(fid, None, error="ParseError: http://x/bad: empty body")
    assert result.outcome == "parse_error"
    assert archive.body(archive.fetch(fid)["sha256"]) == b"\x00garbage"
    good = _ingest(archive, _report("河东镇"), "http://x/good")
    bad_report = _report("河东镇", 2024, metrics={"t9.bogus": 1})
    assert _ingest(archive, bad_report, "http://x/bogus").outcome == "parse_error"
    archive.finish_run(run, "ok")
    row = archive.conn.execute("select status, requests, parse_errors, finished is not null, portal from crawl_runs"
                               " where id = ?", (run,)).fetchone()
    assert row == ("ok", 1, 1, 1, "p1")
    assert good.outcome == "new_report"
    errors = archive.conn.execute("select url, error from parse_errors order by id").fetchall()
    assert errors[0] == ("http://x/bad", "ParseError: http://x/bad: empty body")
    assert "unknown metric keys: t9.bogus" in errors[1][1]
    with pytest.raises(ValueError, match="status must be one of"):
        archive.finish_run(run, "great")
    with pytest.raises(ValueError, match="unknown stats"):
        archive.finish_run(run, "ok", pages=3)
    assert archive.add_alert("p1", "blocked", "403 on every page", run_id=run) == 1
    assert archive.resolve_alerts("p1") == 1
    assert archive.conn.execute("select cms_family, province from portals where id = 'p1'").fetchone() == ("trs", "福建")


def test_validators_come_from_the_last_200(archive):
    url = "http://x/page"
    assert archive.validators(url) == {}
    archive.record_fetch(url, status=200, headers={b"ETag": [b'"v1"'], "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
                         body=b"a", fetched_at="2024-01-01T00:00:00+00:00")
    archive.record_fetch(url, status=304, headers={"ETag": '"v2"'}, body=b"", fetched_at="2024-02-01T00:00:00+00:00")
    assert archive.validators(url) == {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}


def test_a_refused_200_neither_validates_nor_is_read_after_a_304(archive):
    """A later 200 that was refused (a soft 404 whose parse failed) is not the body a 304 vouches for: the
    validators and the body read again after a 304 both come from the last good response."""
    url = "http://x/page"
    good = archive.record_fetch(url, status=200, headers={"ETag": '"v1"'}, body=b"report",
                                fetched_at="2024-01-01T00:00:00+00:00")
    refused = archive.record_fetch(url, status=200, headers={"ETag": '"404"'}, body=b"not found",
                                   fetched_at="2024-02-01T00:00:00+00:00")
    archive.ingest(refused, None, error="ParseError: http://x/page: not a report: a 404 page", url=url)
    assert archive.latest_fetch(url, status=200)["id"] == refused
    assert archive.validating_fetch(url)["id"] == good
    assert archive.validators(url) == {"If-None-Match": '"v1"'}


def test_a_page_that_now_reads_as_another_year_replaces_its_old_report(archive):
    """One URL carries one report: a corrected title (2022 -> 2023) leaves the old reading `replaced` (kept,
    out of current metrics, diffs, search queries and mark_seen), and reading it the old way again restores it."""
    from archive.diff import years

    old = _ingest(archive, _report("河东镇", 2022), "http://x/nb")
    other = _ingest(archive, _report("河东镇", 2021), "http://x/nb2021")
    new = _ingest(archive, _report("河东镇", 2023), "http://x/nb")
    assert new.outcome == "new_report" and new.report_id != old.report_id
    status = lambda: dict(archive.conn.execute("select year, status from reports"))  # noqa: E731
    assert status() == {2021: "current", 2022: "replaced", 2023: "current"}
    archive.mark_seen("http://x/nb")
    assert status()[2022] == "replaced"
    organ_id = archive.conn.execute("select organ_id from reports where id = ?", (new.report_id,)).fetchone()[0]
    assert [y.year for y in years(archive.conn, organ_id)] == [2021, 2023]
    in_view = {r[0] for r in archive.conn.execute("select year from report_metrics")}
    assert in_view == {2021, 2023}
    again = _ingest(archive, _report("河东镇", 2022), "http://x/nb")
    assert again.report_id == old.report_id and again.outcome == "unchanged"
    assert status() == {2021: "current", 2022: "current", 2023: "replaced"}
    assert other.report_id not in (old.report_id, new.report_id) and archive.db["reports"].count == 3
    consistent(archive)


def test_gone_reports_stay_and_come_back(archive):
    archive.upsert_portal("p1", name="门户")
    urls = [f"http://x/{i}" for i in range(3)]
    for i, url in enumerate(urls):
        _ingest(archive, _report("河东镇", 2020 + i), url)
    run = archive.start_run("p1")
    assert archive.mark_gone("p1", urls[:1], run) == 2
    status = lambda: [r[0] for r in archive.conn.execute("select status from reports order by year")]  # noqa: E731
    assert status() == ["current", "gone", "gone"]
    assert archive.conn.execute("select gone_reports from crawl_runs where id = ?", (run,)).fetchone()[0] == 2
    archive.mark_seen(urls[1], run)
    _ingest(archive, _report("河东镇", 2022), urls[2])
    assert status() == ["current", "current", "current"]
    assert archive.db["reports"].count == 3


KILLER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
    import sample
    from archive.store import Archive
    from archive_helpers import ingest_reports
    archive = Archive(sys.argv[1])
    for i, rep in enumerate(sample.reports(400, range(2015, 2026), seed=int(sys.argv[2]))):
        ingest_reports(archive, [rep])
        if i == 20:
            print("ready", flush=True)
""")


def test_sigkill_mid_write_leaves_no_half_report(tmp_path):
    db = tmp_path / "k.db"
    script = tmp_path / "writer.py"
    script.write_text(KILLER.format(repo=str(REPO), tests=str(REPO / "tests")))
    for attempt, delay in enumerate((0.05, 0.3, 0.7)):
        proc = subprocess.Popen([sys.executable, str(script), str(db), str(attempt)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Archive(db) as archive:
            assert archive.db["reports"].count > 20
            consistent(archive)


def test_inferred_cells_are_stored_with_their_version(archive):
    """Cells the document's own sums placed are listed with the version (JSON), null when there are none;
    they are part of the version's content."""
    plain = _report("城关镇")
    chosen = _report("城关镇", metrics={"t3.new.natural": 1, "t3.new.total": 1})
    chosen.inferred = ["t3.new.natural", "t3.new.total"]
    for rep in (plain, chosen):
        _ingest(archive, rep, "http://a.gov.cn/nb.html")
    rows = archive.conn.execute("select inferred from report_versions order by id").fetchall()
    assert [r[0] for r in rows] == [None, '["t3.new.natural", "t3.new.total"]']
    assert content_hash(chosen) != content_hash(_report("城关镇", metrics=chosen.metrics))
