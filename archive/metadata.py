"""Datasette metadata for an archive: titles, descriptions, Chinese labels and units, facets, canned queries.

Generated from parsers.schema so the labels are the schema's; `nianbao serve` writes it to a temporary
metadata.json. Canned queries are all read-only SELECTs over the archive's own tables.
"""
from __future__ import annotations

from archive import rollups
from archive.diff import KEY_METRICS
from archive.schema import metric_unit
from parsers.schema import metric_labels

REPORT_FACETS = ["province", "year", "format", "kind", "check_status", "status"]
# Tables of the crawl and the parser's workings: hidden from the database page's list (a researcher starts with
# reports, search, organs and the metric views), reachable at their URLs and under "hidden tables".
PLUMBING = ("report_versions", "metric_keys", "metrics", "fetches", "bodies", "archive_meta", "parse_errors", "portals",
            "crawl_runs", "alerts", "sections", "checks", "listings")


def _key_columns(alias: str) -> str:
    return ",\n  ".join(
        f"(select value from metrics m where m.version_id = {alias}.current_version_id and m.key = '{key}') as \"{title}\""
        for key, title in KEY_METRICS.items()
    )


ORGAN_MATCH = """(o.name = :organ or o.core = :organ or o.name like '%' || :organ || '%'
       or exists (select 1 from json_each(o.names) where value like '%' || :organ || '%'))"""

QUERIES: dict[str, dict] = {
    "search_reports": {
        "title": "全文搜索（精确子串）",
        "description": "Reports whose text contains every word of q (words separated by spaces; 1 character and up; "
                       "punctuation allowed). Same index as the search box of the search table.",
        "sql": """select s.id as report_id, s.organ, s.year, s.title, s.province, s.format, s.status
from search s
where s.id in (select rowid from search_fts where search_fts match nianbao_match(:q)) and s.status != 'replaced'
order by s.year desc, s.organ""",
    },
    "organ_timeline": {
        "title": "一个机关的历年报告",
        "description": "Every archived year of the organs whose name contains :organ, with key metrics.",
        "sql": f"""select o.name as organ, r.year, r.format, r.check_status, r.status, r.versions,
  {_key_columns('r')},
  r.url, r.id as report_id, o.id as organ_id
from reports r join organs o on o.id = r.organ_id
where {ORGAN_MATCH} and r.status != 'replaced'
order by o.name, r.year""",
    },
    "largest_changes": {
        "title": "同比变化最大的指标",
        "description": "Largest year-over-year changes between consecutive years of one organ, in a region "
                       "(province, portal region or part of the organ name). :key is a LIKE pattern, e.g. t3.%.total.",
        "sql": """select a.organ, a.year as from_year, b.year as to_year, k.label, m1.key, m1.value as old, m2.value as new,
  m2.value - m1.value as delta,
  case when m1.value != 0 then round(100.0 * (m2.value - m1.value) / abs(m1.value), 1) end as percent, b.id as report_id
from reports a
join reports b on b.organ_id = a.organ_id and b.year = a.year + 1
join metrics m1 on m1.version_id = a.current_version_id
join metrics m2 on m2.version_id = b.current_version_id and m2.key = m1.key
join metric_keys k on k.key = m1.key
where (coalesce(a.province, '') like '%' || :region || '%' or coalesce(a.region, '') like '%' || :region || '%'
       or a.organ like '%' || :region || '%')
  and m1.key like coalesce(nullif(:key, ''), 't3.%.total')
  and m1.value is not null and m2.value is not null and m1.value != m2.value
  and a.status != 'replaced' and b.status != 'replaced'
order by abs(m2.value - m1.value) desc
limit 200""",
    },
    "failed_checks": {
        "title": "未通过的勾稽检查",
        "description": "Checks of current report versions that failed (the report's own arithmetic does not add up).",
        "sql": """select r.organ, r.year, c.name as check_name, c.detail, c.check_values, r.url, r.id as report_id
from checks c join reports r on r.current_version_id = c.version_id
where c.passed = 0 and r.status != 'replaced'
order by r.year desc, r.organ""",
    },
    "broken_carry_over": {
        "title": "结转衔接不一致",
        "description": "Year Y-1 四、结转下年度继续办理 (t3.carried_forward.total) differs from year Y "
                       "二、上年结转 (t3.carried_over.total) of the same organ.",
        "sql": """select a.organ, a.year as previous_year, f.value as carried_forward, b.year, o.value as carried_over,
  o.value - f.value as difference, b.id as report_id
from reports a
join reports b on b.organ_id = a.organ_id and b.year = a.year + 1
join metrics f on f.version_id = a.current_version_id and f.key = 't3.carried_forward.total'
join metrics o on o.version_id = b.current_version_id and o.key = 't3.carried_over.total'
where f.value is not o.value and a.status != 'replaced' and b.status != 'replaced'
order by b.year desc, a.organ""",
    },
    "missing_years": {
        "title": "缺失的年度报告",
        "description": "Years between an organ's first report and the last year whose report is due today (a year's "
                       "report is due by 31 March of the next year) with no report. :region narrows to a province, "
                       "city or county (part of the organ name); :year to one year. Leave either empty for all.",
        "sql": rollups.MISSING_SQL,
    },
    "region_by_year": {
        "title": "地区逐年汇总",
        "description": "Per year for :region (a province, city or county; empty for all): reports published, organs, "
                       "applications received, granted in full and its share of all handled, reviews and lawsuits with "
                       "their outcomes, fees (万元). Charts: /-/rollup?region=…",
        "sql": rollups.BY_YEAR_SQL,
    },
    "published_late": {
        "title": "逾期发布的年度报告",
        "description": "Reports dated after 31 March of the next year (the legal deadline), with the days late; "
                       ":region narrows (empty for all).",
        "sql": rollups.LATE_SQL,
    },
}


