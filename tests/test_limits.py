"""parsers.limits and the load command's guards: a document over a limit is an error naming it and the
limit, the process that asked goes on, and so do the other documents."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.store import Archive
from parsers.pool import parse_in_order
from nianbao.cli import main
from parsers import limits
from parsers.limits import LimitExceeded, Limits, run_limited
from parsers.model import ParseError
from parsers.versions import READER_PACKAGES


@pytest.fixture(autouse=True)
def _own_limits(monkeypatch):
    """`--limit` puts limits in force process-wide (and in NIANBAO_LIMITS): undo it after each test."""
    monkeypatch.setattr(limits, "_CURRENT", None)
    monkeypatch.delenv(limits.ENV, raising=False)


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def _allocate(n: int) -> int:
    return len(bytearray(n))


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _fail() -> None:
    raise ValueError("a parser bug")


def test_a_child_over_the_wall_clock_is_killed_and_named():
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"^doc\.pdf: over the time limit \(seconds=0\.5 s\)"):
        run_limited(_sleep, 30, source="doc.pdf", limits=Limits(seconds=0.5))
    assert time.monotonic() - start < 5
    assert run_limited(_sleep, 0, source="doc.pdf") == "woke"


def test_a_child_over_the_address_space_gets_a_memory_error_named():
    with pytest.raises(LimitExceeded, match=r"^big\.docx: over the memory limit \(memory=64M"):
        run_limited(_allocate, 512 << 20, source="big.docx", limits=Limits(memory=64 << 20))
    assert run_limited(_allocate, 16 << 20, source="ok", limits=Limits(memory=64 << 20)) == 16 << 20


def test_a_child_that_dies_or_raises_is_a_parse_error():
    with pytest.raises(ParseError, match=r"^x\.html: the parse process died of SIGSEGV"):
        run_limited(_crash, source="x.html")
    with pytest.raises(ParseError, match="a parser bug"):
        run_limited(_fail, source="x.html")


def test_limits_from_the_environment_and_options(monkeypatch):
    monkeypatch.setattr(limits, "_CURRENT", None)
    monkeypatch.setenv(limits.ENV, "seconds=7.5,memory=512M,pdf_pages=3")
    got = limits.current()
    assert (got.seconds, got.memory, got.pdf_pages, got.line_bytes) == (7.5, 512 << 20, 3, Limits().line_bytes)
    assert got.to_env() == "seconds=7.5,memory=512M,pdf_pages=3"
    with pytest.raises(ValueError, match="unknown limit 'pages=3'"):
        Limits().with_overrides(["pages=3"])
    with pytest.raises(ValueError, match="must be above 0"):
        Limits().with_overrides(["seconds=0"])


def test_parse_command_names_the_limit_and_goes_on(tmp_path, corpus):
    long_line = tmp_path / "line.txt"
    long_line.write_bytes(b"x" * 300_000)
    good = corpus / "html" / "pingtan_2023.html"
    result = CliRunner().invoke(main, ["parse", "--limit", "line_bytes=100K", str(long_line), str(good)])
    assert result.exit_code == 1
    assert f"{long_line}: line 1 is over 102,400 bytes (limit line_bytes)" in result.output
    assert "organ:  平潭综合实验区" in result.output  # the next file was parsed


def test_the_pdf_stream_cap_keeps_zlib_semantics(monkeypatch):
    from parsers.pdf import _BoundedZlib

    data = b"BT (a) Tj ET " * 1000
    packed = zlib.compress(data)
    assert _BoundedZlib.decompress(packed) == data
    with pytest.raises(zlib.error):  # truncated: pdfminer then tries its corrupt-stream recovery, as before
        _BoundedZlib.decompress(packed[: len(packed) // 2])
    monkeypatch.setattr(limits, "_CURRENT", Limits(pdf_stream_bytes=1000))
    with pytest.raises(LimitExceeded, match="pdf_stream_bytes"):
        _BoundedZlib.decompress(packed)


def test_a_docx_part_is_capped_whatever_its_name(tmp_path, monkeypatch):
    import io
    import zipfile

    from parsers.docx import read_docx

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/fontTable.xml", b"\0" * 200_000)
    monkeypatch.setattr(limits, "_CURRENT", Limits(docx_part_bytes=100_000))
    with pytest.raises(LimitExceeded, match=r"^t\.docx: word/fontTable\.xml is 200,000 bytes .*docx_part_bytes=100000"):
        read_docx(buf.getvalue(), "t.docx")
    monkeypatch.setattr(limits, "_CURRENT", Limits(docx_total_bytes=150_000))
    with pytest.raises(LimitExceeded, match="docx_total_bytes"):
        read_docx(buf.getvalue(), "t.docx")


def test_a_pool_worker_over_a_limit_leaves_the_others_parsed(tmp_path, corpus, monkeypatch):
    """The same job function the crawl's pool runs: a document killed for memory is one error, in order."""
    monkeypatch.setattr(limits, "_CURRENT", None)
    monkeypatch.setenv(limits.ENV, "memory=96M,line_bytes=1G")  # the spawned workers read it
    good = corpus / "html" / "pingtan_2023.html"
    heavy = "一行很长的文字，".encode() * (2 << 20)  # 48 MB of one line: decoding it needs more than 96 MB
    jobs = [(good.read_bytes(), str(good), "text/html"), (heavy, "heavy.txt", None),
            (good.read_bytes(), "again.html", "text/html")]
    results = list(parse_in_order(iter(jobs), 2))
    assert results[0][0] is not None and results[2][0] is not None
    assert results[1][0] is None and results[1][1].startswith("LimitExceeded: heavy.txt: over the memory limit")


