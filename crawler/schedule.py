"""Crawl every portal on its own cron, one process per crawl, never two crawls of one portal at once.

Why not scrapyd or ArchiveBox: scrapyd has no recurring schedule and happily runs two jobs of one
spider; ArchiveBox's scheduler skips URLs it has seen, but 年报 get corrected after publication.

How overlap is prevented (APScheduler's max_instances only counts inside one process, and two
schedulers on one job store both fire): every run takes a per-portal ``fcntl.flock`` and hands the
locked descriptor to the crawl process, so the kernel releases the lock only when both the scheduler
thread and the crawl are gone, whichever way they die.

The archive, not the job store, is the source of truth for what is due: a portal is due when no run
of it started since its cron's previous fire time (``crawl_runs.started``). That makes
``nianbao schedule --once`` (for cron / systemd timers) and the long-running service agree, and makes
a restarted service catch up on what it missed exactly once.
"""
from __future__ import annotations

import fcntl
import logging
import os
import random
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor as _Pool
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from archive import queries
from archive.runlocks import lock_held, pid_alive
from crawler.alerts import check_run

log = logging.getLogger("nianbao.schedule")

DEFAULT_TZ = "Asia/Shanghai"  # reports are due by 31 March, China time
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------- cron expressions

def portal_crons(portals_file: str | None) -> dict[str, tuple[str, ...]]:
    """{portal id: cron expressions} of the enabled portals; presets such as ``season`` expanded."""
    from crawler.portals import load_portals, schedule_crons

    return {p.id: schedule_crons(p) for p in load_portals(portals_file).values() if p.enabled}


def make_trigger(crons: Sequence[str], tz: str = DEFAULT_TZ, jitter: int | None = None) -> BaseTrigger:
    """One trigger firing at every time any of ``crons`` fires.

    Each cron has 5 fields (min hour day month dow) or 6 with seconds first (for tests).
    Day-of-week numbers follow crontab (0 and 7 = Sunday), not APScheduler 3's 0 = Monday.
    """
    if not crons:
        raise ValueError("no cron expression given")
    if len(crons) == 1:
        return _cron(crons[0], ZoneInfo(tz), jitter)
    return OrTrigger([_cron(expr, ZoneInfo(tz)) for expr in crons], jitter=jitter)


def _cron(expr: str, zone: ZoneInfo, jitter: int | None = None) -> CronTrigger:
    fields = expr.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(f"schedule {expr!r}: expected 5 cron fields (min hour day month dow) "
                         f"or 6 (sec min hour day month dow), got {len(fields)}")
    second, minute, hour, day, month, dow = fields
    try:
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_crontab_dow(dow), timezone=zone, jitter=jitter)
    except ValueError as exc:
        raise ValueError(f"schedule {expr!r}: {exc}") from None


def _crontab_dow(field_: str) -> str:
    """Translate crontab day-of-week numbers into names APScheduler reads the crontab way."""
    out: list[str] = []
    for part in field_.split(","):
        rng, _, step = part.partition("/")
        if rng == "*" or not any(ch.isdigit() for ch in rng):
            out.append(part)
            continue
        lo, _, hi = rng.partition("-")
        first, last = int(lo), int(hi or lo)
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ValueError(f"day of week {part!r} out of range 0-7")
        days = range(first, last + 1, int(step or 1)) if hi or step else [first]
        out.extend(_DOW_NAMES[d] for d in days)
    return ",".join(dict.fromkeys(out))


def previous_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The last fire time at or before ``now`` (APScheduler only computes the next one).

    Widening windows keep this cheap for per-second test crons and yearly crons alike.
    """
    for window in (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1),
                   timedelta(days=8), timedelta(days=32), timedelta(days=367)):
        last = None
        t = trigger.get_next_fire_time(None, now - window)
        while t is not None and t <= now:
            last = t
            t = trigger.get_next_fire_time(None, t + timedelta(microseconds=1))
        if last is not None:
            return last
    return None


def next_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The first fire time strictly after ``now``."""
    return trigger.get_next_fire_time(None, now + timedelta(microseconds=1))


