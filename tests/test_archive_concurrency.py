"""Two processes writing one archive at the same time (two `nianbao crawl` runs on different portals).

Each process opens the archive itself (so both migrate-check on open), starts its own crawl run and
records fetches and reports as fast as it can; neither may fail with "database is locked", every row
of both must be there, and the file must pass PRAGMA integrity_check.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from archive.store import Archive

REPO = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
    import sample
    from archive.store import Archive

    db, portal, seed, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    import os, time
    while not os.path.exists(go):  # both processes start writing at the same moment
        time.sleep(0.005)
    archive = Archive(db)          # every open checks the schema: must not take the write lock
    archive.upsert_portal(portal, portal, region="福建省", family="trs")
    run_id = archive.start_run(portal)
    n = 0
    for rep in sample.reports(12, range(2018, 2024), seed=seed):
        url = f"http://{{portal}}.test/{{rep.meta['organ']}}/{{rep.meta['year']}}.html"
        fetch_id = archive.record_fetch(url, final_url=url, status=200, headers={{"content-type": "text/html"}},
                                        body=rep.text.encode("utf-8"), fetched_at=None, run_id=run_id,
                                        portal_id=portal)
        result = archive.ingest(fetch_id, rep, url=url, portal_id=portal, run_id=run_id)
        assert result.outcome in ("new_report", "new_version", "unchanged"), result
        n += 1
        Archive(db).close()        # and other processes open the archive meanwhile (readers, schedulers)
    archive.mark_gone(portal, [], run_id)
    archive.finish_run(run_id, "ok")
    archive.close()
    print(n)
""")


def test_two_processes_write_one_archive_at_once(tmp_path):
    db = tmp_path / "shared.db"
    Archive(db).close()  # an existing, current archive (the common case: later runs of the scheduler)
    go = tmp_path / "go"
    script = WRITER.format(repo=str(REPO), tests=str(REPO / "tests"))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), portal, str(seed), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for portal, seed in (("north", 5), ("south", 6))]
    go.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
        assert "locked" not in err
    written = [int(out.split()[-1]) for out, _ in outputs]

    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    for portal, n in zip(("north", "south"), written):
        assert n > 0
        assert conn.execute("select count(*) from fetches where portal_id = ?", (portal,)).fetchone()[0] == n
        reports = conn.execute("select count(*) from reports where portal_id = ?", (portal,)).fetchone()[0]
        versions = conn.execute("select count(*) from report_versions v join reports r on r.id = v.report_id"
                                " where r.portal_id = ?", (portal,)).fetchone()[0]
        assert reports > 0 and versions >= reports
        run = conn.execute("select status, requests, new_reports from crawl_runs where portal = ?", (portal,)).fetchone()
        assert run[0] == "ok" and run[1] == n and run[2] == reports
    # the search index holds every report of both writers
    assert conn.execute("select count(*) from search").fetchone()[0] == conn.execute(
        "select count(*) from reports").fetchone()[0]


def test_two_processes_create_one_new_archive_at_once(tmp_path):
    """Neither process finds a schema: one creates it, the other waits and then finds it current."""
    db = tmp_path / "fresh.db"
    code = f"import sys; sys.path.insert(0, {str(REPO)!r}); from archive.store import Archive; Archive(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma user_version").fetchone()[0] >= 1
