"""Which reporting body a report belongs to, stable across years and name variants.

Reports name their body inconsistently: 香山乡 / 香山乡人民政府 / 沙坡头区香山乡 are one organ. Within one
portal and region, two names are one organ when, after dropping a trailing 人民政府/政府, one equals the
other or ends with it and the extra head is a chain of place names (…省, …市, …区, …县, …旗).
"""
from __future__ import annotations

import json
import re
import sqlite3

_SUFFIX = re.compile(r"(人民政府|政府)$")
_SPACE = re.compile(r"\s+")
_PLACE_CHAIN = re.compile(r"^(?:.+?(?:省|自治区|特别行政区|市|自治州|州|地区|盟|区|自治县|县|自治旗|旗|新区))+$")
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)


def core_name(name: str) -> str:
    """The name without whitespace and without a trailing 人民政府/政府 (kept if nothing else is left)."""
    compact = _SPACE.sub("", name or "")
    stripped = _SUFFIX.sub("", compact)
    return stripped if len(stripped) >= 2 else compact


def same_organ(a: str, b: str) -> bool:
    """Whether two core names denote one body (the longer one only adds place names in front)."""
    short, long_ = sorted((a, b), key=len)
    if short == long_:
        return True
    return len(short) >= 2 and long_.endswith(short) and bool(_PLACE_CHAIN.match(long_[: -len(short)]))


def province_of(*names: str | None) -> str | None:
    """The province a name starts with (福建省…, 宁夏回族自治区…), if any."""
    for name in names:
        for province in PROVINCES:
            if name and name.startswith(province):
                return province
    return None


def resolve(conn: sqlite3.Connection, name: str, portal_id: str | None, region: str | None) -> tuple[int | None, list[str]]:
    """The id of the organ `name` denotes within (portal, region), or None, plus its known name variants.

    Looks at exact cores first, then at organs whose core is a suffix of this one or ends with it.
    """
    core = core_name(name)
    scope = "portal_id is ? and region is ?"
    rows = conn.execute(f"select id, core, names from organs where {scope} and core = ?", (portal_id, region, core)).fetchall()
    if not rows:
        suffixes = [core[i:] for i in range(1, len(core) - 1)]
        rcore = core[::-1]
        rows = conn.execute(
            f"select id, core, names from organs where {scope} and (core in (select value from json_each(?))"
            " or (rcore > ? and rcore < ?))",
            (portal_id, region, json.dumps(suffixes, ensure_ascii=False), rcore, rcore + "\U0010ffff"),
        ).fetchall()
        rows = [r for r in rows if same_organ(core, r[1])]
        rows.sort(key=lambda r: -len(r[1]))  # the most specific match first
    if not rows:
        return None, []
    return rows[0][0], json.loads(rows[0][2] or "[]")