def is_due(trigger: BaseTrigger, last_started: datetime | None, now: datetime) -> bool:
    """Due = the cron fired since the last run started (or the portal never ran).

    An interrupted run does not count (see last_started): a killed crawl is due again.
    """
    prev = previous_fire_time(trigger, now)
    if prev is None:
        return False
    return last_started is None or last_started < prev


# ---------------------------------------------------------------- paths beside the archive

def jobs_path(db: Path) -> Path:
    """APScheduler's SQLite job store, next to the archive so one directory holds the state."""
    return db.with_name(db.stem + ".jobs.sqlite")


def lock_dir(db: Path) -> Path:
    return db.with_name(db.stem + ".locks")


def log_dir(db: Path) -> Path:
    return db.with_name(db.stem + ".logs")


# ---------------------------------------------------------------- per-portal lock

class PortalLock:
    """``flock(LOCK_EX|LOCK_NB)`` on ``<db>.locks/<portal>.lock``; the file names the holder."""

    def __init__(self, db: Path, portal: str) -> None:
        self.path = lock_dir(db) / f"{portal}.lock"
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        self.note(f"scheduler {os.getpid()}")
        return True

    def note(self, text: str) -> None:
        """Say who holds the lock (read by `nianbao status` and by people)."""
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{text}\n".encode(), 0)

    def holder(self) -> str:
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing our descriptor drops the flock once the crawl has exited too
            self.fd = None

    def is_held(self) -> bool:
        """True when some process holds the lock right now (probe without keeping it)."""
        return self.path.exists() and lock_held(self.path)


# ---------------------------------------------------------------- reading crawl_runs

def parse_time(value: str | None) -> datetime | None:
    """crawl_runs timestamps are ISO 8601; naive ones are UTC."""
    if not value:
        return None
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def _read(db: Path, table: str, question, *args, default=None):
    """`question(conn, *args)` on the archive at `db`, or `default` while it has no `table` yet (the
    scheduler may look before the first crawl created the file: it must not create it)."""
    if not db.exists():
        return default
    with closing(queries.reader(db)) as conn:
        if not queries.has_table(conn, table):
            return default
        return question(conn, *args)


def last_started(db: Path, portal: str) -> datetime | None:
    """When the portal's last run started, not counting interrupted runs (those are retried)."""
    return parse_time(_read(db, "crawl_runs", queries.last_run_started, portal))


def max_run_id(db: Path, portal: str) -> int:
    return _read(db, "crawl_runs", queries.last_run_id, portal, default=0)


def runs_after(db: Path, portal: str, after_id: int) -> list[queries.Row]:
    return _read(db, "crawl_runs", queries.runs_after, portal, after_id, default=[])


def unfinished_runs(db: Path, portal: str) -> list[queries.Row]:
    return _read(db, "crawl_runs", queries.unfinished_runs, portal, default=[])



def mark_interrupted(db: Path, portal: str, why: str) -> list[int]:
    """Close runs of ``portal`` left without ``finished`` by a crawl that died (e.g. SIGKILL).

    Call only while holding the portal's lock: then no crawl of it can still be running,
    except one recorded with a pid that is still alive (a crawl started outside the scheduler).
    """
    from archive.store import Archive

    dead = [r for r in unfinished_runs(db, portal) if not (r["pid"] and pid_alive(int(r["pid"])))]
    if not dead:
        return []
    with Archive(db) as archive:
        for run in dead:
            archive.finish_run(run["id"], "interrupted", error=why)
            log.warning("portal %s: run %s (started %s) never finished: marked interrupted (%s)",
                        portal, run["id"], run["started"], why)
    return [r["id"] for r in dead]


# ---------------------------------------------------------------- running crawls

@dataclass(frozen=True)
class RunConfig:
    """Everything a scheduled run needs; pickled into the job store, so plain data only."""

    db: str
    portals: str | None = None
    tz: str = DEFAULT_TZ
    crawl_args: tuple[str, ...] = ()
    alerts: dict = field(default_factory=dict)


