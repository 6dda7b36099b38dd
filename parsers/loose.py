"""Loose numbers: table cells that a PDF-to-text extraction pushed out of their rows, put back only
where the document itself fixes their cell.

Why: extractions of PDF tables keep one-line cells in their row and push multi-line cells out as loose
lines near the table (`22` / `（其中修订 16 件）` printed above `| 规章 | 22 | 235 |`; a `1` floating two
rows above `| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 |  |`). Placing them by position alone would
be guessing, so each rule needs a second piece of evidence from the same document, and a cell stays as
the table printed it whenever the evidence is missing or points at more than one place:

* table 3: a row printed with its 总计 blank takes a loose number from the table (before table 4) when that number
  is the sum of the row's six applicant cells and the table's own column arithmetic (new + carried over
  = handled + carried forward, or the result rows adding up to (七)总计) holds with it, and no other
  loose number fits the same way;
* table 2: a 规章 / 规范性文件 row one cell short takes the loose number whose note says what the
  本年废止件数 column counts (废止, 失效, 修订 …): the k-th such number goes to the k-th short row, and
  only when their counts agree.
"""
from __future__ import annotations

import re

from parsers.cells import VALUE, Token, nfkc
from parsers.checks import table_checks
from parsers.labels import squeeze
from parsers.tables import T2_COLUMNS, T3_COLUMNS, Run, TableResult, t2_row

# the note of a 本年废止件数 cell: `（其中修订 16 件）`, `（含自然失效 29 件）`, `(宣布失效3件)`
_REPEAL_NOTE = re.compile(r"^\s*\([^()]{0,30}(?:废止|失效|修订|修改|废除|撤销)[^()]{0,30}\)\s*$")
_T2_START = ("主动公开政府信息情况", "第二十条")
_APPLICANTS = T3_COLUMNS[:-1]


def place_loose_numbers(tables: TableResult) -> None:
    """Put the loose numbers the document confirms back into their cells (tables 2 and 3)."""
    _place_t3_totals(tables)
    _place_t2_repealed(tables)


def _loose(run: Run) -> Token | None:
    """The run's number when the run is one lone, unplaced value."""
    if run.used or len(run.cells) != 1 or run.cells[0].kind != VALUE:
        return None
    return run.cells[0]


def _place_t3_totals(tables: TableResult) -> None:
    runs, metrics = tables.runs, tables.metrics
    placed = [i for i, r in enumerate(runs) if (r.row or "").startswith("t3.")]
    if not placed:
        return
    end = next((i for i, r in enumerate(runs) if r.row == "t4"), len(runs))  # a loose cell may trail the last row
    loose = [r for r in runs[placed[0]:max(end, placed[-1])] if _loose(r) is not None]
    for run in runs[placed[0]:placed[-1] + 1]:
        if not (run.row or "").startswith("t3."):
            continue
        total = f"{run.row}.total"
        parts = [metrics.get(f"{run.row}.{c}") for c in _APPLICANTS]
        if total not in metrics or metrics[total] is not None or any(p is None for p in parts):
            continue
        fitting = [r for r in loose
                   if not r.used and r.cells[0].value == sum(parts) and _confirmed(metrics, total, r.cells[0].value)]
        if len(fitting) == 1:
            metrics[total] = fitting[0].cells[0].value
            fitting[0].used, fitting[0].row = True, run.row


def _confirmed(metrics: dict, key: str, value: int | float) -> bool:
    """The table's column arithmetic, other than the row's own sum, holds with `key` set to `value`."""
    trial = {**metrics, key: value}
    verdicts = [c.passed for c in table_checks(trial) if key in c.values and not c.name.startswith("t3.row.")]
    return True in verdicts and False not in verdicts


def _place_t2_repealed(tables: TableResult) -> None:
    columns = T2_COLUMNS.get(tables.t2_format or "")
    if not columns or "repealed" not in columns.get("rules", ()):
        return
    runs, metrics = tables.runs, tables.metrics
    start = next((i for i, r in enumerate(runs) if any(s in squeeze("".join(r.labels)) for s in _T2_START)), None)
    if start is None:
        return
    short: list[tuple[Run, str]] = []
    noted: list[Run] = []
    for i in range(start, len(runs)):
        run = runs[i]
        if (run.row or "").startswith("t3."):
            break
        one_short = len(run.cells) == len(columns["rules"]) - 1 and all(c.kind == VALUE for c in run.cells)
        key = t2_row(run) if one_short and not run.used else None
        if key in ("rules", "normative") and f"t2.{key}.issued" not in metrics:
            short.append((run, key))
            continue
        nxt = runs[i + 1] if i + 1 < len(runs) else None
        if _loose(run) is not None and nxt is not None and nxt.labels and _REPEAL_NOTE.match(nfkc(nxt.labels[0])):
            noted.append(run)
    if not short or len(short) != len(noted):
        return
    for (run, key), extra in zip(short, noted):
        cells = run.cells[:1] + extra.cells + run.cells[1:]
        for col, tok in zip(columns[key], cells):
            metrics[f"t2.{key}.{col}"] = tok.value
        run.used, run.row = True, f"t2.{key}"
        extra.used, extra.row = True, f"t2.{key}"
        tables.found.add("t2")
