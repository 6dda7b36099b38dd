"""nianbao report parser: one document (HTML page, text, PDF, DOCX, DOC) → `parsers.model.Report`.

Public API
----------
- ``read_any(data, source, content_type=None) -> Document`` — sniff the bytes and run one reader:
  ``%PDF`` → ``parsers.pdf.read_pdf``; a ``PK`` zip holding ``word/document.xml`` → ``parsers.docx.read_docx``;
  OLE ``D0CF11E0`` → ``parsers.doc.read_doc``; HTML-ish → ``parsers.html.read_html``; else
  ``parsers.text.read_text``. The PDF/DOCX/DOC readers are imported lazily; a missing one raises ParseError.
- ``parse_document(doc) -> Report`` — interpret a Document (see its docstring for how grids are consumed).
- ``parse_bytes(data, source, content_type=None, hints=None) -> Report`` and ``parse_file(path) -> Report``;
  ``hints`` are titles the crawl knows from outside the document (``{"listing_title": …, "page_title": …}``):
  extra title candidates for the year and the organ, after the document's own title and title lines.
- ``PARSER_VERSION`` — stored with every report version; bumped whenever output can change.
- ``find_attachments(html, base_url)`` and ``decode_html(data, declared)`` (re-exported from parsers.html).

A document that cannot be read raises ``ParseError("<source>: <reason>")``; nothing else escapes.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from w3lib.encoding import http_content_type_encoding

from parsers import legacy, limits
from parsers.cells import grid_rows
from parsers.checks import prose_checks, table_checks, unconfirmed
from parsers.document import Document
from parsers.html import decode_html, find_attachments, read_html
from parsers.loose import place_loose_numbers
from parsers.html import HTML_TITLE_KEY, title_parts, utf16_to_utf8
from parsers.nonreport import image_format
from parsers.meta import find_date, find_organ, find_title, find_year, untabled_format, year_format
from parsers.model import Check, ParseError, Report
from parsers.nonreport import not_a_report
from parsers.recover import read_text_tables
from parsers.schema import metric_labels
from parsers.sections import split_sections
from parsers.sniff import document_kind
from parsers.tables import TableResult, interpret
from parsers.text import read_text
from parsers.versions import reader_versions

PARSER_VERSION = "1.8.0"

__all__ = ["PARSER_VERSION", "ParseError", "decode_html", "find_attachments", "parse_bytes", "parse_document",
           "parse_file", "read_any"]

_LAZY_READERS = {"pdf": ("parsers.pdf", "read_pdf"), "docx": ("parsers.docx", "read_docx"), "doc": ("parsers.doc", "read_doc")}


def _reader(kind: str):
    module, name = _LAZY_READERS[kind]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise ParseError(f"the {kind.upper()} reader is unavailable ({module}.{name}: {e})") from e


def read_any(data: bytes, source: str, content_type: str | None = None) -> Document:
    """Read raw bytes into a Document with the reader the bytes call for."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise ParseError(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    image = image_format(data)
    if image:
        raise ParseError(f"{source}: not a report: an image ({image})")
    data = utf16_to_utf8(data)  # UTF-16 without a BOM reads as UTF-8 from here on (sniffing, readers)
    if not data.strip():
        raise ParseError(f"{source}: empty document")
    kind = document_kind(data, content_type)
    if kind == "zip":
        raise ParseError(f"{source}: a zip archive that is not a Word document")
    try:
        if kind in _LAZY_READERS:
            reader = _reader(kind)
            try:
                return reader(data, source)
            except ParseError:
                raise
            except Exception as e:  # a broken file inside a third-party reader
                raise ParseError(f"{source}: unreadable {kind.upper()} ({type(e).__name__}: {e})") from e
        if kind == "html":
            return read_html(data, source, declared=http_content_type_encoding(content_type))
        return read_text(data, source)
    except ParseError as e:
        if str(e).startswith(source):
            raise
        raise ParseError(f"{source}: {e}") from e
    except RecursionError as e:
        raise ParseError(f"{source}: document nested too deeply") from e


