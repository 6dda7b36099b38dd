"""The archive's SQLite schema, created and migrated with sqlite-utils.

`PRAGMA user_version` holds how many entries of MIGRATIONS have run; opening an archive runs the
rest, each in one transaction, so an old archive file is upgraded in place and never half-migrated.

Opening a current archive writes nothing (a read of `user_version` and a fingerprint of the labels
and views), so several processes can open one archive while others write to it. Write transactions
start with `BEGIN IMMEDIATE` (`write_transaction`): a writer takes the lock up front and waits for
it (busy_timeout) instead of failing with "database is locked" when a read turns into a write.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from typing import Callable, Iterator

import sqlite_utils

from archive import ngrams
from parsers.schema import metric_formats, metric_labels

TEXT, INT, FLOAT, BLOB = str, int, float, bytes

# Metric keys that are amounts of money, not counts (the templates print them in 万元).
MONEY_KEYS = ("t2.fees.amount", "t2.procurement.amount")


def metric_unit(key: str) -> str:
    return "万元" if key in MONEY_KEYS else "件" if key.startswith(("t3.", "t4.")) else "项/件"


def _create_tables(db: sqlite_utils.Database) -> None:
    db.create_table(
        "portals",
        {"id": TEXT, "name": TEXT, "region": TEXT, "region_code": TEXT, "province": TEXT,
         "start_urls": TEXT, "cms_family": TEXT, "schedule": TEXT, "extra": TEXT, "updated": TEXT},
        pk="id",
    )
    db.create_table(
        "bodies",
        {"sha256": TEXT, "size": INT, "compression": TEXT, "data": BLOB},
        pk="sha256", not_null=["size", "compression", "data"],
    )
    db.create_table(
        "crawl_runs",
        {"id": INT, "portal": TEXT, "started": TEXT, "finished": TEXT, "status": TEXT,
         "requests": INT, "bytes": INT, "new_reports": INT, "new_versions": INT,
         "gone_reports": INT, "parse_errors": INT, "error": TEXT, "pid": INT},
        pk="id", foreign_keys=[("portal", "portals", "id")],
        defaults={k: 0 for k in ("requests", "bytes", "new_reports", "new_versions", "gone_reports", "parse_errors")},
    )
    db.create_table(
        "fetches",
        {"id": INT, "url": TEXT, "final_url": TEXT, "status": INT, "headers": TEXT, "fetched_at": TEXT,
         "sha256": TEXT, "content_type": TEXT, "size": INT, "run_id": INT, "portal_id": TEXT},
        pk="id", not_null=["url", "fetched_at"],
        foreign_keys=[("sha256", "bodies", "sha256"), ("run_id", "crawl_runs", "id"), ("portal_id", "portals", "id")],
    )
    db.create_table(
        "organs",
        {"id": INT, "key": TEXT, "name": TEXT, "core": TEXT, "rcore": TEXT, "portal_id": TEXT, "region": TEXT,
         "region_code": TEXT, "province": TEXT, "names": TEXT},
        pk="id", not_null=["key", "name", "core"], foreign_keys=[("portal_id", "portals", "id")],
    )
    db.create_table(
        "reports",
        {"id": INT, "key": TEXT, "organ_id": INT, "organ": TEXT, "year": INT, "portal_id": TEXT,
         "province": TEXT, "region": TEXT, "url": TEXT, "status": TEXT, "format": TEXT, "title": TEXT,
         "check_status": TEXT, "checks_failed": INT, "versions": INT, "current_version_id": INT,
         "fetch_id": INT, "first_seen": TEXT, "last_seen": TEXT, "gone_since": TEXT},
        pk="id", not_null=["key", "status"],
        foreign_keys=[("organ_id", "organs", "id"), ("portal_id", "portals", "id"), ("fetch_id", "fetches", "id")],
    )
    db.create_table(
        "report_versions",
        {"id": INT, "report_id": INT, "content_sha256": TEXT, "fetch_id": INT, "body_sha256": TEXT,
         "source_url": TEXT, "source": TEXT, "parser_version": TEXT, "organ": TEXT, "year": INT,
         "format": TEXT, "title": TEXT, "date": TEXT, "meta": TEXT, "attachments": TEXT,
         "n_metrics": INT, "n_sections": INT, "n_checks": INT, "first_seen": TEXT, "last_seen": TEXT},
        pk="id", not_null=["report_id", "content_sha256"],
        foreign_keys=[("report_id", "reports", "id"), ("fetch_id", "fetches", "id")],
    )
    db["reports"].add_foreign_key("current_version_id", "report_versions", "id")
    db.create_table(
        "metric_keys",
        {"key": TEXT, "label": TEXT, "part": TEXT, "unit": TEXT, "formats": TEXT, "position": INT},
        pk="key",
    )
    db.create_table(
        "metrics", {"version_id": INT, "key": TEXT, "value": FLOAT},
        pk=("version_id", "key"),
        foreign_keys=[("version_id", "report_versions", "id"), ("key", "metric_keys", "key")],
    )
    db.create_table(
        "sections", {"version_id": INT, "position": INT, "name": TEXT, "text": TEXT},
        pk=("version_id", "position"), foreign_keys=[("version_id", "report_versions", "id")],
    )
    db.create_table(
        "checks",
        {"id": INT, "version_id": INT, "name": TEXT, "passed": INT, "detail": TEXT, "check_values": TEXT},
        pk="id", foreign_keys=[("version_id", "report_versions", "id")],
    )
    db.create_table(
        "parse_errors",
        {"id": INT, "fetch_id": INT, "url": TEXT, "portal_id": TEXT, "run_id": INT, "error": TEXT,
         "parser_version": TEXT, "created": TEXT, "resolved": INT},
        pk="id", defaults={"resolved": 0},
        foreign_keys=[("fetch_id", "fetches", "id"), ("portal_id", "portals", "id"), ("run_id", "crawl_runs", "id")],
    )
    db.create_table(
        "alerts",
        {"id": INT, "portal": TEXT, "kind": TEXT, "message": TEXT, "created": TEXT, "run_id": INT, "resolved": INT},
        pk="id", defaults={"resolved": 0},
        foreign_keys=[("portal", "portals", "id"), ("run_id", "crawl_runs", "id")],
    )
    db.create_table(
        "search",
        {"id": INT, "organ_id": INT, "organ": TEXT, "year": INT, "province": TEXT, "format": TEXT,
         "check_status": TEXT, "status": TEXT, "title": TEXT, "text": TEXT},
        pk="id", foreign_keys=[("id", "reports", "id"), ("organ_id", "organs", "id")],
    )
    create_search_fts(db)
    db.create_table("archive_meta", {"key": TEXT, "value": TEXT}, pk="key")


def create_search_fts(db: sqlite_utils.Database) -> None:
    """The contentless n-gram index of `search.text` (see archive.ngrams); rowid = report id.

    prefix='1 2' also indexes every token's first one and two characters, so 1- and 2-character
    queries (prefix queries) read one doclist instead of merging every trigram that starts with them.
    """
    db.execute(
        "create virtual table search_fts using fts5(text, content='', prefix='1 2', tokenize=\"{}\")".format(ngrams.TOKENIZE)
    )


def create_search_grams(db: sqlite_utils.Database) -> None:
    """The doc-level gram index of `search.text` (archive.ngrams.gram_text); rowid = report id.

    detail=none keeps only which reports hold each gram: it narrows a rare phrase of common trigrams to a
    few candidates for archive.search_sql.narrowed to confirm, and costs a fraction of the trigram index.
    """
    db.execute("create virtual table search_grams using fts5(grams, content='', detail=none, tokenize=\"{}\")"
               .format(ngrams.TOKENIZE))


def fill_search_grams(db: sqlite_utils.Database) -> None:
    """Index every stored text in search_grams (a new or rebuilt index; the texts are not generated again)."""
    db.conn.create_function("nianbao_gram_text", 1, ngrams.gram_text, deterministic=True)
    db.execute("insert into search_grams(rowid, grams) select id, nianbao_gram_text(text) from search")


def _indexes(db: sqlite_utils.Database) -> None:
    for table, cols, unique in [
        ("fetches", ["url", "fetched_at"], False),
        ("fetches", ["final_url"], False),
        ("fetches", ["sha256"], False),
        ("fetches", ["run_id"], False),
        ("organs", ["key"], True),
        ("organs", ["portal_id", "region", "core"], False),
        ("organs", ["portal_id", "region", "rcore"], False),
        ("reports", ["key"], True),
        ("reports", ["organ_id", "year"], False),
        ("reports", ["portal_id", "status"], False),
        ("reports", ["url"], False),
        ("reports", ["year"], False),
        ("reports", ["province"], False),
        ("reports", ["format"], False),
        ("reports", ["check_status"], False),
        ("report_versions", ["report_id"], False),
        ("report_versions", ["content_sha256"], False),
        ("report_versions", ["fetch_id"], False),
        ("metrics", ["key"], False),
        ("checks", ["version_id"], False),
        ("checks", ["passed"], False),
        ("parse_errors", ["fetch_id"], False),
        ("parse_errors", ["resolved"], False),
        ("crawl_runs", ["portal", "started"], False),
        ("alerts", ["portal", "resolved"], False),
        # Datasette's count query probes `search` once per match: this index answers it without
        # touching the wide rows (the text); measured 3-4x faster on 20,000 reports.
        ("search", ["id"], False),
        ("search", ["organ_id"], False),
    ]:
        db[table].create_index(cols, unique=unique, if_not_exists=True)


def _metric_key_rows() -> list[dict]:
    formats = metric_formats()
    return [
        {"key": k, "label": label, "part": k.split(".")[0], "unit": metric_unit(k),
         "formats": ",".join(formats[k]), "position": i}
        for i, (k, label) in enumerate(metric_labels().items())
    ]


def _metric_keys(db: sqlite_utils.Database) -> None:
    db["metric_keys"].insert_all(_metric_key_rows(), pk="key", replace=True)


def _view_sql() -> dict[str, str]:
    """Views Datasette shows: long metrics with labels for current reports, and one wide row per report."""
    columns = ",\n  ".join(f'{metric_value_sql(key, "r")} as "{key}"' for key in metric_labels())
    return {
        "current_metrics": """select r.id as report_id, r.organ_id, r.organ, r.year, r.province, m.key, k.label,
       case when k.unit = '万元' then cast(m.value as real) else m.value end as value, k.unit,
       r.current_version_id as version_id
