"""Plain-text reports (text pulled out of pages or PDFs): decode and wrap as a Document."""
from __future__ import annotations

from parsers import limits
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
    _check_lines(text, source)
    if not text.strip():
        raise ParseError(f"{source}: no text in document")
    return Document(source=source, kind="text", text=text)


def _check_lines(text: str, source: str) -> None:
    """Refuse a line over `line_bytes` (UTF-8): the table and meta readers scan lines with regexes, and a
    40 MB line costs minutes; a real report's longest paragraph is a few KB."""
    cap = limits.current().line_bytes
    if len(text) * 4 <= cap:  # no line can be over (a char is at most 4 bytes)
        return
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > cap // 4 and len(text[start:end].encode("utf-8")) > cap:
            raise limits.LimitExceeded(f"{source}: line {text.count(chr(10), 0, start) + 1} is "
                                       f"over {cap:,} bytes (limit line_bytes)")
        start = end + 1
