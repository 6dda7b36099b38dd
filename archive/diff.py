"""How one body's report changed between two years: metrics, carry-over continuity, narrative sentences.

Works on any sqlite3 connection to an archive (the CLI's own, or Datasette's read-only one for the
`/-/diff` page), and returns plain data; archive.render turns it into text, markdown, JSON or HTML.
"""
from __future__ import annotations

import difflib
import json
import re
import sqlite3
from dataclasses import dataclass

from archive.organs import core_name
from parsers.schema import metric_formats, metric_labels, schema

# The metrics the timeline and the chart follow, with a short title each.
KEY_METRICS: dict[str, str] = {
    "t3.new.total": "本年新收申请",
    "t3.granted.total": "予以公开",
    "t3.handled_total.total": "办理结果总计",
    "t3.carried_forward.total": "结转下年度",
    "t4.review.total": "行政复议",
    "t4.suit_direct.total": "行政诉讼（直接起诉）",
    "t2.licensing.decisions": "行政许可决定",
    "t2.punishment.decisions": "行政处罚决定",
}
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
_PROSE_END = re.compile(r"[。！？；!?;…”」）)]$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
TEMPLATES = ("2019", "2021")
# Rows that mean the same thing in both templates though keyed differently: 2019's one (六)其他处理 row is
# the sum of 2021's three (六) rows.
MAPPED_ROWS: dict[str, tuple[str, ...]] = {
    f"t3.other.{c['key']}": tuple(f"t3.{r}.{c['key']}" for r in ("other_no_correction", "other_no_fee", "other_other"))
    for c in schema()["t3_columns"]
}


class OrganNotFound(LookupError):
    """No organ matches the name given."""


class AmbiguousOrgan(LookupError):
    """Several organs match; `candidates` lists them (id, name, years)."""

    def __init__(self, query: str, candidates: list[dict]):
        super().__init__(f"{query!r} matches {len(candidates)} organs")
        self.candidates = candidates


@dataclass
class Year:
    year: int
    report_id: int
    version_id: int
    format: str | None
    title: str | None
    url: str | None


def dict_rows(conn: sqlite3.Connection, sql: str, params: tuple | dict = ()) -> list[dict]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def find_organ(conn: sqlite3.Connection, query: str) -> dict:
    """The organ a user means: an exact name/variant/core match wins, else a unique substring match."""
    query = query.strip()
    if not query:
        raise OrganNotFound("an empty organ name")
    sql = ("select o.id, o.name, o.names, (select group_concat(year) from (select year from reports r"
           " where r.organ_id = o.id and year is not null and r.status != 'replaced' order by year)) as years from organs o where {}")
    exact = dict_rows(conn, sql.format("o.name = ? or o.core = ? or exists (select 1 from json_each(o.names) where value = ?)"),
                  (query, core_name(query), query))
    rows = exact or dict_rows(conn, sql.format("o.name like ? escape '\\' or o.names like ? escape '\\'"),
                          (_like(query), _like(query)))
    if not rows:
        raise OrganNotFound(f"no organ named like {query!r}")
    if len(rows) > 1:
        raise AmbiguousOrgan(query, rows)
    return rows[0]


def organ_by_id(conn: sqlite3.Connection, organ_id: int) -> dict:
    rows = dict_rows(conn, "select id, name, names from organs where id = ?", (organ_id,))
    if not rows:
        raise OrganNotFound(f"no organ with id {organ_id}")
    return rows[0]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def years(conn: sqlite3.Connection, organ_id: int) -> list[Year]:
    """The organ's archived years, each with its current version."""
    return [Year(**r) for r in dict_rows(
        conn,
        "select year, id as report_id, current_version_id as version_id, format, title, url from reports"
        " where organ_id = ? and year is not null and current_version_id is not null and status != 'replaced'"
        " order by year",
        (organ_id,),
    )]


def metrics(conn: sqlite3.Connection, version_id: int) -> dict[str, float | int | None]:
    return {k: number(v) for k, v in conn.execute("select key, value from metrics where version_id = ?", (version_id,))}


def number(value: float | int | None) -> float | int | None:
    """A stored metric as shown: REAL columns give 3.0, so whole numbers become ints; amounts keep their decimals."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def sections(conn: sqlite3.Connection, version_id: int) -> dict[str, str]:
    return dict(conn.execute("select name, text from sections where version_id = ? order by position", (version_id,)))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def is_prose(sentence: str) -> bool:
    """A sentence of the narrative, not a table row or heading the text extraction left in a section:
    no tab, and it ends like a sentence or is a long run of mostly Chinese text."""
    if "\t" in sentence or "|" in sentence:
        return False
    if _PROSE_END.search(sentence):
        return bool(_CJK.search(sentence))
    return len(sentence) >= 30 and len(_CJK.findall(sentence)) >= 0.5 * len(sentence)


def prose_sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if is_prose(s)]


def pick_years(available: list[Year], from_year: int | None, to_year: int | None) -> tuple[Year, Year]:
    """Default: the latest two years; one given: its neighbour. Raises ValueError naming what is missing."""
    by_year = {y.year: y for y in available}
    if len(available) < 2:
        raise ValueError(f"only {len(available)} archived year(s) ({', '.join(str(y.year) for y in available)}); a diff needs two")
    for y in (from_year, to_year):
        if y is not None and y not in by_year:
            raise ValueError(f"no report archived for {y}; archived: {', '.join(str(y.year) for y in available)}")
    order = [y.year for y in available]
    if from_year is None and to_year is None:
        return available[-2], available[-1]
    if from_year is None:
        i = order.index(to_year)  # type: ignore[arg-type]
        if i == 0:
            raise ValueError(f"{to_year} is the first archived year; give --from")
        return available[i - 1], by_year[to_year]  # type: ignore[index]
    if to_year is None:
        i = order.index(from_year)
        if i == len(order) - 1:
            raise ValueError(f"{from_year} is the last archived year; give --to")
        return by_year[from_year], available[i + 1]
    return by_year[from_year], by_year[to_year]


def _delta(old, new):
    return number(round(new - old, 6)) if isinstance(old, (int, float)) and isinstance(new, (int, float)) else None


def template_change(old_format: str | None, new_format: str | None) -> dict | None:
    """{"from", "to", "shared", "only_from", "only_to", "mapped"} when two years use different templates."""
    if old_format == new_format or old_format not in TEMPLATES or new_format not in TEMPLATES:
        return None
    formats = metric_formats()
    shared = [k for k, f in formats.items() if old_format in f and new_format in f]
    return {"from": old_format, "to": new_format, "shared": len(shared),
            "only_from": sum(1 for f in formats.values() if old_format in f and new_format not in f),
            "only_to": sum(1 for f in formats.values() if new_format in f and old_format not in f),
            "mapped": sorted(MAPPED_ROWS)}


def _mapped(values: dict, key: str, parts: tuple[str, ...]) -> float | int | None:
    """A 2019 row's value on the 2021 side: the sum of the 2021 rows it splits into (None if none printed)."""
    nums = [values[p] for p in parts if isinstance(values.get(p), (int, float))]
    return number(sum(nums)) if nums else None


def metric_changes(old: dict, new: dict, change: dict | None = None) -> list[dict]:
    """Keys whose value differs (a key printed in only one year counts, with the other side None), schema order.

    Across a template change only the rows both templates share are compared, plus MAPPED_ROWS (2019's
    (六)其他处理 against the sum of 2021's three (六) rows); a row of one template only is no change.
    """
    labels = metric_labels()
    formats = metric_formats()
    out = []
    for key in labels:
        if change and not (change["from"] in formats[key] and change["to"] in formats[key]):
            if key in MAPPED_ROWS and change["from"] == "2019" and key in old:
                a, b = old.get(key), _mapped(new, key, MAPPED_ROWS[key])
            elif key in MAPPED_ROWS and change["to"] == "2019" and key in new:
                a, b = _mapped(old, key, MAPPED_ROWS[key]), new.get(key)
            else:
                continue
            if a != b:
                out.append({"key": key, "label": labels[key] + "（2021 模板三项合计）", "old": a, "new": b,
                            "delta": _delta(a, b)})
            continue
        if key not in old and key not in new:
            continue
        a, b = old.get(key), new.get(key)
        if a != b or (key in old) != (key in new):
            out.append({"key": key, "label": labels[key], "old": a, "new": b, "delta": _delta(a, b)})
    return out


def continuity(old: dict, new: dict) -> list[dict]:
    """Last year's 结转下年度继续办理 against this year's 上年结转, per applicant column."""
    out = []
    for col in schema()["t3_columns"]:
        fwd, over = old.get(f"t3.carried_forward.{col['key']}"), new.get(f"t3.carried_over.{col['key']}")
        if fwd is None and over is None:
            continue
        # n/a (None) where one side is not printed: a missing number is not a broken carry-over
        out.append({"column": col["key"], "label": col["label"], "carried_forward": fwd, "carried_over": over,
                    "ok": None if fwd is None or over is None else fwd == over})
    return out


def section_diff(old: dict[str, str], new: dict[str, str]) -> list[dict]:
    """Per section, the prose sentences removed and added (difflib over sentence lists; table text left out)."""
    out = []
    for name in dict.fromkeys([*old, *new]):
        a, b = prose_sentences(old.get(name, "")), prose_sentences(new.get(name, ""))
        removed: list[str] = []
        added: list[str] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op != "equal":
                removed += a[i1:i2]
                added += b[j1:j2]
        out.append({"name": name, "removed": removed, "added": added, "unchanged": len(a) - len(removed)})
    return out


def compare(conn: sqlite3.Connection, organ: dict, from_year: int | None = None, to_year: int | None = None) -> dict:
    """The `nianbao diff` JSON: {"organ", "from", "to", "changes", "continuity", "sections", "timeline"}."""
    available = years(conn, organ["id"])
    old, new = pick_years(available, from_year, to_year)
    m_old, m_new = metrics(conn, old.version_id), metrics(conn, new.version_id)
    change = template_change(old.format, new.format)
    return {
        "organ": organ["name"],
        "organ_id": organ["id"],
        "from": old.year,
        "to": new.year,
        "from_report_id": old.report_id,
        "to_report_id": new.report_id,
        "from_format": old.format,
        "to_format": new.format,
        "template_change": change,
        "from_source": old.url,
        "to_source": new.url,
        "changes": metric_changes(m_old, m_new, change),
        "continuity": continuity(m_old, m_new) if new.year == old.year + 1 else [],
        "sections": section_diff(sections(conn, old.version_id), sections(conn, new.version_id)),
        "timeline": timeline(conn, organ["id"], available),
    }


def timeline(conn: sqlite3.Connection, organ_id: int, available: list[Year] | None = None) -> list[dict]:
    """Every archived year with the key metrics: [{"year", "format", "metrics": {key: value}}]."""
    out = []
    for y in available if available is not None else years(conn, organ_id):
        values = metrics(conn, y.version_id)
        out.append({"year": y.year, "format": y.format, "metrics": {k: values.get(k) for k in KEY_METRICS}})
    return out


def to_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=1)
