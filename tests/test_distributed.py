"""Two crawler processes on one scrapy-redis frontier crawl the replica; one process writes the archive."""
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from nianbao.truthcheck import compare
from replica import Replica

NIANBAO = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')"]
LOOPBACK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
SITES = ["trs0", "trs1", "fujian", "hanweb", "hanweb-xxgk", "gd", "gkmlpt", "boda", "generic", "gbk", "lying"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (scripts/setup.sh installs it)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def replica():
    with Replica(seed=1) as rep:
        yield rep


def portal_file(path: Path, replica: Replica, ids: list[str]) -> Path:
    sites = {s["id"]: s for s in replica.sites()}
    text = ""
    for i in ids:
        s = sites[i]
        family = "generic" if s["family"] == "hostile" else s["family"]
        urls = ", ".join(f'"{u}"' for u in s["start_urls"])
        text += f'[[portal]]\nid = "{i}"\nname = "{s["name"]}"\nstart_urls = [{urls}]\nfamily = "{family}"\n\n'
    path.write_text(text, encoding="utf-8")
    return path


def crawl(db: Path, portals: Path, redis_url: str, ids: list[str], command: list[str] = NIANBAO
          ) -> subprocess.CompletedProcess:
    return subprocess.run(command + ["crawl", *ids, "--db", str(db), "--portals", str(portals), "--redis", redis_url,
                                     "--workers", "2", "--no-progress", *LOOPBACK],
                          capture_output=True, text=True, timeout=300)



def test_two_workers_crawl_the_whole_replica_once_and_miss_nothing(tmp_path, replica, redis_url):
    db = tmp_path / "nb.db"
    ids = SITES + ["hostile-412"]
    portals = portal_file(tmp_path / "portals.toml", replica, ids)
    replica.reset_stats()
    first = crawl(db, portals, redis_url, ids)
    assert first.returncode == 1, first.stderr[-3000:]          # 1: the hostile portal is not ok
    bodies = replica.stats()["bodies"]
    assert bodies and max(bodies.values()) == 1, {u: n for u, n in bodies.items() if n > 1}
    conn = sqlite3.connect(db)
    try:
        runs = dict(conn.execute("select portal, status from crawl_runs"))
        assert runs == {**{i: "ok" for i in SITES}, "hostile-412": "blocked"}
        wrong = {}
        for site in SITES:
            truth = {t["detail_url"] for t in replica.truth() if t["site"] == site}
            archived = {u for (u,) in conn.execute("select url from reports where portal_id = ?", (site,))}
            if archived != truth:
                wrong[site] = (len(truth - archived), len(archived - truth), sorted(truth - archived)[:2])
        assert not wrong, wrong
        # once every worker closed, the writer re-read each listing's first page (the start page where that
        # lists reports, else the first page reached from it that does): every portal has a page read twice
        sites = {s["id"]: s for s in replica.sites()}
        twice = {i: conn.execute("select count(*) - count(distinct url) from fetches where portal_id = ?",
                                 (i,)).fetchone()[0] for i in SITES}
        assert all(n >= 1 for n in twice.values()), twice
        start_reads = {i: conn.execute("select count(*) from fetches where url = ?", (sites[i]["start_urls"][0],))
                       .fetchone()[0] for i in ("trs0", "trs1", "boda")}
        assert set(start_reads.values()) == {2}, start_reads
    finally:
        conn.close()
    fetched = [int(n) for n in re.findall(r"worker pid \d+ fetched (\d+) responses", first.stderr)]
    per_worker = {}
    for pid, n in re.findall(r"worker pid (\d+) fetched (\d+) responses", first.stderr):
        per_worker[pid] = per_worker.get(pid, 0) + int(n)
    assert len(per_worker) == 2 and min(per_worker.values()) > 0, per_worker   # both processes did real work
    assert sum(fetched) >= len(bodies)
    left = redis.Redis.from_url(redis_url).keys("nianbao:*")
    # the run's keys are gone; the backends' budgets (crawler.redis_gates) outlive a run and expire on their own
    assert [k for k in left if not k.startswith(b"nianbao:backend:")] == []

    replica.reset_stats()                                                       # a new run: fresh dupefilter
    second = crawl(db, portals, redis_url, SITES)
    assert second.returncode == 0, second.stderr[-3000:]
    assert not replica.stats()["bodies"]                                        # every report answered 304
    conn = sqlite3.connect(db)
    try:
        again = conn.execute("select portal, status, new_reports, gone_reports from crawl_runs where id > ?",
                             (len(ids),)).fetchall()
    finally:
        conn.close()
    assert sorted(again) == sorted((i, "ok", 0, 0) for i in SITES)


# The writer process with parsing taken away: Archivist.parse (the one way a crawl parses) raises and says so.
WRITER_THAT_CANNOT_PARSE = [sys.executable, "-c", """
import crawler.archivist, parsers
def refuse(*args, **kwargs):
    print("WRITER PARSED", args[1:3] if len(args) > 2 else args, flush=True)
    raise AssertionError("the writer parsed")
crawler.archivist.Archivist.parse = refuse
parsers.parse_bytes = refuse
from nianbao.cli import main
main(prog_name='nianbao')
"""]


def test_workers_parse_and_the_writer_only_writes(tmp_path, replica, redis_url):
    """Pages, PDF/DOCX-only reports (paired with their page by the writer) and a second run of 304s:
    every report archived with the truth's metrics while the writer process cannot parse at all."""
    db = tmp_path / "nb.db"
    ids = ["fujian", "gd", "boda"]                 # attachments in JS arrays, alt-named PDFs, Referer downloads
    portals = portal_file(tmp_path / "portals.toml", replica, ids)
    truth = replica.truth()
    assert {t["carrier"] for t in truth if t["site"] in ids} >= {"html", "pdf", "docx"}
    for run in (1, 2):
        done = crawl(db, portals, redis_url, ids, WRITER_THAT_CANNOT_PARSE)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "WRITER PARSED" not in done.stdout + done.stderr
        assert re.search(r"writer: \d+ items written", done.stderr)
        c = compare(str(db), truth, set(ids))
        assert c.reports >= 60 and not c.missing, c.missing[:5]
        assert c.carrier_ratio("html") == c.carrier_ratio("docx") == 1.0, c.wrong[:5]
        assert c.carrier_ratio("pdf") >= 0.99, c.wrong[:5]
    conn = sqlite3.connect(db)
    try:
        runs = conn.execute("select portal, status, new_reports, new_versions from crawl_runs order by id").fetchall()
    finally:
        conn.close()
    assert [r[1] for r in runs] == ["ok"] * 6
    assert all(r[2] == r[3] == 0 for r in runs[3:]), runs   # the second run (304s) changed nothing
