"""What a reader makes of raw bytes, before any template logic: text, table grids, page meta.

HTML, PDF, DOCX and DOC readers all produce a Document, so the table interpreter is written once.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


_GLUED_DIGITS = re.compile(r"(?:[\u4e00-\u9fff”’」』)）》]|(?<![\d.,])(?=0))(\d{2,16})(?![\d.,])")


@dataclass
class Cell:
    """One origin cell of a table. Positions a span covers hold None in the grid."""

    text: str
    rowspan: int = 1
    colspan: int = 1


Grid = list[list[Cell | None]]


@dataclass
class Document:
    """A document read but not yet interpreted.

    kind: "html" | "text" | "pdf" | "docx" | "doc".
    text: the readable full text (prose; tables flattened in place, one row per line, cells tab-separated).
    tables: grids read structurally from the source (HTML DOM, PDF, DOCX); empty for plain text.
    title: the document's own title (ArticleTitle meta, <h1>, first heading line), if any.
    meta: page metadata by name (PubDate, ContentSource, 发布日期, ...).
    attachments: report files the page links to, as {"url", "name"} (resolved against the page URL when known).
    links: (text, title attribute) of every other link on the page, scripts included, so a list page of
        report titles can be told from a report (file links are attachments, not listed here).
    """

    source: str
    kind: str
    text: str
    tables: list[Grid] = field(default_factory=list)
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    def printed_numbers(self) -> set[float]:
        """Every number the document prints, in its text and its grid cells (spaces removed).

        The parser's promise "no number appears that is not in the document" is checked against this. Digits
        glued to a label (`规章000`) or to each other (`000000`) count with every piece, since their cells
        are pieces of the run.
        """
        texts = [self.text] + ["".join(c.text.split()) for g in self.tables for row in g for c in row if c is not None]
        found: set[float] = set()
        for t in texts:
            t = unicodedata.normalize("NFKC", t)
            for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", t):
                found.add(float(m.group(0).replace(",", "")))
            for m in _GLUED_DIGITS.finditer(t):  # `规章1000`: its cells are pieces of the digit run
                d = m.group(1)
                found.update(float(d[i:j]) for i in range(len(d)) for j in range(i + 1, len(d) + 1))
        return found
