"""`nianbao schedule` (crawl every portal on its cron) and `nianbao status` (runs, what is due, alerts)."""
from __future__ import annotations

import logging
import os
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from crawler import schedule as sched

_DB = click.option("--db", default="nianbao.db", show_default=True, type=click.Path(dir_okay=False),
                   help="The archive (SQLite); the job store, locks and crawl logs live beside it.")
_PORTALS = click.option("--portals", "portals", default=None, type=click.Path(exists=True, dir_okay=False),
                        help="Portal file (default: crawler/portals.toml).")
_TZ = click.option("--timezone", "tz", default=sched.DEFAULT_TZ, show_default=True,
                   help="Time zone the cron expressions are read in.")


def alert_settings(portals: str | None, webhook: str | None, blocked_after: int | None,
                   parse_error_ratio: float | None) -> dict:
    """Alert settings: the portal file's optional [alerts] table, overridden by the command line."""
    from crawler.portals import DEFAULT_FILE

    path = Path(portals) if portals else DEFAULT_FILE
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("alerts", {}) if path.exists() else {}
    known = {"webhook", "blocked_after", "parse_error_ratio"}
    unknown = set(table) - known
    if unknown:
        raise click.UsageError(f"{path} [alerts]: unknown keys {', '.join(sorted(unknown))} "
                               f"(known: {', '.join(sorted(known))})")
    given = {"webhook": webhook or os.environ.get("NIANBAO_WEBHOOK"), "blocked_after": blocked_after,
             "parse_error_ratio": parse_error_ratio}
    return {**table, **{k: v for k, v in given.items() if v is not None}}


@click.command("schedule")
@_DB
@_PORTALS
@_TZ
@click.option("--once", is_flag=True, help="Run every portal that is due now, then exit (for cron / systemd timers).")
@click.option("--jitter", default=300, show_default=True, type=click.IntRange(0),
              help="Start each scheduled run up to this many seconds late, so portals don't start together.")
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1),
              help="Crawls running at the same time (each portal still gets at most one). Above 1 only once the "
                   "archive takes its write lock up front (BEGIN IMMEDIATE); until then concurrent writers can "
                   "fail with 'database is locked'. To go faster now, use --redis.")
@click.option("--webhook", default=None, help="POST each new alert as JSON here (also: $NIANBAO_WEBHOOK, [alerts] webhook).")
@click.option("--blocked-after", type=click.IntRange(1), default=None,
              help="Alert when a portal was blocked this many runs in a row [default: 3].")
@click.option("--parse-error-ratio", type=click.FloatRange(0, 1), default=None,
              help="Alert when more than this share of a run's documents failed to parse [default: 0.2].")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Passed to each `nianbao crawl` (a Scrapy setting override).")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Passed to each `nianbao crawl`: scale out on this scrapy-redis frontier.")
