"""End to end: `nianbao crawl --replica` over every replica site, three times on one archive.

Run 1 archives everything; run 2 (nothing changed, incremental) downloads no report body again and sends
at most a fifth of run 1's requests; then the replica changes 5 reports, adds 3 and removes 2, and run 3
(`--full`: every listing whole, every known report re-checked) stores exactly that. Crawls run in subprocesses
(the Twisted reactor cannot restart); the replica runs here, so its counters see every request.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from replica import Replica
from nianbao.truthcheck import compare

REPO = Path(__file__).resolve().parents[1]
HOSTILE = {"hostile-412", "hostile-521", "hostile-429", "hostile-robots"}


def nianbao_crawl(replica: Replica, db: Path, *ids: str, full: bool = False) -> dict[str, dict]:
    """Run `nianbao crawl` in a subprocess; its per-portal JSON summaries by portal id."""
    cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "crawl",
           *(ids or ("all",)), "--replica", replica.control_url, "--db", str(db), "--json", "--no-progress",
           *(["--full"] if full else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"crawl printed no summary; stderr:\n{proc.stderr[-3000:]}"
    return {s["portal"]: s for s in lines}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The three runs: (db, [(summaries, replica stats, truth comparison after the run)], truths, sites)."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    with Replica(seed=1, rate_limit=10_000) as replica:
        runs = []
        truths = []
        sites = replica.sites()
        compared = {s["id"] for s in sites} - HOSTILE - {"gkmlpt"}
        for i in range(3):
            if i == 2:
                replica.change(5, seed=3)
                replica.add(3, seed=3)
                replica.remove(2, seed=3)
            replica.reset_stats()
            summaries = nianbao_crawl(replica, db, full=i == 2)
            truths.append(replica.truth())
            runs.append((summaries, replica.stats(), compare(str(db), truths[-1], compared)))
        yield db, runs, truths, sites


def test_every_served_report_is_archived_with_its_metrics(crawled):
    db, runs, truths, sites = crawled
    c = runs[0][2]
    assert len({t["detail_url"] for t in truths[0] if t["site"] not in HOSTILE}) >= 400
    assert not c.missing, f"not archived: {c.missing[:5]}"
    # HTML and DOCX must be exact; PDF too on the replica (its PDFs are text PDFs)
    assert c.carrier_ratio("html") == 1.0, c.wrong[:5]
    assert c.carrier_ratio("docx") == 1.0, c.wrong[:5]
    assert c.carrier_ratio("pdf") >= 0.99, c.wrong[:5]
    years = {t["year"] for t in truths[0]}
    assert min(years) <= 2013 and max(years) >= 2025


def test_each_report_keeps_the_title_it_was_listed_under(crawled):
    """The listing title is the parser's first hint; it is stored with the fetch so `reparse` reads alike."""
    db, runs, truths, sites = crawled
    listed = {t["detail_url"]: t["title"] for t in truths[0] if t["site"] not in HOSTILE}
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("select r.url, f.listing_title from reports r join fetches f on f.id = r.fetch_id"))
    checked = [url for url in stored if url in listed]
    assert len(checked) >= 400
    assert [u for u in checked if not stored[u] or stored[u].strip() != listed[u].strip()] == []


def test_gkmlpt_reports_are_archived(crawled):
    """gkmlpt pages carry the report only JSON-escaped in `_CONFIG.DETAIL`: archived, metrics up to the parser."""
    db, runs, truths, sites = crawled
    conn = sqlite3.connect(db)
    urls = {u for (u,) in conn.execute("select url from reports where portal_id = 'gkmlpt'")}
    assert urls == {t["detail_url"] for t in truths[0] if t["site"] == "gkmlpt"} and len(urls) == 130


