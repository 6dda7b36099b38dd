"""Headless Chromium through the Datasette UI: a search typed in the search box, a diff page with its chart."""
from __future__ import annotations

import re
import shutil
import urllib.parse

import pytest
from archive_helpers import served, served_archive_db, truth_ids

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
SCREENSHOTS = "/tmp/nianbao-browser-{}.png"  # kept for a human to look at


@pytest.mark.browser
def test_search_box_and_diff_page_in_chromium(tmp_path_factory, corpus):
    if not shutil.which("chromium") and not shutil.os.path.exists("/usr/bin/chromium"):
        pytest.fail("Debian's /usr/bin/chromium is required (apt-get install chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    db = served_archive_db(tmp_path_factory, corpus)
    with served(db) as base, sync_playwright() as p:
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
        page.screenshot(path=SCREENSHOTS.format("search"))
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
        page.screenshot(path=SCREENSHOTS.format("diff"))
        browser.close()
