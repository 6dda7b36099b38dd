"""The table interpreter: value runs from a cell stream → canonical metric keys.

One interpreter for every input kind. A *run* is a maximal sequence of value/blank cells; the labels
printed before it (since the previous run) are its label window. Then:

* table 2 rows have distinctive names (规章, 行政许可, ...): a run whose nearest label names one is that row;
* table 3 rows are aligned to the template sequence by dynamic programming — label similarity
  scores each (run, row) pair, template order is the prior, so typo'd, truncated or floating labels
  still land on the right row, and an unlabelled run can only fill a gap between its neighbours;
  an enumerated label right before the values (`四、结转下年度继续办理`) names its row outright;
* table 4 is the value cells after table 3, read in template order (15 cells).

A run is assigned to a row only when its cells fit the row's column count (edge blanks trimmed);
a short run counts only at the very end of a cut-off document. Numbers are never invented; a loose
number is put into a row only where the document confirms its cell (parsers.loose).
"""
from __future__ import annotations

import re
from itertools import combinations, islice
from dataclasses import dataclass, field

from parsers.cells import BLANK, GAP, GLUED, LABEL, VALUE, Row, Token, to_number
from parsers.labels import RowTemplate, enumerator, label_scores, squeeze

T3_COLUMNS = ("natural", "commercial", "research", "social", "legal", "other", "total")
T4_GROUPS = ("review", "suit_direct", "suit_after_review")
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")

# ------------------------------------------------------------------------------ table 2
T2_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rules", ("规章",)),
    ("normative", ("规范性文件",)),
    ("licensing", ("行政许可",)),
    ("other_services", ("其他对外管理服务事项", "对外管理服务事项")),
    ("punishment", ("行政处罚",)),
    ("coercion", ("行政强制",)),
    ("fees", ("行政事业性收费",)),
    ("procurement", ("政府集中采购",)),
)
T2_COLUMNS = {
    "2021": {
        "rules": ("issued", "repealed", "in_force"),
        "normative": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "punishment": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("amount",),
    },
    "2019": {
        "rules": ("made", "published", "total"),
        "normative": ("made", "published", "total"),
        "licensing": ("prev_items", "change", "decisions"),
        "other_services": ("prev_items", "change", "decisions"),
        "punishment": ("prev_items", "change", "decisions"),
        "coercion": ("prev_items", "change", "decisions"),
        "fees": ("prev_items", "change"),
        "procurement": ("projects", "amount"),
    },
}
T2_MARKERS = {
    "2021": ("制发", "废止", "度止", "现行有效", "本年处理决定", "本年收费金额"),
    "2019": ("新制作", "制作数量", "新公开", "公开数量", "公开总数", "上一年项目", "增/减", "增减", "采购项目", "采购总金额", "对外管理服务"),
}

# ------------------------------------------------------------------------------ table 3
_T3_COMMON_HEAD = (
    RowTemplate("new", ("cn", "一"), "本年新收政府信息公开申请数量"),
    RowTemplate("carried_over", ("cn", "二"), "上年结转政府信息公开申请数量"),
    RowTemplate("granted", ("paren", "一"), "予以公开"),
    RowTemplate("partial", ("paren", "二"), "部分公开区分处理的只计这一情形不计其他情形", "部分公开"),
    RowTemplate("denied_secret", ("num", "1"), "属于国家秘密"),
    RowTemplate("denied_law", ("num", "2"), "其他法律行政法规禁止公开"),
    RowTemplate("denied_security", ("num", "3"), "危及三安全一稳定"),
    RowTemplate("denied_third_party", ("num", "4"), "保护第三方合法权益"),
    RowTemplate("denied_internal", ("num", "5"), "属于三类内部事务信息"),
    RowTemplate("denied_process", ("num", "6"), "属于四类过程性信息"),
    RowTemplate("denied_enforcement", ("num", "7"), "属于行政执法案卷"),
    RowTemplate("denied_query", ("num", "8"), "属于行政查询事项"),
    RowTemplate("unable_not_held", ("num", "1"), "本机关不掌握相关政府信息"),
    RowTemplate("unable_need_create", ("num", "2"), "没有现成信息需要另行制作"),
    RowTemplate("unable_unclear", ("num", "3"), "补正后申请内容仍不明确"),
    RowTemplate("rejected_petition", ("num", "1"), "信访举报投诉类申请"),
    RowTemplate("rejected_duplicate", ("num", "2"), "重复申请"),
    RowTemplate("rejected_publication", ("num", "3"), "要求提供公开出版物"),
    RowTemplate("rejected_mass", ("num", "4"), "无正当理由大量反复申请"),
    RowTemplate("rejected_confirm", ("num", "5"), "要求行政机关确认或重新出具已获取信息"),
)
_T3_TAIL = (
    RowTemplate("handled_total", ("paren", "七"), "总计"),
    RowTemplate("carried_forward", ("cn", "四"), "结转下年度继续办理"),
)
T3_ROWS = {
    "2019": _T3_COMMON_HEAD + (RowTemplate("other", ("paren", "六"), "其他处理"),) + _T3_TAIL,
    "2021": _T3_COMMON_HEAD + (
        RowTemplate("other_no_correction", ("num", "1"), "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请"),
        RowTemplate("other_no_fee", ("num", "2"), "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请"),
        RowTemplate("other_other", ("num", "3"), "其他"),
    ) + _T3_TAIL,
}
_MATCH = 0.5     # a label this similar names the row
_NAMED = 1.2     # the nearest label is a row's label with its enumerator (`四、结转…`): only rows it matches take the run
_PLACED = 1.0    # every run placed counts most: a complete table beats one that follows a floating label
_INNER_SKIP = 0.05  # tie-break between formats: (六)其他处理 as one row (2019) vs three (2021)
_GAP_FILL = 0.3  # an unlabelled (or unreadably labelled) run fills a template gap between its neighbours
_T4_HEADER_CHARS = frozenset("维持纠正审结复议诉讼尚未")
_CONTINUATION = frozenset(")）、.．")
_SECTION_END = ("存在的主要问题", "其他需要报告", "改进情况")


