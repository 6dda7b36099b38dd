"""Page objects: list-page parsing, separate from crawling (the web-poet idea).

One module per CMS family declares the family and registers its list-page readers
(crawler.pages.registry); `PARSERS` maps the name a `Follow` carries to its reader, `FAMILIES` each
family to its entry reader and markers. Importing this package imports every family module.
"""
from __future__ import annotations

from crawler.pages import boda, gd, generic, hanweb, trs  # noqa: F401  (each registers its family)
from crawler.pages.common import Follow, Link, Listing, Page, is_report_title, looks_like_error_page
from crawler.pages.registry import FAMILIES, PARSERS, detect_family

ENTRY = {name: f.entry for name, f in FAMILIES.items()}

__all__ = ["ENTRY", "FAMILIES", "PARSERS", "Follow", "Link", "Listing", "Page", "detect_family", "is_report_title",
           "looks_like_error_page"]
