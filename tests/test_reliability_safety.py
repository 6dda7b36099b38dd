"""Issue 6, parts 3 and 4: what the crawler may contact and write, and what `nianbao serve` exposes.

- a redirect off the portal's hosts, or round a loop, is refused (never followed) and recorded with its reason;
- Scrapy's remote-control server and telnet console are off, in the settings and in a running crawl;
- the crawler talks only to the portal's hosts (every recorded URL is on them), sends nothing of the archive
  anywhere (the only outbound calls besides Scrapy are the replica's loopback control API and the operator's
  alert webhook), and builds no file path from portal-provided names (bodies are content-addressed rows);
- `nianbao serve` binds 127.0.0.1 by default, serves the file immutable with a SQL time limit, and refuses
  writes also in --live mode (tests/test_serve.py covers the immutable mode's write refusals and plugins).
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest
from archive_helpers import get, get_json, ingest_reports, sample_set, served
from click.testing import CliRunner
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from archive.store import Archive
from crawler.middlewares import OffsiteRedirectMiddleware
from crawler.portals import Portal
from replica import Replica
from crawler.run import settings_for
from test_reliability_faults import bench

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------- redirects

class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def _middleware() -> tuple[OffsiteRedirectMiddleware, _Stats]:
    stats = _Stats()
    portal = Portal(id="pt", name="平潭", start_urls=["http://www.pingtan.gov.cn/zwgk/nb/index.html"])
    crawler = SimpleNamespace(spider=SimpleNamespace(portal=portal), stats=stats)
    return OffsiteRedirectMiddleware(crawler), stats


def _redirect(url: str, location: str, chain: list[str] | None = None) -> tuple[Request, Response]:
    request = Request(url, meta={"redirect_urls": chain} if chain else {})
    return request, Response(url, status=302, headers={"Location": location}, request=request)


@pytest.mark.parametrize("location", [
    "http://evil.example.com/x.pdf",
    "//evil.example.com/x.pdf",
    "http://www.pingtan.gov.cn@evil.example.com/x.pdf",   # userinfo trick: the host is evil.example.com
    "http://www.pingtan.gov.cn.evil.example.com/x.pdf",   # suffix trick
    "http://xwww.pingtan.gov.cn/x.pdf",
    "https://127.0.0.1:8001/-/insert",
])
def test_a_redirect_off_the_portal_is_refused_with_its_reason(location):
    mw, stats = _middleware()
    request, response = _redirect("http://www.pingtan.gov.cn/a/1.html", location)
    with pytest.raises(IgnoreRequest, match="redirect off the portal refused: http://www.pingtan.gov.cn/a/1.html -> "):
        mw.process_response(request, response)
    assert stats.values == {"nianbao/offsite_redirects": 1}


@pytest.mark.parametrize("location", ["/a/2.html", "http://www.pingtan.gov.cn/a/2.html",
                                      "https://www.pingtan.gov.cn/a/2.html", "http://sub.www.pingtan.gov.cn/a.pdf"])
def test_a_redirect_within_the_portal_is_followed(location):
    mw, stats = _middleware()
    request, response = _redirect("http://www.pingtan.gov.cn/a/1.html", location)
    assert mw.process_response(request, response) is response and not stats.values


def test_a_redirect_loop_is_refused_not_dropped_silently():
    """Scrapy's duplicate filter would drop the hop back to a URL already in the chain without an errback:
    the page would be missing with nothing recorded (found by the fault crawl: a list page lost that way)."""
    mw, stats = _middleware()
    base = "http://www.pingtan.gov.cn/nb/index_3.html"
    request, response = _redirect(f"{base}?__loop=3", f"{base}?__loop=1", chain=[base, f"{base}?__loop=1", f"{base}?__loop=2"])
    with pytest.raises(IgnoreRequest, match=r"redirect loop refused: .*index_3.html -> "):
        mw.process_response(request, response)
    request, response = _redirect(base, base)  # a page redirecting to itself
    with pytest.raises(IgnoreRequest, match="redirect loop refused"):
        mw.process_response(request, response)
    assert stats.values == {"nianbao/redirect_loops": 2}


# ---------------------------------------------------------------------------------------------- a real crawl

def _listening_ports(pid: int) -> set[int]:
    """TCP ports a process (and its children) listens on, from /proc."""
    pids = {pid}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids |= {int(c) for c in children}
    except OSError:
        pass
    inodes = set()
    for p in pids:
        fd_dir = Path(f"/proc/{p}/fd")
        try:
            for fd in fd_dir.iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def test_remote_control_and_telnet_are_off():
    for fast in (False, True):
        s = settings_for("x.db", fast=fast)
        assert s.getbool("REMOTE_CONTROL_ENABLED") is False and s.getbool("TELNETCONSOLE_ENABLED") is False
    from scrapy.utils.project import get_project_settings  # what `scrapy crawl` would use (scrapy.cfg)

    cwd = os.getcwd()
    try:
        os.chdir(REPO)
        project = get_project_settings()
    finally:
        os.chdir(cwd)
    assert project.getbool("REMOTE_CONTROL_ENABLED") is False and project.getbool("TELNETCONSOLE_ENABLED") is False


@pytest.fixture(scope="module")
def live_crawl(tmp_path_factory):
    """A crawl of two replica sites, watched while it runs: its listening sockets, then its archive."""
    fc = bench()
    tmp = tmp_path_factory.mktemp("reliability-safety")
    db = tmp / "archive.db"
    with Replica(seed=1, rate_limit=100_000, fault_rate=0.3, fault_seed=3, fault_delay=0.2) as replica:
        proc = subprocess.Popen(fc.crawl_cmd(replica.control_url, db, ("trs1", "boda"), {"DOWNLOAD_DELAY": 0.02}),
                                cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        listening: set[int] = set()
        seen_running = False
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if fc.count(db, fc.FETCHES) > 0:
                seen_running = True
                listening |= _listening_ports(proc.pid)
            time.sleep(0.05)
        out, err = proc.communicate(timeout=120)
        hosts = {s["id"]: s["host"] for s in replica.sites()}
    yield SimpleNamespace(db=db, tmp=tmp, listening=listening, seen_running=seen_running, stderr=err,
                          hosts={hosts["trs1"], hosts["boda"]})


def test_a_running_crawl_listens_on_no_port(live_crawl):
    assert live_crawl.seen_running
    assert not live_crawl.listening, f"the crawl listens on {live_crawl.listening} (telnet / remote control?)"
    assert "Telnet console listening" not in live_crawl.stderr and "Remote control" not in live_crawl.stderr


def test_the_crawler_asks_only_the_portals_hosts(live_crawl):
    """Every request the crawl made (each lands in `fetches`, failures included) went to the portal's own host."""
    conn = sqlite3.connect(live_crawl.db)
    rows = conn.execute("select url, final_url from fetches").fetchall()
    assert rows
    hosts = {urllib.parse.urlsplit(u).hostname for row in rows for u in row}
    assert hosts <= live_crawl.hosts, hosts - live_crawl.hosts
    offsite = [r for r in conn.execute("select url, headers from fetches where headers like '%redirect off the portal%'")]
    assert all("127.0.0.250" in h for _, h in offsite)  # refused and recorded, never fetched