@dataclass
class Run:
    labels: list[str]
    cells: list[Token]
    at_end: bool = False
    used: bool = False
    inline: bool = False  # started after a label on the same row (`行政复议\t\t\t`: a header's padding)
    row: str | None = None  # the row it was read as (`t2.rules`, `t3.granted`, `t4`), once placed
    before: list[str] = field(default_factory=list)  # every label since the previous run (`labels`: the last few)
    tail: list[str] = field(default_factory=list)  # the document's last run: the labels printed after it

    @property
    def has_value(self) -> bool:
        return any(c.kind == VALUE for c in self.cells)

    @property
    def printed(self) -> bool:
        """Some cell is a number or a visible blank mark (`/`, `—`): a data row, not header padding."""
        return any(c.kind == VALUE or c.text for c in self.cells)


@dataclass
class TableResult:
    metrics: dict[str, int | float | None] = field(default_factory=dict)
    t2_format: str | None = None
    t3_format: str | None = None
    found: set[str] = field(default_factory=set)  # "t2" / "t3" / "t4"
    runs: list[Run] = field(default_factory=list)  # every run in document order, placed ones marked (parsers.loose)
    inferred: set[str] = field(default_factory=set)  # keys placed by the document's own sums choosing a reading
    unsure: list[str] = field(default_factory=list)  # cells left out because no reading was certain, and why


def build_runs(rows: list[Row], window: int = 16) -> list[Run]:
    runs: list[Run] = []
    pending: list[str] = []
    current: Run | None = None
    for row in rows:
        if row.multi:
            current = None
        labelled = False
        for tok in row.tokens:
            if tok.kind == LABEL:
                current = None
                labelled = True
                pending.append(tok.text)
                continue
            if current is None:
                current = Run(labels=pending[-window:], cells=[], inline=labelled and row.multi, before=pending)
                runs.append(current)
                pending = []
            current.cells.append(tok)
        if row.multi:
            current = None
    if runs:
        runs[-1].at_end, runs[-1].tail = not pending, pending
    return runs


def fit(run: Run, n: int, overflow: bool = False, summed: bool = False) -> list[Token] | None:
    """The run's cells as exactly n columns, or None when the layout does not support it.

    A short run fits only at the very end of a cut-off document. A long run never fits a row (it is
    another table's row, e.g. table 4's 15 cells after the last table-3 row), except at the document
    end: one extra cell is the enumerator of a cut-off next label (`… 0\n\n2`), and with `overflow`
    any excess is stray numbers after table 4 (page numbers, a signature date). Glued digits
    (`规章000`) are split by `split_glued`; `summed` says the last column is the sum of the others.
    """
    cells = run.cells
    if len(cells) == 1 and cells[0].kind == GAP:
        return [Token(BLANK, "")] * n  # a row printed without numbers: every cell blank
    if any(c.kind in (GLUED, GAP) for c in cells):
        return split_glued(cells[0].text, n, summed) if len(cells) == 1 and cells[0].kind == GLUED else None
    if len(cells) == n:
        return cells
    if len(cells) > n:
        c = list(cells)
        while len(c) > n and c[-1].kind == BLANK:
            c.pop()
        while len(c) > n and c[0].kind == BLANK:
            c.pop(0)
        if len(c) == n:
            return c
        return c[:n] if run.at_end and (overflow or len(c) == n + 1) else None
    if run.at_end:  # an empty last cell may be the cut's doing; a printed mark (`/`, `—`) is a cell
        while cells and cells[-1].kind == BLANK and not cells[-1].text:
            cells = cells[:-1]
        return cells or None
    return None


_MAX_GLUED = 16  # longer digit runs are not a row of cells (and their readings are too many to weigh)


def _numbers(digits: str, k: int):
    """Every way to cut `digits` into k printed numbers (no leading zeros: `00` is two cells)."""
    if k == 1:
        if digits and (digits == "0" or digits[0] != "0"):
            yield (digits,)
        return
    for i in range(1, len(digits) - k + 2):
        head = digits[:i]
        if head == "0" or head[0] != "0":
            for rest in _numbers(digits[i:], k - 1):
                yield (head,) + rest


