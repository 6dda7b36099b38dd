"""What a body is, from its first bytes: the one place that knows the file signatures.

`document_kind` picks the reader for a document (the bytes win over a Content-Type header);
`html_instead_of_file` tells the crawl that an attachment URL answered with a web page.
"""
from __future__ import annotations

from parsers.html import looks_like_html

FILE_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")  # PDF, zip (DOCX), OLE (DOC), RTF


def document_kind(data: bytes, content_type: str | None = None) -> str:
    """The reader kind for these bytes: pdf | docx | doc | html | text (bytes win over the header)."""
    head = data[:2048]
    if head.lstrip()[:5] == b"%PDF-" or head[:4] == b"%PDF":
        return "pdf"
    if head[:2] == b"PK":
        return "docx" if b"word/" in data[:200000] else "zip"
    if head[:8] == bytes.fromhex("D0CF11E0A1B11AE1"):
        return "doc"
    ct = (content_type or "").lower()
    text_head = head.decode("latin-1").lower()
    if "html" in ct or looks_like_html(text_head):
        return "html"
    return "text"


def html_instead_of_file(body: bytes) -> bool:
    """An attachment URL that answered with a web page (error page, login, missing Referer)."""
    if body.startswith(FILE_MAGIC):
        return False
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<meta", b"<script", b"<div", b"<?xml", b"<p"))
