"""Which reports each replica site publishes, and the mutations tests apply to them.

Why a separate catalog: the truth (what is served where) and the mutations (change / add /
remove / set_zero) must be one consistent, thread-safe state that every site reads.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from replica.layout import SITE_LAYOUT
from replica.reports import Report, county_name, make_report, organ_name

# reports per site (≥ 400 in all); sized so every pager has several pages
SITE_SIZES = {"trs0": 90, "trs1": 45, "fujian": 35, "hanweb": 70, "hanweb-xxgk": 39, "gd": 45, "gkmlpt": 130,
              "boda": 60, "generic": 50, "gbk": 15, "lying": 15, "hostile-412": 5, "hostile-521": 5,
              "hostile-429": 5, "hostile-robots": 5, "hostile-tls": 12, "hostile-nohttp": 12}
MUTABLE_SITES = [s for s in SITE_SIZES if not s.startswith("hostile")]


@dataclass(frozen=True)
class Entry:
    report: Report
    site: str
    doc_id: int           # the site's numeric document id (used in URLs)
    removed: bool = False

    @property
    def rid(self) -> int:
        return self.report.rid

    @property
    def modified(self) -> datetime:
        """Last-Modified: publication time, moved on by each revision so If-Modified-Since sees changes."""
        p = self.report.published
        return datetime(p.year, p.month, p.day, 9, 30) + timedelta(days=30 * self.report.revision)


class Catalog:
    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.version = 0          # bumped on every mutation; sites rebuild their URL maps from it
        self.zeroed: set[str] = set()
        self._lock = threading.RLock()
        self._entries: dict[int, Entry] = {}
        self._next_rid = 1
        rng = random.Random(seed)
        for info in SITE_LAYOUT:
            self._populate(rng, info.id, info.name.removesuffix("人民政府").removesuffix("管委会"), SITE_SIZES[info.id])

    # ------------------------------------------------------------------ building

    def _new_entry(self, rng: random.Random, site: str, organ: str, year: int, **kw) -> Entry:
        rid = self._next_rid
        self._next_rid += 1
        report = make_report(rng, rid, organ, year, **kw)
        return Entry(report, site, 10000 + rid * 13)

    def _populate(self, rng: random.Random, site: str, county: str, n: int) -> None:
        gbk = site == "gbk"
        seen: set[tuple[str, int]] = set()
        made = 0
        units = 0
        while made < n:
            if site == "hanweb-xxgk":  # three units, every year 2013-2025
                organ, first = [f"{county}人民政府办公室", f"{county}财政局", f"{county}城关镇人民政府"][units], 2013
            else:
                organ = county + "人民政府" if units == 0 else organ_name(rng, county, gbk_only=gbk)
                first = rng.randint(2013, 2021)
            units += 1
            for year in range(first, 2026):
                if made >= n or (organ, year) in seen:
                    continue
                seen.add((organ, year))
                e = self._new_entry(rng, site, organ, year)
                self._entries[e.rid] = e
                made += 1

    def publish(self, rng: random.Random, site: str, organ: str, year: int) -> Entry:
        """One more report of `organ` in `site` (the county sites build their columns with it)."""
        with self._lock:
            e = self._new_entry(rng, site, organ, year)
            self._entries[e.rid] = e
            self.version += 1
            return e

    # ------------------------------------------------------------------ reading

    def entries(self, site: str | None = None, include_removed: bool = False) -> list[Entry]:
        with self._lock:
            es = [e for e in self._entries.values() if (site is None or e.site == site)
                  and (include_removed or not e.removed)]
        return sorted(es, key=lambda e: (e.report.published, e.doc_id), reverse=True)

    def listed(self, site: str) -> list[Entry]:
        """What the site's 年报 column shows, newest first (nothing once the site is zeroed)."""
        return [] if site in self.zeroed else self.entries(site)

    def get(self, rid: int) -> Entry:
        with self._lock:
            return self._entries[rid]

    # ------------------------------------------------------------------ mutations

    def _pick(self, rng: random.Random, n: int) -> list[Entry]:
        live = sorted((e for e in self._entries.values() if not e.removed and e.site in MUTABLE_SITES),
                      key=lambda e: e.rid)
        return rng.sample(live, min(n, len(live)))

    def change(self, n: int, seed: int = 0) -> list[int]:
        """New content (new numbers, new bytes) for n existing reports; returns their ids."""
        with self._lock:
            picked = self._pick(random.Random(f"change|{seed}|{self.version}"), n)
            for e in picked:
                self._entries[e.rid] = replace(e, report=e.report.revised())
            self.version += 1
            return [e.rid for e in picked]

    def remove(self, n: int, seed: int = 0) -> list[int]:
        with self._lock:
            picked = self._pick(random.Random(f"remove|{seed}|{self.version}"), n)
            for e in picked:
                self._entries[e.rid] = replace(e, removed=True)
            self.version += 1
            return [e.rid for e in picked]

    def add(self, n: int, seed: int = 0) -> list[int]:
        """n new 2025 reports of new townships, published after everything else (top of the lists)."""
        with self._lock:
            rng = random.Random(f"add|{seed}|{self.version}")
            latest = max(e.report.published for e in self._entries.values())
            rids = []
            for i in range(n):
                site = rng.choice(MUTABLE_SITES)
                county = county_name(rng, gbk_only=site == "gbk")
                organ = f"{county}新设{'一二三四五六七八九十'[i % 10]}号镇人民政府"
                e = self._new_entry(rng, site, organ, 2025)
                e = replace(e, report=replace(e.report, published=latest + timedelta(days=i + 1)))
                self._entries[e.rid] = e
                rids.append(e.rid)
            self.version += 1
            return rids

    def set_zero(self, site: str, zero: bool = True) -> None:
        with self._lock:
            (self.zeroed.add if zero else self.zeroed.discard)(site)
            self.version += 1


def published_dt(d: date) -> str:
    return f"{d.isoformat()} {9 + d.day % 8:02d}:{(d.day * 7) % 60:02d}"