def parse_document(doc: Document, hints: Mapping[str, str | None] | None = None) -> Report:
    """Interpret a Document: tables, meta, sections, checks.

    How tables are found. When ``doc.tables`` holds grids (HTML, PDF, DOCX readers), each grid row is
    taken in order, with only its *origin* cells (positions a span covers are ``None`` and skipped); each
    cell's text is normalised (NFKC, whitespace runs → one space; a cell whose text is a number once its
    spaces are removed — ``2`` ``0`` split across spans — becomes that number). A cell is a value (a number,
    optionally with a unit such as 元/件 or a parenthetical), a blank (empty, or digit-less like ``/``, ``—``)
    or a label (anything else). Blank cells before a row's first label are dropped (spanned label columns);
    all other blanks are kept because they are printed cells. Rows of all-empty cells are skipped. Grids are
    concatenated in document order, so a table split over pages may come as several grids. A reader should
    therefore give every data row of tables 2–4 as one grid row: its label cell(s) then its value cells.
    If the grids yield no template table, the text cell stream (``doc.text``) is tried instead.

    A document that is not a report (too short, a login wall, a busy/error page, a notice or other column
    item, no report sign at all, a list page of report links) raises ``ParseError("<source>: not a
    report: <reason>")`` (see parsers.nonreport); images and foreign zips are refused by ``read_any``.
    """
    doc.meta.update(hint_meta(hints))
    text = doc.text or ""
    rows = limits.check_rows([r for g in doc.tables for r in grid_rows(g)] if doc.tables else [], doc.source)
    year = find_year(text, doc.title)
    tables = interpret(rows) if rows else None
    notes: list[Check] = []
    if tables is None or not tables.found:
        tables, notes = read_text_tables(text, check_rows=lambda rows: limits.check_rows(rows, doc.source))
    else:
        place_loose_numbers(tables)
    sections = split_sections(text)
    titles = outside_titles(doc)
    year = find_year(text, doc.title, titles) if titles else year
    why = not_a_report(doc, bool(tables.found), len(sections), titles)
    if why:
        raise ParseError(f"{doc.source}: not a report: {why}")
    fmt = report_format(tables, text, year, len(sections))
    meta = {
        "organ": find_organ(text, doc.title, doc.meta, year, titles),
        "year": year,
        "format": fmt,
        "title": find_title(text, doc.title, titles),
        "date": find_date(text, doc.meta),
    }
    if fmt == "legacy":  # a few figures read from the prose, apart from the metrics contract (parsers/legacy.py)
        meta["legacy"] = legacy.figures(text)
    known = metric_labels()
    metrics = {k: tables.metrics[k] for k in known if k in tables.metrics}
    inferred = sorted(k for k in tables.inferred if k in metrics)
    notes += [Check("tables.reading", None, why, {}) for why in tables.unsure]
    checks = unconfirmed(table_checks(metrics) + prose_checks(text, metrics), inferred) + notes
    if fmt != "legacy" and not tables.found:
        checks.append(Check("tables.found", False,
                            "no template table (2/3/4) was found in the document: tables may be images or cut off",
                            {}))
    return Report(source=doc.source, meta=meta, metrics=metrics, checks=checks, sections=sections, text=text,
                  attachments=list(doc.attachments), inferred=inferred)


_HINT_PREFIX = "hint:"  # crawl hints ride in Document.meta (`hint:listing_title`), like the raw <title>


def hint_meta(hints: Mapping[str, str | None] | None) -> dict[str, str]:
    """Hints as Document meta entries (non-empty strings only)."""
    return {_HINT_PREFIX + k: v for k, v in (hints or {}).items() if isinstance(v, str) and v.strip()}


def outside_titles(doc: Document) -> list[str]:
    """Titles from outside the text: the crawl's hints (listing title first), then the parts of the page's
    raw <title> other than the one taken as the page's title."""
    titles = [v for k, v in doc.meta.items() if k.startswith(_HINT_PREFIX)]
    raw = doc.meta.get(HTML_TITLE_KEY)
    return titles + ([p for p in title_parts(raw) if p != doc.title] if raw else [])


def report_format(tables: TableResult, text: str, year: int | None, n_sections: int) -> str:
    """The template format: table labels decide; with no table read, the cited notice (weighed by year); else the year.

    A citation does not override tables: reports citing 〔2019〕60号 often print the 2021 tables.
    """
    if tables.t2_format or tables.t3_format:
        return tables.t2_format or tables.t3_format
    return year_format(year, n_sections) if tables.found else untabled_format(text, year, n_sections)


def parse_bytes(data: bytes, source: str, content_type: str | None = None,
                hints: Mapping[str, str | None] | None = None) -> Report:
    """Read and interpret raw bytes; only ParseError escapes. `hints`: see the module docstring."""
    doc = read_any(data, source, content_type)
    doc.meta.update(hint_meta(hints))
    try:
        report = parse_document(doc)
        report.readers = reader_versions()
        return report
    except ParseError:
        raise
    except RecursionError as e:
        raise ParseError(f"{source}: document nested too deeply") from e
    except Exception as e:  # a parser bug must not take down a crawl: report it as this document's error
        raise ParseError(f"{source}: internal parser error ({type(e).__name__}: {e})") from e


def parse_file(path: str | Path) -> Report:
    """Parse a file on disk (the source is its path)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ParseError(f"{p}: cannot read file ({e.strerror or e})") from e
    return parse_bytes(data, str(p), content_type=_content_type_for(p))


def _content_type_for(path: Path) -> str | None:
    return {".html": "text/html", ".htm": "text/html", ".shtml": "text/html"}.get(path.suffix.lower())