def _load(db: Path, *args: str):
    return CliRunner().invoke(main, ["load", "--quiet", "--db", str(db), *args])


def test_load_skips_big_files_and_outside_links_and_counts(tmp_path, corpus):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "good.html").write_bytes((corpus / "html" / "pingtan_2023.html").read_bytes())
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "inside.html").symlink_to(folder / "good.html")  # a link inside the folder is fine (same file)
    (folder / "sub").mkdir()
    (folder / "again").symlink_to(folder / "sub")  # so is a link to a folder inside
    os.mkfifo(folder / "fifo.txt")  # reading it would block for ever
    with open(folder / "huge.txt", "wb") as fh:
        fh.truncate(3 << 20)
    root = os.geteuid() == 0  # root reads a mode-0 file
    if not root:
        (folder / "unreadable.txt").write_text("x")
        (folder / "unreadable.txt").chmod(0)
    result = _load(tmp_path / "a.db", "--limit", "document_bytes=2M", str(folder))
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    assert "loaded 1 (1 new report)" in line
    assert "skipped 3 (1 not a regular file, 1 over the size limit (2M), 1 symlink out of the folders given" in line
    assert f"{folder / 'huge.txt'}: skipped: over the size limit (2M)" in result.stderr
    with Archive(tmp_path / "a.db") as archive:
        urls = [u for (u,) in archive.conn.execute("select url from fetches")]
    assert not any("passwd" in u for u in urls)
    if not root:
        assert "failed 1 (1 unreadable)" in line


def test_load_follows_links_only_when_told(tmp_path, corpus):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "r.html").write_bytes((corpus / "html" / "pingtan_2023.html").read_bytes())
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "linked").symlink_to(outside)
    assert "symlink out of the folders given" in _load(tmp_path / "a.db", str(folder)).stdout
    result = _load(tmp_path / "b.db", "--follow-links", str(folder))
    assert "loaded 1 (1 new report)" in result.stdout, result.output


