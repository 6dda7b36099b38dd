"""How much a run reads: caps end every crawl (issue #11), a re-crawl reads only what changed (issue #13).

Crawls run `nianbao crawl --replica` in a subprocess (bench/fault_crawl.py's helpers); the replica runs here.
"""
from __future__ import annotations

import sqlite3
import time
from datetime import date, timedelta

from bench_modules import bench_module
from crawler.walk import full_walk_due, recheck_due


def bench():
    """bench/fault_crawl.py as a module (the test and the full-size bench share the checks)."""
    return bench_module("fault_crawl")


# ---------------------------------------------------------------------------------------------- rules

def test_recheck_rotation_spreads_the_reports_and_bounds_their_age():
    today = date(2026, 12, 6)
    urls = [f"http://127.0.0.2/zw/t{i}.html" for i in range(3000)]
    checked_today = today.isoformat() + "T08:00:00+00:00"
    assert not any(recheck_due(u, checked_today, today, 30) for u in urls)  # the same day: nothing again
    yesterday = (today - timedelta(days=1)).isoformat() + "T08:00:00+00:00"
    share = sum(recheck_due(u, yesterday, today, 30) for u in urls) / len(urls)
    assert 0.02 < share < 0.05, share  # about 1/30 a day
    old = (today - timedelta(days=30)).isoformat() + "T08:00:00"
    assert all(recheck_due(u, old, today, 30) for u in urls[:50])  # never older than the rotation
    assert recheck_due(urls[0], None, today, 30) and recheck_due(urls[0], checked_today, today, 0)
    # over one rotation of daily runs every report comes up once
    days = {u: next(d for d in range(1, 31) if recheck_due(u, yesterday, today + timedelta(days=d - 1), 30))
            for u in urls[:200]}
    assert all(1 <= d <= 30 for d in days.values())


def test_full_walk_rotation():
    today = date(2026, 12, 6)
    recent, old = "2026-12-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00"
    assert full_walk_due([], today, 30) and full_walk_due([recent, None], today, 30)
    assert not full_walk_due([recent, recent], today, 30)
    assert full_walk_due([recent, old], today, 30) and full_walk_due([recent], today, 0)


# ---------------------------------------------------------------------------------------------- caps

def test_an_endless_listing_ends_at_the_page_cap_quickly(tmp_path):
    """Replica `lying` whose page N links to page N+1 forever, other reports on each page: the default cap of
    500 list pages ends it within seconds, the cap is reported, nothing is marked gone, the process exits."""
    fc = bench()
    with fc.Replica(seed=1, rate_limit=100_000, endless="lying") as replica:
        started = time.monotonic()
        summary = fc.crawl(replica, tmp_path / "a.db", ("lying",), timeout=120)["lying"]
        elapsed = time.monotonic() - started
        lists = replica.stats()["requests"]["lying"]["list"]
    assert elapsed < 90, elapsed
    assert summary["caps_hit"] and "list page cap, 500 pages" in summary["caps_hit"][0], summary
    assert summary["status"] == "partial" and "cap hit" in summary["error"], summary
    assert 500 <= lists <= 505, lists
    assert summary.get("gone_reports", 0) == 0 and summary["new_reports"] == 15


def test_a_pager_that_repeats_its_last_page_ends_without_a_cap(tmp_path):
    fc = bench()
    with fc.Replica(seed=1, rate_limit=100_000, endless="lying", endless_items="repeat") as replica:
        summary = fc.crawl(replica, tmp_path / "a.db", ("lying",), timeout=120)["lying"]
        lists = replica.stats()["requests"]["lying"]["list"]
    assert summary["status"] == "ok" and not summary["caps_hit"] and summary["new_reports"] == 15, summary
    assert lists <= 4, lists  # the column, page 2 (the same reports), the end-of-run re-read


def test_the_request_cap_stops_the_run_and_says_so(tmp_path):
    fc = bench()
    with fc.Replica(seed=1, rate_limit=100_000) as replica:
        summary = fc.crawl(replica, tmp_path / "a.db", ("trs0",), {"NIANBAO_MAX_REQUESTS": 15})["trs0"]
    assert any("request cap, 15 requests" in c for c in summary["caps_hit"]), summary
    assert summary["status"] == "partial" and summary.get("gone_reports", 0) == 0
    assert summary["requests"] <= 15 + 16  # what was already in the downloader (CONCURRENT_REQUESTS) finishes


