"""Headless Chromium through the served archive: every page kind, the search box, the diff page, the report page.

Screenshots go to $NIANBAO_SCREENSHOTS, else a temporary folder (the README's two: NIANBAO_SCREENSHOTS=docs/screenshots).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

import pytest
from archive_helpers import NIANBAO, REPO, free_port, get, served, served_archive_db, truth_ids

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
# Screenshots go to $NIANBAO_SCREENSHOTS (the README's come from `NIANBAO_SCREENSHOTS=docs/screenshots`), else a
# temporary folder: a test run leaves the checkout as it was.
SCREENSHOTS = Path(os.environ.get("NIANBAO_SCREENSHOTS") or tempfile.mkdtemp(prefix="nianbao-screenshots-"))
CJK = re.compile(r"[\u4e00-\u9fff]")
# The main table of a page: Datasette's rows, else the first table of our pages.
MAIN_TABLE = "table.rows-and-columns, table.main, table.grid, table"
OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  const table = document.querySelector(arguments_selector);
  let tableOverflow = false;
  if (table) {
    const right = table.getBoundingClientRect().right;
    // a table wider than the window must sit in a box that scrolls it, never widen the page
    let box = table.parentElement, scrolls = false;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && box.getBoundingClientRect().right <= doc.clientWidth + 1) { scrolls = true; break; }
      box = box.parentElement;
    }
    tableOverflow = right > doc.clientWidth + 1 && !scrolls;
  }
  return {page: doc.scrollWidth > doc.clientWidth + 1, table: tableOverflow};
}"""


def _chromium():
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's /usr/bin/chromium is required (apt-get install chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    return sync_playwright()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """`nianbao demo` into a fresh archive: every replica portal crawled (about 20 s)."""
    db = tmp_path_factory.mktemp("demo") / "nianbao.db"
    proc = subprocess.run([str(NIANBAO), "demo", "--db", str(db), "--port", str(free_port())], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path_factory.getbasetemp())
    assert db.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from reports").fetchone()[0] > 500, proc.stdout[-2000:]
    conn.close()
    return db


def page_urls(db: Path, name: str) -> dict[str, str]:
    """One URL per page kind: the index, the database, every table and view, every canned query, a row page,
    the search table and the search page with a query, report pages of each format, an organ page, a diff page."""
    from archive.metadata import QUERIES

    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    urls = {"index": "/", "database": f"/{name}", "row": f"/{name}/reports/1",
            "search table": f"/{name}/search?_search={urllib.parse.quote('复议')}",
            "search": "/-/search?" + urllib.parse.urlencode({"q": "复议 信息处理费", "province": "广东"})}
    for (table,) in conn.execute("select name from sqlite_master where type in ('table', 'view')"
                                 " and name not like 'search_fts%' and name not like 'search_grams%'"
                                 " and name not like 'sqlite_%'"):
        urls[f"table {table}"] = f"/{name}/{table}"
    params = {"q": "复议", "organ": "城关镇", "region": "", "key": "", "year": "", "province": ""}
    for query, spec in QUERIES.items():
        names = sorted(set(re.findall(r":(\w+)", spec["sql"])))
        urls[f"query {query}"] = f"/{name}/{query}?" + urllib.parse.urlencode({p: params.get(p, "") for p in names})
    for fmt, in conn.execute("select distinct format from reports where format is not null"):
        report_id = conn.execute("select id from reports where format = ? and status = 'current' order by id limit 1",
                                 (fmt,)).fetchone()[0]
        urls[f"report {fmt}"] = f"/-/report/{report_id}"
    organ_id = conn.execute("select organ_id from reports where organ_id is not null group by organ_id"
                            " order by count(*) desc limit 1").fetchone()[0]
    urls["organ"] = f"/-/organ/{organ_id}"
    urls["diff"] = f"/-/diff?organ_id={organ_id}"
    province = conn.execute("select province from reports where province is not null group by 1 order by count(*) desc"
                            " limit 1").fetchone()[0]
    urls["rollup"] = "/-/rollup?" + urllib.parse.urlencode({"region": province})
    conn.close()
    return urls


@pytest.mark.browser
@pytest.mark.parametrize("which", ["demo", "corpus"])
def test_every_page_kind(which, request, tmp_path_factory, corpus):
    """On the demo archive (screenshots saved) and on the loaded shared corpus."""
    db = request.getfixturevalue("demo_db") if which == "demo" else served_archive_db(tmp_path_factory, corpus)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    urls = page_urls(db, db.stem)
    with served(db) as base, _chromium() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        for kind, path in urls.items():
            response = page.goto(base + path)
            text = page.inner_text("body")
            overflow = page.evaluate(OVERFLOW_JS.replace("arguments_selector", json.dumps(MAIN_TABLE)))
            if response.status != 200 or not CJK.search(text) or overflow["page"] or overflow["table"]:
                problems.append((kind, path, response.status, overflow, text[:200]))
            if which == "demo" and kind in ("index", "report 2021", "organ", "diff", "search", "table reports", "rollup"):
                page.screenshot(path=str(SCREENSHOTS / f"{kind.replace(' ', '-')}.png"))
        browser.close()
        downloads = _downloads(db, base)
    assert not problems, problems
    assert which != "demo" or {"pdf", "docx", "html"} <= set(downloads)
    for kind, (expected, content_type, got_sha, got_type, disposition) in downloads.items():
        assert got_sha == expected and got_type == content_type and "filename" in disposition, kind