@click.option("--workers", default=None, type=click.IntRange(1), help="Passed to each `nianbao crawl` with --redis.")
def schedule_cmd(db: str, portals: str | None, tz: str, once: bool, jitter: int, parallel: int,
                 webhook: str | None, blocked_after: int | None, parse_error_ratio: float | None,
                 overrides: tuple[str, ...], redis_url: str | None, workers: int | None) -> None:
    """Crawl each portal on the cron in its `schedule` (default `season`: daily Jan–Apr, weekly otherwise).

    Runs in the foreground until SIGTERM / Ctrl-C, which lets running crawls finish their current
    requests. Each crawl is its own `nianbao crawl` process; a portal is never crawled twice at once,
    even by two schedulers. Crawl logs: <db>.logs/<portal>.log.
    """
    from crawler.portals import PortalError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        crons = sched.portal_crons(portals)
        for portal, exprs in crons.items():
            sched.make_trigger(exprs, tz)
    except (PortalError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not crons:
        raise click.ClickException(f"no enabled portal in {portals or 'crawler/portals.toml'}")
    crawl_args = [arg for o in overrides for arg in ("-s", o)]
    crawl_args += ["--redis", redis_url] if redis_url else []
    crawl_args += ["--workers", str(workers)] if workers else []
    cfg = sched.RunConfig(db=str(Path(db).resolve()), portals=str(Path(portals).resolve()) if portals else None,
                          tz=tz, crawl_args=tuple(crawl_args),
                          alerts=alert_settings(portals, webhook, blocked_after, parse_error_ratio))
    if once:
        outcomes = sched.run_once(crons, cfg, parallel=parallel)
        for portal, outcome in outcomes.items():
            click.echo(f"{portal}\t{outcome}")
        if any(o in ("failed", "partial") for o in outcomes.values()):
            raise SystemExit(1)
    else:
        sched.serve(crons, cfg, jitter=jitter, parallel=parallel)


def _local(value: str | datetime | None, zone: ZoneInfo) -> str:
    when = sched.parse_time(value) if isinstance(value, str) or value is None else value
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if when else "-"


def _missed(run: dict) -> str:
    """`N missed, ` for a run that missed listed reports (a partial run), else nothing."""
    missed = run["missed"] if "missed" in run.keys() else 0
    return f"{missed} missed, " if missed else ""


def _last_run(run: dict | None, zone: ZoneInfo) -> tuple[str, str, str]:
    """(when, status, what it found) of a crawl_runs row."""
    if run is None:
        return "never", "-", "-"
    started, finished = sched.parse_time(run["started"]), sched.parse_time(run["finished"])
    took = f" ({int((finished - started).total_seconds())} s)" if started and finished else ""
    found = (f"{run['new_reports']} new, {run['new_versions']} changed, {run['gone_reports']} gone, "
             f"{run['parse_errors']} parse errors, {_missed(run)}{run['requests']} requests")
    status = run["status"] if run["finished"] else f"{run['status']} (unfinished)"
    return f"#{run['id']} {_local(run['started'], zone)}{took}", status, found


def _close_dead_runs(db: Path) -> None:
    """Opening the archive marks runs whose process died `interrupted` (Archive.mark_dead_runs)."""
    from archive.store import close_dead_runs

    close_dead_runs(db)


@click.command("status")
@_DB
@_PORTALS
@_TZ
def status_cmd(db: str, portals: str | None, tz: str) -> None:
    """Each portal's last run, when it is due next (from its cron) and the open alerts.

    The same data is in the archive's `crawl_runs` and `alerts` tables (browse them with `nianbao serve`).
    """
    from crawler.portals import PortalError

    try:
        crons = sched.portal_crons(portals)
    except PortalError as exc:
        raise click.ClickException(str(exc)) from None
    zone = ZoneInfo(tz)
    _close_dead_runs(Path(db))
    rows = sched.status_rows(Path(db), crons, tz)
    table = [("PORTAL", "LAST RUN", "STATUS", "NEXT", "FOUND")]
    for row in rows:
        when, status, found = _last_run(row["run"], zone)
        if row["running"]:
            nxt = f"running now ({row['running']})"
        elif row["schedule"] is None:
            nxt = "not in the portal file"
        else:
            nxt = ("due now; " if row["due"] else "") + f"next {_local(row['next'], zone)}"
        table.append((row["portal"], when, status, nxt, found))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for r in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    local = sched.last_local_run(Path(db))
    if local is not None:
        when, status, _ = _last_run(local, zone)
        click.echo(f"\nLast load/reparse: {when} {status}; {local['new_reports']} new, {local['new_versions']} changed, "
                   f"{local['parse_errors']} parse errors")
    alerts = sched.open_alerts(Path(db))
    click.echo(f"\nOpen alerts: {len(alerts) or 'none'}")
    for a in alerts:
        click.echo(f"  #{a['id']} {_local(a['created'], zone)} {a['portal']} {a['kind']} (run {a['run_id']}): {a['message']}")


commands: list[click.Command] = [schedule_cmd, status_cmd]
