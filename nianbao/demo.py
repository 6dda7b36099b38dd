"""`nianbao demo`: the whole pipeline on the embedded replica portals, with nothing from the internet.

Starts the replica in-process, crawls every site into the archive (progress bar), parsing as it goes,
then summarises what the archive now holds and how to look at it. It lives here, above the crawler and
the replica, because it is the one place that puts the two together.
"""
from __future__ import annotations

import sys
import time
from contextlib import closing
from typing import Any, Callable

import click

from archive import queries
from crawler.portals import portals_from_sites


def run_demo(db: str, *, port: int = 0, seed: int = 1, echo: Callable[[str], None] = print,
             replica_options: dict[str, Any] | None = None) -> tuple[list[dict], bool]:
    """Crawl the replica into `db` and print the summary. Returns the runs and whether the demo did its
    job: every run ok (the hostile portals' walls aside) and every reachable report archived.
    `replica_options`: passed to `Replica` (tests make a report unreachable with `pinned`)."""
    from replica import Replica
    from crawler.run import crawl
    from nianbao.truthcheck import compare, summary

    started = time.monotonic()
    with Replica(seed=seed, port=port, **(replica_options or {})) as replica:
        sites = replica.sites()
        echo(f"replica: {len(sites)} portals on 127.0.0.x:{replica.port} "
             f"({sum(s['reports'] for s in sites)} reports; {sum(s['family'] == 'hostile' for s in sites)} of the portals "
             "are hostile on purpose)")
        runs = crawl(portals_from_sites(sites), db, fast=True, progress=True)
        truth = replica.truth()
    elapsed = time.monotonic() - started
    echo("")
    echo(f"{'portal':<16} {'status':<8} {'listed':>6} {'new':>5} {'changed':>7} {'unchanged':>9} {'gone':>4} "
         f"{'parse err':>9} {'requests':>8}")
    for r in runs:
        echo(f"{r['portal']:<16} {r['status']:<8} {r.get('listed', 0):>6} {r.get('new_reports', 0):>5} "
             f"{r.get('new_versions', 0):>7} {r.get('unchanged', 0):>9} {r.get('gone_reports', 0):>4} "
             f"{r.get('parse_errors', 0):>9} {r.get('requests', 0):>8}")
    echo("")
    with closing(queries.reader(db)) as conn:
        overview = queries.current_reports_overview(conn)
        organ = queries.organ_with_most_years(conn)
    echo(f"archive {db}: {overview['total']} current reports")
    echo("  by year:   " + ", ".join(f"{y or '?'}: {n}" for y, n in overview["by_year"]))
    echo("  by format: " + ", ".join(f"{f}: {n}" for f, n in overview["by_format"]))
    echo(f"  checks failed (勾稽关系, or tables not found): {overview['failed_checks']} checks in "
         f"{overview['failed_reports']} reports")
    blocked = [r for r in runs if r["status"] == "blocked"]
    for r in blocked:
        echo(f"  blocked: {r['portal']}: {(r.get('error') or '').split(';')[0]}")
    others = [r for r in runs if r["status"] not in ("ok", "blocked")]
    for r in others:
        echo(f"  {r['status']}: {r['portal']}: {r.get('error')}")
    reachable = compare(db, truth, {r["portal"] for r in runs if r["status"] != "blocked"})
    echo("  " + summary(reachable))
    for url in reachable.missing[:10]:
        echo(f"  not archived: {url}")
    echo(f"  time: {elapsed:.1f} s")
    good = not others and not reachable.missing
    if not good:
        echo(f"partial: {len(reachable.missing)} of {reachable.reports} reachable reports not archived; "
             "runs not ok: " + (", ".join(f"{r['portal']} ({r['status']})" for r in others) or "none"))
    echo("")
    echo(f"Open it in Datasette:   nianbao serve --db {db}")
    echo(f"Diff an organ's years:  nianbao diff {organ or '<organ>'} --db {db}")
    echo(f"Run the demo again to see an incremental crawl (only what changed is read; 0 new reports): "
         f"nianbao demo --db {db}")
    return runs, good


@click.command("demo")
@click.option("--db", default="nianbao.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive (SQLite) to write to; created if missing.")
@click.option("--port", default=8800, show_default=True,
              help="Replica port. Keep it the same between runs: URLs include it, and a re-run is only incremental "
                   "for the same URLs.")
@click.option("--seed", default=1, show_default=True, help="Replica seed (which synthetic reports it serves).")
@click.option("--county", is_flag=True, help="Instead: discover the replica's whole counties, then crawl what was found.")
def demo_cmd(db: str, port: int, seed: int, county: bool) -> None:
    """Start the built-in replica portals, crawl all of them into DB, and summarise the archive.

    Everything runs locally on loopback addresses; nothing is fetched from the internet. Run it twice:
    the second run downloads no report again (304s) and stores 0 new reports and 0 new versions.
    Exits 1 (and says `partial`) when a reachable report was not archived or a run was not ok; the
    hostile portals' walls (blocked runs) are expected.
    """
    if county:
        from nianbao.county_demo import run_county_demo

        runs = run_county_demo(db, port=port, seed=seed, echo=click.echo)
        if any(r["status"] not in ("ok", "blocked") for r in runs):
            sys.exit(1)
    else:
        _, good = run_demo(db, port=port, seed=seed, echo=click.echo)
        if not good:
            sys.exit(1)


commands: list[click.Command] = [demo_cmd]