from reports r
join metrics m on m.version_id = r.current_version_id
join metric_keys k on k.key = m.key
where r.status != 'replaced'""",
        "report_metrics": f"select r.id as report_id, r.organ_id, r.organ, r.year, r.province, r.format, r.check_status,\n  {columns}\n"
        "from reports r where r.status != 'replaced'",
    }


def metric_value_sql(key: str, alias: str) -> str:
    """The value of metric `key` of report `alias`'s current version: counts as integers, amounts as decimals."""
    value = f"(select value from metrics m where m.version_id = {alias}.current_version_id and m.key = {_sql_literal(key)})"
    return f"cast({value} as real)" if key in MONEY_KEYS else value


def _views(db: sqlite_utils.Database) -> None:
    for name, sql in _view_sql().items():
        db.create_view(name, sql, replace=True)


def _sql_literal(value: str) -> str:
    """Quote a schema constant (a metric key from metrics.json) for a view definition."""
    return "'" + value.replace("'", "''") + "'"


def _m1(db: sqlite_utils.Database) -> None:
    _create_tables(db)
    _indexes(db)
    _metric_keys(db)
    _views(db)


def _m2_readers(db: sqlite_utils.Database) -> None:
    """report_versions.readers: the versions of the libraries that read the document (JSON)."""
    db["report_versions"].add_column("readers", TEXT)


