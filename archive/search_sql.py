"""The search SQL of Datasette's search table page (`?_search=`): one page of matches, a capped count.

Datasette's stock search (`id in (select rowid from fts where fts match …)` plus `select count(*)` of the
same) reads every match twice, and the first page sorts them all: at 500,000 reports a common word
matches nearly every report. The n-gram index (archive.ngrams) returns matches in rowid order, so a
page is the next `limit` rowids after the cursor, and the count reads at most COUNT_CAP of them
(shown as "1,000+"); on page one a single read of the index gives both. Both stay exact: the rows are
exactly the matching reports, in id order.

A phrase whose trigrams are all common but that is itself rare (信息公开、依申请: every report has both
halves) is different: FTS5 must compare the positions of its trigrams in every report, and finds few or no
matches to stop at. `narrowed` asks the doc-level gram index first (archive.ngrams.grams_query: the AND of
the words' 4-grams reads short doclists of report ids) and, when that leaves at most NARROW_CAP candidates,
confirms each against its normalised text (the truth itself; ~1 ms a report) unless the trigram phrase is
cheaper still: a word whose trigrams are together in few reports (a rare name) reads only those. More
candidates mean a phrase common enough for the trigram phrase to fill a page and the capped count soon.
(FTS5 cannot confirm a candidate by `rowid = ?`: a phrase that does not match there reads on to its next
match, i.e. to the end of the index for a phrase that occurs nowhere.)
"""
from __future__ import annotations

import sqlite3

from archive import ngrams

COUNT_CAP = 1_000
NARROW_CAP = 200  # candidates of the gram index confirmed in Python (each: read + normalise one text)
# Confirming a candidate in Python (~1 ms) costs what the trigram phrase spends on ~300 reports that hold
# all its tokens; the phrase is the cheaper way when its tokens are together in fewer reports than that.
PHRASE_REPORTS_PER_CANDIDATE = 300
MAX_QUERY_CHARS = 1000  # as the SQL functions: longer queries are refused (see archive.datasette_plugin)
# Request arguments the fast page understands; any other filter, sort or facet gets Datasette's own plan.
_FAST_ARGS = {"_search", "_next", "_size", "_nocount", "_nofacet", "_nosuggest", "_labels"}


def check_length(query, error: type[Exception] = ValueError) -> None:
    """Refuse (raise `error`) a search query of more than MAX_QUERY_CHARS characters; None counts as empty."""
    length = 0 if query is None else len(str(query))
    if length > MAX_QUERY_CHARS:
        raise error(f"search query of {length} characters; at most {MAX_QUERY_CHARS}")


class AtLeast(int):
    """A capped count: formats as "1,000+" in Datasette's "{:,}" row count."""

    def __format__(self, spec: str) -> str:
        return format(int(self), spec) + "+"


def narrowed(conn: sqlite3.Connection, query: str) -> list[int] | None:
    """Every id of a report matching `query`, ascending, when the gram index narrows it to at most NARROW_CAP
    candidates, each confirmed on its normalised text; None when the trigram phrase answers: no word of
    ngrams.GRAM characters, more candidates, an archive without the gram index, or a phrase whose tokens
    are together in so few reports that reading their positions costs less than confirming (a rare word)."""
    expression = ngrams.grams_query(query)
    if expression is None:
        return None
    try:
        candidates = [r[0] for r in conn.execute("select rowid from search_grams where search_grams match ? limit ?",
                                                 (expression, NARROW_CAP + 1))]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):  # an archive opened read-only before its migration to schema 10
            return None
        raise
    if len(candidates) > NARROW_CAP:
        return None
    if candidates:
        limit = len(candidates) * PHRASE_REPORTS_PER_CANDIDATE
        together = conn.execute("select count(*) from (select rowid from search_fts where search_fts match ? limit ?)",
                                (ngrams.tokens_query(query), limit + 1)).fetchone()[0]
        if together <= limit:
            return None
    words, found = ngrams.normalized_words(query), []
    for i, text in conn.execute(f"select id, text from search where id in ({', '.join(map(str, candidates))})"
                                " order by id"):
        haystack = ngrams.normalize(text or "")
        if all(w in haystack for w in words):
            found.append(i)
    return found


def matches_sql(*, after: bool = False, limit: bool = False) -> str:
    """`select rowid …` of the reports matching :nianbao_match (an archive.ngrams FTS5 expression), in rowid
    order, after :nianbao_after, at most :nianbao_limit: FTS5 reads the doclists only that far."""
    return ("select rowid from search_fts where search_fts match :nianbao_match"
            + (" and rowid > :nianbao_after" if after else "") + " order by rowid"
            + (" limit :nianbao_limit" if limit else ""))


