"""Politeness per backend: portals crawled in one process that reach one server share one budget.

Two portals on one replica site (one address), and two replica sites on different addresses declared
as one platform (`backend = "..."` in the portal file), all four crawled by one `nianbao crawl`: the
replica's timeline shows that requests to one backend never overlap and start at least DOWNLOAD_DELAY
apart, while the two backends are crawled side by side.
"""
from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from statistics import median

from replica import Replica
from test_crawl_replica import REPO

DELAY = 0.15


def entry(pid: str, site: dict, backend: str | None = None) -> str:
    urls = ", ".join(f'"{u}"' for u in site["start_urls"])
    line = f'\nbackend = "{backend}"' if backend else ""
    return f'[[portal]]\nid = "{pid}"\nname = "{pid}"\nstart_urls = [{urls}]\nfamily = "{site["family"]}"{line}\n'


def test_portals_on_one_backend_share_one_polite_slot(tmp_path):
    with Replica(seed=1, rate_limit=10_000) as replica:
        sites = {s["id"]: s for s in replica.sites()}
        portals = tmp_path / "portals.toml"
        portals.write_text("\n".join([
            entry("gbk-a", sites["gbk"]), entry("gbk-b", sites["gbk"]),  # one host, two portals
            entry("lying-p", sites["lying"], "platform-1"), entry("trs1-p", sites["trs1"], "platform-1"),
        ]), encoding="utf-8")
        replica.timeline = []
        cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "crawl",
               "gbk-a", "gbk-b", "lying-p", "trs1-p", "--portals", str(portals), "--db", str(tmp_path / "a.db"),
               "--no-progress", "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
        timeline = list(replica.timeline)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    groups = {"one address": {sites["gbk"]["host"]}, "one platform": {sites["lying"]["host"], sites["trs1"]["host"]}}
    spans = {}
    for name, hosts in groups.items():
        hits = sorted((start, end) for host, _, start, end in timeline if host in hosts)
        assert len(hits) >= 30, (name, len(hits))
        for (s1, e1), (s2, e2) in pairwise(hits):
            assert s2 >= e1 - 0.005, f"{name}: two requests in flight at once ({s1:.3f}-{e1:.3f}, {s2:.3f}-{e2:.3f})"
        gaps = sorted(s2 - s1 for (s1, _), (s2, _) in pairwise(hits))
        # the delay is kept between sends; the server sees arrivals, a few ms of jitter either way
        assert gaps[0] >= 0.7 * DELAY and median(gaps) >= 0.95 * DELAY, (name, gaps[:5], median(gaps))
        spans[name] = (hits[0][0], hits[-1][1])
    (a0, a1), (b0, b1) = spans.values()
    assert a0 < b1 and b0 < a1, "the two backends are crawled side by side"