def _m3_walk(db: sqlite_utils.Database) -> None:
    """Incremental re-crawls: what each listing's first page showed at its last complete walk (a short walk
    reads only that page while it shows the same), when a response was last confirmed unchanged (a 304 or
    the same body updates it instead of adding a `fetches` row), and how many reports a run listed."""
    db.create_table(
        "listings",
        {"portal_id": TEXT, "key": TEXT, "url": TEXT, "links": TEXT, "further": INT, "read_at": TEXT,
         "full_walk_at": TEXT},
        pk=("portal_id", "key"), foreign_keys=[("portal_id", "portals", "id")],
    )
    db["fetches"].add_column("last_seen", TEXT)
    db["crawl_runs"].add_column("listed", INT)


def _m4_inferred(db: sqlite_utils.Database) -> None:
    """report_versions.inferred: the metric keys (JSON list, null when none) whose cells the document's
    own sums placed (parsers.model.Report.inferred), so a reader can tell them from cells read as printed."""
    if "inferred" not in db["report_versions"].columns_dict:
        db["report_versions"].add_column("inferred", TEXT)



def _m5_numeric(db: sqlite_utils.Database) -> None:
    """metrics.value NUMERIC instead of REAL: a count is stored as the integer it is (17477, not 17477.0),
    an amount keeps its decimals. WITHOUT ROWID: rows clustered by (version, key), so the wide view's one
    lookup per metric reads one b-tree (3.6x faster pages of report_metrics). The views that read the table
    are dropped here and re-made by migrate()."""
    for view in _view_sql():
        db.execute(f"drop view if exists {view}")
    db.execute("""create table metrics_numeric (
  version_id integer references report_versions(id), key text references metric_keys(key), value numeric,
  primary key (version_id, key)) without rowid""")
    db.execute("insert into metrics_numeric(version_id, key, value) select version_id, key, value from metrics")
    db.execute("drop table metrics")
    db.execute("alter table metrics_numeric rename to metrics")
    db["metrics"].create_index(["key"], if_not_exists=True)


