"""Variant kinds real portals produce beyond the layouts and quirks of test_parser_variants: cells with units or
notes (`3件`, `0（无）`), the full-width thousands separator (`1，295`), table 3's 法人 columns in another order,
table 3 in the other template than table 2, Word's merged label cells left behind as empty cells, pre-2019
reports with figures only in prose or an old 统计表. Each kind is rendered from every labelled truth; every kind
must parse back exactly, and nothing may ever come back as a wrong number (a cell the parser cannot place is
left out; bench/parse_stress.py stacks these kinds on the other quirks).
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from parsers import parse_bytes
from parsers.evaluate import score
from tests import test_parser_variants as tv
from tests import variant_docs as vd

Case = tuple[str, bytes, str, dict]
# table 3's five 法人 columns printed in another order: swaps, a rotation, reversed
T3_ORDERS = ((1, 0, 2, 3, 4), (0, 1, 2, 4, 3), (4, 0, 1, 2, 3), (4, 3, 2, 1, 0))


def text_cases(opts: vd.Opts, label: str, derive=None, docs=tv.TRUTHS) -> Iterator[Case]:
    """Every document in every text layout under `opts` (blanks as each layout shows them)."""
    for (name, truth), layout in itertools.product(docs, vd.LAYOUTS):
        s = tv.seed(name, layout, label)
        t = derive(truth, random.Random(s)) if derive else truth
        o = tv.visible_blank(replace(opts, blank=random.Random(s).choice(tv.BLANKS[layout])), layout)
        segs = vd.render_text(vd.build_doc(name, t, o, s), layout, o, s)
        yield f"{name} [{layout} {label}]", vd.join(segs).encode(), "v.txt", vd.truth_of(segs)


def units_cases() -> Iterator[Case]:
    yield from text_cases(vd.Opts(units=True), "units")


def comma_cases() -> Iterator[Case]:
    yield from text_cases(vd.Opts(thousands=True, comma="，"), "full-width comma", tv.scaled, tv.COMPLETE)


def t3_order_cases() -> Iterator[Case]:
    for order in T3_ORDERS:
        yield from text_cases(vd.Opts(t3_order=order), f"t3 columns {order}", docs=tv.COMPLETE)


_T3_OTHERS_2021 = ("other_no_correction", "other_no_fee", "other_other")


def flip_t3_template(truth: dict, rnd: random.Random) -> dict:
    """Table 3 in the other template than table 2 (hzq's PDFs: a 2021 table 2 beside a 2019 table 3): the three
    (六) rows of 2021 summed into 2019's one, or 2019's one printed as 2021's 3.其他 beside two zero rows."""
    m = dict(truth["metrics"])
    cols = vd.T3_COLS
    if any(k.startswith("t3.other_") for k in m):
        for c in cols:
            parts = [m.pop(f"t3.{r}.{c}", None) for r in _T3_OTHERS_2021]
            m[f"t3.other.{c}"] = None if all(p is None for p in parts) else sum(p or 0 for p in parts)
    elif any(k.startswith("t3.other.") for k in m):
        for c in cols:
            m[f"t3.other_other.{c}"] = m.pop(f"t3.other.{c}")
            m[f"t3.other_no_correction.{c}"] = m[f"t3.other_no_fee.{c}"] = 0
    return {**truth, "metrics": m}


def mixed_cases() -> Iterator[Case]:
    yield from text_cases(vd.Opts(), "t3 in the other template", flip_t3_template, tv.COMPLETE)


def unmerged_cases() -> Iterator[Case]:
    for (name, truth), quirk in itertools.product(tv.COMPLETE, tv.HTML_QUIRKS):
        s = tv.seed(name, "unmerged", quirk)
        t = tv.with_nulls(truth, random.Random(s)) if quirk == "blanks" else truth
        doc = vd.build_doc(name, t, tv.HTML_QUIRKS[quirk], s)
        yield f"{name} [unmerged/{quirk}]", vd.render_html(doc, "unmerged", tv.HTML_QUIRKS[quirk], s).encode(), \
            "v.html", doc.truth


def legacy_cases() -> Iterator[Case]:
    """Pre-2019 reports: no template table, so no cell at all (their figures go to meta.legacy)."""
    for (name, truth), layout in itertools.product(tv.TRUTHS, vd.LEGACY_LAYOUTS):
        yield f"{name} [legacy {layout}]", vd.build_legacy_text(truth, layout, tv.seed(name, layout)).encode(), \
            "v.txt", {}


KINDS = {"units": units_cases, "comma": comma_cases, "t3_order": t3_order_cases, "mixed": mixed_cases,
         "unmerged": unmerged_cases, "legacy": legacy_cases}


def wrong_values(truth: dict, metrics: dict) -> list[str]:
    """Numbers placed that the truth has otherwise (a cell left out is not wrong)."""
    out = [f"{k}: got {v!r}, truth {truth.get(k, 'absent')!r}" for k, v in metrics.items()
           if v is not None and (truth.get(k) is None or abs(truth[k] - v) > 1e-9)]
    return out + [f"{k}: got blank, truth {truth[k]!r}" for k, v in metrics.items()
                  if v is None and truth.get(k) is not None]


@pytest.mark.parametrize("kind", KINDS)
def test_variant_kind(kind: str) -> None:
    failures = []
    for case, data, source, truth in KINDS[kind]():
        report = parse_bytes(data, source, "text/html" if source.endswith(".html") else None)
        wrong = wrong_values(truth, report.metrics)
        bad = score(source, {"meta": {}, "metrics": truth}, {}, report.metrics).mismatches[:4]
        if wrong or bad:
            failures.append(f"{'WRONG ' if wrong else ''}{case}: {wrong[:4] or bad}")
    assert not failures, f"{len(failures)} failures\n" + "\n".join(failures[:40])