def test_run_status_per_portal(crawled):
    db, runs, truths, sites = crawled
    first = runs[0][0]
    assert {p for p, s in first.items() if s["status"] == "blocked"} == {"hostile-412", "hostile-521", "hostile-robots"}
    assert "瑞数" in first["hostile-412"]["error"] and "加速乐" in first["hostile-521"]["error"]
    assert "robots.txt" in first["hostile-robots"]["error"]
    assert all(s["status"] == "ok" for p, s in first.items() if p not in HOSTILE - {"hostile-429"})
    conn = sqlite3.connect(db)
    rows = conn.execute("select portal, status, new_reports, requests, bytes, finished from crawl_runs").fetchall()
    assert len(rows) == 3 * len(sites), "one crawl_runs row per portal per run"
    assert all(r[5] for r in rows) and all(r[3] > 0 for r in rows)
    # a blocked host is never "no reports": nothing archived for it, and nothing marked gone
    assert conn.execute("select count(*) from reports where portal_id like 'hostile-4%' "
                        "and portal_id != 'hostile-429'").fetchone()[0] == 0


def test_non_reports_and_error_pages_are_not_archived(crawled):
    db, runs, truths, sites = crawled
    conn = sqlite3.connect(db)
    urls = {u for (u,) in conn.execute("select url from reports")}
    served = {t["detail_url"] for t in truths[0]} | {t["detail_url"] for t in truths[2]}
    assert urls <= served, f"archived something that is not a served report: {sorted(urls - served)[:3]}"
    # Boda attachments came back as files (the Referer was sent), never as the HTML error page
    boda = conn.execute("select f.content_type from fetches f where f.url like '%download.jsp%'").fetchall()
    assert boda and all("html" not in (ct or "") for (ct,) in boda)


def test_gbk_organ_names_survive(crawled):
    db, runs, truths, sites = crawled
    conn = sqlite3.connect(db)
    organs = {o for (o,) in conn.execute("select organ from reports where portal_id = 'gbk'")}
    expected = {t["organ"] for t in truths[0] if t["site"] == "gbk"}
    assert organs == expected and any(ch in "".join(organs) for ch in "喆堃昇珺赟")


def test_second_run_downloads_no_report_again(crawled):
    db, runs, truths, sites = crawled
    summaries, stats, _ = runs[1]
    assert sum(stats["bodies"].values()) == 0, f"report bodies downloaded again: {list(stats['bodies'])[:5]}"
    first = sum(s["requests"] for s in runs[0][0].values())
    assert sum(s["requests"] for s in summaries.values()) <= 0.2 * first, "an incremental run reads only what changed"
    assert all(s.get("new_reports", 0) == 0 and s.get("new_versions", 0) == 0 for s in summaries.values())
    assert all(s.get("gone_reports", 0) == 0 for s in summaries.values())
    conn = sqlite3.connect(db)
    second = conn.execute("select sum(new_reports), sum(new_versions) from crawl_runs where id in "
                          "(select id from crawl_runs order by id limit ? offset ?)", (len(sites), len(sites))).fetchone()
    assert second == (0, 0)


def test_changes_are_stored_exactly(crawled):
    db, runs, truths, sites = crawled
    summaries, stats, c = runs[2]
    assert sum(s.get("new_versions", 0) for s in summaries.values()) == 5
    assert sum(s.get("new_reports", 0) for s in summaries.values()) == 3
    assert sum(s.get("gone_reports", 0) for s in summaries.values()) == 2
    conn = sqlite3.connect(db)
    gone = {u for (u,) in conn.execute("select url from reports where status = 'gone'")}
    removed = {t["detail_url"] for t in truths[1]} - {t["detail_url"] for t in truths[2]}
    assert gone == removed
    assert not c.missing and c.carrier_ratio("html") == 1.0 and c.carrier_ratio("docx") == 1.0


def test_reparse_of_the_crawled_archive_changes_nothing(crawled, tmp_path):
    """`nianbao reparse` with the same parser finds every report unchanged: reports read from an attachment
    are completed from their page the same way by the crawl (first run, or a 304 page with a changed file)
    and by the re-parse, so no spurious version or report appears."""
    import shutil

    from archive.load import reparse
    from archive.store import Archive

    db = tmp_path / "copy.db"
    shutil.copy(crawled[0], db)
    with Archive(db) as archive:
        reports = archive.db["reports"].count
        summary = reparse(archive, progress=False, workers=2)
        assert archive.db["reports"].count == reports
    assert set(summary.outcomes) == {"unchanged"}, summary.line()
