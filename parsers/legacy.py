"""Key figures of a pre-2019 (legacy) report, read from its prose: the free-form reports have no template tables,
but most state a few numbers in sentences (全年主动公开政府信息11290条 / 全年未收到政府信息公开申请).

Kept apart from the metrics contract (parsers/metrics.json): the keys carry a `legacy.` prefix, live in
`Report.meta["legacy"]`, and each figure comes with the sentence it was read from, so it is visibly "read from
prose", never a table cell. A sentence that says none happened (未收到申请, 未发生…行政复议) gives 0; a cumulative
figure (累计, 历年) is not this year's and is skipped. Only the first sentence that states a figure counts.
"""
from __future__ import annotations

import re

from parsers.cells import nfkc

LEGACY_KEYS: dict[str, str] = {
    "legacy.proactive.items": "主动公开政府信息（条）",
    "legacy.applications.received": "收到政府信息公开申请（件）",
    "legacy.review.total": "政府信息公开行政复议（件）",
    "legacy.suit.total": "政府信息公开行政诉讼（件）",
    "legacy.fees.amount": "收取费用（万元）",
}

_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_CUMULATIVE = re.compile(r"累计|历年|截至目前")
_NONE = r"(?:未|没有|无|均未|尚未)"

# key -> (patterns giving a number, patterns saying there was none)
_RULES: dict[str, tuple[list[re.Pattern], list[re.Pattern]]] = {
    "legacy.proactive.items": (
        [re.compile(rf"主动公开[^0-9。；，,]{{0,14}}?(?:共|总数为|总数|达)?\s*{_NUM}\s*(?:条|项|件|篇)")], []),
    "legacy.applications.received": (
        [re.compile(rf"(?:收到|受理|接到)[^0-9。；]{{0,16}}?申请[^0-9。；，,]{{0,8}}?(?:总数为|共|为)?\s*{_NUM}\s*(?:件|起|份|个|条|人次)"),
         re.compile(rf"共(?:收到|受理|接到){_NUM}\s*(?:件|起|份|个)[^。；]{{0,12}}申请")],
        [re.compile(rf"{_NONE}(?:收到|受理|接到)[^。；]{{0,16}}申请"), re.compile(rf"申请[^。；]{{0,6}}{_NONE}(?:收到|受理)")]),
    "legacy.review.total": (
        [re.compile(rf"行政复议[^0-9。；，,]{{0,8}}?{_NUM}\s*(?:件|起|宗|次)"),
         re.compile(rf"{_NUM}\s*(?:件|起|宗)[^0-9。；]{{0,4}}行政复议")],
        [re.compile(rf"{_NONE}[^。；0-9]{{0,24}}行政复议")]),
    "legacy.suit.total": (
        [re.compile(rf"行政诉讼[^0-9。；，,]{{0,8}}?{_NUM}\s*(?:件|起|宗|次)"),
         re.compile(rf"{_NUM}\s*(?:件|起|宗)[^0-9。；]{{0,4}}行政诉讼")],
        [re.compile(rf"{_NONE}[^。；0-9]{{0,34}}行政诉讼")]),
    "legacy.fees.amount": (
        [re.compile(rf"(?:收取|收费)[^0-9。；]{{0,14}}?{_NUM}\s*(万元|元)")],
        [re.compile(rf"{_NONE}[^。；0-9]{{0,12}}(?:收取|收费)")]),
}


def _number(text: str, unit: str | None) -> int | float:
    value = float(text.replace(",", ""))
    if unit == "元":
        value /= 10000
    return int(value) if value.is_integer() else round(value, 6)


def figures(text: str) -> dict[str, dict]:
    """{legacy key: {"value": number, "text": the sentence it was read from}} for the figures the prose states."""
    out: dict[str, dict] = {}
    for raw in _SENTENCE.findall(text or ""):
        quoted = raw.strip()  # as printed, for the evidence
        sentence = nfkc(quoted)
        if not sentence or len(sentence) > 400:
            continue
        for key, (numbers, nones) in _RULES.items():
            if key in out:
                continue
            for pattern in numbers:
                found = pattern.search(sentence)
                if found and not _CUMULATIVE.search(sentence[: found.end()]):
                    unit = found.group(2) if key == "legacy.fees.amount" else None
                    out[key] = {"value": _number(found.group(1), unit), "text": quoted}
                    break
            else:
                if any(p.search(sentence) for p in nones):
                    out[key] = {"value": 0, "text": quoted}
    return {k: out[k] for k in LEGACY_KEYS if k in out}