def _glued_readings(digits: str, n: int):
    """(numbers, the columns they take) for every reading of glued digits as n cells."""
    for k in range(1, min(n, len(digits)) + 1):
        for parts in _numbers(digits, k):
            for cols in combinations(range(n), k):
                yield parts, cols


def split_glued(digits: str, n: int, summed: bool = False) -> list[Token] | None:
    """Digits glued to a row label as the row's n cells, when only one reading exists.

    A reading cuts the digits into k ≤ n numbers and places them among the n columns (the others blank).
    One reading: it is the row. Several: with `summed` (the last column is the sum of the others) the one
    complete reading whose sum holds is taken, its cells marked inferred; otherwise the row is left out.
    """
    if not digits or len(digits) > _MAX_GLUED:
        return None
    first = list(islice(_glued_readings(digits, n), 2))
    if len(first) == 1:
        (parts, cols), = first
        row = [Token(BLANK, "")] * n
        for p, c in zip(parts, cols):
            row[c] = Token(VALUE, p, to_number(p))
        return row
    if not summed:
        return None
    fitting = [parts for parts in _numbers(digits, n)
               if sum(int(p) for p in parts[:-1]) == int(parts[-1])]
    if len(fitting) != 1:
        return None
    return [Token(VALUE, p, to_number(p), inferred=True) for p in fitting[0]]


def _put(metrics: dict, prefix: str, columns: tuple[str, ...], cells: list[Token],
         inferred: set[str] | None = None) -> None:
    for col, tok in zip(columns, cells):
        metrics[f"{prefix}.{col}"] = tok.value if tok.kind == VALUE else None
        if tok.inferred and inferred is not None:
            inferred.add(f"{prefix}.{col}")


# ------------------------------------------------------------------------------ table 2

_NOTE = re.compile(r"[(（][^()（）]*[)）]")
_T2_HEADER_REACH = 8  # runs before the first table-2 row that may hold its column headers
_T2_JOIN = 10  # a row name wrapped over this many lines at most (`其` / `他` / `对` / … / `项`: one character a line)


def t2_row(run: Run) -> str | None:
    """The table-2 row named by the run's nearest label, or by its last few labels joined (`行政\n许可`).
    A note in brackets (`规章(设区的市、自治州人民政府应提供相关数据)`) is not part of the name."""
    for k in range(1, _T2_JOIN + 1):
        if len(run.labels) < k:
            break
        label = squeeze(_NOTE.sub("", "".join(run.labels[-k:])))
        for key, names in T2_ROWS:
            for name in names:
                if name in label and len(label) <= len(name) + 8:
                    return key
        for key, pattern, size in _T2_TYPOS:
            if len(label) <= size + 8 and pattern.search(label):
                return key
    return None


def _typo_pattern(name: str) -> re.Pattern[str]:
    """`name` with one character dropped or misprinted (`行政许`, `行政处法`)."""
    alts = {re.escape(name[:i]) + re.escape(name[i + 1:]) for i in range(len(name))}
    alts |= {re.escape(name[:i]) + "." + re.escape(name[i + 1:]) for i in range(len(name))}
    return re.compile("|".join(sorted(alts, key=len, reverse=True)))


# names long enough that one wrong character still leaves them unmistakable
_T2_TYPOS = tuple((key, _typo_pattern(name), len(name)) for key, names in T2_ROWS for name in names if len(name) >= 4)


def _t2_format(runs: list[tuple[Run, str]], headers: list[str]) -> str | None:
    """The table-2 format by its column headers (in the rows' label windows and the label-only runs
    around them: a header row with a padding cell is a run of its own) or the decision rows' widths."""
    votes = {"2021": 0, "2019": 0}
    for text in headers:
        for fmt, markers in T2_MARKERS.items():
            votes[fmt] += sum(1 for m in markers if m in squeeze(text))
    for run, key in runs:
        text = squeeze("".join(run.labels))
        for fmt, markers in T2_MARKERS.items():
            votes[fmt] += sum(1 for m in markers if m in text)
        if key == "other_services" or key == "procurement":
            votes["2019"] += 2
    if votes["2021"] != votes["2019"]:
        return max(votes, key=votes.get)
    # headers unreadable: the decision rows tell (2021: one value; 2019: three)
    for run, key in runs:
        if key in ("licensing", "punishment", "coercion"):
            n = sum(1 for c in run.cells if c.kind == VALUE)
            if n >= 2:
                return "2019"
            if n == 1:
                return "2021"
    return None


def _index(runs: list[Run], run: Run) -> int:
    return next(i for i, r in enumerate(runs) if r is run)