class _Crawls:
    """The crawl processes this scheduler started, so SIGTERM can be forwarded to them once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: dict[int, tuple[str, subprocess.Popen]] = {}
        self.stopping = False

    def spawn(self, portal: str, argv: list[str], **kw) -> subprocess.Popen | None:
        """Start a crawl unless we are stopping (checked under the lock so none slips past a stop)."""
        with self.lock:
            if self.stopping:
                return None
            proc = subprocess.Popen(argv, **kw)
            self.procs[proc.pid] = (portal, proc)
            return proc

    def done(self, proc: subprocess.Popen) -> None:
        with self.lock:
            self.procs.pop(proc.pid, None)

    def stop(self) -> list[tuple[str, int]]:
        """Refuse new crawls and send SIGTERM (Scrapy's graceful stop) once to each running one."""
        with self.lock:
            if self.stopping:
                return []
            self.stopping = True
            running = list(self.procs.values())
        for portal, proc in running:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        return [(portal, proc.pid) for portal, proc in running]

    def running(self) -> list[tuple[str, int]]:
        with self.lock:
            return [(portal, proc.pid) for portal, proc in self.procs.values()]


CRAWLS = _Crawls()


def crawl_argv(portal: str, cfg: RunConfig) -> list[str]:
    """``nianbao crawl PORTAL --db DB [--portals FILE]`` with this interpreter."""
    argv = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')",
            "crawl", portal, "--db", cfg.db]
    if cfg.portals:
        argv += ["--portals", cfg.portals]
    return argv + list(cfg.crawl_args)


def run_portal(portal: str, cfg: RunConfig, due_by: Sequence[str] | None = None) -> str:
    """One scheduled crawl of ``portal`` in its own process. The APScheduler job target.

    With ``due_by`` (a schedule), crawl only if still due once the lock is held, so that two
    ``--once`` processes working through the same list do not crawl a portal twice.
    Returns what happened: locked | not-due | stopping | failed | the run's status (ok, blocked, ...).
    """
    db = Path(cfg.db)
    lock = PortalLock(db, portal)
    if not lock.acquire():
        log.info("portal %s: skipped, a crawl of it is still running (%s)", portal, lock.holder() or "lock held")
        return "locked"
    try:
        mark_interrupted(db, portal, "crawl process gone (lock was free)")
        if due_by and not is_due(make_trigger(due_by, cfg.tz), last_started(db, portal),
                                 datetime.now(timezone.utc)):
            return "not-due"
        before = max_run_id(db, portal)
        logs = log_dir(db)
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{portal}.log"
        with open(log_path, "wb") as out:
            proc = CRAWLS.spawn(portal, crawl_argv(portal, cfg), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, pass_fds=(lock.fd,), start_new_session=True)
            if proc is None:
                return "stopping"
            lock.note(f"scheduler {os.getpid()} crawl {proc.pid} started {datetime.now(timezone.utc).isoformat()}")
            log.info("portal %s: crawl started (pid %s, log %s)", portal, proc.pid, log_path)
            try:
                code = proc.wait()
            finally:
                CRAWLS.done(proc)
        why = f"crawl killed by signal {-code}" if code < 0 else f"crawl exited with code {code} mid-run"
        mark_interrupted(db, portal, why)
        runs = runs_after(db, portal, before) if db.exists() else []
        if not runs:
            log.error("portal %s: crawl exited with code %s without recording a run; see %s", portal, code, log_path)
            return "failed"
        run = runs[-1]
        log.info("portal %s: run %s %s (exit code %s, log %s)", portal, run["id"], run["status"], code, log_path)
        _alert(db, portal, run["id"], cfg)
        return run["status"] or "unfinished"
    finally:
        lock.release()


def _alert(db: Path, portal: str, run_id: int, cfg: RunConfig) -> None:
    try:
        check_run(db, portal, run_id, **cfg.alerts)
    except Exception:  # an alert bug must not stop the schedule; it is logged with its traceback
        log.exception("portal %s: computing alerts for run %s failed", portal, run_id)


def recover(db: Path, portals: Iterable[str]) -> None:
    """At start: close runs left unfinished by crawls that died while nothing held their lock."""
    for portal in portals:
        lock = PortalLock(db, portal)
        if lock.acquire():
            try:
                mark_interrupted(db, portal, "crawl process gone (found at scheduler start)")
            finally:
                lock.release()


# ---------------------------------------------------------------- the service and --once

