"""Guangdong: NFCMS columns (`index.html`, page 2 = `index_2.html`, `content/post_N.html`) and the gkmlpt
信息公开目录 (a Vue SPA whose `window._CONFIG` names the category tree; lists come from a JSON API).
"""
from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from crawler.pages.common import Follow, Link, Listing, Page, anchors, clean, report_links
from crawler.pages.registry import family

GD = family("gd", rank=20, markers=r"window\._CONFIG|gkmlpt|NFCMS_|nfw-cms|/content/m?post_\d+\.html")

CONFIG = re.compile(r"window\._CONFIG\s*=\s*(\{.*?\})\s*;?\s*</script>", re.S)
CONFIG_SID = re.compile(r"""\bSID['"]?\s*[:=]\s*['"]?(\w+)""")
NFCMS_PAGE = re.compile(r"""index_(\d+)\.html""")
REPORT_CATEGORY = re.compile(r"年报|年度报告")
PAGE_SIZE = 100


@GD.reads("list")
def column(page: Page, follow: Follow | None = None) -> Listing:
    """An NFCMS column (pager links are plain `<a href="index_N.html">`), or the gkmlpt index."""
    if "_CONFIG" in page.text and "gkmlpt" in page.url:
        return gkmlpt_index(page)
    links = anchors(page.selector, page.url)
    out = Listing(reports=report_links(links))
    base = page.url.rsplit("/", 1)[0] + "/"
    for link in links:
        if link.url.startswith(base) and NFCMS_PAGE.search(link.url.rsplit("/", 1)[-1]):
            out.follow.append(Follow(link.url, "gd.list"))
    return out


def _tree_nodes(tree) -> list[dict]:
    out = []
    for node in tree if isinstance(tree, list) else []:
        if isinstance(node, dict):
            out.append(node)
            out += _tree_nodes(node.get("children") or node.get("child") or [])
    return out


def _config(text: str) -> dict:
    """`window._CONFIG = {…}` as data (JSON on current platforms; a JS literal is tolerated)."""
    m = CONFIG.search(text)
    if not m:
        return {}
    raw = m.group(1)
    for candidate in (raw, re.sub(r"([{,]\s*)(\w+)\s*:", r'\1"\2":', raw).replace("'", '"')):
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return {}


def gkmlpt_index(page: Page) -> Listing:
    """`window._CONFIG = {SID, TREE}`: the categories whose name says 年报, listed through the JSON API."""
    config = _config(page.text)
    sid = config.get("SID") or (CONFIG_SID.search(page.text) or [None, None])[1]
    out = Listing()
    for node in _tree_nodes(config.get("TREE", [])) if sid else []:
        if REPORT_CATEGORY.search(str(node.get("name", ""))):
            # page 0 and page 1 are the same batch on gkmlpt, so the pager starts at 1
            out.follow.append(Follow(urljoin(page.url, f"/gkmlpt/api/all/{node.get('id')}?page=1&sid={sid}"), "gd.api"))
    return out


@GD.reads("api")
def gkmlpt_api(page: Page, follow: Follow | None = None) -> Listing:
    """`/gkmlpt/api/all/<cat>?page=N&sid=`: 100 articles a page; page 1 schedules pages 2…⌈total/100⌉."""
    data = json.loads(page.text)
    links = [Link(urljoin(page.url, a.get("url") or a.get("post_url") or ""), clean(a.get("title")))
             for a in data.get("articles", []) if isinstance(a, dict)]
    out = Listing(reports=report_links(links))
    m = re.search(r"[?&]page=(\d+)", page.url)
    if m and int(m.group(1)) == 1:
        total = int(data.get("total") or 0)
        for n in range(2, -(-total // PAGE_SIZE) + 1):
            out.follow.append(Follow(re.sub(r"([?&]page=)\d+", rf"\g<1>{n}", page.url), "gd.api"))
    return out