def read_t2(runs: list[Run], result: TableResult, fallback_format: str | None) -> None:
    found: list[tuple[Run, str]] = []
    seen: set[str] = set()
    for run in runs:
        key = t2_row(run)
        if key and key not in seen:
            seen.add(key)
            found.append((run, key))
    if not found:
        return
    first, last = _index(runs, found[0][0]), _index(runs, found[-1][0])
    rows = {id(run) for run, _ in found}
    headers = ["".join(r.labels) for r in runs[max(0, first - _T2_HEADER_REACH):last]
               if not r.has_value and id(r) not in rows]
    fmt = _t2_format(found, headers) or fallback_format or "2021"
    for run, key in found:
        columns = T2_COLUMNS[fmt].get(key)
        if not columns:
            continue
        cells = fit(run, len(columns))
        if cells is None:
            continue
        run.used, run.row = True, f"t2.{key}"
        result.found.add("t2")
        result.t2_format = fmt  # only a row read tells the format: a label in prose or an old 统计表 does not
        _put(result.metrics, f"t2.{key}", columns, cells, result.inferred)


# ------------------------------------------------------------------------------ table 3

def _window_scores(run: Run, templates: tuple[RowTemplate, ...]) -> list[float]:
    """Best similarity of the run's label window to each template row (nearest labels weigh most)."""
    labels = run.labels[-4:]
    candidates: list[tuple[str, float]] = []
    for k, label in enumerate(reversed(labels)):
        if not _column_header(run.labels, len(run.labels) - 1 - k):
            candidates.append((label, 1.0 - 0.12 * k))
    if len(labels) >= 2:
        candidates.append((labels[-2] + labels[-1], 0.98))
    if len(labels) >= 3:
        candidates.append((labels[-3] + labels[-2] + labels[-1], 0.95))
    if len(labels) >= 4:
        candidates.append(("".join(labels), 0.93))
    best = [0.0] * len(templates)
    for label, weight in candidates:
        if len(label) > 80 or label.lstrip()[:1] in _CONTINUATION:
            continue  # `）其他处理` is the tail of a label wrapped after `（六`: only the joined form counts
        for j, s in enumerate(label_scores(label, templates)):
            if s * weight > best[j]:
                best[j] = s * weight
    return best


_COLUMN_WORDS = ("其他", "总计")  # table 3's last column headers, printed like the row labels 3.其他 and (七)总计
_COLUMN_HEAD_ENDS = ("机构", "组织", "企业", "自然人")  # the column headers before them end so; no row label does


def _column_header(labels: list[str], i: int) -> bool:
    """labels[i] is table 3's column header 其他 or 总计 (right after 法律服务机构 or 法人或其他组织, whole or wrapped),
    not a row's label. Why: after a header repeated at a page break, a row printed without its label would
    otherwise be read as 3.其他 (html/pingtan_2019 in cell_lines: its (六)其他处理 row came out as other_other)."""
    if i == 0 or squeeze(labels[i]) not in _COLUMN_WORDS:
        return False
    before = squeeze("".join(labels[max(0, i - 4):i]))  # a wrapped header: `法 人 或` / `其 他 组` / `织`
    return before.endswith(_COLUMN_HEAD_ENDS)


def _named_rows(run: Run, templates: tuple[RowTemplate, ...]) -> set[int] | None:
    """The rows the run's nearest label names outright, or None when it names none.

    Why: a label printed right before the values decides the row; farther labels in the window
    (a column header `其他` above `四、结转下年度继续办理`) or template order must not move it elsewhere.
    Only an enumerated label counts: a bare `其他` or `总计` nearest the values may be a repeated column header."""
    if not run.labels or run.labels[-1].lstrip()[:1] in _CONTINUATION:
        return None
    scores = label_scores(run.labels[-1], templates)
    if max(scores) < _NAMED:
        return None
    return {j for j, s in enumerate(scores) if s >= _MATCH}


def names_row(run: Run, key: str, fmt: str | None) -> float:
    """How well the run's nearest label names the table-3 row `key` (1.0: the template's words)."""
    templates = T3_ROWS[fmt or "2021"]
    j = next((j for j, t in enumerate(templates) if t.key == key), None)
    if j is None or not run.labels:
        return 0.0
    return label_scores(run.labels[-1], templates)[j]


def _is_t4_header(run: Run) -> bool:
    """Table 4's header is in the label window (vertical text too: the characters, not words)."""
    text = squeeze("".join(run.labels))
    return len(_T4_HEADER_CHARS.intersection(text)) >= 6 or ("复议" in text and "诉讼" in text)


def under_t4_header(runs: list[Run]) -> set[int]:
    """ids of the runs under table 4's header: the run whose window holds it, and the unlabelled runs after
    it (table 4 printed in groups or blocks: its later rows have no label of their own).

    Why: a row without a label continues the table of the row before it; it cannot start table 3's rows
    after table 4's header (real/r034 cut off in groups: the last group row was read as (七)总计)."""
    out: set[int] = set()
    inside = False
    for r in runs:
        inside = _is_t4_header(r) or (inside and not r.labels)
        if inside:
            out.add(id(r))
    return out


def t3_candidates(runs: list[Run]) -> tuple[list[Run], list[list[Token] | None]]:
    """The runs that may be table-3 rows, and each one's cells as 7 columns (None: it cannot be a row).
    Runs under table 4's header belong to table 4, however their nearest label (总计) reads."""
    t4 = under_t4_header(runs)
    cand = [r for r in runs if not r.used and (r.printed or r.labels) and id(r) not in t4]
    return cand, [fit(r, 7, summed=True) for r in cand]


