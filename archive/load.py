"""`nianbao load` and `nianbao reparse`: files a user already has, and stored bodies, through the crawler's parse path.

A loaded file is a pseudo-fetch (`file://` URL, fetched_at = the file's mtime) so the archive keeps its
bytes and provenance exactly like a crawled page; parsing is `parsers.pool.parse_job`, the same
function the crawler's worker pool runs.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import unquote, urlsplit

from tqdm import tqdm

from archive.store import Archive
from parsers.pool import listing_hints, parse_in_order, parse_job
from parsers import limits
from parsers.limits import human_bytes
from parsers.model import ParseError

REPORT_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".txt", ".pdf", ".docx", ".doc"}


@dataclass
class Summary:
    """What a load or reparse did, for the closing line and for tests.

    `outcomes`: ingest outcomes (new_report, new_version, unchanged, parse_error); `skipped`: files not
    read, by reason (a suffix that is not a report's, over the size limit, a symlink out of the folders
    given); `failed`: files that could not be read or stored; `errors`: one line per parse error or failure.
    """

    outcomes: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self, verb: str = "loaded") -> str:
        """`loaded N (…); skipped N (…); failed N (…)`: only what happened, every count named."""
        done = sum(n for k, n in self.outcomes.items() if k != "parse_error")
        parts = []
        if done:
            parts.append(f"{verb} {done} (" + ", ".join(
                f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.outcomes.items()) if k != "parse_error") + ")")
        if self.skipped:
            parts.append(f"skipped {sum(self.skipped.values())} ("
                         + ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) + ")")
        failed = self.outcomes["parse_error"] + self.failed
        if failed:
            why = [f"{self.outcomes['parse_error']} parse error"] if self.outcomes["parse_error"] else []
            why += [f"{self.failed} unreadable"] if self.failed else []
            parts.append(f"failed {failed} ({', '.join(why)})")
        return "; ".join(parts) or "nothing to do"


def report_files(paths: Iterable[Path], summary: Summary, *, follow_links: bool = False,
                 max_bytes: int | None = None) -> list[Path]:
    """Report files under the given paths (folders recursively), sorted; the others counted as skipped.

    A symlink whose target lies outside every folder given is not followed (`follow_links` to allow it):
    a link in a folder of reports must not import /etc/passwd. A file over `max_bytes` is skipped unread.
    """
    roots = [Path(p) for p in paths]
    for path in roots:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
    inside = [r.resolve() for r in roots if r.is_dir()]
    files: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        for f in _walk(root, follow_links) if root.is_dir() else [root]:
            why = _skip_reason(f, root, inside, follow_links, max_bytes)
            if why:
                summary.skipped[why] += 1
                if why != _suffix_label(f):  # say which file; other suffixes are just counted
                    summary.errors.append(f"{f}: skipped: {why}")
                continue
            if not f.is_file():  # a link to a folder inside the ones given: walked there already
                continue
            real = f.resolve()
            if real not in seen:
                seen.add(real)
                files.append(f)
    return sorted(files)


def _walk(root: Path, follow_links: bool) -> Iterator[Path]:
    """Every file path under root; linked folders only when following links (each real folder once)."""
    visited: set[Path] = set()
    for folder, dirs, names in os.walk(root, followlinks=follow_links):
        real = Path(folder).resolve()
        if real in visited:  # a link loop
            dirs[:] = []
            continue
        visited.add(real)
        dirs.sort()
        for name in sorted(names):
            yield Path(folder) / name
        if not follow_links:  # os.walk lists a linked folder as a dir and does not enter it: name it
            for name in dirs:
                if (Path(folder) / name).is_symlink():
                    yield Path(folder) / name


def _suffix_label(f: Path) -> str:
    return f"{f.suffix.lower() or '(no suffix)'}"


def _skip_reason(f: Path, root: Path, inside: list[Path], follow_links: bool, max_bytes: int | None) -> str | None:
    if f.is_symlink() and not follow_links and f != root:
        target = f.resolve()
        if not any(target == r or r in target.parents for r in inside):
            return "symlink out of the folders given (--follow-links to follow)"
    if not f.is_file():
        return None if f.is_dir() or not f.exists() else "not a regular file"
    if f.suffix.lower() not in REPORT_SUFFIXES:
        return _suffix_label(f)
    if max_bytes is not None:
        try:
            size = f.stat().st_size
        except OSError:
            return None  # read_document names the error
        if size > max_bytes:
            return f"over the size limit ({human_bytes(max_bytes)})"
    return None


def _already_ingested(archive: Archive, url: str, sha: str) -> bool:
    """These bytes were loaded from this path before and got as far as a report or a parse error."""
    return archive.conn.execute(
        """select exists(select 1 from fetches f where f.url = ? and f.sha256 = ? and (
             exists(select 1 from report_versions v where v.fetch_id = f.id)
             or exists(select 1 from reports r where r.fetch_id = f.id)
             or exists(select 1 from parse_errors p where p.fetch_id = f.id)))""",
        (url, sha),
    ).fetchone()[0] == 1


def load(archive: Archive, paths: Iterable[Path], *, progress: bool = True, follow_links: bool = False) -> Summary:
    """Import report files: unchanged bytes at the same path are recognised without parsing.

    One bad file never stops the load: a file that cannot be read or stored is counted as failed with
    its reason, and the next one goes on.
    """
    summary = Summary()
    cap = limits.current()
    files = report_files([Path(p) for p in paths], summary, follow_links=follow_links, max_bytes=cap.document_bytes)
    with _run(archive, summary) as run_id:
        for path in tqdm(files, desc="load", unit="file", disable=not progress):
            try:
                _load_one(archive, summary, path, run_id, cap)
            except Exception as e:  # noqa: BLE001 - one file's failure is counted and named, the load goes on
                summary.failed += 1
                summary.errors.append(str(e) if isinstance(e, ParseError) else f"{path}: {type(e).__name__}: {e}")
    return summary


def _load_one(archive: Archive, summary: Summary, path: Path, run_id: int, cap: limits.Limits) -> None:
    data = limits.read_document(path, cap)
    url = path.resolve().as_uri()
    if _already_ingested(archive, url, hashlib.sha256(data).hexdigest()):
        archive.mark_seen(url, run_id)
        summary.outcomes["unchanged"] += 1
        return
    content_type = mimetypes.guess_type(path.name)[0]
    fetch_id = archive.record_fetch(url, final_url=url, status=200, headers={}, body=data,
                                    fetched_at=path.stat().st_mtime, run_id=run_id, content_type=content_type)
    _parse_and_ingest(archive, summary, fetch_id, data, str(path), content_type, url=url, run_id=run_id)


def reparse(archive: Archive, *, progress: bool = True, workers: int = 0) -> Summary:
    """Re-parse every report's latest body and every unresolved parse error with the current parser.

    Only the stored bytes are used (no network). A report gets a version row only where the new result
    differs from its current version. Parsing runs on `workers` processes (0: one per CPU); this
    process reads the bodies and writes every result, in job order.
    """
    summary = Summary()
    jobs = archive.conn.execute(
        """select f.id, f.url, f.sha256, f.content_type, r.url as report_url, f.listing_title
           from reports r join fetches f on f.id = r.fetch_id
           union
           select f.id, f.url, f.sha256, f.content_type, p.url, f.listing_title from parse_errors p join fetches f on f.id = p.fetch_id
           where p.resolved = 0 and p.id = (select max(id) from parse_errors q where q.fetch_id = p.fetch_id)
           order by 1"""
    ).fetchall()
    parsed = parse_in_order((_job(archive, *job[1:]) for job in jobs), workers or os.cpu_count() or 1)
    with _run(archive, summary) as run_id:
        for (fetch_id, url, _, _, report_url, _), (report, error) in tqdm(
                zip(jobs, parsed), total=len(jobs), desc="reparse", unit="body", disable=not progress):
            _ingest(archive, summary, fetch_id, report, error, _source(url), url=report_url, run_id=run_id)
    return summary


def _job(archive: Archive, url: str, sha: str, content_type: str | None, report_url: str,
         listing_title: str | None) -> tuple:
    """parse_job's arguments for a stored body, with the title the crawl listed it under; an attachment
    comes with the stored page it hangs off."""
    page = None if url == report_url else archive.latest_fetch(report_url, status=200)
    if page is not None:
        page = (archive.body(page["sha256"]), page["url"], page["content_type"], listing_hints(page["listing_title"]))
    return archive.body(sha), _source(url), content_type, page, listing_hints(listing_title)


@contextmanager
def _run(archive: Archive, summary: Summary) -> Iterator[int]:
    """A crawl_runs row around a load or reparse (interrupted unless it ends cleanly), then a search
    index optimise if anything new was stored."""
    run_id = archive.start_run(None)
    status = "interrupted"
    try:
        yield run_id
        status = "ok"
    finally:
        archive.finish_run(run_id, status)
    if summary.outcomes["new_report"] + summary.outcomes["new_version"]:
        archive.optimize_search()


def _parse_and_ingest(archive: Archive, summary: Summary, fetch_id: int, data: bytes, source: str,
                      content_type: str | None, *, url: str, run_id: int | None = None) -> None:
    """Parse one stored body here and ingest it (load)."""
    report, error = parse_job(data, source, content_type)
    _ingest(archive, summary, fetch_id, report, error, source, url=url, run_id=run_id)


def _ingest(archive: Archive, summary: Summary, fetch_id: int, report, error: str | None, source: str, *,
            url: str, run_id: int | None = None) -> None:
    """The one path from a parse result to the archive for load and reparse (the crawler's pipeline is the other)."""
    result = archive.ingest(fetch_id, report, error=error, url=url, run_id=run_id)
    summary.outcomes[result.outcome] += 1
    if result.outcome == "parse_error":
        summary.errors.append(f"{source}: {error or 'not storable'}")


def _source(url: str) -> str:
    """The path of a loaded file (as `load` named it to the parser), else the URL."""
    if url.startswith("file://"):
        return unquote(urlsplit(url).path)
    return url