def test_the_time_cap_stops_the_run_and_says_so(tmp_path):
    fc = bench()
    with fc.Replica(seed=1, rate_limit=100_000) as replica:
        started = time.monotonic()
        summary = fc.crawl(replica, tmp_path / "a.db", ("trs0",),
                           {"NIANBAO_MAX_RUN_SECONDS": 2, "DOWNLOAD_DELAY": 0.5})["trs0"]
    assert time.monotonic() - started < 30
    assert any("run time cap, 2 s" in c for c in summary["caps_hit"]), summary
    assert summary["status"] == "partial" and summary.get("gone_reports", 0) == 0


# ---------------------------------------------------------------------------------------------- incremental

SITES = ("trs0", "lying", "gd", "boda")


def test_a_recrawl_reads_only_what_changed_and_finds_new_reports(tmp_path):
    """Run 2 reads each unchanged listing's first page only and asks for no report; reports added on top are
    found by the short walk (their listing's first page changed) and nothing is marked gone from a walk that
    stopped at known reports; `--full` then walks everything and marks the removed ones gone."""
    fc = bench()
    db = tmp_path / "a.db"
    with fc.Replica(seed=1, rate_limit=100_000) as replica:
        first = fc.crawl(replica, db, SITES)
        replica.reset_stats()
        second = fc.crawl(replica, db, SITES)
        stats = replica.stats()
        assert not stats["bodies"] and sum(s["requests"] for s in second.values()) <= 12, second
        assert all(s["status"] == "ok" and s["new_reports"] == 0 for s in second.values())
        assert not second["trs0"]["full_pass"]  # its listing was cut short at known reports: nothing may go
        before = {t["detail_url"] for t in replica.truth() if t["site"] in SITES}
        replica.add(6, seed=7)
        removed = replica.remove(2, seed=8)
        truth = replica.truth()
        after = {t["detail_url"] for t in truth if t["site"] in SITES}
        third = fc.crawl(replica, db, SITES)
        conn = sqlite3.connect(db)
        current = {u for (u,) in conn.execute("select url from reports where status = 'current'")}
        assert after - before and after - before <= current, sorted((after - before) - current)
        assert sum(s.get("gone_reports", 0) for s in third.values()) <= len(before - after)
        assert sum(s["requests"] for s in third.values()) < sum(s["requests"] for s in first.values())
        full = fc.crawl(replica, db, SITES, {"NIANBAO_FULL": 1})
    assert all(s["full_pass"] and s["status"] == "ok" for s in full.values())
    gone = {u for (u,) in conn.execute("select url from reports where status = 'gone'")}
    assert gone == before - after, (removed, gone)
    # a 304 moved the stored response's last_seen instead of adding a row
    assert conn.execute("select count(*) from fetches where status = 304").fetchone()[0] == 0
    assert conn.execute("select count(*) from fetches where last_seen is not null").fetchone()[0] > 0


def test_a_changed_report_is_found_when_its_recheck_is_due(tmp_path):
    """A report changed in place does not show in its listing: the run that re-checks it (its re-check is due:
    here its last confirmation is made 31 days old, past NIANBAO_RECHECK_DAYS) stores the new version; a run
    with nothing due asks for no report. A listing whose last full walk is that old is walked whole again."""
    fc = bench()
    db = tmp_path / "a.db"
    with fc.Replica(seed=1, rate_limit=100_000) as replica:
        fc.crawl(replica, db, SITES)
        changed = set(replica.change(12, seed=9))
        expected = {t["detail_url"] for t in replica.truth() if t["rid"] in changed and t["site"] in SITES}
        assert expected, "some changes landed on the crawled sites"
        replica.reset_stats()
        quiet = fc.crawl(replica, db, SITES)
        assert sum(s.get("new_versions", 0) for s in quiet.values()) == 0 and not replica.stats()["bodies"]
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update reports set last_seen = datetime(last_seen, '-31 days')")
            conn.execute("update listings set full_walk_at = datetime(full_walk_at, '-31 days')")
        due = fc.crawl(replica, db, SITES)
    assert sum(s.get("new_versions", 0) for s in due.values()) == len(expected), due
    assert all(s["full_pass"] and s["status"] == "ok" for s in due.values())
    versions = {u for (u,) in conn.execute("select url from reports where versions > 1")}
    assert versions == expected
