"""Quirk #20: https broken while http works (hostile-tls), and the reverse (hostile-nohttp).

Both replica sites are configured from their broken scheme, as a URL copied from a browser would be. The
crawler must archive every report over the scheme that works, store each under one URL (the second crawl
asks only conditionally: no report body again, no report twice under two schemes), stop using the broken
scheme once it found the working one, and say in the log what it did. Without the fallback middleware the
same crawl fails loudly; with neither scheme answering, the run records both reasons.
"""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from replica import Replica
from replica.catalog import SITE_SIZES
from replica.layout import OFFSITE_HOST
from replica.probe import fetch
from crawler.settings import DOWNLOADER_MIDDLEWARES, FAST
from nianbao.truthcheck import compare
from test_crawl_replica import nianbao_crawl
from test_schedule_service import LOOPBACK, NIANBAO

SITES = ("hostile-tls", "hostile-nohttp")
WORKS = {"hostile-tls": "http", "hostile-nohttp": "https"}
MIDDLEWARE = "crawler.middlewares.SchemeFallbackMiddleware"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two crawls of both sites into one archive: [(summaries, replica stats, log text)], truth, sites."""
    tmp = tmp_path_factory.mktemp("tls")
    with Replica(seed=1) as replica:
        runs = []
        for i in range(2):
            replica.reset_stats()
            log = tmp / f"run{i}.log"
            # the second crawl with --full: every report asked for again (conditionally), over the working scheme
            summaries = nianbao_crawl(replica, tmp / "archive.db", *SITES, "-s", f"LOG_FILE={log}",
                                      *(("--full",) if i else ()))
            runs.append((summaries, replica.stats(), log.read_text(encoding="utf-8")))
        yield tmp / "archive.db", runs, replica.truth(), {s["id"]: s for s in replica.sites()}


def test_the_replica_serves_one_scheme_and_fails_the_other():
    with Replica(seed=1) as replica:
        for s in replica.sites():
            if s["id"] not in SITES:
                continue
            start = s["start_urls"][0]
            broken, working = fetch(start), fetch(s["base_url"] + "/zfxxgknb/index.html")
            assert (broken.status, broken.error) == (None, "tls" if start.startswith("https") else "reset"), start
            assert working.status == 200 and "政府信息公开年报" in working.text()
            assert replica.stats()["requests"][s["id"]] == {"broken": 1, "list": 1}


def host_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


@pytest.mark.parametrize("site", SITES)
def test_every_report_is_archived_over_the_working_scheme(crawled, site):
    db, runs, truth, sites = crawled
    summaries, stats, log = runs[0]
    start = sites[site]["start_urls"][0]
    assert not start.startswith(WORKS[site] + "://"), "the portal must start on its broken scheme"
    assert summaries[site]["status"] == "ok" and summaries[site]["error"] is None
    assert summaries[site]["scheme_switched"] == {host_of(start).split(":")[0]: WORKS[site]}
    served = {t["detail_url"] for t in truth if t["site"] == site}
    assert len(served) == SITE_SIZES[site] and all(u.startswith(WORKS[site] + "://") for u in served)
    assert any(t["attachment_url"] for t in truth if t["site"] == site), "a report in an attachment, too"
    c = compare(str(db), truth, {site})
    assert not c.missing and c.archived == len(served) and c.ratio == 1.0, (c.missing[:3], c.wrong[:3])
    conn = sqlite3.connect(db)
    archived = {u for (u,) in conn.execute("select url from reports where portal_id = ?", (site,))}
    assert archived == served


@pytest.mark.parametrize("site", SITES)
def test_the_log_says_which_scheme_the_host_uses(crawled, site):
    db, runs, truth, sites = crawled
    origin = sites[site]["start_urls"][0].rsplit("/zfxxgknb/", 1)[0]
    reason = "TLS handshake failed \\(tls alert handshake failure\\)" if site == "hostile-tls" \
        else "the connection closed before any answer"
    line = f"{re.escape(origin)}: {reason}; using {WORKS[site]}:// for this host"
    assert re.search(line, runs[0][2]), f"no log line like {line!r}"


@pytest.mark.parametrize("site", SITES)
def test_later_requests_go_straight_to_the_working_scheme(crawled, site):
    """Only robots.txt, the host's first request, meets the broken scheme (1 + RETRY_TIMES attempts)."""
    db, runs, truth, sites = crawled
    for summaries, stats, log in runs:
        assert stats["requests"][site]["broken"] == 1 + FAST["RETRY_TIMES"]
        assert stats["requests"][site]["detail"] == SITE_SIZES[site]


def test_second_crawl_downloads_no_report_again(crawled):
    db, runs, truth, sites = crawled
    summaries, stats, log = runs[1]
    bodies = [u for u in stats["bodies"] if any(u.startswith(sites[s]["base_url"]) for s in SITES)]
    assert bodies == [], f"report bodies downloaded again: {bodies[:3]}"
    for site in SITES:
        s = summaries[site]
        assert (s["status"], s["new_reports"], s["new_versions"], s["gone_reports"], s["unchanged"]) == \
            ("ok", 0, 0, 0, SITE_SIZES[site])
    conn = sqlite3.connect(db)
    urls = [u for (u,) in conn.execute("select url from reports where portal_id in (?, ?)", SITES)]
    total = sum(SITE_SIZES[s] for s in SITES)
    assert len(urls) == total and len({u.split("://", 1)[1] for u in urls}) == total, "one report per URL, any scheme"


def test_without_the_middleware_the_broken_scheme_fails_the_run(tmp_path):
    """The control: the replica's broken schemes are real, and the crawler gets nowhere without the fallback."""
    without = json.dumps({**DOWNLOADER_MIDDLEWARES, MIDDLEWARE: None})
    with Replica(seed=1) as replica:
        summaries = nianbao_crawl(replica, tmp_path / "archive.db", *SITES, "-s", f"DOWNLOADER_MIDDLEWARES={without}")
    for site in SITES:
        assert summaries[site]["status"] == "failed" and summaries[site]["new_reports"] == 0
        assert "/zfxxgknb/index.html" in summaries[site]["error"]


def test_neither_scheme_answering_is_recorded_with_both_reasons(tmp_path):
    url = f"https://{OFFSITE_HOST}:8800/zfxxgknb/index.html"  # nobody listens on this loopback address
    portals = tmp_path / "portals.toml"
    portals.write_text(f'[[portal]]\nid = "nowhere"\nname = "无处县人民政府"\nstart_urls = ["{url}"]\nfamily = "trs"\n',
                       encoding="utf-8")
    db = tmp_path / "archive.db"
    proc = subprocess.run([*NIANBAO, "crawl", "nowhere", "--portals", str(portals), "--db", str(db), "--json",
                           "--no-progress", *LOOPBACK], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 1, proc.stderr[-2000:]
    summary = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    expected = f"{url}: connection refused; {url.replace('https:', 'http:')}: connection refused"
    assert summary["status"] == "failed" and expected in summary["error"]
    row = sqlite3.connect(db).execute("select status, error, new_reports from crawl_runs").fetchone()
    assert row[0] == "failed" and expected in row[1] and row[2] == 0
