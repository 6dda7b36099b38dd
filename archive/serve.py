"""`nianbao serve`: Datasette on the archive, read-only, with the nianbao plugin and generated metadata.

The plugin (archive.datasette_plugin) is registered by the project's `datasette` entry point
(pyproject.toml), so Datasette loads it wherever nianbao is installed.

By default the file is served immutable (`-i`): opened read-only, never locked, counts cached; right for
an archive no process is writing. SQLite does not read the WAL of an immutable file, so while a crawl is
writing use `--live`: a plain read-only connection that sees each committed transaction (WAL).
No write canned query, no write/upload plugin, downloads of the whole file off.
"""
from __future__ import annotations

import json
import signal
import sys
import tempfile
from pathlib import Path

import click

# Plugins that add write or upload endpoints; the archive is never served with them.
WRITE_PLUGINS = ("datasette-write", "datasette-upload", "datasette-insert", "datasette-edit", "datasette-configure-fts",
                 "datasette-import", "datasette-auth-tokens")
SQL_TIME_LIMIT_MS = 3000


def installed_write_plugins() -> list[str]:
    from datasette.plugins import get_plugins

    return [p["name"] for p in get_plugins() if any(p["name"].startswith(w) for w in WRITE_PLUGINS)]


def datasette_args(db: Path, metadata: Path, host: str, port: int, live: bool) -> list[str]:
    return [
        "serve", *([str(db)] if live else ["-i", str(db)]),
        "--metadata", str(metadata), "-h", host, "-p", str(port),
        "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS),
        "--setting", "facet_time_limit_ms", "1000",
        # Suggested facets run one query per column on every table/search page (in the JSON too).
        "--setting", "suggest_facets", "off",
        "--setting", "allow_download", "off",
    ]


def serve(db: Path, host: str, port: int, live: bool = False) -> None:
    """Run Datasette in this process until interrupted."""
    from datasette import cli as datasette_cli

    from archive.metadata import build

    if not db.is_file():
        raise click.ClickException(f"{db}: no such archive (create one with `nianbao load` or `nianbao crawl`)")
    writers = installed_write_plugins()
    if writers:
        raise click.ClickException(f"refusing to serve the archive: write/upload plugins installed: {', '.join(writers)}")
    # uvicorn re-raises the SIGTERM it shut down on, with the handler it found installed: the default
    # handler would end the process at once and leave the metadata's temporary folder behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="nianbao-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(build(db.stem), ensure_ascii=False), encoding="utf-8")
        datasette_cli.cli.main(args=datasette_args(db, metadata, host, port, live), prog_name="datasette",
                               standalone_mode=True)