def align_t3(cand: list[Run], fits: list[list[Token] | None],
             templates: tuple[RowTemplate, ...]) -> tuple[float, list[tuple[Run, RowTemplate, list[Token]]]]:
    """Monotone alignment of runs to template rows maximising label similarity (order is the prior)."""
    n, m = len(cand), len(templates)
    if n == 0:
        return 0.0, []
    score = [[None] * m for _ in range(n)]
    for i, r in enumerate(cand):
        if fits[i] is None:
            continue
        sims = _window_scores(r, templates)
        named = _named_rows(r, templates)
        # a run of empty cells fills a gap only under its own enumerator (`3.申请` printed blank for 3.其他)
        printed = r.printed
        enum = enumerator("".join(r.labels[-3:]))[0] if r.labels and not printed else None
        for j in range(m):
            if named is not None and j not in named:
                continue
            if sims[j] >= _MATCH:
                score[i][j] = _PLACED + sims[j]
            elif printed or (enum is not None and enum == templates[j].enum):
                score[i][j] = _PLACED + _GAP_FILL
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row_s = score[i - 1]
        prev, cur, mv = best[i - 1], best[i], move[i]
        for j in range(1, m + 1):
            b, k = prev[j], 1                       # skip run
            if cur[j - 1] > b:
                b, k = cur[j - 1], 2                # skip template row
            s = row_s[j - 1]
            if s is not None and prev[j - 1] + s > b:
                b, k = prev[j - 1] + s, 3           # match
            cur[j], mv[j] = b, k
    out = []
    i, j = n, m
    while i > 0 and j > 0:
        k = move[i][j]
        if k == 3:
            out.append((cand[i - 1], templates[j - 1], fits[i - 1]))
            i, j = i - 1, j - 1
        elif k == 2:
            j -= 1
        else:
            i -= 1
    out.reverse()
    if out:  # a template row skipped between two placed rows is a row the document would have printed
        placed = [templates.index(t) for _, t, _ in out]
        return best[n][m] - _INNER_SKIP * (placed[-1] - placed[0] + 1 - len(placed)), out
    return best[n][m], out


def _split_rows(run: Run, openers: bool = False) -> list[Run]:
    """A run of 14, 21, … cells is that many table-3 rows run together: a row printed without its label
    between labelled ones, in a one-cell-per-line layout. Only the first part keeps the label window."""
    n = len(T3_COLUMNS)
    if run.used or len(run.cells) < 2 * n or _is_t4_header(run):
        return [run]
    cells = run.cells
    if len(cells) % n:  # a blank that opens an unlabelled row (`|` / ` |` lines) may stand before it
        rows = len(cells) // n
        starts = tuple(range(n, rows * n, n))
        cells = _drop_openers(cells, starts) if openers else _without_openers(cells, rows * n, starts, _t3_sums)
        if not cells or len(cells) % n:
            return [run]
    parts = [Run(labels=run.labels if i == 0 else [], cells=cells[i:i + n], inline=run.inline,
                 before=run.before if i == 0 else [])
             for i in range(0, len(cells), n)]
    parts[-1].at_end = run.at_end
    return parts


def _t3_sums(cells: list[Token]) -> bool:
    """Each row's six applicant cells add up to its 总计 (a blank cell: not confirmed)."""
    n = len(T3_COLUMNS)
    for i in range(0, len(cells), n):
        row = cells[i:i + n]
        if any(c.kind != VALUE for c in row) or sum(c.value for c in row[:-1]) != row[-1].value:
            return False
    return True


def read_t3(runs: list[Run], result: TableResult, prefer: str | None) -> list[Run]:
    cand, fits = t3_candidates(runs)
    options = {fmt: align_t3(cand, fits, rows) for fmt, rows in T3_ROWS.items()}
    labelled = {fmt: sum(1 for _, _, _ in m) for fmt, (_, m) in options.items()}
    if not any(labelled.values()):
        return []
    s19, s21 = options["2019"][0], options["2021"][0]
    decided = abs(s19 - s21) > 1e-9
    fmt = ("2019" if s19 > s21 else "2021") if decided else (prefer or "2021")
    _, matches = options[fmt]
    # a table is only a table if some of its rows are named: gap fills alone prove nothing
    if not any(_window_scores(r, (t,))[0] >= _MATCH for r, t, _ in matches):
        return []
    columns = t3_columns(runs, [r for r, _, _ in matches])
    if columns is None:
        result.unsure.append("t3: its 法人或其他组织 column headers are printed in an order that cannot be told "
                             "for every column; its cells are left out")
        return []
    result.t3_format = fmt if decided else None  # only the (六)其他处理 rows tell the formats apart
    result.found.add("t3")
    for run, tmpl, cells in matches:
        run.used, run.row = True, f"t3.{tmpl.key}"
        _put(result.metrics, f"t3.{tmpl.key}", columns, cells, result.inferred)
    return [r for r, _, _ in matches]


