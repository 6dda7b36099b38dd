"""Which CMS family built a page, from markers the first page of a column carries (family `auto`)."""
from __future__ import annotations

import re

MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hanweb", re.compile(r"<datastore>|dataproxy\.jsp|/module/xxgk/|var\s+param_\d+\s*=", re.I)),
    ("gd", re.compile(r"window\._CONFIG|gkmlpt|NFCMS_|nfw-cms|/content/m?post_\d+\.html", re.I)),
    ("boda", re.compile(r"\bvsb_|p_pages|pb_sys_common|_showDynClick|/system/_content/", re.I)),
    ("trs", re.compile(r"createPageHTML|TRS_Editor|TRS_UEDITOR|/fjdzapp/|\bt\d{8}_\d+\.s?html?", re.I)),
)
ENTRY = {"trs": "trs.list", "hanweb": "hanweb.list", "gd": "gd.list", "boda": "boda.list", "generic": "generic.list"}


def detect_family(text: str) -> str:
    """The first family whose markers appear in the page; `generic` when none does."""
    for family, pattern in MARKERS:
        if pattern.search(text):
            return family
    return "generic"
