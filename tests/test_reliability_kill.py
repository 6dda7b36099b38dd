"""Issue 6, part 2: `nianbao crawl` killed with SIGKILL at 10 seeded points, then resumed.

Each kill point: a fresh archive, a crawl of the replica (trs1 + lying: 60 reports, 8 attachments, two
families) killed -9 when the archive reaches the point (polled read-only) — start-up, the first list pages,
through the fetches, during the attachments, through the ingest to its very end; then a clean resumed
crawl. After the kill and after the resume: PRAGMA integrity_check = ok, no duplicate report or version,
no half-written version (its metrics, sections and checks all there); after the resume no report missing
and the metrics equal to the truth. All sites: `-m slow` / bench/fault_crawl.py.
"""
from __future__ import annotations

import pytest

from replica import Replica
from test_reliability_faults import bench

SITES = ("trs1", "lying")
KILLS = 10
KILL_SEED = 5


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    fc = bench()
    tmp = tmp_path_factory.mktemp("reliability-kill")
    with Replica(seed=1, rate_limit=100_000) as replica:
        fetches, files, reports = fc.reference(replica, tmp / "reference.db", SITES)
        assert reports == 60 and files >= 4, (fetches, files, reports)
        points = fc.kill_points(fetches, files, reports, KILLS, KILL_SEED)
        yield replica, tmp, points, fc.compared_sites(replica.sites(), SITES)


@pytest.mark.parametrize("i", range(KILLS), ids=lambda i: f"kill{i}")
def test_killed_crawl_resumes_to_a_sound_complete_archive(setup, i):
    replica, tmp, points, compared = setup
    point = bench().kill_and_resume(replica, tmp / f"kill{i}.db", SITES, points[i], compared, timeout=120)
    where = f"{point.name}: killed at {point.killed_at}"
    assert not point.exited_before_kill, where
    assert not point.problems_after_kill, (where, point.problems_after_kill)
    assert not point.problems_after_resume, (where, point.problems_after_resume)
    assert not point.missing, (where, point.missing[:5])
    assert all(s["status"] == "ok" for s in point.resumed.values()), (where, point.resumed)


def test_the_kill_points_are_spread_over_the_crawl(setup):
    """Not all at the start: the points reach the attachments and the ingest."""
    replica, tmp, points, compared = setup
    sqls = [p.sql for p in points]
    fc = bench()
    assert sqls.count(None) == 1 and sqls.count(fc.FILES) == 1 and sqls.count(fc.INGESTED) >= 3
    assert len({(p.sql, p.at) for p in points}) == KILLS


@pytest.mark.slow
def test_kill_points_over_every_site(tmp_path):
    fc = bench()
    with Replica(seed=1, rate_limit=100_000) as replica:
        sites = tuple(s["id"] for s in replica.sites() if s["id"] not in fc.HOSTILE)
        fetches, files, reports = fc.reference(replica, tmp_path / "reference.db", sites)
        compared = fc.compared_sites(replica.sites(), sites)
        for i, point in enumerate(fc.kill_points(fetches, files, reports, KILLS, KILL_SEED)):
            fc.kill_and_resume(replica, tmp_path / f"kill{i}.db", sites, point, compared, timeout=600)
            assert point.ok and not point.exited_before_kill, (point.name, point.killed_at, point.problems_after_kill,
                                                                 point.problems_after_resume, point.missing[:5])