def _dropped_one(name: str) -> re.Pattern[str]:
    """`name`, or `name` with one character dropped (`业企业`, `社会益组织`)."""
    return re.compile("|".join([re.escape(name)] + [re.escape(name[:i] + name[i + 1:]) for i in range(len(name))]))


# table 3's five 法人或其他组织 column headers as printed, a character dropped at most (其他: not the one of
# 法人或其他组织)
_T3_SUBHEADS = (("commercial", _dropped_one("商业企业")), ("research", _dropped_one("科研机构")),
                ("social", _dropped_one("社会公益组织")), ("legal", _dropped_one("法律服务机构")),
                ("other", re.compile("其他(?!组织)")))


def t3_columns(runs: list[Run], matches: list[Run]) -> tuple[str, ...] | None:
    """Table 3's columns in printed order, read from its header; None when the header prints the five
    法人或其他组织 columns in another order that cannot be told for every column.

    Why: the cells of a row are only as right as the column order; a report that prints 科研机构 before 商业企业
    (and its cells so) must not be read in the template's order. The header is the text from the table
    before it (table 2's last row) to table 3's last row. Its order is taken from the five names printed one
    right after the other (the header row itself); where no such row is printed, the names found (a PDF's
    extraction may interleave wrapped header cells, `社会法律 / 公益服务其他`) must not contradict the template's
    order, else the cells are left out."""
    first, last = runs.index(matches[0]), runs.index(matches[-1])
    start = max((i + 1 for i, r in enumerate(runs[:first]) if r.used), default=0)
    text = squeeze("".join(label for r in runs[start:last + 1] for label in r.before))
    found = sorted((m.start(), m.end(), key) for key, name in _T3_SUBHEADS for m in name.finditer(text))
    for _, end, key in found:
        order = [key]
        while len(order) < 5:
            nxt = next(((k, e) for a, e, k in found if a == end and k not in order), None)
            if nxt is None:
                break
            key, end = nxt
            order.append(key)
        if len(order) == 5:
            return (T3_COLUMNS[0],) + tuple(order) + (T3_COLUMNS[-1],)
    firsts: dict[str, int] = {}
    for at, _, key in found:
        if key != "other":  # 其他 is printed in row labels too (2.其他法律…, 3.其他)
            firsts.setdefault(key, at)
    order = sorted(firsts, key=firsts.get)
    return T3_COLUMNS if order == [k for k in T3_COLUMNS if k in firsts] else None


# ------------------------------------------------------------------------------ table 4

def read_t4(runs: list[Run], result: TableResult, after: Run | None, openers: bool = False,
            marks: bool = False) -> None:
    """Table 4: the 15 cells after its header (行政复议 … 结果维持 …), in template order. `marks`: the stream
    reads lone separators as blank cells, so a mark that opens a row may stand among them."""
    start = runs.index(after) + 1 if after is not None else 0
    region: list[Run] = []
    padding: list[Run] = []  # blank marks among its header lines (_header_padding): not cells
    closed = False  # the next section's heading follows the table: it is not cut off
    for run in runs[start:]:
        if run.used:
            if region:
                break
            continue
        if not region:
            if _is_t4_header(run) and (run.has_value or not run.inline):
                region.append(run)  # a row of its own may be all blank (行政复议 group printed `/`)
            continue
        window = squeeze("".join(run.labels))
        if any(m in window for m in _SECTION_END) or (len(window) > 60 and not _is_t4_header(run)):
            closed = True
            break  # prose ends the table; the table header repeated after a page break does not
        if _header_padding(region, window):
            padding += region
            region = []
        elif not _whole_groups_before(region, window, openers):
            result.unsure.append("t4: its column headers repeat after cells that are not whole groups of 5; "
                                 "its cells are left out")
            return
        region.append(run)
        if sum(len(r.cells) for r in region) >= 15:
            break
    if not region:
        return
    cells = [c for r in region for c in r.cells]
    cut = region[-1].at_end or (region[-1] is runs[-1] and _t4_header_only(region[-1].tail))
    closed = closed or not cut  # labels follow it: the document goes on after the table
    labels = [label for r in padding + region for label in r.labels]
    printed_blank = (closed and not any(p in label for label in labels for p in "。；;")  # no prose in it
                     and all(w in squeeze("".join(labels)) for w in ("维持", "纠正", "审结")))  # its header, then more
    if printed_blank and all(c.kind == GAP for c in cells):  # no number, not even a blank mark
        for r in padding + region:
            r.used, r.row = True, "t4"
        result.found.add("t4")
        for key in _T4_KEYS:
            result.metrics[key] = None
        return
    if openers:  # one row of 15 opened once, or three rows of 5 opened each
        at_end = cut
        shapes = [_opened(c, 15, at_end) for c in (_drop_openers(cells, (0,)), _drop_openers(cells, _T4_ROW_STARTS))]
        readings = {tuple((c.kind, c.value) for c in f): f for f in shapes if f}
        if len(readings) > 1:
            result.unsure.append("t4: its cells fit both one opened row and three; they are left out")
            return
        fitted = next(iter(readings.values()), None)
    else:
        fitted = _without_openers(cells, 15, _T4_ROW_STARTS, _t4_sums)
        if fitted == []:
            result.unsure.append("t4: the blank marks before its rows allow several readings that its sums do not "
                                 "tell apart; its cells are left out")
            return
        if fitted is None:
            fitted = fit(Run(labels=[], cells=cells, at_end=cut), 15, overflow=True)
        if fitted and cut and marks and _opened_otherwise(cells, fitted):
            result.unsure.append("t4: cut off after blank marks where its rows open, which may be cells or the "
                                 "marks opening rows; its cells are left out")
            return
    if fitted is None or not (printed_blank or any(c.kind == VALUE for c in fitted)):
        return
    result.found.add("t4")
    for r in region:
        r.used, r.row = True, "t4"
    for key, tok in zip(_T4_KEYS, fitted):
        result.metrics[key] = tok.value if tok.kind == VALUE else None
        if tok.inferred:
            result.inferred.add(key)


