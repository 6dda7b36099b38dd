"""Stress run of the parser on generated variants: every labelled truth × every text layout × every quirk.

The documents come from the truth files only (tests/variant_docs.py renders them); the parser never sees
the corpus inputs. Each case's cells are sorted into:
- wrong: a number placed in a cell that the truth has otherwise (a different value, or a value where the
  truth has a blank or no row) — the outcome a user cannot detect;
- left out: a truth cell the parse did not give (honest: the reader says it does not know);
- inferred: cells the table's own sums chose (Report.inferred), counted apart, right or wrong.

Usage: nice .venv/bin/python bench/parse_stress.py [--kinds text,html,combined,kinds,combined_kinds,cuts] [--rounds N] [--truths SUBSTR]
       [--show N]
Prints the totals per kind and the wrong cases first. Exit status 1 when any value is wrong.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers import parse_bytes  # noqa: E402
from tests import test_parser_variants as tv  # noqa: E402
from tests import test_variant_kinds as tk  # noqa: E402
from tests import variant_docs as vd  # noqa: E402

QUIRKS = {"plain": vd.Opts(), **tv.QUIRKS}


@dataclass
class Outcome:
    case: str
    wrong: list[str]
    left_out: list[str]
    inferred: int


def classify(case: str, data: bytes, source: str, truth: dict) -> Outcome:
    """Parse `data` and sort its cells against `truth` (key → value or None)."""
    content_type = "text/html" if source.endswith(".html") else None
    try:
        report = parse_bytes(data, source, content_type)
    except Exception as e:  # noqa: BLE001 — a crash is reported as every cell left out, with its reason
        return Outcome(f"{case} raised {e!r}", [], sorted(truth), 0)
    got = report.metrics
    return Outcome(case, tk.wrong_values(truth, got), [k for k in sorted(truth) if k not in got], len(report.inferred))


def text_cases(truths: list[tuple[str, dict]]):
    """(case, bytes, source, truth): each truth in each layout under each quirk, blanks as the layout shows them."""
    for name, truth in truths:
        for layout in vd.LAYOUTS:
            for qname, base in QUIRKS.items():
                s = tv.seed(name, layout, qname, "stress")
                opts = base if base.blank else replace(base, blank=random.Random(s).choice(tv.BLANKS[layout]))
                opts = tv.visible_blank(opts, layout)
                segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
                yield f"{name} [{layout} {qname} {tv.describe(opts)}]", vd.join(segs).encode(), "v.txt", vd.truth_of(segs)


def html_cases(truths: list[tuple[str, dict]]):
    """Each truth in each HTML markup under each HTML quirk."""
    for name, truth in truths:
        for markup in vd.MARKUPS:
            for qname, opts in tv.HTML_QUIRKS.items():
                s = tv.seed(name, markup, qname, "stress")
                t = {"blanks": tv.with_nulls, "numbers": tv.scaled}.get(qname, lambda t, _: t)(truth, random.Random(s))
                doc = vd.build_doc(name, t, opts, s)
                yield f"{name} [{markup}/{qname}]", vd.render_html(doc, markup, opts, s).encode(), "v.html", doc.truth


def combined_cases(truths: list[tuple[str, dict]], rounds: int = 10, kinds: bool = False):
    """Each truth in each layout, `rounds` times, with several quirks at once and (40%) some printed blanks:
    the combinations a real extraction stacks (tests/test_parser_variants.random_opts). With `kinds`, the
    further variant kinds stacked too (units, full-width comma, t3 column order)."""
    for round_ in range(rounds):
        for name, truth in truths:
            for layout in vd.LAYOUTS:
                s = tv.seed(name, layout, "combined", round_)
                rnd = random.Random(s)
                t = tv.with_nulls(truth, rnd) if rnd.random() < 0.4 else truth
                opts = tv.visible_blank(replace(tv.random_opts(rnd), blank=rnd.choice(tv.BLANKS[layout])), layout)
                if kinds:  # drawn after the others: the documents of the plain combined run stay as they are
                    opts = replace(opts, units=rnd.random() < 0.4, comma=rnd.choice((",", "，")),
                                   t3_order=rnd.choice(((),) + tk.T3_ORDERS))
                    if (opts.comma, opts.t3_order) != (",", ()) or opts.units:
                        opts = replace(opts, thousands=opts.thousands or opts.comma != ",")
                segs = vd.render_text(vd.build_doc(name, t, opts, s), layout, opts, s)
                yield (f"{name} [{layout} {tv.describe(opts)} round {round_}]", vd.join(segs).encode(), "v.txt",
                       vd.truth_of(segs))


def variant_kind_cases(truths: list[tuple[str, dict]]):
    """The further variant kinds (tests/test_variant_kinds.py: units, full-width comma, t3 column order, Word's
    unmerged cells, pre-2019 reports), over the truths given."""
    names = {n for n, _ in truths}
    for kind, cases in tk.KINDS.items():
        for case, data, source, truth in cases():
            if case.split(" [")[0] in names:
                yield f"{kind}: {case}", data, source, truth


def cut_cases(truths: list[tuple[str, dict]], points: int = 8):
    """Each truth in each layout with stacked quirks, cut after `points` printed values (a page that ends
    mid-table: a crawl's truncated body, a PDF's last page lost); the truth is what the cut text prints."""
    for name, truth in truths:
        for layout in vd.LAYOUTS:
            s = tv.seed(name, layout, "stress cut")
            rnd = random.Random(s)
            opts = tv.visible_blank(replace(tv.random_opts(rnd), blank=rnd.choice(tv.BLANKS[layout])), layout)
            segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
            for i in vd.cut_points(segs, rnd, points):
                text, expect = vd.cut(segs, i, rnd, layout in vd.LINE_LAYOUTS)
                yield f"{name} [{layout} {tv.describe(opts)} cut after {segs[i].key}]", text.encode(), "v.txt", expect


def combined_kinds_cases(truths: list[tuple[str, dict]], rounds: int = 10):
    yield from combined_cases(truths, rounds, kinds=True)


KINDS = {"text": text_cases, "html": html_cases, "combined": combined_cases, "kinds": variant_kind_cases,
         "combined_kinds": combined_kinds_cases, "cuts": cut_cases}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated: {', '.join(KINDS)}")
    ap.add_argument("--truths", default="", help="only truths whose name contains this")
    ap.add_argument("--show", type=int, default=30, help="cases listed per category")
    ap.add_argument("--rounds", type=int, default=10, help="rounds of stacked quirks (combined, combined_kinds)")
    args = ap.parse_args()
    truths = [(n, t) for n, t in vd.load_truths() if args.truths in n]
    any_wrong = False
    for kind in args.kinds.split(","):
        start = time.perf_counter()
        totals: Counter = Counter()
        wrong_cases, left_cases = [], []
        cases = KINDS[kind](truths, args.rounds) if kind.startswith("combined") else KINDS[kind](truths)
        for case, data, source, truth in cases:
            o = classify(case, data, source, truth)
            totals["cases"] += 1
            totals["cells"] += len(truth)
            totals["wrong"] += len(o.wrong)
            totals["left out"] += len(o.left_out)
            totals["inferred"] += o.inferred
            if o.wrong:
                wrong_cases.append(o)
            elif o.left_out:
                left_cases.append(o)
        secs = time.perf_counter() - start
        print(f"{kind}: {totals['cases']} cases, {totals['cells']} cells: {totals['wrong']} wrong in "
              f"{len(wrong_cases)} cases, {totals['left out']} left out in {len(left_cases)} more cases, "
              f"{totals['inferred']} inferred ({secs:.0f} s)")
        for o in wrong_cases[:args.show]:
            print(f"  WRONG {o.case}: {o.wrong[:4]}" + (f" (+{len(o.left_out)} left out)" if o.left_out else ""))
        for o in left_cases[:args.show]:
            print(f"  left out {o.case}: {len(o.left_out)} {o.left_out[:4]}")
        any_wrong |= bool(wrong_cases)
    return 1 if any_wrong else 0


if __name__ == "__main__":
    sys.exit(main())