def test_the_crawl_writes_no_file_but_the_archive(live_crawl):
    """Attachments are rows keyed by sha256 (bodies), not files named after the portal's titles or file names."""
    files = sorted(p.name for p in live_crawl.tmp.iterdir())
    assert set(files) <= {"archive.db", "archive.db-wal", "archive.db-shm", "archive.db.backends"}, files
    # the politeness budgets' lock files (crawler.file_gates): a directory per backend named by a hash of its
    # key, holding only the gates' own files, never a name taken from a portal
    for path in (live_crawl.tmp / "archive.db.backends").rglob("*"):
        rel = path.relative_to(live_crawl.tmp / "archive.db.backends").parts
        assert re.fullmatch(r"[0-9a-f]{32}", rel[0]), rel
        assert len(rel) == 1 or (len(rel) == 2 and re.fullmatch(r"backend|strain|slot\d+|\.?wait-[\w.-]+", rel[1])), rel
    conn = sqlite3.connect(live_crawl.db)
    bad = conn.execute("select count(*) from bodies where sha256 is null or length(sha256) != 64").fetchone()[0]
    assert bad == 0
    for sha, data in conn.execute("select sha256, data from bodies limit 50"):
        import zlib

        assert hashlib.sha256(zlib.decompress(data)).hexdigest() == sha


