"""`nianbao demo` does its job or says it did not: one replica report made unreachable (HTTP 500 on every
attempt) turns the demo's summary into `partial`, names the report, and the demo exits non-zero."""
from __future__ import annotations

import subprocess
import sys

from replica import Replica
from test_crawl_replica import REPO

SCRIPT = """
import sys
from nianbao.demo import run_demo
runs, good = run_demo(sys.argv[1], replica_options={"pinned": {(%d, "detail"): "http500"}})
sys.exit(0 if good else 1)
"""


def test_a_demo_with_an_unreachable_report_says_partial_names_it_and_exits_1(tmp_path):
    target = next(t for t in Replica(seed=1).truth() if t["site"] == "trs1" and t["carrier"] == "html")
    path = target["detail_url"].split(":0", 1)[1]  # the port is chosen when the replica starts
    proc = subprocess.run([sys.executable, "-c", SCRIPT % target["rid"], str(tmp_path / "demo.db")],
                          capture_output=True, text=True, timeout=400, cwd=REPO)
    out = proc.stdout
    assert proc.returncode == 1, out[-3000:] + proc.stderr[-3000:]
    assert "partial: 1 of" in out and "reachable reports not archived" in out
    assert any(path in line for line in out.splitlines() if line.strip().startswith("not archived:"))
    assert any(line.startswith("trs1") and "partial" in line for line in out.splitlines())
