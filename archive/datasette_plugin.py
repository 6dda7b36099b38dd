"""The nianbao Datasette plugin: exact Chinese search, the `/-/diff` page, links from reports to it.

`nianbao serve` registers this module. Datasette's own search (the search box, `?_search=`, the JSON
API) builds `rowid in (select rowid from FTS where FTS match escape_fts(:search))`; replacing the
SQL function `escape_fts` with archive.ngrams.fts_query makes all of them exact on the n-gram index.
`trylast` matters: pluggy calls later-registered plugins first, so without it Datasette's default
`escape_fts` (registered by datasette.sql_functions) would run after ours and win.
"""
from __future__ import annotations

import sqlite3
import urllib.parse
from html import escape
from pathlib import Path

from datasette import hookimpl
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Response
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup

from archive import diff, ngrams, pages, places, render, rollups, search_sql
from archive import search as fulltext
from parsers.legacy import LEGACY_KEYS as legacy_labels

TEMPLATES = Path(__file__).with_name("templates")

DIFF_PATH = "/-/diff"
CSS_PATH = "/-/nianbao.css"
_LINKED_TABLES = ("reports", "search", "report_metrics")
TEXT_PREVIEW = 300


def capped_fts_query(query: str | None) -> str:
    """ngrams.fts_query for at most search_sql.MAX_QUERY_CHARS characters; longer input is an SQL error, at once.

    Datasette's SQL time limit (a progress handler) cannot interrupt a Python function, so its input is
    capped: fts_query on 15 MB took 6 s and 2.5 GB."""
    search_sql.check_length(query)
    return ngrams.fts_query(query)


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, capped_fts_query, deterministic=True)
    conn.create_function("nianbao_match", 1, capped_fts_query, deterministic=True)
    rollups.register(conn)  # nianbao_region(name): input cut to a few dozen characters


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
def startup(datasette):
    """Our templates first (the landing page, report and organ pages), then Datasette's own.

    Datasette finds a plugin's templates/ only for a plugin that is a package; this one is a module."""
    ours = FileSystemLoader(str(TEMPLATES))
    loader = datasette.jinja_env.loader
    if not (isinstance(loader, ChoiceLoader) and loader.loaders and loader.loaders[0] is ours):
        datasette.jinja_env.loader = ChoiceLoader([ours, loader])


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(CSS_PATH)]


async def css_view(request):
    return Response((TEMPLATES / "nianbao.css").read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"cache-control": "max-age=3600"})


