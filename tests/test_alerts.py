"""Alert rules on an archive built here with the real Archive API, and the JSON webhook on loopback."""
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.alerts import check_run, expected_year
from parsers.model import Report

JUNE_2025 = date(2025, 6, 1)  # the 2024 reports are due by now


def crawl(db: Path, portal: str, reports=(), errors=(), status="ok", not_modified=()) -> int:
    """One run as the crawler records it: fetch rows, then ingest (or mark_seen for a 304), then finish."""
    with Archive(db) as archive:
        run = archive.start_run(portal)
        for url, organ, year in reports:
            fid = archive.record_fetch(url, status=200, body=f"{url} {organ} {year}".encode(), run_id=run, portal_id=portal)
            report = Report(source=url, meta={"organ": organ, "year": year, "title": f"{organ}{year}年政府信息公开工作年度报告",
                                              "format": "2021"}, metrics={})
            archive.ingest(fid, report, url=url, portal_id=portal, run_id=run)
        for url in not_modified:
            archive.record_fetch(url, status=304, run_id=run, portal_id=portal)
            archive.mark_seen(url, run)
        for url in errors:
            fid = archive.record_fetch(url, status=200, body=b"garbage " + url.encode(), run_id=run, portal_id=portal)
            archive.ingest(fid, None, error="no tables found", url=url, portal_id=portal, run_id=run)
        archive.finish_run(run, status, error="412 $_ts bot wall" if status == "blocked" else None)
    return run


def open_alerts(db: Path, portal: str) -> list[tuple[str, str]]:
    with Archive(db) as archive:
        return archive.conn.execute("select kind, message from alerts where portal = ? and resolved = 0 order by id",
                                    (portal,)).fetchall()


def kinds(db: Path, portal: str) -> list[str]:
    return [k for k, _ in open_alerts(db, portal)]


COUNTY = [(f"http://127.0.0.2/t{y}.htm", "某县人民政府", y) for y in (2022, 2023, 2024)]


def test_a_column_that_suddenly_lists_zero_reports_raises_one_alert_until_it_recovers(tmp_path: Path):
    db = tmp_path / "a.db"
    assert check_run(db, "trs0", crawl(db, "trs0", COUNTY), today=JUNE_2025) == []
    second = crawl(db, "trs0", not_modified=[u for u, _, _ in COUNTY])   # all 304: still three reports
    assert check_run(db, "trs0", second, today=JUNE_2025) == []
    empty = crawl(db, "trs0")
    opened = check_run(db, "trs0", empty, today=JUNE_2025)
    assert [a["kind"] for a in opened] == ["zero_reports"] and opened[0]["run_id"] == empty
    assert "listed 0 reports" in opened[0]["message"] and "3 were archived before" in opened[0]["message"]
    assert check_run(db, "trs0", crawl(db, "trs0"), today=JUNE_2025) == []   # same episode: not repeated
    assert kinds(db, "trs0") == ["zero_reports"]
    check_run(db, "trs0", crawl(db, "trs0", COUNTY), today=JUNE_2025)
    assert kinds(db, "trs0") == []                                           # resolved


def test_a_new_portal_with_nothing_listed_yet_is_not_a_zero_reports_alert(tmp_path: Path):
    db = tmp_path / "a.db"
    assert check_run(db, "new", crawl(db, "new"), today=JUNE_2025) == []


def test_blocked_runs_in_a_row_raise_the_blocked_alert_and_never_zero_reports(tmp_path: Path):
    db = tmp_path / "a.db"
    crawl(db, "h", COUNTY)
    for _ in range(2):
        assert check_run(db, "h", crawl(db, "h", status="blocked"), today=JUNE_2025, blocked_after=3) == []
    with Archive(db) as archive:                       # a crawl killed mid-way does not break the streak
        archive.finish_run(archive.start_run("h"), "interrupted")
    opened = check_run(db, "h", crawl(db, "h", status="blocked"), today=JUNE_2025, blocked_after=3)
    assert [a["kind"] for a in opened] == ["blocked"]
    assert "blocked 3 runs in a row" in opened[0]["message"] and "412" in opened[0]["message"]
    assert check_run(db, "h", crawl(db, "h", status="blocked"), today=JUNE_2025, blocked_after=3) == []
    assert kinds(db, "h") == ["blocked"]
    check_run(db, "h", crawl(db, "h", not_modified=[u for u, _, _ in COUNTY]), today=JUNE_2025)
    assert kinds(db, "h") == []


