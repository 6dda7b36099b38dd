"""Read-only questions about an archive, one function each, named by what it answers.

They take a plain connection (`reader(path)`), not an `Archive`: the scheduler, the alerts and the
summaries read archives that another process is writing, or that may not exist yet, and opening an
`Archive` would create and migrate the file. Every write still goes through `archive.store.Archive`.
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

DECISIVE_RUNS = ("ok", "partial", "failed", "blocked")  # runs that say something about the portal (not interrupted)
Connection = sqlite3.Connection
Row = sqlite3.Row


def reader(path: str | Path) -> sqlite3.Connection:
    """A connection for queries only; rows read as `sqlite3.Row`."""
    conn = sqlite3.connect(str(path), timeout=60)
    conn.row_factory = sqlite3.Row
    return conn


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the archive has this table yet (a file no crawl has written to has none)."""
    return conn.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone() is not None


# ---------------------------------------------------------------------- crawl runs

def crawl_run(conn: sqlite3.Connection, portal: str, run_id: int) -> sqlite3.Row | None:
    return conn.execute("select * from crawl_runs where id = ? and portal = ?", (run_id, portal)).fetchone()


def last_run_started(conn: sqlite3.Connection, portal: str) -> str | None:
    """When the portal's last run started, interrupted runs aside (they are due again)."""
    return conn.execute("select max(started) from crawl_runs where portal = ? and status is not 'interrupted'",
                        (portal,)).fetchone()[0]


def last_run_id(conn: sqlite3.Connection, portal: str) -> int:
    """The id of the portal's newest run, 0 when it never ran."""
    return conn.execute("select coalesce(max(id), 0) from crawl_runs where portal = ?", (portal,)).fetchone()[0]


def runs_after(conn: sqlite3.Connection, portal: str, after_id: int) -> list[sqlite3.Row]:
    return conn.execute("select * from crawl_runs where portal = ? and id > ? order by id",
                        (portal, after_id)).fetchall()


def unfinished_runs(conn: sqlite3.Connection, portal: str) -> list[sqlite3.Row]:
    """Runs without `finished`: still running, or left behind by a crawl that died."""
    return conn.execute("select * from crawl_runs where portal = ? and finished is null order by id",
                        (portal,)).fetchall()


def latest_run_per_portal(conn: sqlite3.Connection) -> dict[str, dict]:
    return {row["portal"]: dict(row) for row in conn.execute(
        "select * from crawl_runs where id in (select max(id) from crawl_runs where portal is not null group by portal)")}


def last_local_run(conn: sqlite3.Connection) -> dict | None:
    """The last run with no portal: a `load` or `reparse` (they share crawl_runs with the crawls)."""
    row = conn.execute("select * from crawl_runs where portal is null order by id desc limit 1").fetchone()
    return dict(row) if row else None


def decisive_runs_before(conn: sqlite3.Connection, portal: str, run_id: int, limit: int) -> list[sqlite3.Row]:
    """The portal's last `limit` ok/failed/blocked runs up to `run_id`, newest first."""
    marks = ", ".join("?" * len(DECISIVE_RUNS))
    return conn.execute(
        f"select status, started, error from crawl_runs where portal = ? and id <= ? and status in ({marks})"
        " order by id desc limit ?", (portal, run_id, *DECISIVE_RUNS, limit)).fetchall()


# ---------------------------------------------------------------------- alerts

def open_alerts(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("select * from alerts where resolved = 0 order by created, id")]


def has_open_alert(conn: sqlite3.Connection, portal: str, kind: str) -> bool:
    return conn.execute("select 1 from alerts where portal = ? and kind = ? and resolved = 0",
                        (portal, kind)).fetchone() is not None


def alert(conn: sqlite3.Connection, alert_id: int) -> dict:
    return dict(conn.execute("select * from alerts where id = ?", (alert_id,)).fetchone())


# ---------------------------------------------------------------------- reports

