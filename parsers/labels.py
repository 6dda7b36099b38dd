"""Row-label matching: tolerant similarity between a printed label and a template row.

Printed labels carry typos (`本年度止件数`, `三类内容事务信息`, `3.申请`), vertical text
(`结 果 维 持`), truncation (`现行有效件`) and enumerators in several styles; we compare the
text after the label's last enumerator by character-bigram overlap and let the enumerator vote.
"""
from __future__ import annotations

import re
from functools import lru_cache

from parsers.cells import nfkc

_PUNCT = re.compile(r"[\s\u00a0\u3000,，。.．、:：;；!！?？'\"“”‘’()（）\[\]【】《》<>〈〉·•\-—_/|*#…~～]+")
_ENUM = re.compile(
    r"(?:(?P<cn>[一二三四五六七八九十]{1,2})\s*、)"
    r"|(?:\(\s*(?P<paren>[一二三四五六七八九十]{1,2})\s*\))"
    r"|(?:(?<![\d.])(?P<num>\d{1,2})\s*[.、．](?!\d))"
)


def squeeze(label: str) -> str:
    """Label text without whitespace or punctuation, NFKC-normalised."""
    return _PUNCT.sub("", nfkc(label))


def enumerator(label: str) -> tuple[tuple[str, str] | None, str]:
    """The label's last enumerator ((kind, value) or None) and the squeezed text after it."""
    s = nfkc(label)
    last = None
    for m in _ENUM.finditer(s):
        last = m
    if last is None:
        return None, squeeze(s)
    kind = last.lastgroup
    core = squeeze(s[last.end():])
    return (kind, last.group(kind)), core


def bigrams(s: str) -> frozenset[str]:
    if len(s) < 2:
        return frozenset({s}) if s else frozenset()
    return frozenset(s[i:i + 2] for i in range(len(s) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


class RowTemplate:
    """A template row: key, its own enumerator, and the label texts it is printed with."""

    def __init__(self, key: str, enum: tuple[str, str] | None, *variants: str):
        self.key = key
        self.enum = enum
        self.variants = tuple(squeeze(v) for v in variants)
        self.grams = tuple(bigrams(v) for v in self.variants)

    def score(self, enum: tuple[str, str] | None, core: str, grams: frozenset[str]) -> float:
        best = 0.0
        for v, g in zip(self.variants, self.grams):
            if core == v:
                best = 1.0
                break
            d = dice(grams, g)
            if v and len(core) >= 3 and core in v:
                d = max(d, 0.5 + 0.5 * len(core) / len(v))  # truncated label (`现行有效件`, `6.属于四类过程性信`)
            best = max(best, d)
        if enum is not None and self.enum is not None:
            if enum == self.enum:
                best += 0.25
            else:  # another row's enumerator: `(六)其他理` is not `3.其他`
                best -= 0.15
        return best


@lru_cache(maxsize=8192)
def label_scores(label: str, templates: tuple[RowTemplate, ...]) -> tuple[float, ...]:
    """Scores of one printed label against every template row (cached: labels repeat across reports)."""
    enum, core = enumerator(label)
    grams = bigrams(core)
    return tuple(t.score(enum, core, grams) for t in templates)
