"""Layout variants: every labelled truth re-rendered in the layouts real extractions produce must parse back exactly.

Documents come from the truth files only (tests/variant_docs.py); the parser never sees the corpus inputs here.
Each test runs one layout or quirk over every document and lists all documents that fail.
"""
from __future__ import annotations

import itertools
import random
import re
from dataclasses import replace
from zlib import crc32

import pytest

from parsers import parse_bytes, read_any
from parsers.evaluate import score
from tests import variant_docs as vd

TRUTHS = vd.load_truths()
COMPLETE = [(n, t) for n, t in TRUTHS if t.get("complete")]
# Blanks each layout can show. In one-cell-per-line layouts an empty line is an empty cell where the layout
# has no other empty lines (cell_lines, lone_sep); not shown (a human could not tell either): an empty
# space-separated cell is no cell at all, nor an empty line where empty lines also separate cells. The unbordered pipe layout prints empty blanks too: an empty
# last (`行政强制 | `) or first (` | 0`) cell is told from a border by the document's own rows.
BLANKS = {
    **{lay: ("", "/", "—", "－", "\u00a0", "\u3000") for lay in vd.DELIMITED},
    "cell_lines": ("", "/", "—", "－", "\u00a0", "\u3000"),
    "cell_lines_blank": ("/", "—", "－", "\u00a0", "\u3000"),
    "cell_pipe": ("/", "—", "－", "\u00a0"),
    "alt_pipe": ("/", "—", "－"),
    "lone_sep": ("", "/", "—"),
    "bar_open": ("", "/", "—"),
    "bar_label": ("", "/", "—"),
    "blank_lines": ("", "/", "—", "\u00a0"),
    "spaces": ("/", "—", "－"),
    "single_space": ("/", "—", "－"),
}


def visible_blank(opts: vd.Opts, layout: str) -> vd.Opts:
    """Seed 003 indents one-value lines with a tab (`\t0`), so `\t\t\t\t0` (four empty cells and a value,
    as a 5-cell t4 group row or a t3 row printed without its label prints) cannot be told from indentation:
    those layouts print blanks visibly."""
    if opts.blank == "" and layout in ("tab", "row_blank") and (opts.t4_shape != "row" or opts.lost_labels):
        return replace(opts, blank="\u00a0")
    return opts


def seed(*parts: object) -> int:
    return crc32("|".join(map(str, parts)).encode())


def describe(opts: vd.Opts) -> str:
    """The quirks that differ from the defaults, for failure messages."""
    return " ".join(f"{k}={v!r}" for k, v in vars(opts).items() if v != getattr(vd.Opts(), k))


def mismatches(text: str | bytes, truth: dict, source: str = "v.txt") -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    report = parse_bytes(data, source, "text/html" if source.endswith(".html") else None)
    return score(source, {"meta": {}, "metrics": truth}, {}, report.metrics).mismatches[:4]


def rotated(docs: list, offset: int, per_doc: int = 3) -> list[tuple[str, str, dict]]:
    """(layout, name, truth): every document in `per_doc` layouts, rotating so every layout meets every quirk."""
    n = len(vd.LAYOUTS)
    return [(vd.LAYOUTS[(i * per_doc + k + offset) % n], name, truth)
            for i, (name, truth) in enumerate(docs) for k in range(per_doc)]


def run_text(layout: str | None, opts: vd.Opts, docs=TRUTHS, derive=None, offset: int = 0) -> list[str]:
    """Render and parse each document in `layout` (or, when None, in rotated layouts); the failures."""
    cases = [(layout, n, t) for n, t in docs] if layout else rotated(docs, offset)
    failures = []
    for layout, name, truth in cases:
        s = seed(name, layout, opts)
        if derive:
            truth = derive(truth, random.Random(s))
        o = replace(opts, blank=random.Random(s).choice(BLANKS[layout])) if not opts.blank else opts
        o = visible_blank(o, layout)
        doc = vd.build_doc(name, truth, o, s)
        segs = vd.render_text(doc, layout, o, s)
        bad = mismatches(vd.join(segs), vd.truth_of(segs))
        if bad:
            failures.append(f"{name} [{layout} {describe(o)} {derive.__name__ if derive else ''}]: {bad}")
    return failures


@pytest.mark.parametrize("layout", vd.LAYOUTS)
def test_layout(layout: str) -> None:
    failures = run_text(layout, vd.Opts())
    assert not failures, "\n".join(failures)


def empty_blank(layout: str) -> str:
    """The emptiest blank the layout can show: an empty cell where delimiters keep it, else `/`."""
    return "" if "" in BLANKS[layout] else "/"