def _downloads(db: Path, base: str) -> dict[str, tuple]:
    """For one report of each kind of file: (stored sha256, stored type, downloaded sha256, type, disposition)."""
    import urllib.request

    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    rows = conn.execute(
        "select r.kind, min(r.id), f.sha256, f.content_type from reports r join report_versions v on v.id = r.current_version_id"
        " join fetches f on f.id = v.fetch_id where r.kind is not null group by r.kind").fetchall()
    conn.close()
    out = {}
    for kind, report_id, sha, content_type in rows:
        with urllib.request.urlopen(f"{base}/-/report/{report_id}/original", timeout=30) as r:
            out[kind] = (sha, content_type, hashlib.sha256(r.read()).hexdigest(), r.headers["content-type"],
                         r.headers["content-disposition"])
    return out


@pytest.mark.browser
def test_report_page_tables_match_the_truth_and_the_file_downloads(tmp_path_factory, corpus):
    """A 平潭 page of the corpus: every printed cell of 表二/表三/表四 on the report page equals its truth file."""
    db = served_archive_db(tmp_path_factory, corpus)
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    report_id, fetch_sha = conn.execute(
        "select r.id, f.sha256 from reports r join report_versions v on v.id = r.current_version_id"
        " join fetches f on f.id = v.fetch_id where r.organ like '平潭%' and r.year = 2023").fetchone()
    conn.close()
    truth = json.loads((corpus / "html" / "pingtan_2023.json").read_text(encoding="utf-8"))["metrics"]
    with served(db) as base, _chromium() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        assert page.goto(f"{base}/-/report/{report_id}").status == 200
        cells = page.eval_on_selector_all(
            "#t2 td.n, #t3 td.n, #t4 td.n", "tds => tds.map(td => [td.title.split('（')[0], td.className, td.innerText])")
        browser.close()
        status, body = get(f"{base}/-/report/{report_id}/original")
    assert status == 200 and hashlib.sha256(body).hexdigest() == fetch_sha  # the bytes as served
    shown = {key: (cls, text) for key, cls, text in cells}
    assert {k for k in truth if k.startswith(("t2.", "t3.", "t4."))} <= set(shown)
    for key, value in truth.items():
        cls, text = shown[key]
        if value is None:
            assert "blank" in cls and text == "空", key
        else:
            assert float(text.rstrip("*")) == value and "absent" not in cls, (key, value, text)
    for key, (cls, _) in shown.items():
        if key not in truth:
            assert "absent" in cls, key


@pytest.mark.browser
def test_search_box_and_diff_page_in_chromium(tmp_path_factory, corpus):
    db = served_archive_db(tmp_path_factory, corpus)
    with served(db) as base, _chromium() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for query in ("复议", "依申请公开", "信息处理费", "费"):
            page.goto(f"{base}/archive/search")
            page.fill("input#_search", query)
            page.press("input#_search", "Enter")
            page.wait_for_load_state("load")
            assert f"_search={query}" in urllib.parse.unquote(page.url)
            shown = page.inner_text("h3")  # e.g. "27 rows where search matches "复议""
            count = int(re.search(r"([\d,]+) rows?", shown).group(1).replace(",", ""))
            assert count == len(truth_ids(db, query)), (query, shown)
            assert query in shown
            assert page.locator("table.rows-and-columns tbody tr").count() == min(count, 100)
        # from a search result to the organ's diff through the link in the organ cell
        page.goto(f"{base}/archive/search?_search={urllib.parse.quote('平潭综合实验区2023')}")
        page.click("text=对比")
        page.wait_for_load_state("load")
        assert "/-/diff" in page.url
        page.goto(f"{base}/-/diff?organ={urllib.parse.quote('平潭综合实验区')}&from=2022&to=2023")
        heading = page.inner_text("h1")
        assert "平潭综合实验区" in heading and "2022" in heading and "2023" in heading
        assert page.locator("svg").count() == 8 and page.locator("svg circle").count() >= 8 * 6
        body = page.inner_text("body")
        assert "t2.normative.in_force" in body and "698" in body and "470" in body and "-228" in body
        # links to both reports and to the organ page
        for link in ("a[href*='/-/organ/']", "a[href*='/-/report/']"):
            assert page.locator(link).count() >= 1
        page.click("a[href*='/-/organ/']")
        page.wait_for_load_state("load")
        assert "平潭综合实验区" in page.inner_text("h1") and page.locator(".years a").count() == 8
        browser.close()
