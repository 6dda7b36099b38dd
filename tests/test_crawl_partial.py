"""A run that missed something says `partial`, never `ok`: replica reports pinned to answer a login page or
a busy page with 200, or an attachment that always fails, on one small site (gbk, 15 reports).

First run: those reports are not archived (the wall pages are kept as fetches with their reason), the run
is `partial` with the count and the URLs, `nianbao crawl` exits 1, `status` shows it, nothing is marked
gone. Second run with the pins removed: the missed reports are asked for again in full (no conditional
request hides them), everything is archived and the run is `ok`.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from replica import Replica
from test_crawl_replica import REPO

SITE = "gbk"


def crawl(replica: Replica, db: Path, *extra: str) -> tuple[dict, int]:
    cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "crawl", SITE,
           "--replica", replica.control_url, "--db", str(db), "--json", "--no-progress", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"crawl printed no summary; stderr:\n{proc.stderr[-3000:]}"
    return lines[0], proc.returncode


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    db = tmp_path_factory.mktemp("partial") / "archive.db"
    truth = [t for t in Replica(seed=1).truth() if t["site"] == SITE]
    html = [t for t in truth if t["carrier"] == "html"]
    in_file = next(t for t in truth if t["attachment_url"])
    pins = {(html[0]["rid"], "detail"): "login", (html[1]["rid"], "detail"): "busy",
            (in_file["rid"], "attachment"): "http500"}
    with Replica(seed=1, rate_limit=10_000, pinned=pins) as replica:
        served = {t["rid"]: t for t in replica.truth()}
        urls = {kind: served[rid]["detail_url"] for (rid, _), kind in pins.items()}
        asked = {kind: served[rid]["detail_url" if part == "detail" else "attachment_url"]
                 for (rid, part), kind in pins.items()}
        first = crawl(replica, db)
        replica.pinned.clear()
        replica.reset_stats()
        second = crawl(replica, db)
        bodies = replica.stats()["bodies"]
    yield db, urls, first, second, {kind: bodies.get(url, 0) for kind, url in asked.items()}


def test_missed_reports_make_the_run_partial_and_the_crawl_exit_1(runs):
    db, urls, (summary, code), *_ = runs
    assert summary["status"] == "partial" and code == 1, summary
    assert summary["missed"] == 3
    for url in urls.values():
        assert url in summary["error"]
    assert {m["url"] for m in summary["missed_reports"]} == set(urls.values())
    conn = sqlite3.connect(db)
    status, missed, gone = conn.execute("select status, missed, gone_reports from crawl_runs order by id").fetchone()
    assert (status, missed, gone) == ("partial", 3, 0)


def test_login_and_busy_pages_are_fetches_with_their_reason_never_reports(runs):
    db, urls, *_ = runs
    conn = sqlite3.connect(db)
    for kind in ("login", "busy"):
        (headers,) = conn.execute("select headers from fetches where url = ? and run_id = 1", (urls[kind],)).fetchone()
        reason = json.loads(headers)["x-nianbao-error"]
        assert ("login page" if kind == "login" else "系统繁忙") in reason
    organs = [o for (o,) in conn.execute("select organ from reports where organ is not null")]
    assert not any("登录" in o or "繁忙" in o for o in organs)


def test_status_shows_the_partial_run(runs):
    db, *_ = runs
    from crawler.schedule_cli import status_cmd

    conn = sqlite3.connect(db)
    conn.execute("delete from crawl_runs where id > 1")  # the first run as the last one
    conn.commit()
    copy = db.with_name("first.db")
    conn.execute(f"vacuum into '{copy}'")
    out = CliRunner().invoke(status_cmd, ["--db", str(copy)])
    assert out.exit_code == 0, out.output
    line = next(l for l in out.output.splitlines() if l.startswith(SITE))
    assert "partial" in line and "3 missed" in line


def test_the_next_run_asks_for_the_missed_reports_again_and_is_ok(runs):
    db, urls, _, (summary, code), bodies = runs
    assert summary["status"] == "ok" and code == 0, summary
    conn = sqlite3.connect(db)
    archived = {u for (u,) in conn.execute("select url from reports where status = 'current'")}
    assert set(urls.values()) <= archived
    assert conn.execute("select count(*) from reports").fetchone()[0] == 15
    # what failed was downloaded in full again (a 304 to a conditional request would have hidden it)
    assert all(n >= 1 for n in bodies.values()), bodies


def test_known_reports_a_run_missed_are_asked_again_next_run_whatever_the_rotation(tmp_path):
    """Archived reports are re-checked on a 30-day rotation and a short walk reads only a listing's first
    page; a report the last run missed is asked for again all the same (and the listing walked whole)."""
    db = tmp_path / "archive.db"
    with Replica(seed=1, rate_limit=10_000) as replica:
        html = [t for t in replica.truth() if t["site"] == SITE and t["carrier"] == "html"]
        targets = {t["detail_url"] for t in html[-2:]}  # the oldest: past the listing's first page
        assert crawl(replica, db)[0]["status"] == "ok"
        replica.pinned.update({(t["rid"], "detail"): "busy" for t in html[-2:]})
        summary, code = crawl(replica, db, "-s", "NIANBAO_FULL=1")  # a full pass re-checks them: they fail
        assert summary["status"] == "partial" and code == 1 and {m["url"] for m in summary["missed_reports"]} == targets
        replica.pinned.clear()
        replica.reset_stats()
        summary, code = crawl(replica, db)
        stats = replica.stats()
    asked = {u for u in targets if stats["bodies"].get(u, 0) + stats["not_modified"].get(u, 0)}
    assert asked == targets, f"not asked again: {targets - asked}"
    assert summary["status"] == "ok" and code == 0 and summary["full_pass"], summary
