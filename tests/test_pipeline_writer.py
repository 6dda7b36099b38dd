"""The crawl's archive writer thread (archive.writer.ArchiveWriter): batched commits, results only once
durable, a failing job costs only itself, jobs in submission order."""
from __future__ import annotations

import sqlite3

import pytest

from archive.store import Archive
from archive.writer import ArchiveWriter


def fetch(archive: Archive, url: str, body: bytes = b"<html>x</html>") -> int:
    return archive.record_fetch(url, final_url=url, status=200, headers={"Content-Type": "text/html"}, body=body,
                                portal_id="p")


def committed_fetches(db) -> int:
    conn = sqlite3.connect(db)  # another connection sees only what was committed
    try:
        return conn.execute("select count(*) from fetches").fetchone()[0]
    finally:
        conn.close()


def test_a_result_arrives_only_once_its_batch_committed(tmp_path):
    db = tmp_path / "a.db"
    writer = ArchiveWriter(db, batch_rows=50, batch_seconds=0.5)
    try:
        futures = [writer.submit(fetch, f"http://p.test/{i}.html", f"body {i}".encode()) for i in range(120)]
        for i, future in enumerate(futures):
            fetch_id = future.result(timeout=30)
            assert committed_fetches(db) >= i + 1  # raw first: durable before anyone may use fetch_id
            assert isinstance(fetch_id, int)
        assert [f.result() for f in futures] == sorted(f.result() for f in futures)  # submission order
        assert writer.batches < len(futures)  # batched, not one commit per row
    finally:
        writer.close()
    assert committed_fetches(db) == 120


def test_a_failing_job_fails_alone(tmp_path):
    db = tmp_path / "b.db"
    writer = ArchiveWriter(db, batch_rows=10, batch_seconds=0.5)

    def broken(archive: Archive) -> None:
        archive.finish_run(12345, "ok")  # no such run: KeyError inside the method's own savepoint

    try:
        before = writer.submit(fetch, "http://p.test/before.html")
        bad = writer.submit(broken)
        after = writer.submit(fetch, "http://p.test/after.html")
        assert before.result(timeout=30) and after.result(timeout=30)
        with pytest.raises(KeyError):
            bad.result(timeout=30)
        assert writer.call(lambda a: a.conn.execute("select count(*) from fetches").fetchone()[0]) == 2
    finally:
        writer.close()
    assert committed_fetches(db) == 2