def _install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame) -> None:
        if stop.is_set():
            log.warning("already stopping; waiting for crawls %s", CRAWLS.running())
            return
        log.info("%s: no new crawls; asking running crawls to finish their current requests",
                 signal.Signals(signum).name)
        stop.set()
        for portal, pid in CRAWLS.stop():
            log.info("portal %s: sent SIGTERM to crawl pid %s", portal, pid)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_once(schedules: dict[str, tuple[str, ...]], cfg: RunConfig, parallel: int = 1) -> dict[str, str]:
    """Run every due portal (at most ``parallel`` at a time) and return portal -> outcome."""
    db = Path(cfg.db)
    stop = threading.Event()
    _install_stop_handlers(stop)
    recover(db, schedules)
    now = datetime.now(timezone.utc)
    due = [p for p, expr in schedules.items()
           if is_due(make_trigger(expr, cfg.tz), last_started(db, p), now)]
    log.info("%d of %d portals due: %s", len(due), len(schedules), ", ".join(due) or "none")
    with _Pool(max_workers=max(1, parallel)) as pool:
        futures = {p: pool.submit(run_portal, p, cfg, schedules[p]) for p in due}
    return {p: f.result() for p, f in futures.items()}


def serve(schedules: dict[str, tuple[str, ...]], cfg: RunConfig, jitter: int = 300, parallel: int = 1) -> None:
    """The long-running service: each portal on its cron until SIGTERM/SIGINT."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    db = Path(cfg.db)
    stop = threading.Event()
    _install_stop_handlers(stop)
    recover(db, schedules)
    # A background scheduler, so that signal handlers only set an event and the main thread does the
    # stopping; started paused so jobs restored from the store cannot fire before they are synced.
    sched = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobs_path(db).resolve()}")},
        executors={"default": ThreadPoolExecutor(max(1, parallel))},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        timezone=ZoneInfo(cfg.tz))
    sched.start(paused=True)
    now = datetime.now(timezone.utc)
    for portal, expr in schedules.items():
        trigger = make_trigger(expr, cfg.tz, jitter=jitter or None)
        kwargs = {}
        if is_due(make_trigger(expr, cfg.tz), last_started(db, portal), now):
            kwargs["next_run_time"] = now + timedelta(seconds=random.uniform(0, jitter))
        job = sched.add_job("crawler.schedule:run_portal", trigger, args=[portal, cfg], id=portal,
                            name=f"crawl {portal}", replace_existing=True, **kwargs)
        log.info("portal %s: schedule %r, next run %s%s", portal, expr, job.next_run_time,
                 " (due now: catching up)" if kwargs else "")
    for job in sched.get_jobs():
        if job.id not in schedules:
            log.info("portal %s is no longer in the portal file: removing its job", job.id)
            job.remove()
    sched.resume()
    log.info("scheduler running with %d portals (pid %s); SIGTERM or Ctrl-C stops it", len(schedules), os.getpid())
    while not stop.wait(1):
        pass
    sched.shutdown(wait=True)  # returns once every running job has seen its crawl exit
    log.info("scheduler stopped")


# ---------------------------------------------------------------- status

def status_rows(db: Path, crons: dict[str, tuple[str, ...]], tz: str = DEFAULT_TZ,
                now: datetime | None = None) -> list[dict]:
    """Per portal: its last run, whether a crawl holds its lock now, and when it is due next."""
    now = now or datetime.now(timezone.utc)
    last: dict[str, dict] = _read(db, "crawl_runs", queries.latest_run_per_portal, default={})
    rows = []
    for portal in list(crons) + sorted(set(last) - set(crons)):
        run = last.get(portal)
        lock = PortalLock(db, portal)
        row = {"portal": portal, "run": run, "running": lock.holder() if lock.is_held() else None,
               "schedule": crons.get(portal), "due": None, "next": None}
        if portal in crons:
            trigger = make_trigger(crons[portal], tz)
            started = last_started(db, portal)
            row["due"] = is_due(trigger, started, now)
            row["next"] = next_fire_time(trigger, now)
        rows.append(row)
    return rows


def last_local_run(db: Path) -> dict | None:
    """The last run with no portal: a `load` or `reparse` (they share crawl_runs with the crawls)."""
    return _read(db, "crawl_runs", queries.last_local_run)


def open_alerts(db: Path) -> list[dict]:
    return _read(db, "alerts", queries.open_alerts, default=[])