def test_an_ok_blocked_ok_sequence_needs_n_consecutive_blocks(tmp_path: Path):
    db = tmp_path / "a.db"
    for status in ("blocked", "ok", "blocked"):
        assert check_run(db, "h", crawl(db, "h", status=status), today=JUNE_2025, blocked_after=2) == []


def test_parse_errors_above_the_threshold(tmp_path: Path):
    db = tmp_path / "a.db"
    bad = [f"http://127.0.0.3/bad{i}.htm" for i in range(2)]
    run = crawl(db, "p", COUNTY, errors=bad)                      # 2 of 5 = 40 %
    assert [a["kind"] for a in check_run(db, "p", run, today=JUNE_2025, parse_error_ratio=0.5)] == []
    opened = check_run(db, "p", crawl(db, "p", COUNTY, errors=bad), today=JUNE_2025, parse_error_ratio=0.2)
    assert [a["kind"] for a in opened] == ["parse_errors"] and "2 of 5" in opened[0]["message"]
    check_run(db, "p", crawl(db, "p", COUNTY), today=JUNE_2025, parse_error_ratio=0.2)
    assert kinds(db, "p") == []


def test_a_partial_run_raises_one_alert_naming_what_was_missed_until_an_ok_run(tmp_path: Path):
    db = tmp_path / "a.db"
    check_run(db, "p", crawl(db, "p", COUNTY), today=JUNE_2025)
    for _ in range(2):  # one alert per episode, however many partial runs
        with Archive(db) as archive:
            run = archive.start_run("p")
            archive.finish_run(run, "partial", missed=1,
                               error="1 listed report(s) missed (asked again next run): missed http://127.0.0.2/t2.htm — HTTP 500")
        opened = check_run(db, "p", run, today=JUNE_2025)
        assert [a["kind"] for a in opened] == ([] if _ else ["partial"])
    assert kinds(db, "p") == ["partial"]
    message = open_alerts(db, "p")[0][1]
    assert "1 listed report(s) were not archived" in message and "http://127.0.0.2/t2.htm" in message
    check_run(db, "p", crawl(db, "p", COUNTY), today=JUNE_2025)
    assert kinds(db, "p") == []


@pytest.mark.parametrize("today, year", [(date(2025, 3, 31), 2023), (date(2025, 4, 1), 2024),
                                         (date(2025, 12, 31), 2024), (date(2026, 1, 15), 2024)])
def test_expected_year_turns_over_after_31_march(today, year):
    assert expected_year(today) == year


def test_a_report_year_missing_after_1_april(tmp_path: Path):
    db = tmp_path / "a.db"
    old = COUNTY[:2]                                               # 2022 and 2023 only
    assert check_run(db, "m", crawl(db, "m", old), today=date(2025, 3, 31)) == []
    opened = check_run(db, "m", crawl(db, "m", old), today=date(2025, 4, 1))
    assert [a["kind"] for a in opened] == ["missing_year"] and "no 2024 report" in opened[0]["message"]
    check_run(db, "m", crawl(db, "m", COUNTY), today=date(2025, 4, 2))
    assert kinds(db, "m") == []


class Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_new_alerts_are_posted_as_json_to_the_webhook_once(tmp_path: Path):
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    Hook.received.clear()
    try:
        db = tmp_path / "a.db"
        crawl(db, "trs0", COUNTY)
        run = crawl(db, "trs0")
        check_run(db, "trs0", run, webhook=url, today=JUNE_2025)
        check_run(db, "trs0", crawl(db, "trs0"), webhook=url, today=JUNE_2025)   # still open: no second POST
    finally:
        server.shutdown()
        server.server_close()
    assert len(Hook.received) == 1
    ctype, payload = Hook.received[0]
    assert ctype.startswith("application/json")
    assert payload["source"] == "nianbao" and payload["portal"] == "trs0" and payload["kind"] == "zero_reports"
    assert payload["run_id"] == run and "listed 0 reports" in payload["message"] and payload["resolved"] == 0


def test_an_unreachable_webhook_is_logged_and_the_alert_kept(tmp_path: Path, caplog):
    db = tmp_path / "a.db"
    crawl(db, "trs0", COUNTY)
    with HTTPServer(("127.0.0.1", 0), Hook) as closed:
        dead = f"http://127.0.0.1:{closed.server_port}/hook"          # bound, then closed: connection refused
    opened = check_run(db, "trs0", crawl(db, "trs0"), webhook=dead, today=JUNE_2025)
    assert [a["kind"] for a in opened] == ["zero_reports"]
    assert kinds(db, "trs0") == ["zero_reports"]
    assert "could not be POSTed" in caplog.text