@pytest.mark.parametrize("shape", ["groups", "blocks"])
@pytest.mark.parametrize("layout", vd.LAYOUTS)
def test_t4_shape_every_document(layout: str, shape: str) -> None:
    """Table 4 in groups/blocks with empty blanks, over every document, cut-off ones included (real/r034: a
    table 3 of one labelled row, 四、结转下年度继续办理, before a table 4 in groups)."""
    failures = []
    for name, truth in TRUTHS:
        opts = visible_blank(vd.Opts(t4_shape=shape, blank=empty_blank(layout)), layout)
        s = seed(name, layout, opts)
        segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
        if ends_blank(segs, truth):  # real2/n099: cut right after blank cells, which must show to be known
            opts = replace(opts, blank="/")
            segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
        bad = mismatches(vd.join(segs), vd.truth_of(segs))
        if bad:
            failures.append(f"{name} [{layout} {describe(opts)}]: {bad}")
    assert not failures, "\n".join(failures)


def ends_blank(segs: list[vd.Seg], truth: dict) -> bool:
    """A cut-off document whose last printed cell is blank: an empty one is lost in the cut (see vd.cut_points)."""
    last = [sg for sg in segs if sg.key][-1:]
    return not truth.get("complete") and bool(last) and last[0].value is None


QUIRKS = {
    "fullwidth": vd.Opts(fullwidth=True),
    "halfwidth_enum": vd.Opts(halfwidth_enum=True),
    "thousands": vd.Opts(thousands=True),
    "vertical_columns": vd.Opts(vertical_t4="columns"),
    "vertical_chars": vd.Opts(vertical_t4="chars"),
    "vertical_spaced": vd.Opts(vertical_t4="spaced"),
    "spaced_labels": vd.Opts(spaced_labels=True),
    "split_labels": vd.Opts(split_labels=True),
    "header_order_1": vd.Opts(header_order=1),
    "header_order_2": vd.Opts(header_order=2),
    "t4_groups": vd.Opts(t4_shape="groups"),
    "t4_blocks": vd.Opts(t4_shape="blocks"),
    "typos": vd.Opts(typos=True),
    "page_breaks": vd.Opts(page_breaks=True),
    "lost_labels": vd.Opts(lost_labels=True),
}


@pytest.mark.parametrize("quirk", QUIRKS)
def test_quirk(quirk: str) -> None:
    failures = run_text(None, QUIRKS[quirk], COMPLETE, offset=list(QUIRKS).index(quirk))
    assert not failures, "\n".join(failures)


def with_nulls(truth: dict, rnd: random.Random) -> dict:
    """Some printed values become printed blanks (derived truth: the renderer prints what this says)."""
    m = {k: (None if rnd.random() < 0.2 else v) for k, v in truth["metrics"].items()}
    return {**truth, "metrics": m}


def scaled(truth: dict, rnd: random.Random) -> dict:
    """Large numbers (×1297 keeps every sum) so thousands separators appear."""
    m = {k: (v * 1297 if isinstance(v, int) else v) for k, v in truth["metrics"].items()}
    return {**truth, "metrics": m}


def decimals(truth: dict, rnd: random.Random) -> dict:
    """Small fee amounts (0.0325 万元) and fractional procurement totals."""
    m = dict(truth["metrics"])
    for key, value in (("t2.fees.amount", 0.0325), ("t2.procurement.amount", 1295.5)):
        if key in m:
            m[key] = value
    return {**truth, "metrics": m}


@pytest.mark.parametrize("derive,opts", [(with_nulls, vd.Opts()), (scaled, vd.Opts(thousands=True)),
                                         (decimals, vd.Opts(thousands=True)), (decimals, vd.Opts())],
                         ids=["nulls", "thousands", "decimals_sep", "decimals"])
def test_derived_truth(derive, opts: vd.Opts) -> None:
    failures = run_text(None, opts, COMPLETE, derive, offset=len(derive.__name__))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("layout", vd.LAYOUTS)
def test_cut_off(layout: str) -> None:
    """Cut after a printed value: rows printed whole are kept, a partial row keeps its printed cells."""
    failures = []
    for name, truth in TRUTHS:
        s = seed(name, layout, "cut")
        rnd = random.Random(s)
        opts = vd.Opts(blank=rnd.choice(BLANKS[layout]))
        segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
        for i in vd.cut_points(segs, rnd, 3):
            text, expect = vd.cut(segs, i, rnd, layout in vd.LINE_LAYOUTS)
            bad = mismatches(text, expect)
            if bad:
                failures.append(f"{name} [{layout} cut after {segs[i].key}]: {bad}")
    assert not failures, "\n".join(failures)