def test_load_into_a_missing_folder_is_a_clear_error(tmp_path, corpus):
    result = _load(tmp_path / "missing" / "dir" / "x.db", str(corpus / "seeds"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no folder" in result.stderr and "missing/dir" in result.stderr


def test_a_killed_load_is_marked_interrupted_by_the_next_command(tmp_path, corpus):
    """Killed with -9 in the middle of a slow document: its parse child dies with it, and `status` (any
    command that opens the archive) marks the run interrupted."""
    folder = tmp_path / "reports"
    folder.mkdir()
    rows = "".join(f"<tr><td>行{i}</td><td>{i}</td></tr>" for i in range(200_000))
    (folder / "a_slow.html").write_text(f"<html><body><table>{rows}</table></body></html>", encoding="utf-8")
    (folder / "b.html").write_bytes((corpus / "html" / "pingtan_2023.html").read_bytes())
    db = tmp_path / "k.db"
    nianbao = Path(sys.executable).parent / "nianbao"
    proc = subprocess.Popen([str(nianbao), "load", "--quiet", "--db", str(db), str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the slow file is stored, its parse under way
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("select count(*) from fetches").fetchone()[0] >= 1:
                    break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from crawl_runs").fetchall() == [("running",)]
    time.sleep(0.5)  # the kernel delivers the parse child its parent's death
    result = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Last load/reparse: #1" in result.output and "interrupted" in result.output
    with sqlite3.connect(db) as conn:
        status, error = conn.execute("select status, error from crawl_runs").fetchone()
    assert status == "interrupted" and "died" in error


def test_each_version_records_the_readers(tmp_path, corpus):
    db = tmp_path / "v.db"
    assert _load(db, str(corpus / "html" / "pingtan_2023.html")).exit_code == 0
    with Archive(db) as archive:
        readers = archive.conn.execute("select readers from report_versions").fetchone()[0]
    assert all(f'"{name}"' in readers for name in READER_PACKAGES)


def test_one_file_that_cannot_be_read_or_stored_never_stops_a_load(tmp_path, corpus, monkeypatch):
    from archive import load as load_module

    folder = tmp_path / "reports"
    folder.mkdir()
    for name in ("a.html", "b.html", "c.html"):
        (folder / name).write_bytes((corpus / "html" / "pingtan_2023.html").read_bytes())
    real_read = limits.read_document

    def flaky(path, cap=None):
        if Path(path).name == "b.html":
            raise OSError(5, "Input/output error")
        return real_read(path, cap)

    monkeypatch.setattr(load_module.limits, "read_document", flaky)
    with Archive(tmp_path / "f.db") as archive:
        summary = load_module.load(archive, [folder], progress=False)
        status = archive.conn.execute("select status from crawl_runs").fetchone()[0]
    assert summary.failed == 1 and any("b.html: OSError" in e for e in summary.errors)
    assert sum(summary.outcomes.values()) == 2 and status == "ok"  # a.html and c.html
    assert summary.line().endswith("failed 1 (1 unreadable)")


def test_the_crawl_pool_outlives_a_document_killed_for_its_limits(monkeypatch, corpus):
    """The crawl's shared pool runs parse_job: a document killed at the wall clock is its parse error, and
    the same pool (no broken worker) parses the next one."""
    from parsers import pool as parsework

    monkeypatch.setenv(limits.ENV, "seconds=1")  # the spawned worker reads it
    monkeypatch.setattr(parsework, "_POOL", None)
    pool = parsework.pool(1)
    try:
        rows = "".join(f"<tr><td>行{i}</td><td>{i}</td></tr>" for i in range(150_000))
        slow = f"<html><body><table>{rows}</table></body></html>".encode()
        good = (corpus / "html" / "pingtan_2023.html").read_bytes()
        start = time.monotonic()
        report, error = pool.submit(parsework.parse_job, slow, "http://x.test/slow.html", "text/html").result()
        assert report is None and error.startswith("LimitExceeded: http://x.test/slow.html: over the time limit")
        assert time.monotonic() - start < 10
        report, error = pool.submit(parsework.parse_job, good, "http://x.test/good.html", "text/html").result()
        assert error is None and report.meta["year"] == 2023
        assert parsework.pool(1) is pool
    finally:
        pool.shutdown(wait=True)
