"""`nianbao crawl`: portals from portals.toml, or the sites of a running replica (`--replica URL`)."""
from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.portals import DEFAULT_FILE, Portal, PortalError, load_portals, portals_from_sites

_DB = click.option("--db", default="nianbao.db", show_default=True, type=click.Path(dir_okay=False),
                   help="The archive (SQLite) to write to; created if missing.")


def _line(s: dict) -> str:
    text = (f"{s['portal']:<16} {s['status']:<11} {s.get('listed', 0):>4} listed  {s.get('new_reports', 0):>4} new  "
            f"{s.get('new_versions', 0):>3} changed  {s.get('unchanged', 0):>4} unchanged  {s.get('gone_reports', 0):>3} gone  "
            f"{s.get('parse_errors', 0):>3} parse errors  {s.get('requests', 0):>5} requests")
    if s["status"] != "ok" and s.get("error"):
        text += f"\n{'':<16} {s['error'][:300]}"
    return text


def replica_portals(url: str) -> dict[str, Portal]:
    """Portals for the sites a running replica serves (its control API lists them)."""
    host = urlsplit(url).hostname or ""
    if not host.startswith("127.") and host != "localhost":
        raise PortalError(f"--replica {url}: the replica runs on loopback (127.0.0.0/8); delays are off only there")
    with urllib.request.urlopen(url.rstrip("/") + "/__replica__/sites.json", timeout=10) as resp:
        return {p.id: p for p in portals_from_sites(json.load(resp))}


@click.command("crawl")
@click.argument("portal_ids", metavar="PORTAL...", nargs=-1, required=True)
@_DB
@click.option("--portals", "portals_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Portal file (default: crawler/portals.toml).")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: when on a terminal).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, e.g. -s DOWNLOAD_DELAY=0 for a server on loopback.")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Scale out: --workers processes share a scrapy-redis frontier at URL; this process writes the archive.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1), help="Crawler processes with --redis.")
@click.option("--replica", "replica_url", default=None, metavar="URL",
              help="Crawl the sites of a running replica (`python -m replica`), e.g. http://127.0.0.1:8800, "
                   "with delays off. Loopback only.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary per portal instead of a table.")
@click.option("--full", is_flag=True,
              help="Walk every listing whole and ask again for every known report (conditionally), instead of the "
                   "incremental re-crawl (unchanged listings read up to the known reports, re-checks on a rotation).")
def crawl_cmd(portal_ids: tuple[str, ...], db: str, portals_file: str | None, progress: bool | None,
              overrides: tuple[str, ...], redis_url: str | None, workers: int, replica_url: str | None,
              as_json: bool, full: bool) -> None:
    """Crawl PORTAL... (ids from the portal file, or `all`) into the archive.

    Polite by default: robots.txt obeyed, one request at a time per host, ≥ 2 s apart. Each portal gets
    one crawl_runs row (ok / partial / failed / blocked / interrupted; partial: a listed report or a file it
    needs was missed, or a cap stopped the walk). Exits 1 if any run was not ok.
    """
    from crawler.run import crawl

    try:
        portals = replica_portals(replica_url) if replica_url else load_portals(portals_file)
    except PortalError as e:
        raise click.UsageError(str(e)) from None
    ids = [p.id for p in portals.values() if p.enabled] if portal_ids == ("all",) else list(portal_ids)
    unknown = [i for i in ids if i not in portals]
    if unknown:
        raise click.UsageError(f"unknown portal(s) {', '.join(unknown)}; known: {', '.join(portals)}")
    if any("=" not in o for o in overrides):
        raise click.UsageError("-s expects NAME=VALUE")
    settings = dict(o.split("=", 1) for o in overrides)
    if not replica_url:  # a declared backend's budget counts every portal of the file on it (crawler.backends)
        settings.setdefault("PORTALS_FILE", str(Path(portals_file or DEFAULT_FILE).resolve()))
    if full:
        settings["NIANBAO_FULL"] = True
    if redis_url:
        from crawler.distributed import crawl_distributed

        summaries = crawl_distributed(ids, portals_file, db, redis_url, workers, overrides=settings)
    else:
        summaries = crawl([portals[i] for i in ids], db, overrides=settings, fast=bool(replica_url),
                          progress=sys.stderr.isatty() if progress is None else progress)
    for s in summaries:
        click.echo(json.dumps(s, ensure_ascii=False, default=str) if as_json else _line(s))
    if any(s["status"] != "ok" for s in summaries):
        sys.exit(1)


commands: list[click.Command] = [crawl_cmd]