_T4_HEAD_WORDS = ("维持", "纠正", "其他结果", "审结", "总计", "复议", "诉讼", "起诉")


def _header_padding(region: list[Run], window: str) -> bool:
    """The region so far is blank marks among table 4's header lines (`|` / `行政复议 |` / `|` / `未经复议…`):
    fewer blanks than a group row holds, no number, and more header words follow. Why: the cells of table 4
    come after its column headers; a mark that opens a header row is not a cell (real2/n105 cut off after its
    first number: four openers read as cells moved that 0 into 总计)."""
    cells = [c for r in region for c in r.cells]
    return (len(cells) < len(T4_COLUMNS) and all(c.kind in (BLANK, GAP) for c in cells)
            and any(w in window for w in _T4_HEAD_WORDS))


_T4_COLUMN_WORDS = ("维持", "纠正", "审结")


def _t4_header_only(labels: list[str]) -> bool:
    """The labels that end the document are table 4's header words only (the next group's name or columns, cut
    off: `行政诉讼 复议后起`): the document ends inside table 4, which is cut off, not closed by what follows."""
    text = squeeze("".join(labels))
    return bool(text) and len(text) <= 40 and any(w in text for w in _T4_HEAD_WORDS) and \
        not any(m in text for m in _SECTION_END)


def _whole_groups_before(region: list[Run], window: str, openers: bool) -> bool:
    """Cells before table 4's column headers printed again (a group per block, or a page break) are whole
    groups of 5: one blank more per group where the layout opens rows with a mark. Why: a reading that
    takes a row-opening mark for a cell shifts every later cell (html/pingtan_2024 in blocks, a lone `|`
    read as an empty cell: the review group came out one column to the right)."""
    if not all(w in window for w in _T4_COLUMN_WORDS):
        return True
    n = sum(len(r.cells) for r in region)
    groups, extra = divmod(n, len(T4_COLUMNS))
    return extra == 0 or (openers and extra <= groups)


_T4_KEYS = tuple(f"t4.{g}.{c}" for g in T4_GROUPS for c in T4_COLUMNS)
_T4_ROW_STARTS = (0, 5, 10)  # table 4 printed as three rows of five (or blocks): a row opens at these cells


def _t4_sums(cells: list[Token]) -> bool:
    """Each group's four results add up to its 总计 (a blank cell makes the sum unknown: not confirmed)."""
    for i in _T4_ROW_STARTS:
        group = cells[i:i + 5]
        if any(c.kind != VALUE for c in group) or sum(c.value for c in group[:4]) != group[4].value:
            return False
    return True


def _opened_otherwise(cells: list[Token], fitted: list[Token]) -> bool:
    """A cut-off table 4 whose stream holds a blank at each row start it reaches reads otherwise with those
    blanks taken as the marks that open its rows. Why: a whole table's cell count tells how many marks open
    rows; a cut one's does not (html/shuyang_fgj_2023 cut in bar_open: three row openers, one of them read
    as the mark of a one-row table, moved a 0 into 尚未审结)."""
    opened = _drop_openers(cells, _T4_ROW_STARTS)
    if not opened:
        return False
    shown = lambda toks: [(c.kind, c.value) for c in toks[:15]]  # noqa: E731
    trim = lambda toks: toks[:max((i + 1 for i, c in enumerate(toks) if c.kind == VALUE or c.text), default=0)]  # noqa: E731
    return shown(trim(opened)) != shown(trim(fitted))


