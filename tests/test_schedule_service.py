"""`nianbao schedule` against the replica: real `nianbao crawl` processes, crons every few seconds."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replica import Replica

NIANBAO = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')"]
LOOPBACK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]  # the replica is local: no politeness delays


@pytest.fixture(scope="module")
def replica():
    with Replica(seed=1) as rep:
        yield rep


def portal_file(path: Path, replica: Replica, schedules: dict[str, str]) -> Path:
    sites = {s["id"]: s for s in replica.sites()}
    entries = []
    for site_id, cron in schedules.items():
        s = sites[site_id]
        family = "generic" if s["family"] == "hostile" else s["family"]
        urls = ", ".join(f'"{u}"' for u in s["start_urls"])
        entries.append(f'[[portal]]\nid = "{site_id}"\nname = "{s["name"]}"\nstart_urls = [{urls}]\n'
                       f'family = "{family}"\nschedule = "{cron}"\n')
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def rows(db: Path, sql: str, *args) -> list[sqlite3.Row]:
    """Query the archive; [] while the first crawl is still creating it."""
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


# Waits end as soon as their condition holds; the factor only stretches the give-up point, so a
# loaded 2-core CI machine (the whole suite runs at once) does not turn slowness into failures.
LOAD_FACTOR = 3


def wait_until(pred, timeout: float, what: str):
    end = time.monotonic() + timeout * LOAD_FACTOR
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout * LOAD_FACTOR} s waiting for {what}")


def start_scheduler(db: Path, portals: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(NIANBAO + ["schedule", "--db", str(db), "--portals", str(portals), "--jitter", "0",
                                       *LOOPBACK, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(proc: subprocess.Popen, timeout: float = 60) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return out


def truth_urls(replica: Replica, site: str) -> set[str]:
    return {t["detail_url"] for t in replica.truth() if t["site"] == site and t["listed"]}


def test_each_portal_runs_on_its_cron_never_overlapping_and_stops_cleanly_on_sigterm(tmp_path, replica):
    db = tmp_path / "nb.db"
    portals = portal_file(tmp_path / "portals.toml", replica,
                          {"trs1": "*/3 * * * * *", "gbk": "*/2 * * * * *", "hostile-412": "*/4 * * * * *"})
    proc = start_scheduler(db, portals, "--blocked-after", "2")
    try:
        wait_until(lambda: {tuple(r) for r in rows(db, "select portal, status, count(*) >= 2 from crawl_runs group by 1, 2")}
                   >= {("trs1", "ok", 1), ("gbk", "ok", 1), ("hostile-412", "blocked", 1)}, 90,
                   "two finished runs of each portal")
        wait_until(lambda: len(rows(db, "select 1 from crawl_runs where status = 'running'")) > 0, 20,
                   "a crawl in progress, to stop the scheduler in the middle of it")
    finally:
        out = stop(proc)
    assert "SIGTERM: no new crawls" in out
    runs = rows(db, "select * from crawl_runs order by id")
    assert all(r["finished"] for r in runs), "every run ended (SIGTERM let the running crawls finish)"
    by_portal: dict[str, list] = {}
    for r in runs:
        by_portal.setdefault(r["portal"], []).append(r)
    assert set(by_portal) == {"trs1", "gbk", "hostile-412"}
    for portal, prs in by_portal.items():
        for a, b in zip(prs, prs[1:]):
            assert a["finished"] <= b["started"], f"{portal}: runs {a['id']} and {b['id']} overlap"
    assert {r["status"] for r in by_portal["trs1"]} <= {"ok", "interrupted"}
    assert {r["status"] for r in by_portal["gbk"]} <= {"ok", "interrupted"}
    assert {r["status"] for r in by_portal["hostile-412"]} <= {"blocked", "interrupted"}
    archived = {r["url"] for r in rows(db, "select url from reports where portal_id = 'trs1'")}
    assert archived == truth_urls(replica, "trs1")
    alerts = rows(db, "select portal, kind from alerts")
    assert ("hostile-412", "blocked") in [tuple(a) for a in alerts]
    assert not [a for a in alerts if a["kind"] == "zero_reports"], "a blocked site is never '0 reports'"
    assert (tmp_path / "nb.jobs.sqlite").exists()


def test_a_crawl_killed_with_sigkill_is_marked_interrupted_and_the_next_run_loses_nothing(tmp_path, replica):
    db = tmp_path / "nb.db"
    portals = portal_file(tmp_path / "portals.toml", replica, {"trs0": "*/2 * * * * *"})
    proc = start_scheduler(db, portals)
    try:
        victim = wait_until(lambda: rows(
            db, "select * from crawl_runs where status = 'running' and requests >= 10"), 60, "a crawl under way")[0]
        os.kill(victim["pid"], signal.SIGKILL)
        wait_until(lambda: rows(db, "select 1 from crawl_runs where id > ? and status = 'ok'", victim["id"]),
                   90, "a later run that completes")
    finally:
        out = stop(proc)
    killed = rows(db, "select * from crawl_runs where id = ?", victim["id"])[0]
    assert killed["status"] == "interrupted" and "signal 9" in killed["error"], out[-2000:]
    archived = {r["url"] for r in rows(db, "select url from reports where portal_id = 'trs0' and status = 'current'")}
    assert archived == truth_urls(replica, "trs0")
    assert not rows(db, "select 1 from crawl_runs where finished is null")


def test_once_recovers_a_run_whose_process_died_and_crawls_what_is_due(tmp_path, replica):
    db = tmp_path / "nb.db"
    portals = portal_file(tmp_path / "portals.toml", replica, {"trs1": "0 3 * * 1", "gbk": "0 3 * * 1"})
    crawl = subprocess.Popen(NIANBAO + ["crawl", "trs1", "--db", str(db), "--portals", str(portals), *LOOPBACK],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dead = wait_until(lambda: rows(db, "select * from crawl_runs where requests >= 5"), 60,
                      "the crawl under way")[0]
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    # both due, crawled at once by two processes sharing the replica's one backend (127.0.0.1) and its budget
    result = subprocess.run(NIANBAO + ["schedule", "--once", "--parallel", "2", "--db", str(db), "--portals", str(portals),
                                       *LOOPBACK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(result.stdout.split()) == ["gbk", "ok", "ok", "trs1"]   # the killed portal is due again
    assert rows(db, "select status from crawl_runs where id = ?", dead["id"])[0]["status"] == "interrupted"
    archived = {r["url"] for r in rows(db, "select url from reports where portal_id = 'trs1'")}
    assert archived == truth_urls(replica, "trs1")
    again = subprocess.run(NIANBAO + ["schedule", "--once", "--db", str(db), "--portals", str(portals), *LOOPBACK],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == ""                    # nothing due until next Monday 03:00
    status = subprocess.run(NIANBAO + ["status", "--db", str(db), "--portals", str(portals)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0
    lines = {line.split()[0]: line for line in status.stdout.splitlines() if line.strip()}
    assert " ok " in lines["trs1"] and "due now" not in lines["trs1"] and "next " in lines["trs1"]
