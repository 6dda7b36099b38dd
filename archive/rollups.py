"""Roll-ups of a region by year: the SQL of the canned queries and of the `/-/rollup` page with its charts.

A region matches a report by its province (from the gazetteer, archive.places), by part of the organ's name
(微山县城关镇人民政府 contains 微山县), or by the organ's administrative-division code (广元市 is 5108…, so
its counties' organs match), so `四川`, `广元市` and `青川县` all work. Empty = the whole archive.
"""
from __future__ import annotations

import sqlite3

from archive import places
from archive.diff import dict_rows

REGION_MATCH = """(:region = '' or coalesce(r.province, '') like '%' || :region || '%'
       or coalesce(r.organ, '') like '%' || :region || '%'
       or (select o.region_code from organs o where o.id = r.organ_id) like nianbao_region(:region) || '%')"""


def register(conn: sqlite3.Connection) -> None:
    """The SQL function the region match needs: nianbao_region(name) -> adcode prefix (archive.places)."""
    conn.create_function("nianbao_region", 1, places.region_prefix, deterministic=True)

# (column title, metric keys summed) of the by-year roll-up, in display order.
SUMS: list[tuple[str, tuple[str, ...]]] = [
    ("新收申请", ("t3.new.total",)),
    ("予以公开", ("t3.granted.total",)),
    ("办理结果总计", ("t3.handled_total.total",)),
    ("行政复议", ("t4.review.total",)),
    ("复议维持", ("t4.review.upheld",)),
    ("复议纠正", ("t4.review.corrected",)),
    ("复议其他结果", ("t4.review.other",)),
    ("复议尚未审结", ("t4.review.pending",)),
    ("行政诉讼", ("t4.suit_direct.total", "t4.suit_after_review.total")),
    ("诉讼维持", ("t4.suit_direct.upheld", "t4.suit_after_review.upheld")),
    ("诉讼纠正", ("t4.suit_direct.corrected", "t4.suit_after_review.corrected")),
    ("诉讼其他结果", ("t4.suit_direct.other", "t4.suit_after_review.other")),
    ("诉讼尚未审结", ("t4.suit_direct.pending", "t4.suit_after_review.pending")),
    ("收费（万元）", ("t2.fees.amount",)),
]


def _sum(keys: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{k}'" for k in keys)
    return f"(select sum(m.value) from metrics m join sel s2 on s2.v = m.version_id where s2.year = sel.year and m.key in ({listed}))"


def _column(title: str, keys: tuple[str, ...]) -> str:
    """Counts sum to integers; an amount is rounded to 4 decimals (万元 to the yuan: no float noise)."""
    return f"round({_sum(keys)}, 4)" if "万元" in title else _sum(keys)


BY_YEAR_SQL = f"""with sel as (
  select r.id, r.year, r.organ_id, r.current_version_id as v from reports r
  where r.status != 'replaced' and r.year is not null and {REGION_MATCH}
)
select sel.year as 年度, count(*) as 报告数, count(distinct sel.organ_id) as 机关数,
  {(',' + chr(10) + '  ').join(f'{_column(title, keys)} as "{title}"' for title, keys in SUMS)},
  round(100.0 * {_sum(('t3.granted.total',))} / nullif({_sum(('t3.handled_total.total',))}, 0), 1) as "予以公开占比%"
from sel group by sel.year order by sel.year"""

LATE_SQL = f"""select r.organ, r.year, v.date as 发布日期, (r.year + 1) || '-03-31' as 应发布日期,
  cast(julianday(v.date) - julianday((r.year + 1) || '-03-31') as integer) as 迟延天数, r.province, r.id as report_id
from reports r join report_versions v on v.id = r.current_version_id
where r.status != 'replaced' and r.year is not null and v.date is not null and v.date > (r.year + 1) || '-03-31'
  and {REGION_MATCH}
order by 迟延天数 desc, r.organ"""

# The last year whose report is due today: the year before last until 31 March, then last year.
LAST_DUE_YEAR = ("(cast(strftime('%Y', 'now') as integer) - case when date('now') > strftime('%Y', 'now') || '-03-31'"
                 " then 1 else 2 end)")

MISSING_SQL = f"""with recursive span(organ_id, y, last) as (
  select organ_id, min(year), max(max(year), {LAST_DUE_YEAR}) from reports r
  where organ_id is not null and year is not null and status != 'replaced' and {REGION_MATCH} group by organ_id
  union all select organ_id, y + 1, last from span where y < last
)
select o.name as organ, s.y as missing_year, o.province, o.id as organ_id
from span s join organs o on o.id = s.organ_id
where not exists (select 1 from reports r where r.organ_id = s.organ_id and r.year = s.y and r.status != 'replaced')
  and s.y <= {LAST_DUE_YEAR}
  and (:year = '' or s.y = cast(:year as integer))
order by s.y desc, o.name"""


def by_year(conn: sqlite3.Connection, region: str = "") -> list[dict]:
    register(conn)
    return dict_rows(conn, BY_YEAR_SQL, {"region": region or ""})


def compliance(conn: sqlite3.Connection, region: str = "") -> dict[str, list[dict]]:
    """{"missing": [...], "late": [...]} for the region."""
    register(conn)
    return {"missing": dict_rows(conn, MISSING_SQL, {"region": region or "", "year": ""}),
            "late": dict_rows(conn, LATE_SQL, {"region": region or ""})}
