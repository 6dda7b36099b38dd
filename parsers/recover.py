"""Table recovery from flattened text: read the cell stream under every blank-cell convention the text
shows evidence of, align each reading to the template grid, and keep what the readings agree on.

Why: a flattening of a table marks an empty cell in one of several ways (a lone ` |` line, an empty
line, one more empty line, nothing between two lone `|` lines, or nothing at all when no row prints a
number), and the same marks are plain separators in other layouts. Each convention is a hypothesis
(parsers.cells.text_rows modes); the template grid (parsers.tables) accepts a row only when its cells
fit the row's width, so a wrong hypothesis places fewer numbers. One page has one flattening: the
readings that place the most numbers (then explain the most marks, then fill the most rows) are kept;
where they disagree on a cell, the table's own sums (parsers.checks) may choose one reading, whose
differing cells are then marked inferred; otherwise those cells are left out and a check says so. A
table printed with labels and no number at all is read as blank rows (`bare`) only when no reading
finds it and its header words are printed.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from parsers.cells import BLANK, Row, text_rows
from parsers.checks import table_checks
from parsers.loose import place_loose_numbers
from parsers.model import Check
from parsers.tables import TableResult, interpret, names_row

_TABLES = ("t2", "t3", "t4")
_EMPTY_LINE_MODES = ("empty", "lines")  # conventions whose blank mark (an empty line) never opens a row
_MARK_MODES = ("sep", "lines", "delim")  # conventions that read a lone separator as a blank cell
# the marks that make each convention worth reading: a lone separator line; empty lines
_LONE_SEPARATOR = re.compile(r"(?m)^[ \t]*\|[ \t\r]*$")
_SIGNS = {
    "sep": _LONE_SEPARATOR,
    "open": _LONE_SEPARATOR,
    "delim": _LONE_SEPARATOR,
    "empty": re.compile(r"\n[ \t\r]*\n[ \t\r]*\n"),
    "lines": re.compile(r"\n[ \t\r]*\n"),
}


def _read(text: str, mode: str, fallback_format: str | None, check_rows=None) -> TableResult:
    rows = text_rows(text, mode)
    result = interpret(check_rows(rows) if check_rows else rows, fallback_format, openers=mode == "open",
                       marks=mode in _MARK_MODES)
    place_loose_numbers(result)
    return result


def read_text_tables(text: str, fallback_format: str | None = None,
                     check_rows: Callable[[list[Row]], list[Row]] | None = None) -> tuple[TableResult, list[Check]]:
    """Tables 2–4 of a text, and the checks that say where readings disagreed beyond the sums' help.
    `check_rows` may refuse a row stream too long to interpret (parsers.limits.check_rows).

    One page has one flattening: the conventions that read the whole document best (`_weight`) are kept;
    when they disagree on a cell, `_merge` lets the sums choose or leaves it out.
    """
    base = _read(text, "default", fallback_format, check_rows)
    readings, modes = [base], ["default"]
    if _unplaced_numbers(base) or _headed_but_missing(base, text) or _cut_row(base):  # else none reads more
        modes += [mode for mode, sign in _SIGNS.items() if sign.search(text)]
        readings += [_read(text, mode, fallback_format, check_rows) for mode in modes[1:]]
    weights = [_weight(r, m) for r, m in zip(readings, modes)] if len(readings) > 1 else [()]
    best = max(weights)
    top = [r for r, w in zip(readings, weights) if w == best]
    if all(r.metrics == top[0].metrics for r in top):
        result, notes = (base if weights[0] == best else top[0]), []
    else:
        result, notes = _merge(top)
    if _headed_but_missing(result, text):
        _take_bare(_read(text, "bare", fallback_format, check_rows), result)
    return result, notes


def _headed_but_missing(result: TableResult, text: str) -> bool:
    """A table whose header words the text prints was not read."""
    return any(table not in result.found and all(h in text for h in heads) for table, heads in _BARE_HEADS.items())


# a number after prose (a sentence end, a count stated in words) is a line broken at a number, not a cell
_PROSE = re.compile(r"[。;；]|\d\s*[件条篇个次项]")


def _unplaced_numbers(result: TableResult) -> bool:
    """Some number after a row label (or none) was placed nowhere: another reading might place it."""
    return any(not r.used and r.has_value and not (r.labels and _PROSE.search(r.labels[-1])) for r in result.runs)


def _cut_row(result: TableResult) -> bool:
    """The document ends inside a row it placed: where that row's blanks fall depends on the convention."""
    return bool(result.runs) and result.runs[-1].at_end and result.runs[-1].used