def metric_titles() -> dict[str, str]:
    """key -> "Chinese label（unit）", the column title of the Chinese-header table."""
    return {k: f"{label}（{metric_unit(k)}）" for k, label in metric_labels().items()}


def build(database: str) -> dict:
    """The metadata dict for an archive served under the Datasette name `database`."""
    descriptions = metric_titles()
    tables = {
        "search": {
            "title": "全文搜索",
            "description": "One row per report (current version). The search box finds exactly the reports whose "
                           "text contains every word typed, from one Chinese character up.",
            # No fts_table: archive.search_sql answers ?_search= (Datasette's plan reads every match), and no
            # default facets (each reads every match of a common word); /-/search has the facets.
            "columns": {"text": "Full text of the current version", "check_status": "ok | failed | unchecked",
                        "kind": "the file the report was read from: html | pdf | docx | doc | text"},
        },
        "search_fts": {"hidden": True},
        "search_grams": {"hidden": True},
        "reports": {
            "title": "年度报告",
            "description": "One row per organ × year; points at its current version. status gone = no longer listed "
                           "on the portal (kept); replaced = its page now reads as another organ or year (kept, "
                           "left out of current metrics and diffs). The organ column links to the year-over-year diff.",
            "facets": REPORT_FACETS,
            "sort_desc": "year",
            "label_column": "title",
            "columns": {"check_status": "ok | failed | unchecked (勾稽检查)", "versions": "distinct contents seen"},
        },
        "report_versions": {
            "title": "报告版本",
            "description": "Every distinct content of a report ever seen, with the fetch (raw body), source URL or "
                           "file path, parser version and first/last seen.",
            "label_column": "title",
        },
        "organs": {"title": "机关", "description": "Reporting bodies with their name variants.", "label_column": "name"},
        "metric_keys": {"title": "指标", "description": "Canonical metric keys and Chinese labels (metrics.json).",
                        "label_column": "label"},
        "metrics": {"title": "指标值（长表）", "description": "Every metric of every version (value null = printed blank)."},
        "current_metrics": {"title": "当前指标（带标签）", "description": "Metrics of current versions with labels.",
                            "facets": ["key", "year", "province"]},
        "report_metrics": {"title": "指标宽表", "description": "One row per report, one column per metric key. "
                           "The same as CSV with Chinese column titles: /-/metrics.csv (?year=, ?province=; "
                           "?headers=keys for the metric keys).",
                           # No Datasette "units": its pint rendering shows 17477 件 as "17.477 k件"; the unit
                           # is in each column's description and in metric_keys.unit.
                           "columns": descriptions, "facets": ["year", "format", "check_status"]},
        "fetches": {"title": "抓取记录",
                    "description": "Every HTTP response (or loaded file) kept, body by sha256."},
        "bodies": {"title": "原始内容",
                   "description": "Raw bodies, zlib-compressed, stored once per sha256; a report page "
                                  "(/-/report/<id>) downloads its file as served."},
        "archive_meta": {"title": "档案内部信息", "description": "Schema fingerprint and index versions."},
        "parse_errors": {"title": "解析失败", "description": "Bodies the parser could not read, with the reason; "
                         "`nianbao reparse` retries them.", "facets": ["resolved", "portal_id"]},
        "portals": {"title": "门户网站", "description": "The portals crawled (crawler/portals.toml), with region and CMS family.",
                    "label_column": "name"},
        "crawl_runs": {"title": "抓取批次", "facets": ["portal", "status"]},
        "alerts": {"title": "告警", "facets": ["portal", "kind", "resolved"]},
        "sections": {"title": "报告正文（六部分）"},
        "checks": {"title": "勾稽检查", "facets": ["name", "passed"]},
        "listings": {"title": "栏目首页记录", "description": "What each listing's first page showed at its last complete "
                     "walk: a re-crawl reads on only while it shows something new (crawler/walk.py)."},
    }
    for name in PLUMBING:  # listed after what a reader wants (as "hidden tables"), still at their URLs
        tables[name]["hidden"] = True
    return {
        "title": "nianbao 政府信息公开工作年度报告档案",
        "description": "Annual government information-disclosure reports: metrics, checks, every version, full-text search.",
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }
