"""The archive: the only code that writes the SQLite file (raw responses, reports, versions, runs).

Usage by the crawler (Datasette reads concurrently thanks to WAL; several processes may write, each
write transaction is BEGIN IMMEDIATE and waits for the others, see `Archive`)::

    archive = Archive("nianbao.db")
    archive.upsert_portal("pingtan", name="平潭综合实验区管委会", region="福建省", start_urls=[...], family="trs")
    run_id = archive.start_run("pingtan")
    headers = archive.validators(url)                       # conditional GET
    fetch_id = archive.record_fetch(url, final_url=..., status=200, headers=..., body=b"...",
                                    fetched_at=..., run_id=run_id, portal_id="pingtan")
    result = archive.ingest(fetch_id, report)               # or ingest(fetch_id, None, error="...")
    archive.mark_seen(url, run_id)                          # a 304: the report is still there
    archive.mark_gone("pingtan", seen_urls, run_id)         # reports no longer listed -> status gone
    archive.finish_run(run_id, "ok")

Every write method is one transaction: a report, its version, metrics, sections, checks and search
row appear together or not at all, also when the process is killed mid-write.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

import sqlite_utils

from archive import kinds, ngrams, organs, places, queries
from archive.runlocks import RunLocks
from archive.schema import create_search_fts, create_search_grams, fill_search_grams, migrate, write_transaction
from parsers.model import Check, Report
from parsers.schema import metric_labels

RUN_STATUSES = ("ok", "partial", "failed", "blocked", "interrupted")
RUN_STATS = ("requests", "bytes", "new_reports", "new_versions", "gone_reports", "parse_errors", "error", "listed",
             "missed", "missed_urls")
OUTCOMES = ("new_report", "new_version", "unchanged", "parse_error")


@dataclass(frozen=True)
class IngestResult:
    """What `Archive.ingest` did. outcome: new_report | new_version | unchanged | parse_error."""

    outcome: str
    report_id: int | None
    version_id: int | None


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _timestamp(value: Any) -> str:
    """ISO 8601 (UTC) from a datetime, an epoch number or an ISO string."""
    if value is None:
        return now()
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat(
            timespec="seconds"
        )
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc).isoformat(timespec="seconds")
    return str(value)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def normalize_headers(headers: Mapping | None) -> dict[str, str]:
    """Header names lower-cased, values as one string (Scrapy gives bytes and lists)."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        out[_text(name).lower()] = ", ".join(_text(v) for v in values)
    return out


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


_PLAIN = (int, float, str, type(None))  # check values that dataclasses.asdict would copy unchanged


def _check_dict(check: Check) -> dict:
    """`dataclasses.asdict(check)` without its recursive deep copy (the costly part of content_hash):
    the same dict, hence the same JSON and hash, for the plain values checks hold."""
    if type(check) is Check and all(type(v) in _PLAIN or isinstance(v, bool) for v in check.values.values()):
        return {"name": check.name, "passed": check.passed, "detail": check.detail, "values": check.values}
    return asdict(check)


def content_hash(report: Report) -> str:
    """Identity of a parse result: equal results are the same version, whatever bytes they came from.

    The sha256 of one canonical JSON serialisation; it must never change for equal content (archived
    versions are compared by it), so the checks serialise exactly as `dataclasses.asdict` gives them."""
    payload = {
        "meta": report.meta,
        "metrics": report.metrics,
        "checks": [_check_dict(c) for c in report.checks],
        "sections": report.sections,
        "text": report.text,
        "attachments": report.attachments,
    }
    if report.inferred:  # only when there are some: the hash of every other report stays what it was
        payload["inferred"] = report.inferred
    return hashlib.sha256(_json(payload).encode("utf-8")).hexdigest()


def check_status(report: Report) -> tuple[str, int]:
    """('failed' | 'ok' | 'unchecked', number of failed checks) for the facets."""
    failed = sum(1 for c in report.checks if c.passed is False)
    if failed:
        return "failed", failed
    return ("ok" if any(c.passed for c in report.checks) else "unchecked"), 0


def _parser_version() -> str:
    try:
        from parsers import PARSER_VERSION
    except ImportError:
        return "unknown"
    return str(PARSER_VERSION)


def _validate(report: Report) -> str | None:
    """Why a Report cannot be stored as is (unknown metric key, non-number), or None."""
    labels = metric_labels()
    unknown = sorted(k for k in report.metrics if k not in labels)
    if unknown:
        return f"unknown metric keys: {', '.join(unknown[:5])}"
    bad = sorted(k for k, v in report.metrics.items() if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))))
    if bad:
        return f"metric values that are not numbers: {', '.join(bad[:5])}"
    year = report.meta.get("year")
    if year is not None and not isinstance(year, int):
        return f"meta.year is not an integer: {year!r}"
    return None


class _Database(sqlite_utils.Database):
    """sqlite-utils with write transactions that take the lock up front (BEGIN IMMEDIATE, see
    archive.schema.write_transaction), so concurrent writer processes wait for each other (busy_timeout)
    instead of failing with "database is locked"."""

    def atomic(self):  # type: ignore[override]
        return write_transaction(self)


class Archive:
    """One archive file. Creates and migrates the schema on open (WAL, foreign keys on).

    Several processes may write one archive at once (e.g. two crawls of different portals): opening a
    current archive writes nothing, every write method is one IMMEDIATE transaction, and a writer waits
    up to 60 s (busy_timeout) for another's transaction to end.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        conn.execute("pragma foreign_keys = on")
        conn.execute("pragma busy_timeout = 60000")
        self.db = _Database(conn)
        migrate(self.db)
        self.db.execute("pragma synchronous = normal")
        self._check_search_index()
        self._runs = RunLocks(self.path)
        self.mark_dead_runs()

    # ------------------------------------------------------------------ plumbing
    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        """Checkpoint the WAL into the file (an immutable Datasette reads only the file) and close."""
        try:
            self.conn.execute("pragma wal_checkpoint(truncate)")
        except sqlite3.OperationalError:
            pass  # a reader still holds a snapshot: SQLite checkpoints when the last connection closes
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def read_only(cls, path: str | Path) -> "Archive":
        """The archive on a read-only connection, its schema left as it is: for processes that must never
        write (a distributed run's workers read validators while the one writer writes)."""
        archive = cls.__new__(cls)
        archive.path = Path(path)
        archive.db = _Database(sqlite3.connect(f"file:{archive.path.resolve()}?mode=ro", uri=True, timeout=60))
        return archive

    def keep_temp_in_memory(self) -> None:
        """Savepoint journals and temporary tables stay in RAM (a batching writer nests many savepoints)."""
        self.conn.execute("pragma temp_store = memory")

    def archived_source(self, report_url: str) -> str | None:
        """The URL the archived report at `report_url` was parsed from (see `queries.archived_source`)."""
        return queries.archived_source(self.conn, report_url)

    def _one(self, sql: str, params: Iterable = ()) -> dict | None:
        cur = self.conn.execute(sql, tuple(params))
        row = cur.fetchone()
        cur.close()  # an unfinished statement would block the WAL checkpoint at close()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row))

    def _ensure_portal(self, portal_id: str | None) -> None:
        if portal_id is not None:
            self.conn.execute("insert or ignore into portals(id, name, updated) values (?, ?, ?)", (portal_id, portal_id, now()))

    def _bump(self, run_id: int | None, **counts: int) -> None:
        if run_id is None or not counts:
            return
        sets = ", ".join(f"{k} = coalesce({k}, 0) + ?" for k in counts)
        self.conn.execute(f"update crawl_runs set {sets} where id = ?", (*counts.values(), run_id))

    # ------------------------------------------------------------------ portals and runs
    def upsert_portal(
        self,
        id: str,
        name: str | None = None,
        *,
        region: str | None = None,
        region_code: str | None = None,
        start_urls: Iterable[str] = (),
        family: str | None = None,
        schedule: str | None = None,
        **extra: Any,
    ) -> str:
        """Create or update a portal (id as in portals.toml); unknown fields are kept in `extra` (JSON)."""
        row = {
            "id": id, "name": name or id, "region": region, "region_code": region_code,
            "province": organs.province_of(region, name), "start_urls": _json(list(start_urls)),
            "cms_family": family or extra.pop("cms", None), "schedule": schedule,
            "extra": _json(extra) if extra else None, "updated": now(),
        }
        with self.db.atomic():
            self.db["portals"].upsert(row, pk="id")
        return id

    def start_run(self, portal_id: str | None) -> int:
        """A new crawl_runs row (status 'running', finished null) for this process."""
        with self.db.atomic():
            self._ensure_portal(portal_id)
            cur = self.conn.execute(
                "insert into crawl_runs(portal, started, status, pid) values (?, ?, 'running', ?)",
                (portal_id, now(), os.getpid()),
            )
        self._runs.hold(int(cur.lastrowid))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, **stats: Any) -> None:
        """Close a run: status ok | partial | failed | blocked | interrupted; stats override the counted ones."""
        if status not in RUN_STATUSES:
            raise ValueError(f"finish_run: status must be one of {', '.join(RUN_STATUSES)}, not {status!r}")
        unknown = set(stats) - set(RUN_STATS)
        if unknown:
            raise ValueError(f"finish_run: unknown stats {', '.join(sorted(unknown))} (known: {', '.join(RUN_STATS)})")
        sets = "".join(f", {k} = ?" for k in stats)
        with self.db.atomic():
            cur = self.conn.execute(
                f"update crawl_runs set finished = ?, status = ?{sets} where id = ?",
                (now(), status, *stats.values(), run_id),
            )
            if cur.rowcount != 1:
                raise KeyError(f"finish_run: no crawl run {run_id}")
        self._runs.release(run_id)

    def mark_dead_runs(self) -> list[int]:
        """Close as `interrupted` the runs whose process died without finishing them (killed with -9, a
        power cut): their lock is free. Called on every open, so the next command cleans up; returns their ids."""
        rows = self.conn.execute("select id, pid from crawl_runs where finished is null").fetchall()
        dead = [run_id for run_id, pid in rows if self._runs.is_dead(run_id, pid)]
        for run_id in dead:
            with self.db.atomic():
                self.conn.execute(
                    "update crawl_runs set finished = ?, status = 'interrupted', error = coalesce(error, ?)"
                    " where id = ? and finished is null",
                    (now(), "its process died before finishing it (found by the next command that opened the archive)",
                     run_id))
            self._runs.release(run_id)
        return dead

    def add_alert(self, portal: str | None, kind: str, message: str, run_id: int | None = None) -> int:
        """Record an alert for the scheduler's status page / webhook; returns its id."""
        with self.db.atomic():
            self._ensure_portal(portal)
            cur = self.conn.execute(
                "insert into alerts(portal, kind, message, created, run_id, resolved) values (?, ?, ?, ?, ?, 0)",
                (portal, kind, message, now(), run_id),
            )
        return int(cur.lastrowid)

    def resolve_alerts(self, portal: str | None, kind: str | None = None) -> int:
        """Mark a portal's open alerts (of one kind, or all) resolved; returns how many."""
        with self.db.atomic():
            cur = self.conn.execute(
                "update alerts set resolved = 1 where portal is ? and resolved = 0 and (? is null or kind = ?)",
                (portal, kind, kind),
            )
        return cur.rowcount

    # ------------------------------------------------------------------ raw responses
    def record_fetch(
        self,
        url: str,
        *,
        final_url: str | None = None,
        status: int,
        headers: Mapping | None = None,
        body: bytes | None = b"",
        fetched_at: Any = None,
        run_id: int | None = None,
        portal_id: str | None = None,
        content_type: str | None = None,
        listing_title: str | None = None,
    ) -> int:
        """Keep one HTTP response (any status). The body is stored once per sha256, zlib-compressed.
        `listing_title`: the title a report page or file was listed under (the parser's hint)."""
        body = body or b""
        sha = hashlib.sha256(body).hexdigest()
        hdrs = normalize_headers(headers)
        with self.db.atomic():
            self._ensure_portal(portal_id)
            self.conn.execute(
                "insert or ignore into bodies(sha256, size, compression, data) values (?, ?, 'zlib', ?)",
                (sha, len(body), zlib.compress(body, 6)),
            )
            cur = self.conn.execute(
                "insert into fetches(url, final_url, status, headers, fetched_at, sha256, content_type, size, run_id,"
                " portal_id, listing_title) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (url, final_url or url, status, _json(hdrs), _timestamp(fetched_at), sha,
                 content_type or hdrs.get("content-type"), len(body), run_id, portal_id, listing_title or None),
            )
            self._bump(run_id, requests=1, bytes=len(body))
        return int(cur.lastrowid)

    def body(self, sha256: str) -> bytes:
        """The raw bytes of a stored body."""
        row = self._one("select compression, data from bodies where sha256 = ?", (sha256,))
        if row is None:
            raise KeyError(f"no body with sha256 {sha256}")
        return zlib.decompress(row["data"]) if row["compression"] == "zlib" else bytes(row["data"])

    def fetch(self, fetch_id: int) -> dict:
        row = self._one("select * from fetches where id = ?", (fetch_id,))
        if row is None:
            raise KeyError(f"no fetch {fetch_id}")
        return row

    def latest_fetch(self, url: str, status: int | None = None) -> dict | None:
        """The newest response recorded for a URL (any status, or only responses with `status`)."""
        return self._one("select * from fetches where url = ? and (? is null or status = ?)"
                         " order by fetched_at desc, id desc limit 1", (url, status, status))

    def validating_fetch(self, url: str) -> dict | None:
        """The response a conditional GET for this URL is validated against: the last good 200.

        Only responses of runs that ended normally count: a crawl killed mid-run stored bodies it never
        ingested, and a 304 answered to their validators would lose those reports for good. For the same
        reason a 200 that was refused (a login or busy page, the crawler's error header) or whose parse
        failed (an open parse error) never validates: the next run asks for it in full. A 304 means this
        body is unchanged, so it is also the body to read again after one.
        """
        return self._one(
            "select f.* from fetches f left join crawl_runs r on r.id = f.run_id"
            " where f.url = ? and f.status = 200"
            " and (f.run_id is null or r.status in ('ok', 'partial', 'failed', 'blocked'))"
            " and coalesce(f.headers, '') not like '%\"x-nianbao-error\"%'"
            " and not exists (select 1 from parse_errors p where p.fetch_id = f.id and p.resolved = 0)"
            " order by f.fetched_at desc, f.id desc limit 1", (url,)
        )

    def validators(self, url: str) -> dict[str, str]:
        """Headers for a conditional GET, from `validating_fetch` (empty if there is none)."""
        row = self.validating_fetch(url)
        headers = json.loads(row["headers"]) if row and row["headers"] else {}
        out = {}
        if headers.get("etag"):
            out["If-None-Match"] = headers["etag"]
        if headers.get("last-modified"):
            out["If-Modified-Since"] = headers["last-modified"]
        return out

    # ------------------------------------------------------------------ reports
    def ingest(
        self,
        fetch_id: int,
        report: Report | None,
        *,
        error: str | None = None,
        url: str | None = None,
        portal_id: str | None = None,
        run_id: int | None = None,
    ) -> IngestResult:
        """Store the parse result of a recorded fetch (None + error: a parse error, kept for `reparse`).

        Report identity is organ x year (organ resolved within the portal and its region); without an
        organ or year it is the portal + URL (the file path for `nianbao load`). `url` defaults to the
        fetch's final URL; give the report page's URL for an attachment. Same content as the current
        version -> unchanged; different content -> a new version (older versions are kept).
        """
        fetch = self.fetch(fetch_id)
        url = url or fetch["final_url"] or fetch["url"]
        portal_id = portal_id if portal_id is not None else fetch["portal_id"]
        run_id = run_id if run_id is not None else fetch["run_id"]
        problem = _validate(report) if report is not None else (error or "no report")
        if problem:
            return self._parse_error(fetch_id, url, portal_id, run_id, problem)
        assert report is not None
        with self.db.atomic():
            result = self._store_report(fetch, report, url, portal_id)
            self.conn.execute(
                "update parse_errors set resolved = 1 where resolved = 0 and (fetch_id = ? or url = ?)", (fetch_id, url)
            )
            self._bump(run_id, **{"new_reports": 1} if result.outcome == "new_report" else
                       {"new_versions": 1} if result.outcome == "new_version" else {})
        return result

    def _parse_error(self, fetch_id: int, url: str, portal_id: str | None, run_id: int | None, error: str) -> IngestResult:
        with self.db.atomic():
            self._ensure_portal(portal_id)
            self.conn.execute(
                "update parse_errors set resolved = 1 where resolved = 0 and fetch_id = ?", (fetch_id,)
            )
            self.conn.execute(
                "insert into parse_errors(fetch_id, url, portal_id, run_id, error, parser_version, created, resolved)"
                " values (?, ?, ?, ?, ?, ?, ?, 0)",
                (fetch_id, url, portal_id, run_id, error, _parser_version(), now()),
            )
            self._bump(run_id, parse_errors=1)
        return IngestResult("parse_error", None, None)

    def _organ(self, name: str, portal_id: str | None) -> dict:
        """Resolve (or create) the organ row for a printed name within the portal's region."""
        portal = self._one("select name, region, region_code, province from portals where id = ?", (portal_id,)) or {}
        region = portal.get("region")
        organ_id, names = organs.resolve(self.conn, name, portal_id, region)
        stamp = name.strip()
        if organ_id is None:
            core = organs.core_name(stamp)
            province, code = places.organ_place(stamp, portal.get("name"), region,
                                                portal.get("province") or organs.province_of(stamp))
            cur = self.conn.execute(
                "insert into organs(key, name, core, rcore, portal_id, region, region_code, province, names)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"{portal_id or ''}|{region or ''}|{core}", stamp, core, core[::-1], portal_id, region,
                 code or portal.get("region_code"), province, _json([stamp])),
            )
            organ_id = int(cur.lastrowid)
        elif stamp not in names:
            names.append(stamp)
            longest = max(names, key=len)
            self.conn.execute("update organs set names = ?, name = ? where id = ?", (_json(names), longest, organ_id))
            self.conn.execute("update reports set organ = ? where organ_id = ?", (longest, organ_id))
            self.conn.execute("update search set organ = ? where organ_id = ?", (longest, organ_id))
        return self._one("select * from organs where id = ?", (organ_id,))  # type: ignore[return-value]

    def _find_report(self, organ: dict | None, year: int | None, url: str, portal_id: str | None) -> tuple[str, dict | None]:
        """(key, existing report row or None). A URL-keyed report gets its organ x year key once known."""
        url_key = f"url:{portal_id or ''}:{url}"
        if organ is None or year is None:
            return url_key, self._one("select * from reports where key = ?", (url_key,))
        key = f"organ:{organ['id']}:{year}"
        row = self._one("select * from reports where key = ?", (key,))
        if row is None:
            row = self._one("select * from reports where key = ?", (url_key,))
            if row is not None:
                self.conn.execute(
                    "update reports set key = ?, organ_id = ?, year = ? where id = ?", (key, organ["id"], year, row["id"])
                )
        return key, row

    def _store_report(self, fetch: dict, report: Report, url: str, portal_id: str | None) -> IngestResult:
        meta = report.meta
        organ_name = (meta.get("organ") or "").strip()
        organ = self._organ(organ_name, portal_id) if organ_name else None
        year = meta.get("year")
        key, row = self._find_report(organ, year, url, portal_id)
        chash = content_hash(report)
        stamp = now()
        status, failed = check_status(report)
        portal = self._one("select region, province from portals where id = ?", (portal_id,)) or {}
        fields = {
            "organ_id": organ["id"] if organ else None,
            "organ": organ["name"] if organ else None,
            "year": year,
            "portal_id": portal_id,
            "province": (organ or {}).get("province") or portal.get("province") or organs.province_of(meta.get("title")),
            "region": portal.get("region"),
            "url": url,
            "status": "current",
            "format": meta.get("format"),
            "kind": kinds.body_kind(fetch.get("content_type"), fetch.get("final_url") or fetch.get("url")),
            "title": meta.get("title"),
            "check_status": status,
            "checks_failed": failed,
            "fetch_id": fetch["id"],
            "last_seen": stamp,
            "gone_since": None,
        }
        if row is None:
            cur = self.conn.execute(
                f"insert into reports(key, first_seen, versions, {', '.join(fields)}) values (?, ?, 0, {', '.join('?' * len(fields))})",
                (key, stamp, *fields.values()),
            )
            report_id, outcome = int(cur.lastrowid), "new_report"
        else:
            report_id = row["id"]
            current = self._one("select content_sha256 from report_versions where id = ?", (row["current_version_id"],))
            outcome = "unchanged" if current and current["content_sha256"] == chash else "new_version"
        self._replace_others(report_id, url, portal_id, stamp)
        if outcome == "unchanged":
            version_id = row["current_version_id"]  # type: ignore[index]
            self.conn.execute("update report_versions set last_seen = ? where id = ?", (stamp, version_id))
            self._update_report(report_id, {k: fields[k] for k in ("url", "status", "fetch_id", "last_seen", "gone_since")})
            self.conn.execute("update search set status = 'current' where id = ?", (report_id,))
            return IngestResult(outcome, report_id, version_id)
        earlier = self._one(
            "select id from report_versions where report_id = ? and content_sha256 = ?", (report_id, chash)
        )
        if earlier:
            version_id = earlier["id"]
            self.conn.execute("update report_versions set last_seen = ? where id = ?", (stamp, version_id))
            current_url = self._one("select source_url from report_versions where id = ?", (row["current_version_id"],))  # type: ignore[index]
            if not current_url or current_url["source_url"] != url:
                # Two URLs carry different contents for one organ x year: keep the current one, do not flip.
                self._update_report(report_id, {"status": "current", "last_seen": stamp, "gone_since": None})
                return IngestResult("unchanged", report_id, version_id)
            # else: the page went back to an earlier content, which is current again
        else:
            version_id = self._insert_version(report_id, fetch, report, url, chash, stamp)
        self._update_report(report_id, {**fields, "current_version_id": version_id})
        self.conn.execute("update reports set versions = (select count(*) from report_versions where report_id = ?) where id = ?",
                          (report_id, report_id))
        self._index(report_id, fields, report)
        return IngestResult(outcome, report_id, version_id)

    def _replace_others(self, report_id: int, url: str, portal_id: str | None, stamp: str) -> None:
        """One URL carries one report. When its document now reads as another organ or year (a corrected
        title, a better parser), the report stored for the old reading is `replaced`: kept with its
        versions, left out of current metrics, diffs and search, and current again if the document
        reads that way again."""
        others = [r[0] for r in self.conn.execute(
            "select id from reports where url = ? and portal_id is ? and id != ? and status != 'replaced'",
            (url, portal_id, report_id))]
        for other in others:
            self._update_report(other, {"status": "replaced", "gone_since": stamp})
            self.conn.execute("update search set status = 'replaced' where id = ?", (other,))

    def _update_report(self, report_id: int, fields: dict) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"update reports set {sets} where id = ?", (*fields.values(), report_id))

    def _insert_version(self, report_id: int, fetch: dict, report: Report, url: str, chash: str, stamp: str) -> int:
        meta = report.meta
        metrics = [(k, v) for k, v in report.metrics.items()]
        sections = [(i, name, text) for i, (name, text) in enumerate(report.sections.items())]
        cur = self.conn.execute(
            "insert into report_versions(report_id, content_sha256, fetch_id, body_sha256, source_url, source, parser_version,"
            " organ, year, format, title, date, meta, attachments, n_metrics, n_sections, n_checks, first_seen, last_seen,"
            " readers, inferred) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report_id, chash, fetch["id"], fetch["sha256"], url, report.source, _parser_version(), meta.get("organ"),
             meta.get("year"), meta.get("format"), meta.get("title"), meta.get("date"), _json(meta),
             _json(report.attachments), len(metrics), len(sections), len(report.checks), stamp, stamp,
             _json(report.readers) if report.readers else None, _json(report.inferred) if report.inferred else None),
        )
        version_id = int(cur.lastrowid)
        self.conn.executemany(
            "insert into metrics(version_id, key, value) values (?, ?, ?)", [(version_id, k, v) for k, v in metrics]
        )
        self.conn.executemany(
            "insert into sections(version_id, position, name, text) values (?, ?, ?, ?)",
            [(version_id, *s) for s in sections],
        )
        self.conn.executemany(
            "insert into checks(version_id, name, passed, detail, check_values) values (?, ?, ?, ?, ?)",
            [(version_id, c.name, None if c.passed is None else int(c.passed), c.detail, _json(c.values))
             for c in report.checks],
        )
        return version_id

    def _index(self, report_id: int, fields: dict, report: Report) -> None:
        """Replace the report's search row and its n-gram and gram postings (contentless FTS: delete needs the
        old text)."""
        old = self._one("select text from search where id = ?", (report_id,))
        if old is not None:
            self.conn.execute(
                "insert into search_fts(search_fts, rowid, text) values ('delete', ?, ?)",
                (report_id, ngrams.index_text(old["text"] or "")),
            )
            self.conn.execute("insert into search_grams(search_grams, rowid, grams) values ('delete', ?, ?)",
                              (report_id, ngrams.gram_text(old["text"] or "")))
        text = report.text or "\n".join(report.sections.values())
        title = fields["title"] or ""
        if title and title not in text:  # a report is found by its own title too (prose extraction may drop it)
            text = f"{title}\n{text}"
        self.conn.execute(
            "insert or replace into search(id, organ_id, organ, year, province, format, kind, check_status, status, title,"
            " text) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report_id, fields["organ_id"], fields["organ"], fields["year"], fields["province"], fields["format"],
             fields["kind"], fields["check_status"], "current", fields["title"], text),
        )
        self.conn.execute("insert into search_fts(rowid, text) values (?, ?)", (report_id, ngrams.index_text(text)))
        self.conn.execute("insert into search_grams(rowid, grams) values (?, ?)", (report_id, ngrams.gram_text(text)))

    def mark_seen(self, url: str, run_id: int | None = None) -> int:
        """A 304 or an unchanged body: the reports at this URL are still there (a gone one comes back)."""
        stamp = now()
        with self.db.atomic():
            ids = [r[0] for r in self.conn.execute("select id from reports where url = ? and status != 'replaced'", (url,))]
            for report_id in ids:
                self.conn.execute(
                    "update reports set last_seen = ?, status = 'current', gone_since = null where id = ?", (stamp, report_id)
                )
                self.conn.execute(
                    "update report_versions set last_seen = ? where id = (select current_version_id from reports where id = ?)",
                    (stamp, report_id),
                )
                self.conn.execute("update search set status = 'current' where id = ?", (report_id,))
        return len(ids)

    def mark_gone(self, portal_id: str, seen_urls: Iterable[str], run_id: int | None = None) -> int:
        """Reports of the portal whose URL was not seen in this run -> status 'gone' (never deleted)."""
        seen = set(seen_urls)
        stamp = now()
        with self.db.atomic():
            rows = self.conn.execute(
                "select id, url from reports where portal_id = ? and status = 'current'", (portal_id,)
            ).fetchall()
            gone = [rid for rid, url in rows if url not in seen]
            for report_id in gone:
                self.conn.execute("update reports set status = 'gone', gone_since = ? where id = ?", (stamp, report_id))
                self.conn.execute("update search set status = 'gone' where id = ?", (report_id,))
            self._bump(run_id, gone_reports=len(gone))
        return len(gone)

    # ------------------------------------------------------------------ incremental re-crawls
    def confirm_fetch(self, url: str, *, status: int, body: bytes | None = b"", run_id: int | None = None,
                      listing_title: str | None = None) -> int | None:
        """A 304 (for the response it was validated against), or a 200 whose body is the one last stored for
        `url`: move that stored response's `last_seen` (and listing title) on instead of adding a `fetches`
        row. Its id, or None when there is nothing to confirm (then it is recorded with `record_fetch`)."""
        row = (self.validating_fetch(url) if status == 304 else None) or self._one(
            "select id, status, sha256 from fetches where url = ? and status = 200"
            " order by fetched_at desc, id desc limit 1", (url,))
        if row is None or (status != 304 and (status != 200 or hashlib.sha256(body or b"").hexdigest() != row["sha256"])):
            return None
        with self.db.atomic():
            self.conn.execute("update fetches set last_seen = ?, listing_title = coalesce(?, listing_title)"
                              " where id = ?", (now(), listing_title or None, row["id"]))
            self._bump(run_id, requests=1)
        return int(row["id"])

    def listing_heads(self, portal_id: str) -> dict[str, dict]:
        """What each listing's first page showed at the portal's last complete walk, by listing key."""
        return queries.listing_heads(self.conn, portal_id)

    def missed_since_ok(self, portal_id: str) -> set[str]:
        """Report URLs the portal's runs since its last ok run missed (see `queries.missed_since_ok`)."""
        return queries.missed_since_ok(self.conn, portal_id)

    def known_reports(self, portal_id: str) -> dict[str, str | None]:
        """The portal's current reports: URL -> when last confirmed (for the re-check rotation)."""
        return queries.known_reports(self.conn, portal_id)

    def record_listing_heads(self, portal_id: str, heads: Iterable[tuple[str, str, list[str], int]], *,
                             full: bool) -> None:
        """Remember each listing's first page (key, url, report links, further pages) after a walk that read
        it whole; `full`: every page of every listing was read (resets the full-walk rotation)."""
        stamp = now()
        with self.db.atomic():
            self._ensure_portal(portal_id)
            for key, url, links, further in heads:
                self.conn.execute(
                    "insert into listings(portal_id, key, url, links, further, read_at, full_walk_at)"
                    " values (?, ?, ?, ?, ?, ?, ?) on conflict(portal_id, key) do update set url = excluded.url,"
                    " links = excluded.links, further = excluded.further, read_at = excluded.read_at,"
                    " full_walk_at = coalesce(excluded.full_walk_at, listings.full_walk_at)",
                    (portal_id, key, url, _json(list(links)), further, stamp, stamp if full else None))

    # ------------------------------------------------------------------ search index upkeep
    def _check_search_index(self) -> None:
        row = self._one("select value from archive_meta where key = 'ngrams_version'")
        if row is None or row["value"] != str(ngrams.VERSION):
            self.rebuild_search()

    def rebuild_search(self) -> None:
        """Re-create the n-gram and gram indexes from `search.text` (after the token stream's VERSION changed)."""
        self.conn.create_function("nianbao_index_text", 1, ngrams.index_text, deterministic=True)
        with self.db.atomic():
            self.conn.execute("drop table if exists search_fts")
            create_search_fts(self.db)
            self.conn.execute("insert into search_fts(rowid, text) select id, nianbao_index_text(text) from search")
            self.conn.execute("drop table if exists search_grams")
            create_search_grams(self.db)
            fill_search_grams(self.db)
            self.conn.execute(
                "insert or replace into archive_meta(key, value) values ('ngrams_version', ?)", (str(ngrams.VERSION),)
            )

    def optimize_search(self) -> None:
        """Merge the FTS segments into one (faster queries after a bulk load)."""
        with self.db.atomic():
            self.conn.execute("insert into search_fts(search_fts) values ('optimize')")
            self.conn.execute("insert into search_grams(search_grams) values ('optimize')")


def close_dead_runs(path: str | Path) -> None:
    """Open the archive at `path` once, so runs whose process died are marked `interrupted`
    (Archive.mark_dead_runs); a read-only copy is left as it is."""
    if Path(path).is_file():
        try:
            Archive(path).close()
        except (sqlite3.Error, OSError):
            pass
