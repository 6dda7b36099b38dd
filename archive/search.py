"""Full-text search with snippets and facets, for the `/-/search` page and `nianbao search`.

The match is the exact n-gram index (archive.ngrams); the snippet shows the first place each word occurs,
the facets count the matching reports by year, province, template format and kind of file. Like the search
table page (archive.search_sql), one bounded read of the index answers: the newest COUNT_CAP + 1 matches
(highest id first: the order FTS5 reads without sorting) give the count, exact up to COUNT_CAP and else
"1,000+", and the facets, over those newest COUNT_CAP when capped; pages go on by cursor (ids below it).
"""
from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from archive import ngrams, search_sql

FACETS = ("year", "province", "format", "kind")
SNIPPET_CONTEXT = 40    # characters shown on each side of a match
MAX_SNIPPETS = 3
_PAGE_COLUMNS = "id, organ_id, organ, year, province, format, kind, title, text"


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
    total: int  # exact up to search_sql.COUNT_CAP, else search_sql.AtLeast(COUNT_CAP), shown "1,000+"
    rows: list[dict] = field(default_factory=list)
    facets: dict[str, list[tuple[object, int]]] = field(default_factory=dict)
    capped: bool = False  # more matches than COUNT_CAP: the facets count the newest COUNT_CAP of them
    next_before: int | None = None  # the cursor of the next page (its reports have lower ids), None on the last


def _where(filters: Filters) -> tuple[str, dict]:
    clauses, params = ["s.status != 'replaced'"], {}
    for name, value in filters.active().items():
        if name == "province":
            clauses.append("s.province like '%' || :nianbao_province || '%'")
        else:
            clauses.append(f"s.{name} = :nianbao_{name}")
        params[f"nianbao_{name}"] = value
    return " and ".join(clauses), params


def search(conn: sqlite3.Connection, query: str, filters: Filters | None = None, limit: int = 50,
           before: int | None = None, with_facets: bool = True) -> Results:
    """Reports containing every word of `query` (exact substrings), newest first, below the cursor `before`.

    One read of the newest COUNT_CAP + 1 matches gives the count, the facets and, when it holds them, the
    page; a page past it reads `limit` + 1 more below the cursor. Only the page's texts are read (snippets)."""
    search_sql.check_length(query, QueryTooLong)
    where, params = _where(filters or Filters())
    params["nianbao_match"] = ngrams.fts_query(query)
    cap = search_sql.COUNT_CAP
    ids = search_sql.narrowed(conn, query)  # a rare phrase of common n-grams: its few matches, by id
    head = conn.execute(search_sql.newest_sql("s.id, s.year, s.province, s.format, s.kind", where, ids=ids),
                        {**params, "nianbao_limit": cap + 1}).fetchall()
    capped = len(head) > cap
    below = [r[0] for r in head if before is None or r[0] < before]
    if capped and len(below) <= limit:  # the page runs past the read that counted
        more = {**params, "nianbao_limit": limit + 1, **({"nianbao_before": before} if before is not None else {})}
        below = [r[0] for r in conn.execute(search_sql.newest_sql("s.id", where, before=before is not None, ids=ids),
                                             more)]
    page = below[:limit]
    rows = []
    if page:
        cur = conn.execute(f"select {_PAGE_COLUMNS} from search where id in ({', '.join(map(str, page))})"
                           " order by id desc")
        cols = [d[0] for d in cur.description]
        for values in cur.fetchall():
            row = dict(zip(cols, values))
            row["snippets"] = snippets(row.pop("text") or "", query)
            rows.append(row)
    facets = _facets(head[:cap]) if with_facets else {}
    return Results(query, search_sql.capped(len(head)), rows, facets, capped,
                   page[-1] if len(below) > limit else None)


def _facets(rows: list[tuple]) -> dict[str, list[tuple[object, int]]]:
    """Counts by year (newest first) and by province, format and kind (most first; unknown first among equals)."""
    out = {}
    for i, name in enumerate(FACETS, start=1):
        counts = Counter(r[i] for r in rows)
        if name == "year":
            out[name] = sorted(counts.items(), key=lambda vn: (vn[0] is None, -(vn[0] or 0)))
        else:
            out[name] = sorted(counts.items(), key=lambda vn: (-vn[1], vn[0] is not None, str(vn[0] or "")))
    return out


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
