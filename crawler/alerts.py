"""Alerts worth acting on, computed after each run from `crawl_runs` and `reports`.

Rules: blocked (N runs in a row), partial (the run missed listed reports or hit a cap), parse_errors,
zero_reports, missing_year. Each rule looks at a portal after one of its runs and says one of three things: raise (with a
message a person can act on), clear (the condition is gone: its open alert is resolved), or nothing
(the run cannot tell, e.g. a blocked run says nothing about how many reports a column lists).
An alert is recorded once per episode: while it is open, later runs do not repeat it, so the
webhook fires when something breaks, not on every run.

"Reports this run" is read from the archive (the crawler keeps its listing count in Scrapy stats
only): the portal's reports whose page was fetched in the run (new, changed, unchanged or 304) plus
the URLs that failed to parse in it. Fetches carry the run id, so this is exact even when two runs
start within one second. A blocked run is never taken for a portal with zero reports.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from archive import queries

log = logging.getLogger("nianbao.alerts")

BLOCKED_AFTER = 3          # runs in a row
PARSE_ERROR_RATIO = 0.2    # share of a run's documents
REPORT_DEADLINE = (3, 31)  # 年报 for year Y are due by 31 March of Y+1
CHINA = ZoneInfo("Asia/Shanghai")

RAISE, CLEAR = "raise", "clear"


@dataclass(frozen=True)
class Verdict:
    kind: str
    action: str            # RAISE or CLEAR
    message: str = ""


def expected_year(today: date) -> int:
    """The latest report year that must be out by ``today`` (after 31 March of Y: year Y−1)."""
    return today.year - 1 if (today.month, today.day) > REPORT_DEADLINE else today.year - 2


def evaluate(conn: queries.Connection, portal: str, run_id: int, *, today: date,
             blocked_after: int = BLOCKED_AFTER, parse_error_ratio: float = PARSE_ERROR_RATIO) -> list[Verdict]:
    """What the rules say about ``portal`` after run ``run_id`` (read-only)."""
    run = queries.crawl_run(conn, portal, run_id)
    if run is None:
        raise KeyError(f"no crawl run {run_id} for portal {portal!r}")
    if run["status"] not in ("ok", "partial", "failed", "blocked"):
        return []  # interrupted or still running: says nothing about the portal
    out = [_blocked(conn, portal, run, blocked_after), _partial(run)]
    if run["status"] == "blocked":
        return [v for v in out if v]
    documents = queries.documents_in_run(conn, portal, run_id)
    errors = run["parse_errors"] or 0
    if errors and errors / max(documents, errors) > parse_error_ratio:
        out.append(Verdict("parse_errors", RAISE,
                           f"{errors} of {documents} report documents failed to parse in run {run_id} "
                           f"(threshold {parse_error_ratio:.0%}); see the parse_errors table, fix the parser, "
                           "then `nianbao reparse`"))
    else:
        out.append(Verdict("parse_errors", CLEAR))
    if run["status"] != "ok":
        return [v for v in out if v]  # a listing that did not finish says nothing about counts or years
    before = queries.report_count(conn, portal) - (run["new_reports"] or 0)
    if documents == 0 and before:
        out.append(Verdict("zero_reports", RAISE,
                           f"the 年报 column listed 0 reports in run {run_id}, but {before} were archived before: "
                           "probably a site redesign; check the portal's start URLs and the spider family"))
    else:
        out.append(Verdict("zero_reports", CLEAR))
    if documents:
        year = expected_year(today)
        have = queries.has_report_of_year(conn, portal, year)
        out.append(Verdict("missing_year", CLEAR) if have else Verdict(
            "missing_year", RAISE,
            f"no {year} report yet (due 31 March {year + 1}); the portal lists {documents} others: "
            "late, published elsewhere, or not recognised as a report"))
    return [v for v in out if v]


def _partial(run: queries.Row) -> Verdict | None:
    """A run that read its listing but missed reports (or hit a cap) raises; the next ok run clears it."""
    if run["status"] == "ok":
        return Verdict("partial", CLEAR)
    if run["status"] != "partial":
        return None  # failed or blocked: their own rules speak
    missed = run["missed"] if "missed" in run.keys() else 0
    what = f"{missed} listed report(s) were not archived" if missed else "a cap stopped the walk"
    return Verdict("partial", RAISE,
                   f"run {run['id']} was partial: {what}: {(run['error'] or 'no detail')[:500]}; the missed URLs "
                   "are asked for again (in full) by the next run; if it stays partial, look at those URLs")


def _blocked(conn: queries.Connection, portal: str, run: queries.Row, after: int) -> Verdict | None:
    if run["status"] != "blocked":
        return Verdict("blocked", CLEAR)
    recent = queries.decisive_runs_before(conn, portal, run["id"], after)
    if len(recent) < after or any(r["status"] != "blocked" for r in recent):
        return None
    return Verdict("blocked", RAISE,
                   f"blocked {after} runs in a row (since {recent[-1]['started']}): {run['error'] or 'no detail'}; "
                   "the site is refusing the crawler (bot wall, rate limit or robots.txt)")


def check_run(db: str | Path, portal: str, run_id: int, *, webhook: str | None = None,
              blocked_after: int = BLOCKED_AFTER, parse_error_ratio: float = PARSE_ERROR_RATIO,
              today: date | None = None) -> list[dict]:
    """Apply the rules after a run: record new alerts (and POST them), resolve cleared ones.

    Returns the alerts opened by this call.
    """
    from archive.store import Archive  # imported late: the scheduler needs it only after a run

    today = today or datetime.now(CHINA).date()
    opened = []
    with Archive(db) as archive, closing(queries.reader(db)) as conn:
        verdicts = evaluate(conn, portal, run_id, today=today,
                            blocked_after=blocked_after, parse_error_ratio=parse_error_ratio)
        for v in verdicts:
            if v.action == CLEAR:
                if archive.resolve_alerts(portal, v.kind):
                    log.info("portal %s: %s alert resolved by run %s", portal, v.kind, run_id)
                continue
            if queries.has_open_alert(conn, portal, v.kind):
                continue  # still the same episode
            alert_id = archive.add_alert(portal, v.kind, v.message, run_id)
            alert = queries.alert(conn, alert_id)
            log.warning("portal %s: ALERT %s: %s", portal, v.kind, v.message)
            opened.append(alert)
    if webhook:
        for alert in opened:
            post_webhook(webhook, alert)
    return opened


def post_webhook(url: str, alert: dict, timeout: float = 10) -> bool:
    """POST one alert as JSON; a failure is logged, never raised (the alert is in the table anyway)."""
    payload = {"source": "nianbao", **alert}
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
        return True
    except (urllib.error.URLError, OSError) as exc:
        log.warning("alert %s (%s, %s) could not be POSTed to %s: %s; it is still in the alerts table",
                    alert.get("id"), alert.get("portal"), alert.get("kind"), url, exc)
        return False