# names of calls that can send bytes off the machine, or create files (str.replace is too common to list;
# os.replace / shutil are caught by the text markers below)
_NET = {"urlopen", "Request", "post", "put", "HTTPConnection", "HTTPSConnection", "create_connection", "sendall",
        "SMTP", "FTP", "upload_file", "put_object"}
_FILES = {"open", "write_bytes", "write_text", "mkdir", "makedirs", "rename", "copyfile", "NamedTemporaryFile"}
# The known ones, each reviewed: (file, call) -> why it is fine.
ALLOWED = {
    ("crawler/cli.py", "urlopen"): "replica_portals: GET sites.json from a loopback replica (checked 127.* first)",
    ("crawler/alerts.py", "Request"): "post_webhook: the operator's --webhook gets an alert (portal, kind, message)",
    ("crawler/alerts.py", "urlopen"): "post_webhook, as above",
    ("crawler/spiders/base.py", "Request"): "scrapy.Request to portal URLs (allowed_domains + portal.allows)",
    ("crawler/distributed.py", "Request"): "scrapy-redis frontier requests to portal URLs",
    ("crawler/discover.py", "Request"): "scrapy.Request to the start URLs' hosts and the county sites they link to (in_scope)",
    ("crawler/discover_cli.py", "write_text"): "writes the portal entries to the file the user named with -o",
    ("crawler/schedule.py", "open"): "the portal's crawl log, named by the portal id from portals.toml",
    ("crawler/schedule.py", "mkdir"): "the scheduler's log / lock directory beside the archive",
    ("crawler/portals.py", "open"): "reads portals.toml",
    ("crawler/schedule_cli.py", "open"): "reads portals.toml",
    ("crawler/file_gates.py", "mkdir"): "the backends' lock directory beside the archive; one per backend, named by a hash",
    ("crawler/file_gates.py", "open"): "os.open of the gates' lock files (slotN, strain, wait-<pid>) in those directories",
    ("crawler/file_gates.py", "write_text"): "a backend directory's `backend` file: its key, for whoever lists the directory",
    ("crawler/file_gates.py", "os.replace"): "publishes a wait-<pid> marker whole (written and locked under a temporary name)",
    ("crawler/file_gates.py", "shutil."): "removes the private lock directory of a crawl without an archive (check, discover) at exit",
}


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name:
                names.add(name)
    return names