def _without_openers(cells: list[Token], n: int, starts: tuple[int, ...], sums) -> list[Token] | None:
    """n cells from a stream with more, when the extra ones are blanks where grid rows open.

    Why: in one-cell-per-line layouts the mark that opens a row (a lone `|`) reads like the mark of an
    empty cell, so a row may gain a blank in front. The readings drop at most one blank at each row
    start; one distinct reading is the table; several are told apart only by `sums` (the cells so
    chosen are inferred); [] when several remain; None when none does (the layout is not that).
    """
    if len(cells) <= n or sum(1 for c in cells if c.kind != BLANK) > n:
        return None
    extra = len(cells) - n
    readings: dict[tuple, list[Token]] = {}

    def walk(pos: int, out: list[Token], left: int, may_drop: bool) -> None:
        if len(out) == n:  # what is left must be blanks (the mark opening the next row)
            if all(c.kind == BLANK for c in cells[pos:]):
                readings.setdefault(tuple((c.kind, c.value) for c in out), list(out))
            return
        if pos >= len(cells):
            return
        if left and may_drop and len(out) in starts and cells[pos].kind == BLANK:
            walk(pos + 1, out, left - 1, False)
        out.append(cells[pos])
        walk(pos + 1, out, left, True)
        out.pop()

    walk(0, [], extra, True)
    if len(readings) == 1:
        return next(iter(readings.values()))
    if not readings:
        return None
    fitting = [r for r in readings.values() if sums(r)]
    if len(fitting) != 1:
        return []
    return [Token(c.kind, c.text, c.value, inferred=True) for c in fitting[0]]


def _opened(cells: list[Token] | None, n: int, at_end: bool) -> list[Token] | None:
    """n cells once the openers are gone: exactly n (trailing marks aside), or fewer at a cut-off end."""
    if not cells:
        return None
    cells = list(cells)
    while len(cells) > n and cells[-1].kind == BLANK:
        cells.pop()
    if len(cells) == n or (at_end and len(cells) < n):
        return cells
    return None


def _drop_openers(cells: list[Token], starts: tuple[int, ...]) -> list[Token] | None:
    """The cells without the blank that opens each grid row at `starts` (a layout that opens every row
    with a mark); None when a row start holds no blank, so the layout is not that."""
    out: list[Token] = []
    opened: set[int] = set()
    for c in cells:
        at = len(out)
        if at in starts and at not in opened:
            if c.kind != BLANK:
                return None
            opened.add(at)
            continue
        out.append(c)
    return out


# ------------------------------------------------------------------------------ pre-2019 统计表

_LEGACY_HEADS = ("计量单位", "历年累计")
_UNITS = frozenset(("件", "条", "个", "项", "次", "人", "人次", "万元", "元", "家", "篇"))
# header words only the 2019/2021 templates print: a template table after an old one ends it
_TEMPLATE_HEADS = ("信息内容", "申请人情况", "结果维持", "结果纠正", "尚未审结", "第二十条")
_PROSE = 40  # a label this long is a paragraph: the old table is over


def _legacy_start(row: Row) -> bool:
    """The row opens (or continues) an old-style 统计表: its 计量单位/历年累计 header, or a unit cell
    (`维持具体行政行为数 | 件 | 0 | 10`) between a row label and its values; templates have no unit column."""
    toks = row.tokens
    for i, tok in enumerate(toks):
        if tok.kind != LABEL:
            continue
        text = squeeze(tok.text)
        if len(text) <= 10 and any(h in text for h in _LEGACY_HEADS):
            return True
        if row.multi and text in _UNITS and 0 < i < len(toks) - 1 and toks[i + 1].kind != LABEL:
            return True
    return False


def _legacy_end(row: Row) -> bool:
    """The row leaves an old table: a template header, or prose."""
    labels = [squeeze(t.text) for t in row.tokens if t.kind == LABEL]
    return any(h in label for label in labels for h in _TEMPLATE_HEADS) or (
        not row.multi and any(len(label) > _PROSE for label in labels))


def drop_legacy_tables(rows: list[Row]) -> list[Row]:
    """The rows without pre-2019 statistics tables (指标名称/计量单位/本年度/历年累计).

    Why: their rows (`三、因政府信息公开申请行政复议、提起行政诉讼情况`, `（一）维持具体行政行为数 | 件 | 0 | 10`)
    look enough like table 4 (or 2/3) to be read as template cells. The decision is the table's own
    shape, not the report's year: an old table stays out wherever it is printed.
    """
    out: list[Row] = []
    inside = False
    for row in rows:
        if inside and _legacy_end(row):
            inside = False
        if not inside and _legacy_start(row):
            inside = True
        if not inside:
            out.append(row)
    return out


def interpret(rows: list[Row], fallback_format: str | None = None, openers: bool = False,
              marks: bool = False) -> TableResult:
    """Read tables 2, 3 and 4 from a row stream (old-style 统计表 rows left out).

    `openers`: the stream opens every grid row with a blank mark (a lone `|` line before each row,
    parsers.cells `open` mode); one is dropped at each row start of an unlabelled run of rows. `marks`: the
    stream reads lone separators as blank cells (`sep`, `lines`, `delim` modes), so such a blank may be a mark
    opening a row: a cut-off table 4 that reads otherwise with them so taken is left out."""
    result = TableResult()
    runs = build_runs(drop_legacy_tables(rows))
    read_t2(runs, result, fallback_format)
    runs = [part for run in runs for part in _split_rows(run, openers)]
    t3_runs = read_t3(runs, result, result.t2_format or fallback_format)
    read_t4(runs, result, t3_runs[-1] if t3_runs else None, openers, marks)
    result.runs = runs
    return result
