"""Deterministic synthetic 年报 (organ, year, template, metrics, prose) that know their truth.

Why: the replica portals and the archive tests need many realistic reports whose correct
parse is known exactly. Everything is drawn from a seeded `random.Random`, so a seed gives
the same reports byte for byte; `Report.revised()` gives new numbers for the same report.

The metrics are internally consistent the way real tables are: t3 applicant columns add up to
总计, new + carried_over = handled_total + carried_forward per column, result rows add up to
(七)总计, t4 groups add up to their 总计. A blank printed cell is None (and counts as 0).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from parsers.schema import keys_for_format, schema

FORMATS = ("legacy", "2019", "2021")
MARKUPS = ("clean", "word", "compact")
CARRIERS = ("html", "pdf", "docx", "image")  # where the tables are: in the page, in an attachment, as <img>

T3_COLS = [c["key"] for c in schema()["t3_columns"]]  # natural … other, total
APPLICANTS = T3_COLS[:-1]
T4_GROUPS = [g["key"] for g in schema()["t4_groups"]]
T4_COLS = [c["key"] for c in schema()["t4_columns"]]  # upheld, corrected, other, pending, total

Metrics = dict[str, "int | float | None"]


def t3_rows(fmt: str) -> list[str]:
    return [r["key"] for r in schema()["t3_rows"] if fmt in r["formats"]]


def result_rows(fmt: str) -> list[str]:
    """The 三、本年度办理结果 rows without (七)总计."""
    rows = t3_rows(fmt)
    return rows[rows.index("granted"): rows.index("handled_total")]


# ---------------------------------------------------------------------------- organs

_COUNTY_A = "青云松岚澳秦汉合梅丰安永宁崇德临清平昌建泰文兴龙福华金桂"
_COUNTY_B = "川溪阳山江水源河城林峰口浦州田屏坪岭湖谷"
_TOWN = ["城关", "石桥", "白沙", "新塘", "上河", "东岗", "柳林", "黄坪", "长乐", "桥头", "龙潭", "双河"]
_DEPTS = ["发展和改革局", "教育局", "财政局", "自然资源局", "生态环境分局", "住房和城乡建设局", "交通运输局",
          "农业农村局", "卫生健康局", "市场监督管理局", "应急管理局", "人力资源和社会保障局", "民政局", "司法局"]
# GBK-only characters (not in GB2312): a GB2312 decoder fails on these names.
GBK_ONLY = "喆堃昇珺赟"


def county_name(rng: random.Random, gbk_only: bool = False) -> str:
    first = rng.choice(GBK_ONLY) if gbk_only else rng.choice(_COUNTY_A)
    return first + rng.choice(_COUNTY_B) + rng.choice("县县县区")


def organ_name(rng: random.Random, county: str, gbk_only: bool = False) -> str:
    """An issuing body as reports name themselves: the county, its office, a township, a department."""
    kind = rng.choices(["county", "office", "town", "street", "dept"], [3, 2, 3, 1, 3])[0]
    town = rng.choice(_TOWN)
    if gbk_only and kind in ("town", "street"):
        town = rng.choice(GBK_ONLY) + town[1]
    if kind == "county":
        return county + "人民政府"
    if kind == "office":
        return county + "人民政府办公室"
    if kind == "town":
        return f"{county}{town}镇人民政府"
    if kind == "street":
        return f"{county}{town}街道办事处"
    return county + rng.choice(_DEPTS)


# ---------------------------------------------------------------------------- the report

@dataclass(frozen=True)
class Report:
    rid: int
    organ: str
    year: int
    fmt: str        # legacy | 2019 | 2021
    markup: str     # clean | word | compact (HTML table style; also used for the prose style)
    carrier: str    # html | pdf | docx | image
    published: date
    content_seed: int
    revision: int = 0
    metrics: Metrics = field(default_factory=dict, compare=False)
    quirks: frozenset[str] = frozenset()  # e.g. word_grid_shift, split_result_label, blanks

    @property
    def title(self) -> str:
        return f"{self.organ}{self.year}年{'度' if self.rid % 3 == 0 else ''}政府信息公开工作年度报告"

    @property
    def has_tables(self) -> bool:
        return self.fmt != "legacy"

    @property
    def truth(self) -> dict:
        """Exactly the shape of shared/corpus/*.json `meta` + `metrics` (image tables -> no keys)."""
        metrics = {} if (self.fmt == "legacy" or self.carrier == "image") else dict(self.metrics)
        return {"meta": {"organ": self.organ, "year": self.year, "format": self.fmt}, "metrics": metrics}

    def revised(self) -> "Report":
        """The same report re-published with different numbers (a correction)."""
        seed = self.content_seed * 7919 + self.revision + 1
        rng = random.Random(seed)
        metrics = make_metrics(rng, self.fmt, "blanks" in self.quirks) if self.has_tables else {}
        return replace(self, content_seed=seed, revision=self.revision + 1, metrics=metrics)

    def prose_rng(self) -> random.Random:
        return random.Random(f"prose|{self.content_seed}")


def pick_format(rng: random.Random, year: int) -> str:
    if year < 2019:
        return "legacy"
    if year <= 2020:
        return "2019"
    return "2019" if (year <= 2022 and rng.random() < 0.12) else "2021"


def pick_markup(rng: random.Random, year: int) -> str:
    weights = [2, 3, 1] if year <= 2021 else [4, 2, 1]
    return rng.choices(MARKUPS, weights)[0]


def readable_format(fmt: str, carrier: str, year: int) -> str:
    """The template a reader can tell from the document itself: tables as images leave only the cited
    notice, and from 2021 on a 〔2019〕60号 citation does not tell (real reports keep citing it over the
    2021 tables), so an image-table report of 2021+ is a 2021-template report, which cites 〔2021〕30号."""
    return "2021" if carrier == "image" and year >= 2021 else fmt


def make_report(rng: random.Random, rid: int, organ: str, year: int, *, fmt: str | None = None,
                markup: str | None = None, carrier: str | None = None) -> Report:
    """A report drawn from `rng`; `fmt`/`markup`/`carrier` fix those draws (the format as `readable_format` allows)."""
    fmt = fmt or pick_format(rng, year)
    markup = markup or pick_markup(rng, year)
    if carrier is None:
        carrier = rng.choices(CARRIERS, [14, 2, 2, 1])[0] if fmt != "legacy" else "html"
    fmt = readable_format(fmt, carrier, year)
    quirks = set()
    if markup == "compact" or rng.random() < 0.1:
        quirks.add("blanks")
    if markup == "word" and fmt != "legacy":
        if rng.random() < 0.35:
            quirks.add("word_grid_shift")     # 自然人 colspan=2 over a blank cell (Pingtan 2021)
        if rng.random() < 0.3:
            quirks.add("split_result_label")  # 三、本年度办理结果 repeated after a page break (Pingtan 2019)
    published = date(year + 1, 1, 5) + timedelta(days=rng.randrange(0, 85))
    seed = rng.randrange(1 << 30)
    metrics = make_metrics(random.Random(seed), fmt, "blanks" in quirks) if fmt != "legacy" else {}
    return Report(rid, organ, year, fmt, markup, carrier, published, seed, 0, metrics, frozenset(quirks))


# ---------------------------------------------------------------------------- metrics

def _small(rng: random.Random, hi: int = 5, zero: float = 0.6) -> int:
    return 0 if rng.random() < zero else rng.randint(1, hi)


def _size(rng: random.Random) -> int:
    """Mostly small counts, sometimes large (log-uniform up to 20,000)."""
    r = rng.random()
    if r < 0.15:
        return 0
    if r < 0.85:
        return rng.randint(1, 60)
    return int(10 ** rng.uniform(2, 4.3))


def _fee(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.4:
        return 0
    if r < 0.7:
        return float(Decimal(rng.randint(1, 9999)) / Decimal(10000))      # e.g. 0.0325
    return float(Decimal(rng.randint(1, 3_000_000)) / Decimal(100))        # e.g. 18651.06


def _t2(rng: random.Random, fmt: str) -> Metrics:
    m: Metrics = {}
    if fmt == "2021":
        for g, hi in (("rules", 2), ("normative", 80)):
            issued = _small(rng, hi, 0.7 if g == "rules" else 0.2)
            m[f"t2.{g}.issued"] = issued
            m[f"t2.{g}.repealed"] = _small(rng, max(1, hi // 3))
            m[f"t2.{g}.in_force"] = issued + _small(rng, hi * 8, 0.3)
        for g in ("licensing", "punishment", "coercion"):
            m[f"t2.{g}.decisions"] = _size(rng)
        m["t2.fees.amount"] = _fee(rng)
        return m
    for g, hi in (("rules", 2), ("normative", 60)):
        made = _small(rng, hi, 0.5)
        m[f"t2.{g}.made"] = made
        m[f"t2.{g}.published"] = made
        m[f"t2.{g}.total"] = made + _small(rng, hi * 5, 0.3)
    for g in ("licensing", "other_services", "punishment", "coercion"):
        m[f"t2.{g}.prev_items"] = _size(rng)
        m[f"t2.{g}.change"] = 0 if rng.random() < 0.75 else rng.randint(-5, 12)
        m[f"t2.{g}.decisions"] = _size(rng)
    m["t2.fees.prev_items"] = _small(rng, 40, 0.3)
    m["t2.fees.change"] = 0 if rng.random() < 0.8 else rng.randint(-3, 3)
    m["t2.procurement.projects"] = _small(rng, 150, 0.3)
    m["t2.procurement.amount"] = _fee(rng) if m["t2.procurement.projects"] else 0
    return m


_RESULT_WEIGHTS = {"granted": 40, "partial": 10, "unable_not_held": 25, "denied_third_party": 3,
                   "denied_process": 3, "denied_internal": 3, "rejected_duplicate": 4, "rejected_petition": 3,
                   "unable_unclear": 3, "other": 4, "other_other": 3, "other_no_correction": 2}


def _t3(rng: random.Random, fmt: str) -> Metrics:
    rows = result_rows(fmt)
    weights = [_RESULT_WEIGHTS.get(r, 1) for r in rows]
    m: Metrics = {}
    for col in APPLICANTS:
        if col == "natural":
            new = _size(rng)
        else:
            new = 0 if rng.random() < (0.5 if col == "commercial" else 0.8) else rng.randint(1, 8)
        carried = 0 if rng.random() < 0.8 else rng.randint(1, 4)
        forward = 0 if rng.random() < 0.75 else rng.randint(0, min(3, new + carried))
        handled = new + carried - forward
        counts = dict.fromkeys(rows, 0)
        for r in rng.choices(rows, weights, k=handled):
            counts[r] += 1
        m[f"t3.new.{col}"], m[f"t3.carried_over.{col}"] = new, carried
        for r in rows:
            m[f"t3.{r}.{col}"] = counts[r]
        m[f"t3.handled_total.{col}"], m[f"t3.carried_forward.{col}"] = handled, forward
    for row in t3_rows(fmt):
        m[f"t3.{row}.total"] = sum(m[f"t3.{row}.{c}"] for c in APPLICANTS)
    return m


def _t4(rng: random.Random) -> Metrics:
    m: Metrics = {}
    busy = rng.random() < 0.3
    for g in T4_GROUPS:
        vals = [(_small(rng, 6, 0.5) if busy else _small(rng, 2, 0.85)) for _ in T4_COLS[:-1]]
        for c, v in zip(T4_COLS[:-1], vals):
            m[f"t4.{g}.{c}"] = v
        m[f"t4.{g}.total"] = sum(vals)
    return m


def make_metrics(rng: random.Random, fmt: str, blanks: bool) -> Metrics:
    """All keys of `fmt`, consistent; with `blanks` some zero cells are printed blank (None)."""
    m = {**_t2(rng, fmt), **_t3(rng, fmt), **_t4(rng)}
    assert set(m) == set(keys_for_format(fmt)), set(m) ^ set(keys_for_format(fmt))
    if blanks:
        for k, v in m.items():
            if v == 0 and rng.random() < 0.5:
                m[k] = None
    return {k: m[k] for k in keys_for_format(fmt)}


def value(m: Metrics, key: str) -> int | float:
    """A metric as arithmetic sees it (blank counts as 0)."""
    return m.get(key) or 0


def format_number(v: int | float | None) -> str:
    """How a cell prints a value: blank for None, no exponent, no trailing '.0'."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v == int(v):
            return str(int(v))
        return format(Decimal(repr(v)), "f")
    return str(v)