def test_no_upload_and_no_file_named_by_a_portal_in_the_crawler_code():
    """A grep with teeth: every network or file call in crawler/ (the replica, the test server, lives apart in replica/) is
    one of the reviewed ones. A new one fails here until someone checks that it sends no archive data out and
    builds no path from portal-provided text."""
    found = set()
    for path in sorted((REPO / "crawler").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        text = path.read_text(encoding="utf-8")
        found |= {(rel, name) for name in _calls(path) & (_NET | _FILES)}
        found |= {(rel, marker) for marker in ("FILES_STORE", "IMAGES_STORE", "FEEDS", "FilesPipeline", "os.replace",
                                               "shutil.", "filename=") if marker in text}
    unknown = sorted(found - set(ALLOWED))
    assert not unknown, f"unreviewed network/file calls in the crawler: {unknown}"


# ---------------------------------------------------------------------------------------------- serving

@pytest.fixture(scope="module")
def small_archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("reliability-serve") / "archive.db"
    with Archive(db) as archive:
        ingest_reports(archive, sample_set(3, range(2021, 2024)))
    return db


def test_serve_binds_loopback_by_default(monkeypatch, small_archive):
    from archive.serve import SQL_TIME_LIMIT_MS, datasette_args
    from nianbao.cli import main

    calls = []
    monkeypatch.setattr("archive.serve.serve", lambda db, host, port, live=False: calls.append((host, port, live)))
    result = CliRunner().invoke(main, ["serve", "--db", str(small_archive)])
    assert result.exit_code == 0, result.output
    assert calls == [("127.0.0.1", 8001, False)]
    args = datasette_args(small_archive, Path("m.json"), "127.0.0.1", 8001, live=False)
    assert args[args.index("-h") + 1] == "127.0.0.1" and "-i" in args  # immutable: read-only, never locked
    assert args[args.index("sql_time_limit_ms") + 1] == str(SQL_TIME_LIMIT_MS) and SQL_TIME_LIMIT_MS <= 5000


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return False
    except OSError:
        return True


@pytest.mark.parametrize("live", [False, True], ids=["immutable", "live"])
def test_served_archive_is_loopback_only_time_limited_and_read_only(small_archive, live):
    digest = hashlib.sha256(small_archive.read_bytes()).hexdigest()
    with served(small_archive, *(["--live"] if live else [])) as base:
        port = int(base.rsplit(":", 1)[1])
        # bound to 127.0.0.1 itself, not 0.0.0.0: another loopback address of this machine is refused
        assert _refused("127.0.0.2", port)
        settings = get_json(f"{base}/-/settings.json")
        assert settings["sql_time_limit_ms"] <= 5000 and settings["allow_download"] is False
        dbs = get_json(f"{base}/-/databases.json")
        assert [d["name"] for d in dbs] == ["archive"]
        if not live:
            assert dbs[0]["is_mutable"] is False
        for sql in ("insert into organs(key, name, core) values ('x', 'x', 'x')", "delete from reports",
                    "update reports set year = 1", "drop table reports", "attach database '/tmp/x.db' as x",
                    "pragma journal_mode=delete", "vacuum into '/tmp/nianbao-vacuum.db'"):
            status, body = get(f"{base}/archive.json?sql={urllib.parse.quote(sql)}")
            assert status in (400, 403), (sql, status, body[:200])
        # a query that would run for ever is stopped by the time limit
        slow = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
        t0 = time.monotonic()
        status, body = get(f"{base}/archive.json?sql={urllib.parse.quote(slow)}")
        assert status in (400, 500) and time.monotonic() - t0 < 15, (status, body[:200])
        assert b"interrupted" in body.lower() or b"time limit" in body.lower() or b"too long" in body.lower(), body[:300]
        for method, path in [("POST", "/archive/organs/-/insert"), ("POST", "/archive/-/create"),
                             ("POST", "/archive/reports/1/-/delete"), ("PUT", "/archive/organs")]:
            status, body = get(base + path, method=method, data=b"{}")
            assert status in (403, 404, 405), (method, path, status, body[:200])
    assert not Path("/tmp/nianbao-vacuum.db").exists()
    assert hashlib.sha256(small_archive.read_bytes()).hexdigest() == digest


def test_limits_are_set_for_flaky_portals():
    """Bounded retries with backoff, a size cap (a 100 MB attachment is cancelled, 16 MB warned about), bounded
    redirects, a download timeout: in production and in the replica's FAST settings alike."""
    for fast in (False, True):
        s = settings_for("x.db", fast=fast)
        assert s.getbool("RETRY_ENABLED") and 1 <= s.getint("RETRY_TIMES") <= 5
        assert {500, 502, 503, 504, 429} <= set(s.getlist("RETRY_HTTP_CODES"))
        assert 0 < s.getint("DOWNLOAD_WARNSIZE") < s.getint("DOWNLOAD_MAXSIZE") < 100 * 1024 * 1024
        assert 0 < s.getint("REDIRECT_MAX_TIMES") <= 20 and 0 < s.getfloat("DOWNLOAD_TIMEOUT") <= 120
        mws = s.getdict("DOWNLOADER_MIDDLEWARES")
        # the off-portal/loop check sees a 3xx before RedirectMiddleware (600), Retry-After before RetryMiddleware (550)
        assert mws["crawler.middlewares.OffsiteRedirectMiddleware"] > 600
        assert mws["crawler.middlewares.RetryAfterMiddleware"] > 550
    prod = settings_for("x.db")
    assert prod.getfloat("DOWNLOAD_DELAY") >= 1 and prod.getbool("AUTOTHROTTLE_ENABLED")  # backoff when slow
