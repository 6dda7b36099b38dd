"""One `archive.store.Archive` per database file per process, shared by the pipeline and middlewares.

Several crawlers (one per portal) run in one process; they all write through the same connection
from the reactor thread, so SQLite never sees two writers of ours at once.
"""
from __future__ import annotations

from pathlib import Path

_ARCHIVES: dict[str, object] = {}


def open_archive(path: str | Path):
    """The process's Archive for `path` (created, and its schema migrated, on first use)."""
    from archive.store import Archive  # imported late: the crawler's page objects do not need it

    key = str(Path(path).resolve())
    if key not in _ARCHIVES:
        _ARCHIVES[key] = Archive(key)
    return _ARCHIVES[key]


def archived_source(archive, report_url: str) -> str | None:
    """The URL the archived report at `report_url` was parsed from (the page, or its attachment), or None
    when no report was ever archived there (then nothing may be asked for conditionally: a 304 would
    hide a report we never got)."""
    row = archive.conn.execute(
        "select f.url from reports r join fetches f on f.id = r.fetch_id where r.url = ? order by r.id desc limit 1",
        (report_url,)).fetchone()
    return row[0] if row else None
