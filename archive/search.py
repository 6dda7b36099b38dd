"""Full-text search with snippets and facets, for the `/-/search` page and `nianbao search`.

The match is the exact n-gram index (archive.ngrams); the snippet shows the first place each word occurs,
the facets count the matching reports by year, province, template format and kind of file.
"""
from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field

from archive import ngrams

FACETS = ("year", "province", "format", "kind")
MAX_QUERY_CHARS = 1000  # as the SQL functions: longer queries are refused (see archive.datasette_plugin)
SNIPPET_CONTEXT = 40    # characters shown on each side of a match
MAX_SNIPPETS = 3


class QueryTooLong(ValueError):
    pass


@dataclass
class Filters:
    year: int | None = None
    province: str | None = None
    format: str | None = None
    kind: str | None = None

    def active(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


@dataclass
class Results:
    query: str
    total: int
    rows: list[dict] = field(default_factory=list)
    facets: dict[str, list[tuple[object, int]]] = field(default_factory=dict)


def _where(filters: Filters) -> tuple[str, list]:
    clauses, params = ["s.status != 'replaced'"], []
    for name, value in filters.active().items():
        if name == "province":
            clauses.append("s.province like '%' || ? || '%'")
        else:
            clauses.append(f"s.{name} = ?")
        params.append(value)
    return " and ".join(clauses), params


def search(conn: sqlite3.Connection, query: str, filters: Filters | None = None, limit: int = 50,
           offset: int = 0, with_facets: bool = True) -> Results:
    """Reports containing every word of `query` (exact substrings), newest first, with snippets and facets."""
    if len(query or "") > MAX_QUERY_CHARS:
        raise QueryTooLong(f"search query of {len(query)} characters; at most {MAX_QUERY_CHARS}")
    filters = filters or Filters()
    match = ngrams.fts_query(query)
    where, params = _where(filters)
    base = f"from search s where s.id in (select rowid from search_fts where search_fts match ?) and {where}"
    total = conn.execute(f"select count(*) {base}", (match, *params)).fetchone()[0]
    cur = conn.execute(f"select s.id, s.organ_id, s.organ, s.year, s.province, s.format, s.kind, s.title, s.text {base}"
                       " order by s.year desc, s.organ, s.id limit ? offset ?", (match, *params, limit, offset))
    cols = [d[0] for d in cur.description]
    rows = []
    for values in cur.fetchall():
        row = dict(zip(cols, values))
        row["snippets"] = snippets(row.pop("text") or "", query)
        rows.append(row)
    facets = {}
    if with_facets:
        for name in FACETS:
            facets[name] = [tuple(r) for r in conn.execute(
                f"select s.{name}, count(*) {base} group by 1 order by {'1 desc' if name == 'year' else '2 desc, 1'}",
                (match, *params))]
    return Results(query, total, rows, facets)


def _fold(text: str) -> str:
    """Per character NFKC + lower, keeping one character per position, so positions map back to the text."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def snippets(text: str, query: str, context: int = SNIPPET_CONTEXT) -> list[list[tuple[str, bool]]]:
    """Up to MAX_SNIPPETS passages around the first occurrence of each query word: [(text, is_match), ...] each."""
    folded = _fold(text)
    spans: list[tuple[int, int]] = []
    for word in ngrams.normalized_words(query)[:MAX_SNIPPETS]:
        pattern = re.escape(word).replace("\\ ", r"\s+")
        found = re.search(pattern, folded)
        if found:
            spans.append(found.span())
    passages: list[list] = []  # [lo, hi, [spans]]: matches close together share one passage
    for start, end in sorted(spans):
        lo, hi = max(0, start - context), min(len(text), end + context)
        if passages and lo <= passages[-1][1]:
            passages[-1][1] = max(passages[-1][1], hi)
            passages[-1][2].append((start, end))
        else:
            passages.append([lo, hi, [(start, end)]])
    out: list[list[tuple[str, bool]]] = []
    for lo, hi, found in passages:
        parts: list[tuple[str, bool]] = [("…" if lo else "", False)]
        at = lo
        for start, end in found:
            if start < at:
                continue
            parts += [(_flat(text[at:start]), False), (text[start:end], True)]
            at = end
        parts.append((_flat(text[at:hi]) + ("…" if hi < len(text) else ""), False))
        out.append([(t, m) for t, m in parts if t])
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


def snippet_text(parts: list[tuple[str, bool]]) -> str:
    """A snippet as plain text with the match in 【】 (for the command line and JSON)."""
    return "".join(f"【{t}】" if m else t for t, m in parts)
