"""`nianbao check` on every replica site: family, report links with titles and years, next pages, blocked or
not — and nothing archived, no report page fetched. Runs in a subprocess (the reactor cannot restart)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.check import render
from crawler.replica import Replica

REPO = Path(__file__).resolve().parents[1]
BLOCKED = {"hostile-412", "hostile-521", "hostile-robots"}


@pytest.fixture(scope="module")
def checked():
    with Replica(seed=1, rate_limit=10_000) as replica:
        replica.reset_stats()
        cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "check", "all",
               "--replica", replica.control_url, "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
        results = {r["portal"]: r for r in (json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{"))}
        yield results, proc, replica.sites(), replica.truth(), replica.stats()


def test_every_family_site_shows_its_reports(checked):
    results, proc, sites, truth, _ = checked
    assert set(results) == {s["id"] for s in sites}, proc.stderr[-2000:]
    urls = {t["detail_url"] for t in truth}
    for s in sites:
        r = results[s["id"]]
        if s["id"] in BLOCKED:
            continue
        expected = "trs" if s["family"] == "hostile" else s["family"]
        assert r["family"] == expected, s["id"]
        assert r["reports"] and not r["blocked"], (s["id"], r)
        assert all(rep["url"] in urls for rep in r["reports"]), s["id"]  # report links only, no 工作要点 etc.
        assert all(rep["year"] and str(rep["year"]) in rep["title"] for rep in r["reports"]), s["id"]


def test_next_pages_are_named_and_not_read(checked):
    results, *_ = checked
    assert results["trs0"]["next"] and all("index_" in u for u in results["trs0"]["next"])
    assert results["boda"]["next"] and all(u.endswith(".htm") for u in results["boda"]["next"])
    assert len(results["trs0"]["pages"]) == 2  # --pages 2 by default


def test_walls_are_reported_as_blocked(checked):
    results, proc, *_ = checked
    for pid in BLOCKED:
        assert results[pid]["blocked"] and not results[pid]["reports"], pid
    assert "瑞数" in results["hostile-412"]["blocked"][0]["reason"]
    assert proc.returncode == 1  # some portal is blocked: not ready to be marked verified


def test_check_fetches_no_report_page(checked):
    *_, stats = checked
    assert not any(kinds.get("detail") or kinds.get("attachment") for kinds in stats["requests"].values())


def test_render_reads_like_a_checklist(checked):
    results, *_ = checked
    text = render(results["hanweb"])
    assert text.startswith("hanweb (松阳县人民政府): ok; family hanweb") and "政府信息公开工作年度报告" in text
    assert "BLOCKED" in render(results["hostile-521"])