def _m6_places(db: sqlite_utils.Database) -> None:
    """Place every organ (province, adcode) from the gazetteer (archive.places) and give its reports that province."""
    from archive import organs, places

    rows = db.execute("select o.id, o.name, o.province, o.region_code, p.name, p.region, p.province from organs o"
                      " left join portals p on p.id = o.portal_id").fetchall()
    for organ_id, name, province, code, portal_name, region, portal_province in rows:
        new_province, new_code = places.organ_place(name, portal_name, region,
                                                    province or portal_province or organs.province_of(name))
        if (new_province, new_code or code) == (province, code):
            continue
        db.execute("update organs set province = ?, region_code = ? where id = ?", (new_province, new_code or code, organ_id))
        for table in ("reports", "search"):
            db.execute(f"update {table} set province = ? where organ_id = ?", (new_province, organ_id))


def _m7_kind(db: sqlite_utils.Database) -> None:
    """reports.kind and search.kind: the kind of file each report was read from (html, pdf, docx, doc, text)."""
    from archive.kinds import body_kind

    for table in ("reports", "search"):
        db.execute(f"alter table {table} add column kind text")
    rows = db.execute("select r.id, f.content_type, coalesce(f.final_url, f.url) from reports r"
                      " join report_versions v on v.id = r.current_version_id join fetches f on f.id = v.fetch_id").fetchall()
    for report_id, content_type, url in rows:
        kind = body_kind(content_type, url)
        if kind:
            db.execute("update reports set kind = ? where id = ?", (kind, report_id))
            db.execute("update search set kind = ? where id = ?", (kind, report_id))
    db["reports"].create_index(["kind"], if_not_exists=True)


def _m8_run_missed(db: sqlite_utils.Database) -> None:
    """crawl_runs.missed / missed_urls: listed reports a run did not archive (a `partial` run), and which
    (JSON), so the next run asks for them again."""
    db["crawl_runs"].add_column("missed", int, not_null_default=0)
    db["crawl_runs"].add_column("missed_urls", TEXT)


def _m9_listing_title(db: sqlite_utils.Database) -> None:
    """fetches.listing_title: the title a report page or file was listed under, the parser's first hint for
    organ and year; kept so that a re-parse reads the body with what the crawl knew."""
    db["fetches"].add_column("listing_title", TEXT)


def _m10_search_grams(db: sqlite_utils.Database) -> None:
    """search_grams: the doc-level gram index that keeps rare phrases of common n-grams cheap, built from
    the stored texts."""
    create_search_grams(db)
    fill_search_grams(db)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_m1, _m2_readers, _m3_walk, _m4_inferred, _m5_numeric, _m6_places,
                                                          _m7_kind, _m8_run_missed, _m9_listing_title,
                                                          _m10_search_grams]


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`); a savepoint when nested.

    A plain (deferred) BEGIN starts as a read; when another process commits before its first write,
    SQLite cannot upgrade it and fails at once with "database is locked" (the busy timeout does not
    apply). IMMEDIATE waits for the lock (busy_timeout) and then cannot be overtaken.
    """
    if db.conn.in_transaction:
        with sqlite_utils.Database.atomic(db):
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise


def _fingerprint() -> str:
    """What migrate() would write when the schema is current: labels, views and the n-gram version."""
    state = [len(MIGRATIONS), _metric_key_rows(), _view_sql(), ngrams.VERSION]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _is_current(db: sqlite_utils.Database, fingerprint: str) -> bool:
    if db.execute("pragma user_version").fetchone()[0] != len(MIGRATIONS):
        return False
    try:
        meta = dict(db.execute(
            "select key, value from archive_meta where key in ('schema_fingerprint', 'ngrams_version')").fetchall())
    except sqlite3.OperationalError:  # no archive_meta: not an archive of this schema
        return False
    return meta.get("schema_fingerprint") == fingerprint and "ngrams_version" in meta


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the file up to the current schema; also refresh labels and views, which follow the schema JSON.

    Writes only when something is out of date, in one IMMEDIATE transaction that checks again under the
    lock (another process may have migrated the file while this one waited for it).
    """
    db.enable_wal()
    fingerprint = _fingerprint()
    if _is_current(db, fingerprint):
        return
    with write_transaction(db):
        if _is_current(db, fingerprint):
            return
        version = db.execute("pragma user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with write_transaction(db):  # a savepoint: each migration whole or not at all
                migration(db)
                db.execute(f"pragma user_version = {number}")
        _metric_keys(db)
        _views(db)
        db.execute(
            "insert or ignore into archive_meta(key, value) values ('ngrams_version', ?)", [str(ngrams.VERSION)]
        )
        db.execute(
            "insert or replace into archive_meta(key, value) values ('schema_fingerprint', ?)", [fingerprint]
        )
