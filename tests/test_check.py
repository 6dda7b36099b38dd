"""`nianbao check` on every replica site: family, report links with titles and years, next pages, blocked or
not — and nothing archived, no report page fetched. Runs in a subprocess (the reactor cannot restart)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.check import render
from replica import Replica

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


def test_check_on_the_shipped_pingtan_entry_saved_first_page(corpus, tmp_path):
    """The real Pingtan 年报 list page (saved, Fujian 动静结合), served locally under the shipped entry's path:
    check shows its ten reports with years; the JSON search for later pages is asked for (not served here)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from crawler.portals import load_portals

    body = (corpus / "html" / "pingtan_zfxxgknb_list_index.html").read_bytes()
    shipped = load_portals()["pingtan"]
    path = "/" + shipped.start_urls[0].split("/", 3)[3]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ok = self.path == path
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body if ok else b"<html><body>404 Not Found</body></html>")

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.60", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        portals = tmp_path / "p.toml"
        portals.write_text(f'[[portal]]\nid = "pingtan"\nname = "{shipped.name}"\nfamily = "{shipped.family}"\n'
                           f'start_urls = ["http://127.0.0.60:{server.server_address[1]}{path}"]\n', encoding="utf-8")
        cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "check", "pingtan",
               "--portals", str(portals), "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
    finally:
        server.shutdown()
    (r,) = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert r["family"] == "trs" and len(r["reports"]) == 10 and not r["blocked"]
    assert sorted(rep["year"] for rep in r["reports"]) == list(range(2016, 2026))
    # page 2 is the Fujian JSON search (POST /fjdzapp/search): asked for, and its failure here is reported
    assert [f["url"].split("/", 3)[3] for f in r["failures"]] == ["fjdzapp/search"]
