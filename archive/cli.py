"""Subcommands of `nianbao` for the archive: load, reparse, serve, diff, search (collected by nianbao.cli)."""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from parsers.cli import limit_option

DEFAULT_DB = "nianbao.db"
db_option = click.option("--db", "db", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
                         help="The archive (SQLite file).")


def _read_only(db: Path) -> sqlite3.Connection:
    if not db.is_file():
        raise click.ClickException(f"{db}: no such archive")
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)


def open_archive(db: Path):
    """The archive at `db` (created if missing), or a clear error instead of sqlite's traceback."""
    from archive.store import Archive

    if not db.parent.is_dir():
        raise click.ClickException(f"{db}: no folder {db.parent} to hold the archive (create it first)")
    if db.is_dir():
        raise click.ClickException(f"{db}: is a folder, not an archive file")
    try:
        return Archive(db)
    except sqlite3.Error as e:
        raise click.ClickException(f"{db}: cannot open the archive ({e})") from None


@click.command()
@db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--follow-links", is_flag=True,
              help="Follow symlinks that lead out of the folders given (not followed by default).")
@limit_option
def load(db: Path, paths: tuple[Path, ...], quiet: bool, follow_links: bool, limits_in_force) -> None:
    """Import report files (HTML, text, PDF, DOCX, DOC; folders recursively) into the archive.

    Each file is parsed inside the per-document limits; a file over the size limit or a symlink out of
    the folders is skipped (and named), a file that fails is counted, and the load goes on."""
    from archive.load import load as run_load

    with open_archive(db) as archive:
        summary = run_load(archive, paths, progress=not quiet, follow_links=follow_links)
    for error in summary.errors:
        click.echo(error, err=True)
    click.echo(f"{db}: {summary.line()}")


@click.command()
@db_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--workers", default=0, show_default=True, type=click.IntRange(min=0),
              help="Parse processes (0: one per CPU).")
@limit_option
def reparse(db: Path, quiet: bool, workers: int, limits_in_force) -> None:
    """Re-parse every stored report body with the current parser (no network; a version only where it changed)."""
    from archive.load import reparse as run_reparse

    if not db.is_file():
        raise click.ClickException(f"{db}: no such archive")
    with open_archive(db) as archive:
        summary = run_reparse(archive, progress=not quiet, workers=workers)
    for error in summary.errors:
        click.echo(error, err=True)
    click.echo(f"{db}: {summary.line('parsed')}")


@click.command()
@db_option
@click.option("--port", "-p", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (default: this machine only).")
@click.option("--live", is_flag=True, help="Serve an archive that a crawl is writing (read-only, not immutable).")
def serve(db: Path, port: int, host: str, live: bool) -> None:
    """Browse and search the archive with Datasette (read-only)."""
    from archive.serve import serve as run_serve

    run_serve(db, host, port, live)


@click.command()
@click.argument("organ")
@click.option("--from", "from_year", type=int, help="Earlier year (default: the second-latest archived).")
@click.option("--to", "to_year", type=int, help="Later year (default: the latest archived).")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]), default="text", show_default=True)
@click.option("--all", "all_years", is_flag=True, help="Without years: the whole timeline of key metrics.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def diff(organ: str, from_year: int | None, to_year: int | None, db: Path, fmt: str, all_years: bool,
         output: Path | None) -> None:
    """How ORGAN's report changed between two years (ORGAN: a name or part of one)."""
    from archive import diff as d
    from archive import render

    conn = _read_only(db)
    try:
        found = d.find_organ(conn, organ)
        if all_years and from_year is None and to_year is None and fmt != "html":
            tl = d.timeline(conn, found["id"])
            out = (d.to_json({"organ": found["name"], "timeline": tl}) if fmt == "json"
                   else render.timeline_text(found["name"], tl, markdown_table=fmt == "markdown"))
        else:
            result = d.compare(conn, found, from_year, to_year)
            out = {"text": render.text, "markdown": render.markdown, "json": d.to_json,
                   "html": render.html_page}[fmt](result)
    except d.AmbiguousOrgan as e:
        click.echo(render.candidates_text(organ, e.candidates), err=True)
        sys.exit(2)
    except (d.OrganNotFound, ValueError) as e:
        raise click.ClickException(str(e.args[0] if e.args else e))
    finally:
        conn.close()
    if output:
        output.write_text(out, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(out, nl=False)


@click.command()
@click.argument("query")
@db_option
@click.option("--limit", default=50, show_default=True)
@click.option("--year", type=int, help="Only reports of this year.")
@click.option("--province", help="Only reports whose province contains this (e.g. 福建).")
@click.option("--format", "fmt", type=click.Choice(["2019", "2021", "legacy"]), help="Only reports of this template.")
@click.option("--kind", type=click.Choice(["html", "pdf", "docx", "doc", "text"]), help="Only reports read from this kind of file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: total, facets and the reports with snippets.")
def search(query: str, db: Path, limit: int, year: int | None, province: str | None, fmt: str | None,
           kind: str | None, as_json: bool) -> None:
    """Reports whose text contains every word of QUERY (exact, from one Chinese character up)."""
    import json

    from archive import search as fulltext

    conn = _read_only(db)
    try:
        results = fulltext.search(conn, query, fulltext.Filters(year, province, fmt, kind), limit=limit,
                                  with_facets=as_json)
    except fulltext.QueryTooLong as e:
        raise click.ClickException(str(e))
    finally:
        conn.close()
    if as_json:
        rows = [{**{k: v for k, v in r.items() if k != "snippets"},
                 "snippets": [fulltext.snippet_text(s) for s in r["snippets"]]} for r in results.rows]
        facets = {name: [{"value": v, "count": n} for v, n in values] for name, values in results.facets.items()}
        click.echo(json.dumps({"query": query, "total": results.total, "facets": facets, "reports": rows},
                              ensure_ascii=False, indent=1))
        return
    for r in results.rows:
        click.echo(f"{r['id']}\t{r['year'] or '-'}\t{r['organ'] or '-'}\t{r['title'] or ''}")
        for s in r["snippets"]:
            click.echo(f"\t{fulltext.snippet_text(s)}")
    click.echo(f"{results.total} report(s) contain {query!r}" + (f"; first {limit} shown" if results.total > limit else ""),
               err=True)


commands: list[click.Command] = [load, reparse, serve, diff, search]
