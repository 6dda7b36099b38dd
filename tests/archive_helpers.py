"""Shared pieces of the archive tests: building archives, and a real `nianbao serve` on a free port."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from click.testing import CliRunner

import sample
from archive import ngrams
from archive.store import Archive
from nianbao.cli import main
from parsers.model import Report

REPO = Path(__file__).resolve().parents[1]
NIANBAO = REPO / ".venv" / "bin" / "nianbao"
CORPUS_DIRS = ("seeds", "real", "html")


def ingest_reports(archive: Archive, reports, portal: str | None = "sample") -> list:
    """Store generated Reports the way the crawler does: a fetch per report, then ingest."""
    results = []
    for rep in reports:
        url = f"http://sample.test/{rep.meta['organ']}/{rep.meta['year']}.html"
        fetch_id = archive.record_fetch(url, final_url=url, status=200, headers={"content-type": "text/html"},
                                        body=rep.text.encode("utf-8"), fetched_at=None, portal_id=portal)
        results.append(archive.ingest(fetch_id, rep))
    return results


def sample_set(n_organs: int = 30, years: range = range(2015, 2026), seed: int = 3) -> list:
    return list(sample.reports(n_organs, years, seed=seed))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url: str):
    status, body = get(url)
    assert status == 200, (url, status, body[:500])
    return json.loads(body)


@contextmanager
def served(db: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`nianbao serve --db DB` in a subprocess on a free 127.0.0.1 port; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen([str(NIANBAO), "serve", "--db", str(db), "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                if get(base + "/-/versions.json")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"nianbao serve did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


EVIL_ORGAN = "香山乡'; drop table reports; --"
EVIL_TITLE = '../../etc/passwd <script>alert("x")</script> 复议'


def served_archive_db(tmp_path_factory, corpus: Path) -> Path:
    """An archive with the corpus, 330 generated reports over 11 years and a hostile title; built once per session."""
    db = tmp_path_factory.getbasetemp() / "served" / "archive.db"
    if db.exists():
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(main, ["load", "--quiet", "--db", str(db), *(str(corpus / d) for d in CORPUS_DIRS)])
    assert result.exit_code == 0, result.output
    with Archive(db) as archive:
        ingest_reports(archive, sample_set(30, range(2015, 2026)))
        evil = Report(source=EVIL_TITLE, meta={"organ": EVIL_ORGAN, "year": 2022, "format": "2021", "title": EVIL_TITLE},
                      metrics={"t3.new.total": 1}, sections={"总体情况": EVIL_TITLE}, text=EVIL_TITLE)
        ingest_reports(archive, [evil], portal="evil")
    return db


def truth_ids(db: Path, query: str) -> list[int]:
    """Python substring truth over the stored search texts."""
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    rows = conn.execute("select id, text from search").fetchall()
    conn.close()
    return sorted(i for i, text in rows if ngrams.contains_all(text, query))