def newest_sql(columns: str, where: str = "", *, before: bool = False, ids: list[int] | None = None) -> str:
    """`select {columns}` of the search rows `s` matching :nianbao_match and `where`, newest (highest id) first,
    below :nianbao_before, at most :nianbao_limit: FTS5 walks its doclists backwards and the join keeps that
    order (no sort), so the read stops after :nianbao_limit rows that pass `where`. With `ids` (the matches,
    from `narrowed`) the rows are looked up by id instead."""
    if ids is not None:
        return (f"select {columns} from search s where s.id in ({', '.join(map(str, ids))})"
                + (" and s.id < :nianbao_before" if before else "") + (f" and {where}" if where else "")
                + " order by s.id desc limit :nianbao_limit")
    return (f"select {columns} from search_fts join search s on s.id = search_fts.rowid"
            " where search_fts match :nianbao_match" + (" and search_fts.rowid < :nianbao_before" if before else "")
            + (f" and {where}" if where else "") + " order by search_fts.rowid desc limit :nianbao_limit")


def count_sql() -> str:
    """Count the matches of :nianbao_match, reading at most COUNT_CAP + 1 of them."""
    return f"select count(*) from ({matches_sql()} limit {COUNT_CAP + 1})"


def capped(count: int) -> int:
    """The count as shown: exact up to COUNT_CAP, else AtLeast(COUNT_CAP)."""
    return AtLeast(COUNT_CAP) if count > COUNT_CAP else count


def search(conn: sqlite3.Connection, query: str, limit: int, columns: str = "id, year, organ, title") -> tuple[int, list]:
    """(capped count, first `limit` rows in id order): the search table page's answer, outside Datasette."""
    ids = narrowed(conn, query)
    if ids is not None:
        page = ", ".join(map(str, ids[:limit]))
        return capped(len(ids)), conn.execute(f"select {columns} from search where id in ({page}) order by id").fetchall()
    match = ngrams.fts_query(query)
    count = conn.execute(count_sql(), {"nianbao_match": match}).fetchone()[0]
    rows = conn.execute(f"select {columns} from search where id in ({matches_sql(limit=True)}) order by id",
                        {"nianbao_match": match, "nianbao_limit": limit}).fetchall()
    return capped(count), rows


def _page_size(request, datasette) -> int:
    size = request.args.get("_size")
    if size == "max":
        return datasette.setting("max_returned_rows")
    return int(size) if size and size.isdigit() else datasette.setting("default_page_size")


async def filters_from_request(request, database, table, datasette):
    """Datasette's `filters_from_request` for the search table: the `_search` where clause and its count.

    The HTML page without other filters, sorts or facets (a facet counts every match) gets the cheap plan (a page after the cursor,
    a capped count placed in the template context); anything else (JSON, other filters, sorts, facets)
    gets all matches, so Datasette's own count and order stay right.
    """
    from datasette.filters import FilterArguments
    from datasette.utils.asgi import BadRequest

    if table != "search":
        return None
    extra = {"supports_search": True}
    query = request.args.get("_search")
    if not query:
        return FilterArguments([], extra_context=extra)
    check_length(query, BadRequest)
    params = {"nianbao_match": ngrams.fts_query(query)}
    fast = (request.url_vars.get("format") in (None, "html") and set(request.args) <= _FAST_ARGS
            and not datasette.table_metadata(database, table).get("facets"))
    db = datasette.get_database(database)
    few = await db.execute_fn(lambda conn: narrowed(conn, query))
    if few is not None and not fast:  # every match, by id: Datasette counts, sorts and facets them
        ids = ", ".join(map(str, few))
    elif fast:
        after = request.args.get("_next", "")
        limit = _page_size(request, datasette) + 1
        first = few if few is not None else [
            int(r[0]) for r in (await db.execute(f"{matches_sql()} limit {COUNT_CAP + 1}", params)).rows]
        extra["filtered_table_rows_count"] = capped(len(first))
        cursor = int(after) if after.isdigit() else None
        if len(first) <= COUNT_CAP or (cursor is None and limit <= len(first)):
            # The read that counted holds this page too: the page query then only looks up its ids.
            page = [i for i in first if cursor is None or i > cursor][:limit]
            ids = ", ".join(map(str, page))
        else:
            params.update(nianbao_limit=limit, nianbao_after=cursor or 0)
            ids = matches_sql(after=True, limit=True)
    else:
        ids = matches_sql()
    return FilterArguments([f"id in ({ids})"], params, [f'search matches "{query}"'], extra)