def documents_in_run(conn: sqlite3.Connection, portal: str, run_id: int) -> int:
    """The portal's reports whose page was fetched in the run (new, changed, unchanged or 304), plus the
    URLs that failed to parse in it: how many report documents the run saw."""
    fetched = conn.execute(
        "select count(*) from (select r.url from reports r join fetches f on r.url in (f.url, f.final_url)"
        " where f.run_id = :run and r.portal_id = :portal union select url from parse_errors where run_id = :run)",
        {"run": run_id, "portal": portal}).fetchone()[0]
    # An incremental run asks only for what is due, new or changed: the reports its listing showed count too.
    listed = conn.execute("select listed from crawl_runs where id = ?", (run_id,)).fetchone()
    return max(fetched, (listed[0] or 0) if listed else 0)


def report_count(conn: sqlite3.Connection, portal: str) -> int:
    """Every report ever archived for the portal, whatever its status."""
    return conn.execute("select count(*) from reports where portal_id = ?", (portal,)).fetchone()[0]


def has_report_of_year(conn: sqlite3.Connection, portal: str, year: int) -> bool:
    return conn.execute("select 1 from reports where portal_id = ? and year = ? limit 1",
                        (portal, year)).fetchone() is not None


def archived_source(conn: sqlite3.Connection, report_url: str) -> str | None:
    """The URL the archived report at `report_url` was parsed from (the page, or its attachment), or None
    when no report was ever archived there."""
    row = conn.execute(
        "select f.url from reports r join fetches f on f.id = r.fetch_id where r.url = ? order by r.id desc limit 1",
        (report_url,)).fetchone()
    return row[0] if row else None


def current_reports_overview(conn: sqlite3.Connection) -> dict:
    """Current reports in all: how many, by year, by format, and the failed checks among them."""
    total = conn.execute("select count(*) from reports where status = 'current'").fetchone()[0]
    years = conn.execute("select year, count(*) from reports where status = 'current' group by year order by year")
    formats = conn.execute("select coalesce(format, '?'), count(*) from reports where status = 'current' "
                           "group by 1 order by 2 desc")
    failed = conn.execute("select count(*), coalesce(sum(checks_failed), 0) from reports "
                          "where status = 'current' and check_status = 'failed'").fetchone()
    return {"total": total, "by_year": [tuple(r) for r in years], "by_format": [tuple(r) for r in formats],
            "failed_reports": failed[0], "failed_checks": failed[1]}


def organ_with_most_years(conn: sqlite3.Connection) -> str | None:
    """An organ with more than one year archived (the one with most reports), or None."""
    row = conn.execute("select organ from reports where organ is not null group by organ_id "
                       "having count(distinct year) > 1 order by count(*) desc limit 1").fetchone()
    return row[0] if row else None


def current_metrics_by_url(conn: sqlite3.Connection) -> dict[str, dict[str, float | None]]:
    """{report URL: {metric key: value}} of every current report's current version."""
    version_of = dict(conn.execute("select url, current_version_id from reports where status = 'current'").fetchall())
    values: dict[int, dict[str, float | None]] = defaultdict(dict)
    for vid, key, value in conn.execute("select version_id, key, value from metrics"):
        values[vid][key] = value
    return {url: values.get(vid, {}) for url, vid in version_of.items() if vid is not None}


# ---------------------------------------------------------------------- incremental re-crawls

def listing_heads(conn: sqlite3.Connection, portal: str) -> dict[str, dict]:
    """Each listing's first page at the portal's last complete walk: key -> {url, links, further, full_walk_at}."""
    rows = conn.execute("select key, url, links, further, full_walk_at from listings where portal_id = ?", (portal,))
    return {key: {"url": url, "links": tuple(json.loads(links or "[]")), "further": further, "full_walk_at": full}
            for key, url, links, further, full in rows}


def missed_since_ok(conn: sqlite3.Connection, portal: str) -> set[str]:
    """Report URLs that the portal's runs after its last ok run missed (`crawl_runs.missed_urls`)."""
    rows = conn.execute(
        "select missed_urls from crawl_runs where portal = ? and missed_urls is not null and id > "
        "coalesce((select max(id) from crawl_runs where portal = ? and status = 'ok'), 0)", (portal, portal))
    return {url for (urls,) in rows for url in json.loads(urls)}


def known_reports(conn: sqlite3.Connection, portal: str) -> dict[str, str | None]:
    """The portal's current reports: URL -> last_seen (when a fetch last confirmed it)."""
    return dict(conn.execute("select url, max(last_seen) from reports where portal_id = ? and status = 'current'"
                             " group by url", (portal,)).fetchall())
