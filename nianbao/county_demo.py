"""`nianbao demo --county`: discover the replica's whole counties from their homepages, then crawl what was found.

Shows the county workflow end to end on loopback: `nianbao discover` (in a subprocess: the Twisted reactor
runs once per process and the crawl needs it here) writes portal entries, they are compared with the
replica's truth (columns and units), and the crawl of those entries is compared with the reports served.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from crawler.portals import load_portals


def run_county_demo(db: str, *, port: int = 0, seed: int = 1, echo: Callable[[str], None] = print) -> list[dict]:
    from replica import Replica
    from crawler.run import crawl
    from nianbao.truthcheck import compare, summary

    started = time.monotonic()
    out = Path(db).with_suffix(".portals.toml")
    with Replica(seed=seed, port=port, counties=True) as replica:
        counties = replica.counties()
        columns = [col for c in counties for col in c["columns"]]
        echo(f"replica: {len(counties)} counties on 127.0.0.30–40:{replica.port}, {len(columns)} 年报 columns "
             f"(their homepages: {' '.join(c['homepage'] for c in counties)})")
        cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "discover",
               *[c["homepage"] for c in counties], "-o", str(out)]
        subprocess.run(cmd, check=True)
        portals = load_portals(out)
        found = {(p.start_urls[0], p.options.get("organ")) for p in portals.values()}
        truth = {(col["url"], col["unit"]) for col in columns}
        echo(f"discover: {len(found & truth)} of {len(truth)} columns found with the right unit, "
             f"{len(found - truth)} other entries; written to {out}")
        runs = crawl(list(portals.values()), db, fast=True, progress=True)
        sites = {col["site"] for col in columns}
        served = [t for t in replica.truth() if t["site"] in sites]
    failed = [r for r in runs if r["status"] != "ok"]
    echo(f"crawl: {len(runs)} portals, {len(failed)} not ok; " + summary(compare(db, served, sites)))
    echo(f"  time: {time.monotonic() - started:.1f} s. Open it: nianbao serve --db {db}")
    return runs
