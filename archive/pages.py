"""The data behind the report and organ pages of the Datasette plugin: plain dicts from one sqlite3 connection.

The SQL of the served pages lives here (archive/ owns the schema); archive.datasette_plugin only renders.
Tables are laid out as the templates print them (表二, 表三, 表四), from the labels of parsers/metrics.json.
"""
from __future__ import annotations

import csv
import io
import json
import mimetypes
import re
import sqlite3
import urllib.parse
import zlib
from dataclasses import dataclass
from datetime import date

from archive.diff import KEY_METRICS, number
from archive.diff import dict_rows as rows
from archive.schema import MONEY_KEYS
from parsers.legacy import LEGACY_KEYS
from parsers.schema import keys_for_format, metric_labels, schema

# When a year's report is due: 31 March of the next year (《条例》第五十条).
DUE_MONTH_DAY = (3, 31)


def one(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> dict | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


# ------------------------------------------------------------------ cells and tables
@dataclass
class Cell:
    """One printed cell: state is value | blank (printed empty) | absent (the document lacks the row) |
    inferred (a value placed by inference, not read from its cell)."""

    key: str
    state: str
    value: int | float | None = None

    @property
    def text(self) -> str:
        return {"blank": "空", "absent": "—"}.get(self.state, str(self.value))


def cell(key: str, values: dict, inferred: set[str]) -> Cell:
    if key not in values:
        return Cell(key, "absent")
    value = number(values[key])
    if value is None:
        return Cell(key, "blank")
    return Cell(key, "inferred" if key in inferred else "value", value)


# The figures of a 表二 block in the order the templates print them (2019, then 2021 wording).
T2_HEADER_ORDER = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "本年制发件数", "本年废止件数", "现行有效件数",
                   "上一年项目数量", "本年增/减", "处理决定数量", "本年处理决定数量", "采购项目数量", "采购总金额")
_NUMERALS = "一二三四五六七八九十"


def _article_order(article: str) -> int:
    found = re.search(r"第（(.)）项", article)
    return _NUMERALS.index(found.group(1)) if found and found.group(1) in _NUMERALS else len(_NUMERALS)


def _header_order(header: str) -> int:
    return T2_HEADER_ORDER.index(header) if header in T2_HEADER_ORDER else len(T2_HEADER_ORDER)


def table2(fmt: str, values: dict, inferred: set[str]) -> dict:
    """表二 主动公开政府信息情况 as printed: one block per article (第二十条第（一）项 …), each with its own header
    row (信息内容 and its figures) and one row per item (规章, 行政规范性文件, 行政许可 …)."""
    labels = metric_labels()
    blocks: dict[str, dict] = {}
    for key in (k for k in keys_for_format(fmt) if k.startswith("t2.")):
        article, item, *figure = labels[key].split(" ")
        header = " ".join(figure)
        if " / " in header:  # "本年处理决定数量 / 处理决定数量": the 2021 wording, then the 2019 one
            header = header.split(" / ")[0 if fmt == "2021" else 1]
        block = blocks.setdefault(article, {"article": article, "headers": [], "items": {}})
        if header not in block["headers"]:
            block["headers"].append(header)
        block["items"].setdefault(item, {})[header] = key
    out = []
    for block in sorted(blocks.values(), key=lambda b: _article_order(b["article"])):
        block["headers"].sort(key=_header_order)
        out.append({"article": block["article"], "headers": block["headers"],
                    "rows": [{"label": item, "cells": [cell(keys[h], values, inferred) if h in keys else None
                                                        for h in block["headers"]]}
                             for item, keys in block["items"].items()]})
    return {"blocks": out, "width": max((len(b["headers"]) for b in out), default=0)}


def table3(fmt: str, values: dict, inferred: set[str]) -> dict:
    """表三 收到和处理政府信息公开申请情况: the template's rows × 自然人, 法人或其他组织 (5), 总计."""
    s = schema()
    columns = s["t3_columns"]
    table_rows = [{"label": r["label"], "cells": [cell(f"t3.{r['key']}.{c['key']}", values, inferred) for c in columns]}
                  for r in s["t3_rows"] if fmt in r["formats"]]
    return {"columns": columns, "rows": table_rows}


def table4(values: dict, inferred: set[str]) -> dict:
    """表四 政府信息公开行政复议、行政诉讼情况: one printed row, three groups of five columns."""
    s = schema()
    groups = [{"label": g["label"], "cells": [cell(f"t4.{g['key']}.{c['key']}", values, inferred) for c in s["t4_columns"]]}
              for g in s["t4_groups"]]
    return {"columns": s["t4_columns"], "groups": groups}