def _merge(readings: list[TableResult]) -> tuple[TableResult, list[Check]]:
    """The readings' tables key by key; where they disagree the sums choose, or the cells are left out."""
    merged = TableResult(runs=readings[0].runs, unsure=readings[0].unsure)
    notes: list[Check] = []
    for table in _TABLES:
        _merge_table(table, readings, merged, notes)
    return merged, notes


def _weight(result: TableResult, mode: str) -> tuple[int, int, int, int]:
    """Numbers placed, then fewest blank marks left unexplained (read as cells, placed nowhere), then rows
    placed, then blank cells read before a row's last number (a mark read as the blank it is, in a row cut
    off at the document's end; a lone `|` before a row's first number may as well be the mark opening it,
    an empty line in the empty-line conventions may not)."""
    values = sum(1 for v in result.metrics.values() if v is not None)
    blanks = sum(1 for r in result.runs for c in r.cells if c.kind == BLANK)
    stray = blanks - sum(1 for v in result.metrics.values() if v is None)
    rows: dict[str, list] = {}
    for key, value in result.metrics.items():
        rows.setdefault(key.rsplit(".", 1)[0] if not key.startswith("t4.") else "t4", []).append(value)
    inner = 0
    for cells in rows.values():
        printed = [i for i, v in enumerate(cells) if v is not None]
        if printed:
            start = 0 if mode in _EMPTY_LINE_MODES else printed[0]
            inner += sum(1 for v in cells[start:printed[-1]] if v is None)
    return values, -stray, len(rows), inner


def _part(result: TableResult, table: str) -> dict:
    return {k: v for k, v in result.metrics.items() if k.startswith(table + ".")}


def _merge_table(table: str, readings: list[TableResult], merged: TableResult, notes: list[Check]) -> None:
    top = [(r, _part(r, table)) for r in readings]
    if not any(p for _, p in top):
        return
    first, values = top[0]
    differing = sorted({k for _, p in top for k in p if p.get(k) != values.get(k) or k not in values})
    chosen = first
    if differing:
        scored = sorted(((_sums_score(p), i) for i, (_, p) in enumerate(top)), reverse=True)
        if len(scored) > 1 and scored[0][0] > scored[1][0]:
            chosen, values = top[scored[0][1]]
            merged.inferred.update(k for k in differing if k in values)
        else:
            values = {k: v for k, v in values.items() if k not in differing}
            notes.append(Check(f"{table}.reading", None,
                               f"cells left out: the text's blank-cell marks allow {len(top)} readings of {table} "
                               f"that the table's sums do not tell apart ({', '.join(differing[:6])}"
                               f"{' …' if len(differing) > 6 else ''})", {}))
    merged.metrics.update(values)
    merged.inferred.update(k for k in chosen.inferred if k in values)
    if table in chosen.found:
        merged.found.add(table)
    if table == "t2":
        merged.t2_format = chosen.t2_format
    elif table == "t3":
        merged.t3_format = chosen.t3_format


def _sums_score(metrics: dict) -> int:
    """Checks of one table's reading that hold, minus those that fail."""
    verdicts = [c.passed for c in table_checks(metrics)]
    return verdicts.count(True) - verdicts.count(False)


# header words a table prints even without numbers: no bare reading of a table whose header is not there
_BARE_HEADS = {"t2": ("信息内容",), "t3": ("申请人情况",), "t4": ("维持", "纠正", "审结")}
_BARE_ROWS = 2     # a table printed without numbers shows at least this many row labels
_BARE_NAMED = 0.9  # and each of them names its row (no gap fill, no loose resemblance)


def _take_bare(bare: TableResult, merged: TableResult) -> None:
    """A table no reading found, printed with its row labels and no number: its rows, every cell blank.
    Only rows named outright count; a heading in prose that resembles a row label is not a table."""
    for table in _TABLES:
        part = _part(bare, table)
        if table in merged.found or not part or any(v is not None for v in part.values()):
            continue
        placed = [r for r in bare.runs if (r.row or "").startswith(table + ".")]
        if (table != "t4" and len(placed) < _BARE_ROWS) or (table == "t3" and not all(
                names_row(r, r.row.split(".")[1], bare.t3_format) >= _BARE_NAMED for r in placed)):
            continue
        merged.metrics.update(part)
        merged.found.add(table)
        if table == "t2":
            merged.t2_format = bare.t2_format
        elif table == "t3":
            merged.t3_format = bare.t3_format
