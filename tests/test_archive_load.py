"""`nianbao load` / `nianbao reparse` on the shared corpus: complete, idempotent, versioned, provenance kept."""
from __future__ import annotations

import shutil

import pytest
from archive_helpers import CORPUS_DIRS, ingest_reports, sample_set
from click.testing import CliRunner
from test_archive import consistent, counts

from archive.load import REPORT_SUFFIXES
from archive.store import Archive
from nianbao.cli import main
from parsers import parse_file


def corpus_files(corpus):
    return sorted(f for d in CORPUS_DIRS for f in (corpus / d).rglob("*") if f.suffix in REPORT_SUFFIXES)


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, corpus):
    """The corpus loaded through the CLI, plus 330 generated reports over 11 years."""
    db = tmp_path_factory.mktemp("load") / "corpus.db"
    out = run("load", "--quiet", "--db", str(db), *(str(corpus / d) for d in CORPUS_DIRS))
    with Archive(db) as archive:
        ingest_reports(archive, sample_set(30, range(2015, 2026)))
    return db, out


def test_every_corpus_document_is_archived_with_its_parse(loaded, corpus):
    db, out = loaded
    files = corpus_files(corpus)
    assert "new report" in out
    with Archive(db) as archive:
        conn = archive.conn
        for f in files:
            url = f.resolve().as_uri()
            fetch = archive.latest_fetch(url)
            assert fetch is not None, f
            assert archive.body(fetch["sha256"]) == f.read_bytes()  # raw bytes kept
            version = conn.execute("select id, source from report_versions where fetch_id = ?", (fetch["id"],)).fetchone()
            error = conn.execute("select error from parse_errors where fetch_id = ?", (fetch["id"],)).fetchone()
            assert (version is None) != (error is None), f  # a version or a parse error, never neither
            if version is None:
                continue
            assert version[1] == str(f)  # provenance: the file path
            report = parse_file(f)
            stored = dict(conn.execute("select key, value from metrics where version_id = ?", (version[0],)))
            assert stored == report.metrics, f
            sections = dict(conn.execute("select name, text from sections where version_id = ?", (version[0],)))
            assert sections == report.sections
            assert conn.execute("select count(*) from checks where version_id = ?", (version[0],)).fetchone()[0] == len(report.checks)
        years = conn.execute("select count(distinct year) from reports").fetchone()[0]
        assert archive.db["reports"].count >= 300 + 20 and years >= 5
        consistent(archive)


def test_loading_again_adds_nothing(loaded, corpus):
    db, _ = loaded
    with Archive(db) as archive:
        before = counts(archive)
    out = run("load", "--quiet", "--db", str(db), *(str(corpus / d) for d in CORPUS_DIRS))
    assert "new" not in out and "unchanged" in out
    with Archive(db) as archive:
        assert counts(archive) == before


def test_a_changed_copy_adds_exactly_one_version(tmp_path, corpus):
    src = corpus / "html" / "pingtan_2023.html"
    copy = tmp_path / "reports" / "pingtan_2023.html"
    copy.parent.mkdir()
    shutil.copy(src, copy)
    db = str(tmp_path / "c.db")
    run("load", "--quiet", "--db", db, str(copy.parent))
    html = copy.read_text(encoding="utf-8")
    assert "470" in html
    copy.write_text(html.replace("470", "471", 1), encoding="utf-8")
    out = run("load", "--quiet", "--db", db, str(copy.parent))
    assert "1 new version" in out
    with Archive(db) as archive:
        rows = archive.conn.execute("select id, fetch_id from report_versions order by id").fetchall()
        assert len(rows) == 2 and archive.db["reports"].count == 1
        bodies = [archive.body(archive.fetch(f)["sha256"]) for _, f in rows]
        assert bodies[0] == src.read_bytes() and bodies[1] == copy.read_bytes()  # the old one kept
        in_force = archive.conn.execute(
            "select version_id, value from metrics where key = 't2.normative.in_force' order by version_id").fetchall()
        assert [v for _, v in in_force] == [470, 471]


def test_reparse_uses_stored_bodies_and_retries_parse_errors(tmp_path, corpus):
    db = tmp_path / "r.db"
    run("load", "--quiet", "--db", str(db), str(corpus / "seeds"))
    src = corpus / "html" / "pingtan_2022.html"
    with Archive(db) as archive:
        before = counts(archive)
        # a body an older parser failed on: archived raw, with the error
        fid = archive.record_fetch("http://example.test/p2022", status=200, headers={}, body=src.read_bytes(),
                                   fetched_at=None)
        assert archive.ingest(fid, None, error="ParseError: old parser").outcome == "parse_error"
    out = run("reparse", "--quiet", "--db", str(db))
    assert "1 new report" in out and f"{before['reports']} unchanged" in out
    with Archive(db) as archive:
        assert archive.conn.execute("select resolved from parse_errors").fetchall() == [(1,)]
        assert archive.db["report_versions"].count == before["report_versions"] + 1
        consistent(archive)


def test_parallel_parsing_gives_the_serial_results_in_order(corpus):
    from parsers.pool import parse_in_order

    paths = sorted((corpus / "seeds").glob("*.txt")) + sorted((corpus / "html").glob("pingtan_202*.html"))
    jobs = [(p.read_bytes(), str(p), None) for p in paths] + [(b"", "empty.txt", None)]
    serial = [(r.source, r.metrics, r.meta) if r else e for r, e in parse_in_order(iter(jobs), 1)]
    parallel = [(r.source, r.metrics, r.meta) if r else e for r, e in parse_in_order(iter(jobs), 2)]
    assert parallel == serial
    assert [s[0] for s in serial[:-1]] == [str(p) for p in paths] and "empty document" in serial[-1]


def test_reparse_reads_a_body_with_the_title_it_was_listed_under(tmp_path):
    """A title-less page is named by the listing it was crawled from; a re-parse must read it the same way,
    from the listing title stored with the fetch (else the organ would be lost on every `reparse`)."""
    from test_meta_variants import BODY, CHROME

    body = (CHROME.format(pub=2024) + "根据《中华人民共和国政府信息公开条例》编制本报告。\n" + BODY.format(year=2023)).encode()
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        for url, title in (("http://x.test/listed", "某县水利局2023年政府信息公开工作年度报告"), ("http://x.test/bare", None)):
            fid = archive.record_fetch(url, status=200, headers={"content-type": "text/plain"}, body=body,
                                       fetched_at=None, listing_title=title)
            archive.ingest(fid, None, error="ParseError: old parser", url=url)
    run("reparse", "--quiet", "--db", str(db))
    with Archive(db) as archive:
        organs = dict(archive.conn.execute("select url, organ from reports"))
    assert organs.get("http://x.test/listed") == "某县水利局"
    assert organs.get("http://x.test/bare") != "某县水利局"
