"""The six parts of a report (SECTION_NAMES) cut out of its text, for search and diff."""
from __future__ import annotations

import re

from parsers.cells import nfkc
from parsers.labels import bigrams, dice, squeeze
from parsers.model import SECTION_NAMES

_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[一二三四五六七八九十]{1,2}|\d{1,2})\s*[、.．]\s*(.{2,40})$")
_KEYS = tuple(bigrams(squeeze(n)) for n in SECTION_NAMES)
_KEYWORDS = ("总体情况", "主动公开", "收到和处理", "复议", "存在的主要问题", "其他需要报告")


def _which(title: str) -> int | None:
    core = squeeze(title)
    grams = bigrams(core)
    best, idx = 0.0, None
    for i, (g, kw) in enumerate(zip(_KEYS, _KEYWORDS)):
        s = dice(grams, g) + (0.3 if kw in core else 0.0)
        if s > best:
            best, idx = s, i
    return idx if best >= 0.6 else None


def split_sections(text: str) -> dict[str, str]:
    """Section name → its body text. Headings must come in template order; missing parts are absent."""
    lines = nfkc(text).split("\n")
    marks: list[tuple[int, int]] = []  # (line index, section index)
    last = -1
    for i, line in enumerate(lines):
        m = _HEADING.match(line.strip())
        if not m:
            continue
        idx = _which(m.group(1))
        if idx is not None and idx > last:
            marks.append((i, idx))
            last = idx
    out: dict[str, str] = {}
    for k, (i, idx) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        out[SECTION_NAMES[idx]] = "\n".join(l.strip() for l in lines[i + 1:end] if l.strip())
    return out
