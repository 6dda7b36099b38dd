"""Plain-text reports (text pulled out of pages or PDFs): decode and wrap as a Document."""
from __future__ import annotations

from parsers.document import Document
from parsers.html import decode_html
from parsers.model import ParseError


def decode_text(data: bytes | str, source: str) -> str:
    """Bytes to text with the same charset logic as pages (BOM, strict UTF-8, GB18030)."""
    if isinstance(data, str):
        return data
    if not data:
        raise ParseError(f"{source}: empty document")
    return decode_html(data)


def read_text(data: bytes | str, source: str) -> Document:
    """A text report; its tables are read later from the text's cell stream (no grids here)."""
    text = decode_text(data, source).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise ParseError(f"{source}: no text in document")
    return Document(source=source, kind="text", text=text)
