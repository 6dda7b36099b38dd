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