@hookimpl
def register_routes():
    return [
        (r"^/-/nianbao\.css$", css_view),
        (r"^/-/metrics\.csv$", metrics_csv_view),
        (r"^/-/search$", search_view),
        (r"^/-/rollup$", rollup_view),
        (r"^/-/diff$", diff_view),
        (r"^/-/report/(?P<report_id>\d+)$", report_view),
        (r"^/-/report/(?P<report_id>\d+)/original$", original_view),
        (r"^/-/organ/(?P<organ_id>\d+)$", organ_view),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Organ cells link to the organ page and its diff, titles to the report page; long texts are cut in HTML."""
    if column == "text" and table == "search" and isinstance(value, str) and len(value) > TEXT_PREVIEW:
        return Markup(f"{escape(value[:TEXT_PREVIEW])}…")
    if table not in _LINKED_TABLES or not value:
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    if column == "title" and table in ("reports", "search") and "id" in keys:
        report_id = _plain(row["id"])
        if isinstance(report_id, int):
            href = f"{datasette.urls.path('/-/report/')}{report_id}?db={urllib.parse.quote(database)}"
            return Markup(f'<a href="{escape(href)}">{escape(str(value))}</a>')
        return None
    if column != "organ":
        return None
    organ_id = _plain(row["organ_id"]) if "organ_id" in keys else None
    if not isinstance(organ_id, int):
        return None
    year = f"&to={row['year']}" if "year" in keys and isinstance(row["year"], int) else ""
    db = urllib.parse.quote(database)
    organ_href = f"{datasette.urls.path('/-/organ/')}{organ_id}?db={db}"
    diff_href = f"{datasette.urls.path(DIFF_PATH)}?db={db}&organ_id={organ_id}{year}"
    return Markup(f'<a href="{escape(organ_href)}">{escape(str(value))}</a> '
                  f'<a href="{escape(diff_href)}" title="年度对比">对比</a>')


def _plain(value):
    """A cell value, unwrapped from an expanded foreign key ({"value", "label"})."""
    return value.get("value") if isinstance(value, dict) else value


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
        db = _database(datasette, request)
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
        result = await _run(datasette, db, build)
    except sqlite3.OperationalError:
        return _too_slow(datasette)
    except diff.AmbiguousOrgan as e:
        links = "".join(
            f'<li><a href="?db={escape(db.name)}&organ_id={c["id"]}">{escape(c["name"])}</a> ({escape(c["years"] or "")})</li>'
            for c in e.candidates
        )
        return await _diff_page(datasette, request, str(e), f"<h1>{escape(str(e))}</h1><ul>{links}</ul>")
    except (diff.OrganNotFound, ValueError) as e:
        return await _diff_page(datasette, request, str(e), f"<p>{escape(str(e))}</p>", status=404)
    db_arg = f"?db={urllib.parse.quote(db.name)}"
    links = {"organ": f"{datasette.urls.path('/-/organ/')}{result['organ_id']}{db_arg}",
             "from": f"{datasette.urls.path('/-/report/')}{result['from_report_id']}{db_arg}",
             "to": f"{datasette.urls.path('/-/report/')}{result['to_report_id']}{db_arg}"}
    return await _diff_page(datasette, request, render.html_title(result), render.html_content(result, links))


async def _diff_page(datasette, request, title: str, content: str, status: int = 200) -> Response:
    """The diff (or why there is none) inside Datasette's page: its header, navigation and styles."""
    context = {"title": title, "style": render.DIFF_STYLE, "content": content}
    return Response.html(await datasette.render_template("nianbao_diff.html", context, request=request), status=status)


async def _run(datasette, db, fn):
    """fn(conn) on the database under Datasette's SQL time limit (execute_fn alone has none):
    a page's queries are interrupted like any other query, sqlite3.OperationalError("interrupted")."""
    limit = datasette.setting("sql_time_limit_ms")

    def limited(conn):
        with sqlite_timelimit(conn, limit):
            return fn(conn)

    return await db.execute_fn(limited)


def _too_slow(datasette) -> Response:
    return Response.html(f"<p>查询超时（超过 {datasette.setting('sql_time_limit_ms')} 毫秒）：请缩小范围。</p>", status=400)


def _database(datasette, request):
    """The database named by ?db=, else the first one; KeyError if unknown."""
    return datasette.get_database(request.args.get("db") or None)


def _database_and_int(datasette, request, name: str):
    """(the ?db= database, the number ?NAME= or None), or the plain-text 404/400 saying which is wrong."""
    try:
        return _database(datasette, request), _int(request.args.get(name), name)
    except KeyError:
        return Response.text("unknown database", status=404)
    except ValueError as e:
        return Response.text(str(e), status=400)


async def _page(datasette, request, build, template: str, missing: str) -> Response:
    """The steps the report, organ and rollup pages share: the ?db= database (unknown: 404), build(conn) under
    the SQL time limit (too slow: 400), its template context (None: 404 with `missing`), rendered."""
    try:
        db = _database(datasette, request)
    except KeyError:
        return Response.html("<p>unknown database</p>", status=404)
    try:
        context = await _run(datasette, db, build)
    except sqlite3.OperationalError:
        return _too_slow(datasette)
    if context is None:
        return Response.html(f"<p>{escape(missing)}</p>", status=404)
    return Response.html(await datasette.render_template(template, {**context, "db": db.name}, request=request))


async def report_view(datasette, request):
    """/-/report/<id>: the report's tables as printed, checks, sections and provenance."""
    report_id = int(request.url_vars["report_id"])

    def build(conn):
        data = pages.report(conn, report_id)
        return None if data is None else {"r": data}

    return await _page(datasette, request, build, "nianbao_report.html", f"no report {report_id}")


async def original_view(datasette, request):
    """/-/report/<id>/original[?fetch=N]: the stored bytes exactly as served, with their content type and a name."""
    parsed = _database_and_int(datasette, request, "fetch")
    if isinstance(parsed, Response):
        return parsed
    db, fetch_id = parsed
    report_id = int(request.url_vars["report_id"])
    found = await db.execute_fn(lambda conn: pages.original(conn, report_id, fetch_id))
    if found is None:
        return Response.text(f"no stored file for report {report_id}", status=404)
    data, content_type, name = found
    ascii_name = f"report-{report_id}{Path(name).suffix}" if not name.isascii() or '"' in name else name
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
    return Response(data, status=200, content_type=content_type,
                    headers={"content-disposition": disposition, "x-content-type-options": "nosniff"})


async def organ_view(datasette, request):
    """/-/organ/<id>: where the organ is, its years (missing, not yet due), key metrics charted, diff links."""
    organ_id = int(request.url_vars["organ_id"])

    def build(conn):
        data = pages.organ(conn, organ_id)
        return None if data is None else {"o": _organ_context(data)}

    return await _page(datasette, request, build, "nianbao_organ.html", f"no organ {organ_id}")


def _organ_context(data: dict) -> dict:
    """pages.organ's data with what the organ page shows besides: its place, every year, the charts."""
    by_year = {r["year"]: r for r in data["reports"]}
    years = sorted({*by_year, *data["missing"], *data["not_due"]})
    data.update(
        place=places.place_by_code(data["organ"].get("region_code")),
        all_years=[{"year": y, "report": by_year.get(y), "due": y in data["missing"]} for y in years],
        chart=render.chart_svg([{"year": r["year"], "metrics": r["metrics"]} for r in data["reports"]]),
        legacy_chart=render.chart_svg([{"year": r["year"], "metrics": r["legacy"]} for r in data["reports"] if r["legacy"]],
                                      metrics=dict(legacy_labels)) if any(r["legacy"] for r in data["reports"]) else "",
        key_keys=list(diff.KEY_METRICS), key_titles=list(diff.KEY_METRICS.values()),
    )
    return data


async def metrics_csv_view(datasette, request):
    """/-/metrics.csv[?year=&province=&headers=zh|keys]: the wide metrics table, Chinese column titles by default."""
    parsed = _database_and_int(datasette, request, "year")
    if isinstance(parsed, Response):
        return parsed
    db, year = parsed
    province = request.args.get("province") or None
    chinese = request.args.get("headers", "zh") != "keys"
    try:
        text = await _run(datasette, db, lambda conn: pages.metrics_csv(conn, year, province, chinese))
    except sqlite3.OperationalError:
        return Response.text("the export took too long: narrow it with ?year= or ?province=", status=400)
    name = f"nianbao-metrics{'-' + str(year) if year else ''}.csv"
    return Response(text, content_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


FACET_TITLES = {"year": "年度", "province": "省份", "format": "模板", "kind": "文件类型"}
PAGE_SIZE = 50


async def search_view(datasette, request):
    """/-/search?q=WORDS[&year=&province=&format=&kind=&page=]: results with snippets and facets."""
    try:
        db = _database(datasette, request)
        year = _int(request.args.get("year"), "year")
        page = max(_int(request.args.get("page"), "page") or 1, 1)  # shown only: the cursor is ?before=
        before = _int(request.args.get("before"), "before")
    except KeyError:
        return Response.html("<p>unknown database</p>", status=404)
    except ValueError as e:
        return Response.html(f"<p>{escape(str(e))}</p>", status=400)
    q = (request.args.get("q") or "").strip()
    filters = fulltext.Filters(year=year, province=request.args.get("province") or None,
                               format=request.args.get("format") or None, kind=request.args.get("kind") or None)
    results, error = None, None
    if q:
        try:
            results = await _run(datasette, db,
                                 lambda conn: fulltext.search(conn, q, filters, limit=PAGE_SIZE, before=before))
        except fulltext.QueryTooLong as e:
            error = str(e)
        except sqlite3.OperationalError:
            error = f"查询超时（超过 {datasette.setting('sql_time_limit_ms')} 毫秒）：请加上年度或省份筛选。"
    active = {k: str(v) for k, v in filters.active().items()}
    base = {"db": db.name, "q": q, **active}

    def url(**change) -> str:
        args = {k: v for k, v in {**base, **change}.items() if v not in (None, "")}
        return f"{datasette.urls.path('/-/search')}?{urllib.parse.urlencode(args)}"

    context = {
        "db": db.name, "q": q, "words": ngrams.query_words(q), "results": results, "error": error,
        "filters": active, "facet_titles": FACET_TITLES, "offset": (page - 1) * PAGE_SIZE,
        "cap": search_sql.COUNT_CAP,
        "with_facet": {name: url(**{name: ""}) + f"&{name}=" for name in fulltext.FACETS},
        "without": {name: url(**{name: None}) for name in active},
        "first_url": url() if before is not None else None,
        "next_url": url(before=results.next_before, page=page + 1) if results and results.next_before else None,
    }
    return Response.html(await datasette.render_template("nianbao_search.html", context, request=request),
                         status=400 if error else 200)


async def rollup_view(datasette, request):
    """/-/rollup?region=NAME: a province, city or county by year, charted, with missing and late reports."""
    region = (request.args.get("region") or "").strip()[:100]

    def build(conn):
        return _rollup_context(region, rollups.by_year(conn, region), rollups.compliance(conn, region))

    return await _page(datasette, request, build, "nianbao_rollup.html", f"no region {region}")


def _rollup_context(region: str, rows: list[dict], compliance) -> dict:
    """The rollup page's context: the rows by year and their charts."""
    years = [r["年度"] for r in rows]

    def col(name):
        return [r[name] for r in rows]

    charts = [
        render.bar_chart("报告数", years, [("报告数", col("报告数"))]),
        render.bar_chart("新收申请", years, [("新收申请", col("新收申请"))], unit="件"),
        render.bar_chart("予以公开占比", years, [("予以公开占比%", col("予以公开占比%"))], unit="%"),
        render.bar_chart("行政复议及结果", years, [(n, col(f"复议{n}")) for n in ("维持", "纠正", "其他结果", "尚未审结")],
                         unit="件"),
        render.bar_chart("行政诉讼及结果", years, [(n, col(f"诉讼{n}")) for n in ("维持", "纠正", "其他结果", "尚未审结")],
                         unit="件"),
        render.bar_chart("收费", years, [("收费", col("收费（万元）"))], unit="万元"),
    ] if rows else []
    return {"region": region, "rows": rows, "columns": list(rows[0]) if rows else [], "charts": charts,
            "compliance": compliance}
