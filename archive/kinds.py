"""What kind of file a report was read from (html, pdf, docx, doc, text), for the search and report facets."""
from __future__ import annotations

import urllib.parse

KINDS = ("html", "pdf", "docx", "doc", "text")
_BY_TYPE = (("pdf", "pdf"), ("wordprocessingml", "docx"), ("msword", "doc"), ("html", "html"), ("xml", "html"),
            ("text/plain", "text"))
_BY_SUFFIX = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "doc", "htm": "html", "html": "html",
              "shtml": "html", "jsp": "html", "txt": "text"}


def body_kind(content_type: str | None, url: str | None = None) -> str | None:
    """The kind named by the content type, else by the URL's suffix; None when neither says."""
    ctype = (content_type or "").lower()
    for needle, kind in _BY_TYPE:
        if needle in ctype:
            return kind
    path = urllib.parse.urlsplit(url or "").path.lower()
    suffix = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _BY_SUFFIX.get(suffix)