HTML_QUIRKS = {"plain": vd.Opts(), "vertical_t4": vd.Opts(vertical_t4="chars"), "split": vd.Opts(split_labels=True),
               "blanks": vd.Opts(blank=""),
               "numbers": vd.Opts(fullwidth=True, thousands=True, comma="，", units=True)}  # `１，２９５件`, `０（无）`


@pytest.mark.parametrize("quirk", HTML_QUIRKS)
@pytest.mark.parametrize("markup", vd.MARKUPS)
def test_html_markup(markup: str, quirk: str) -> None:
    failures = []
    for name, truth in COMPLETE:
        s = seed(name, markup, quirk)
        if quirk == "blanks":
            truth = with_nulls(truth, random.Random(s))
        elif quirk == "numbers":  # large enough to print separators
            truth = scaled(truth, random.Random(s))
        opts = HTML_QUIRKS[quirk]
        doc = vd.build_doc(name, truth, opts, s)
        bad = mismatches(vd.render_html(doc, markup, opts, s), doc.truth, "v.html")
        if bad:
            failures.append(f"{name} [{markup}/{quirk}]: {bad}")
    assert not failures, "\n".join(failures)


def random_opts(rnd: random.Random) -> vd.Opts:
    """Several quirks at once, as a real extraction would combine them.

    Typos and wrapped labels are not stacked: a dropped character plus a wrap can leave a fragment that IS
    another row's whole label (`（六` / `）` / `其他` / `理` from `（六）其他理` reads as 3.其他 — ambiguous).
    """
    pick = lambda *xs: rnd.choice(xs)  # noqa: E731
    split = rnd.random() < 0.4
    return vd.Opts(fullwidth=rnd.random() < 0.3, halfwidth_enum=rnd.random() < 0.5, thousands=rnd.random() < 0.3,
                   vertical_t4=pick("", "", "columns", "chars", "spaced"), spaced_labels=rnd.random() < 0.2,
                   split_labels=split, header_order=pick(0, 0, 1, 2), t4_shape=pick("row", "groups", "blocks"),
                   typos=not split and rnd.random() < 0.5, page_breaks=rnd.random() < 0.3,
                   lost_labels=rnd.random() < 0.2)