# ------------------------------------------------------------------ one report
def _legacy(meta_json: str | None) -> dict[str, dict]:
    """A legacy report's figures read from prose (meta["legacy"], see parsers.legacy), with labels, in key order."""
    try:
        found = (json.loads(meta_json or "{}") or {}).get("legacy") or {}
    except (TypeError, ValueError):
        return {}
    return {k: {**found[k], "label": label} for k, label in LEGACY_KEYS.items() if isinstance(found.get(k), dict)}


def _inferred(version: dict) -> set[str]:
    """The metric keys a version's parser placed by inference (its row's `inferred`, JSON list; absent = none)."""
    try:
        return set(json.loads(version.get("inferred") or "[]"))
    except (TypeError, ValueError):
        return set()


def report(conn: sqlite3.Connection, report_id: int) -> dict | None:
    """Everything the report page shows, or None for an unknown id."""
    rep = one(conn, "select * from reports where id = ?", (report_id,))
    if rep is None:
        return None
    version = one(conn, "select * from report_versions where id = ?", (rep["current_version_id"],)) or {}
    version_id = version.get("id")
    values = {k: v for k, v in conn.execute("select key, value from metrics where version_id = ?", (version_id,))}
    inferred = _inferred(version)
    fmt = rep["format"] or version.get("format") or ""
    fetch = one(conn, "select id, url, final_url, status, fetched_at, sha256, content_type, size, headers"
                      " from fetches where id = ?", (version.get("fetch_id"),)) or {}
    page_fetch = one(conn, "select id, url, fetched_at, sha256, content_type, size from fetches where id = ?",
                     (rep["fetch_id"],)) or {}
    checks = rows(conn, "select name, passed, detail, check_values from checks where version_id = ? order by passed is 1,"
                        " id", (version_id,))
    for c in checks:
        c["values"] = {k: number(v) for k, v in json.loads(c.pop("check_values") or "{}").items()}
    out = {
        "report": rep,
        "version": version,
        "meta": json.loads(version.get("meta") or "{}"),
        "attachments": json.loads(version.get("attachments") or "[]"),
        "organ": one(conn, "select * from organs where id = ?", (rep["organ_id"],)),
        "fetch": fetch,
        "page_fetch": page_fetch if page_fetch.get("id") != fetch.get("id") else {},
        "file_name": file_name(fetch, rep) if fetch else None,
        "checks": checks,
        "checks_failed": sum(1 for c in checks if c["passed"] == 0),
        "sections": rows(conn, "select name, text from sections where version_id = ? order by position", (version_id,)),
        "versions": rows(conn, "select id, content_sha256, parser_version, first_seen, last_seen, source_url,"
                               " body_sha256 from report_versions where report_id = ? order by id", (report_id,)),
        "inferred": sorted(inferred),
        "legacy": _legacy(version.get("meta")),
        "tables": None,
        "money_keys": MONEY_KEYS,
    }
    if fmt in ("2019", "2021") and values:
        out["tables"] = {"t2": table2(fmt, values, inferred), "t3": table3(fmt, values, inferred),
                         "t4": table4(values, inferred)}
    return out


FILE_SUFFIXES = ("pdf", "doc", "docx", "wps", "htm", "html", "shtml", "txt", "xls", "xlsx", "ofd")
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.I)
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?', re.I)


def file_name(fetch: dict, rep: dict) -> str:
    """The name the portal gave the file (Content-Disposition), else the URL's last segment, else organ+year."""
    headers = json.loads(fetch.get("headers") or "{}")
    disposition = headers.get("content-disposition", "")
    star = _FILENAME_STAR.search(disposition)
    if star:
        return urllib.parse.unquote(star.group(2).strip(), encoding=star.group(1) or "utf-8", errors="replace")
    plain = _FILENAME.search(disposition)
    if plain:
        return plain.group(1).strip()
    path = urllib.parse.urlsplit(fetch.get("final_url") or fetch.get("url") or "").path
    last = urllib.parse.unquote(path.rsplit("/", 1)[-1])
    if last.rsplit(".", 1)[-1].lower() in FILE_SUFFIXES:  # not download.jsp or view.php
        return last
    extension = mimetypes.guess_extension((fetch.get("content_type") or "").split(";")[0].strip()) or ".bin"
    return f"{rep.get('organ') or 'report'}-{rep.get('year') or ''}{extension}"


