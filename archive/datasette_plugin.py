"""The nianbao Datasette plugin: exact Chinese search, the `/-/diff` page, links from reports to it.

`nianbao serve` registers this module. Datasette's own search (the search box, `?_search=`, the JSON
API) builds `rowid in (select rowid from FTS where FTS match escape_fts(:search))`; replacing the
SQL function `escape_fts` with archive.ngrams.fts_query makes all of them exact on the n-gram index.
`trylast` matters: pluggy calls later-registered plugins first, so without it Datasette's default
`escape_fts` (registered by datasette.sql_functions) would run after ours and win.
"""
from __future__ import annotations

from html import escape

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from archive import diff, ngrams, render, search_sql

DIFF_PATH = "/-/diff"
_LINKED_TABLES = ("reports", "search", "report_metrics")
TEXT_PREVIEW = 300


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, ngrams.fts_query, deterministic=True)
    conn.create_function("nianbao_match", 1, ngrams.fts_query, deterministic=True)


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    """`?_search=` on the search table: a page of matches after the cursor and a capped count (archive.search_sql)."""
    return search_sql.filters_from_request(request, database, table, datasette)


@hookimpl
def asgi_wrapper(datasette):
    """Refuse every request but GET/HEAD before Datasette sees it: the archive is served read-only.

    (Datasette 0.65 itself answers a POST to a read-only canned query with a 500.)
    """

    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD")]})
                await send({"type": "http.response.body", "body": b"405: this archive is served read-only\n"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl
def register_routes():
    return [(r"^/-/diff$", diff_view)]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """The organ cell of a report row links to that organ's diff; long texts are cut in HTML tables (not in JSON)."""
    if column == "text" and table == "search" and isinstance(value, str) and len(value) > TEXT_PREVIEW:
        return Markup(f"{escape(value[:TEXT_PREVIEW])}…")
    if column != "organ" or table not in _LINKED_TABLES or not value:
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    organ_id = row["organ_id"] if "organ_id" in keys else None
    organ_id = organ_id.get("value") if isinstance(organ_id, dict) else organ_id  # an expanded foreign key
    if not isinstance(organ_id, int):
        return None
    year = f"&to={row['year']}" if "year" in keys and isinstance(row["year"], int) else ""
    href = f"{datasette.urls.path(DIFF_PATH)}?db={database}&organ_id={organ_id}{year}"
    return Markup(f'{escape(str(value))} <a href="{escape(href)}" title="年度对比">对比</a>')


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


async def diff_view(datasette, request):
    """/-/diff?organ=NAME or ?organ_id=N [&from=YEAR&to=YEAR][&db=NAME]: the HTML diff page."""
    try:
        db = datasette.get_database(request.args.get("db") or None)
    except KeyError:
        return Response.html("<p>unknown database</p>", status=404)
    try:
        organ_id = _int(request.args.get("organ_id"), "organ_id")
        from_year, to_year = _int(request.args.get("from"), "from"), _int(request.args.get("to"), "to")
    except ValueError as e:
        return Response.html(f"<p>{escape(str(e))}</p>", status=400)
    organ_query = request.args.get("organ") or ""

    def build(conn):
        organ = diff.organ_by_id(conn, organ_id) if organ_id is not None else diff.find_organ(conn, organ_query)
        available = diff.years(conn, organ["id"])
        if to_year is not None and from_year is None and available and to_year == available[0].year:
            return diff.compare(conn, organ, to_year, None)  # the first year: compare with the next one
        return diff.compare(conn, organ, from_year, to_year)

    try:
        result = await db.execute_fn(build)
    except diff.AmbiguousOrgan as e:
        links = "".join(
            f'<li><a href="?db={escape(db.name)}&organ_id={c["id"]}">{escape(c["name"])}</a> ({escape(c["years"] or "")})</li>'
            for c in e.candidates
        )
        return Response.html(f"<h1>{escape(str(e))}</h1><ul>{links}</ul>")
    except (diff.OrganNotFound, ValueError) as e:
        return Response.html(f"<p>{escape(str(e))}</p>", status=404)
    return Response.html(render.html_page(result))