@pytest.mark.parametrize("layout", vd.LAYOUTS)
def test_combined_quirks(layout: str) -> None:
    failures = []
    for round_ in range(4):
        for name, truth in COMPLETE:
            s = seed(name, layout, "combined", round_)
            rnd = random.Random(s)
            if rnd.random() < 0.4:
                truth = with_nulls(truth, rnd)
            opts = visible_blank(replace(random_opts(rnd), blank=rnd.choice(BLANKS[layout])), layout)
            segs = vd.render_text(vd.build_doc(name, truth, opts, s), layout, opts, s)
            bad = mismatches(vd.join(segs), vd.truth_of(segs))
            if bad:
                failures.append(f"{name} [{layout} {describe(opts)} round {round_}]: {bad}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------------------ tables printed without numbers

def no_numbers(truth: dict, rnd: random.Random) -> dict:
    """Every cell printed blank: the rows are there, their cells empty."""
    return {**truth, "metrics": {k: None for k in truth["metrics"]}}


@pytest.mark.parametrize("layout", vd.LAYOUTS)
def test_tables_without_numbers(layout: str) -> None:
    """Labels and no number at all, blanks as empty as the layout prints them (in one-cell-per-line layouts:
    nothing, only the labels): every printed row comes back with its keys present and null. Space-separated
    layouts and the unbordered pipe layout print `/`: with no number anywhere, an empty space-separated cell
    is no cell, and an unbordered row's empty last cell cannot be told from a border."""
    failures = []
    for name, truth in COMPLETE:
        s = seed(name, layout, "no numbers")
        opts = visible_blank(vd.Opts(blank="/" if layout in ("spaces", "single_space", "pipe") else ""), layout)
        segs = vd.render_text(vd.build_doc(name, no_numbers(truth, random.Random(s)), opts, s), layout, opts, s)
        bad = mismatches(vd.join(segs), vd.truth_of(segs))
        if bad:
            failures.append(f"{name} [{layout}]: {bad}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------------------ digits glued to labels

# a one-label row (label ending in a CJK character, a closing quote or bracket) of printed integers
_GLUABLE = re.compile(r"^(?P<label>[^\t]*[\u4e00-\u9fff”’」』)）》])(?P<cells>(?:\t\d+)+)$")


def glued_readings(digits: str, n: int) -> set[tuple]:
    """Every reading of digits glued to a label as n cells: cut into k ≤ n numbers (no leading zeros),
    placed among the n columns, the others blank. Written apart from the parser, by brute force."""
    out: set[tuple] = set()
    for k in range(1, min(n, len(digits)) + 1):
        for cuts in itertools.combinations(range(1, len(digits)), k - 1):
            bounds = (0,) + cuts + (len(digits),)
            parts = [digits[a:b] for a, b in zip(bounds, bounds[1:])]
            if any(len(p) > 1 and p[0] == "0" for p in parts):
                continue
            for cols in itertools.combinations(range(n), k):
                row = [None] * n
                for c, p in zip(cols, parts):
                    row[c] = int(p)
                out.add(tuple(row))
    return out


def row_width(key: str) -> int:
    """The template's number of cells in the row of `key` (a cut-off row prints fewer)."""
    if key.startswith("t3."):
        return len(vd.T3_COLS)
    row, col = key.rsplit(".", 1)
    return next(len(cols) for sections in vd.T2.values() for _, _, members in sections
                for name, _, cols in members if f"t2.{name}" == row and col in cols)


def glue(segs: list[vd.Seg]) -> tuple[str, dict, set[str]]:
    """Tab rows of tables 2 and 3 whose cells are all printed non-negative integers, with the digits glued to the
    label (`规章000`); the truth keeps a glued row only where one reading exists, or (table 3) where its
    sum picks the one complete reading (those keys are expected in Report.inferred)."""
    expect = vd.truth_of(segs)
    inferred: set[str] = set()
    lines: list[tuple[str, list[str]]] = [("", [])]
    for seg in segs:  # the document's lines, each with the keys of the values printed on it
        parts = seg.text.split("\n")
        lines[-1] = (lines[-1][0] + parts[0], lines[-1][1] + ([seg.key] if seg.key else []))
        lines += [(p, []) for p in parts[1:]]
    out = []
    for line, keys in lines:
        m = _GLUABLE.match(line)
        if not m or not keys or not keys[0].startswith(("t2.", "t3.")):
            out.append(line)
            continue
        cells = m.group("cells").split("\t")[1:]
        digits = "".join(cells)
        out.append(m.group("label") + digits)
        readings = glued_readings(digits, row_width(keys[0]))
        if len(readings) == 1:
            continue
        if keys[0].startswith("t3."):
            summed = [r for r in readings if None not in r and sum(r[:-1]) == r[-1]]
            if len(cells) == len(vd.T3_COLS) and summed == [tuple(int(c) for c in cells)]:
                inferred.update(keys)
                continue
        for k in keys:
            del expect[k]
    return "\n".join(out), expect, inferred


def test_glued_digits() -> None:
    """`规章000`: split only where one reading exists or the row's own total picks the one complete reading
    (then the cells are inferred and no check counts as confirming them); otherwise the row is left out."""
    failures = []
    seen = {"glued": 0, "inferred": 0, "left out": 0}
    for name, truth in TRUTHS:
        s = seed(name, "glued")
        opts = vd.Opts(blank="/")
        segs = vd.render_text(vd.build_doc(name, truth, opts, s), "tab", opts, s)
        text, expect, inferred = glue(segs)
        report = parse_bytes(text.encode("utf-8"), "v.txt")
        bad = score("v.txt", {"meta": {}, "metrics": expect}, {}, report.metrics).mismatches[:4]
        seen["glued"] += text != vd.join(segs)
        seen["inferred"] += len(inferred)
        seen["left out"] += len(vd.truth_of(segs)) - len(expect)
        if bad or set(report.inferred) != inferred:
            failures.append(f"{name}: {bad} inferred {sorted(set(report.inferred) ^ inferred)[:4]}")
        printed = read_any(text.encode(), "v.txt").printed_numbers()
        invented = {v for v in report.metrics.values() if v is not None and abs(v) not in printed}
        if invented:
            failures.append(f"{name}: numbers not printed {sorted(invented)[:4]}")
        confirming = [c.name for c in report.checks if c.passed and inferred.intersection(c.values)]
        if confirming:
            failures.append(f"{name}: checks {confirming} confirm inferred cells")
    assert not failures, "\n".join(failures)
    assert seen["glued"] and seen["inferred"] and seen["left out"], seen  # the test meets all three cases