def original(conn: sqlite3.Connection, report_id: int, fetch_id: int | None = None) -> tuple[bytes, str, str] | None:
    """(bytes as served, content type, file name) of the file a report's current version was read from
    (or of another fetch of this report, e.g. its page), or None."""
    rep = one(conn, "select * from reports where id = ?", (report_id,))
    if rep is None:
        return None
    allowed = {r[0] for r in conn.execute(
        "select fetch_id from report_versions where report_id = ? union select fetch_id from reports where id = ?",
        (report_id, report_id))}
    if fetch_id is None:
        fetch_id = (one(conn, "select fetch_id from report_versions where id = ?", (rep["current_version_id"],)) or {}).get(
            "fetch_id")
    if fetch_id not in allowed:
        return None
    fetch = one(conn, "select * from fetches where id = ?", (fetch_id,))
    body = one(conn, "select compression, data from bodies where sha256 = ?", (fetch["sha256"],)) if fetch else None
    if body is None:
        return None
    data = zlib.decompress(body["data"]) if body["compression"] == "zlib" else bytes(body["data"])
    content_type = fetch["content_type"] or "application/octet-stream"
    return data, content_type, file_name(fetch, rep)


# ------------------------------------------------------------------ one organ
def due(year: int, today: date | None = None) -> bool:
    """Whether the report for `year` is due by `today` (after 31 March of year + 1)."""
    today = today or date.today()
    return today > date(year + 1, *DUE_MONTH_DAY)


def organ(conn: sqlite3.Connection, organ_id: int, today: date | None = None) -> dict | None:
    """The organ page: where it is, its years (with links), missing and not-yet-due years, key metrics by year."""
    org = one(conn, "select * from organs where id = ?", (organ_id,))
    if org is None:
        return None
    reports = rows(conn, "select r.id, r.year, r.format, r.title, r.url, r.status, r.check_status, r.current_version_id,"
                         " r.first_seen, v.meta from reports r left join report_versions v on v.id = r.current_version_id"
                         " where r.organ_id = ? and r.status != 'replaced' and r.year is not null order by r.year",
                   (organ_id,))
    key_metrics: dict[int, dict] = {}  # of every year in one read
    for version_id, key, value in conn.execute(
            "select version_id, key, value from metrics where version_id in (select value from json_each(?))"
            " and key in (select value from json_each(?))",
            (json.dumps([r["current_version_id"] for r in reports]), json.dumps(list(KEY_METRICS)))):
        key_metrics.setdefault(version_id, {})[key] = number(value)
    for r in reports:
        r["legacy"] = {k: f["value"] for k, f in _legacy(r.pop("meta")).items()}
        r["metrics"] = key_metrics.get(r["current_version_id"], {})
    today = today or date.today()
    have = {r["year"] for r in reports}
    missing, not_due = [], []
    if have:
        latest_due = today.year - 1 if due(today.year - 1, today) else today.year - 2
        for y in range(min(have), max(max(have), latest_due + 1) + 1):
            if y in have:
                continue
            (missing if due(y, today) else not_due).append(y)
    return {"organ": org, "names": json.loads(org.get("names") or "[]"), "reports": reports, "missing": missing,
            "not_due": not_due, "today": today.isoformat()}


# ------------------------------------------------------------------ the wide table as CSV
CSV_FIXED = [("report_id", "报告编号"), ("organ", "机关"), ("year", "年度"), ("province", "省份"), ("format", "模板"),
             ("url", "网址")]


def metrics_csv(conn: sqlite3.Connection, year: int | None = None, province: str | None = None,
                chinese: bool = True) -> str:
    """One row per current report, one column per metric (schema order); headers "label（unit）" or the keys.

    One pass over the metrics of the selected reports, pivoted here: the SQL pivot (226 subqueries or CASEs
    per row) takes seconds on a few hundred reports. Counts print as integers, amounts with their decimals."""
    from archive.metadata import metric_titles

    titles = metric_titles()
    keys = list(titles)
    where, params = ["r.status != 'replaced'"], []
    if year is not None:
        where.append("r.year = ?")
        params.append(year)
    if province:
        where.append("r.province like '%' || ? || '%'")
        params.append(province)
    reports = rows(conn, f"select r.id as report_id, r.organ, r.year, r.province, r.format, r.url, r.current_version_id"
                         f" from reports r where {' and '.join(where)} order by r.year desc, r.organ, r.id", tuple(params))
    values: dict[int, dict[str, object]] = {}
    for version_id, key, value in conn.execute(
            f"select m.version_id, m.key, m.value from metrics m join reports r on r.current_version_id = m.version_id"
            f" where {' and '.join(where)}", tuple(params)):
        values.setdefault(version_id, {})[key] = float(value) if key in MONEY_KEYS and value is not None else number(value)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh if chinese else col for col, zh in CSV_FIXED] + [titles[k] if chinese else k for k in keys])
    for r in reports:
        mine = values.get(r["current_version_id"], {})
        writer.writerow([r[col] for col, _ in CSV_FIXED] + [mine.get(k, "") if mine.get(k) is not None else ""
                                                            for k in keys])
    return out.getvalue()
