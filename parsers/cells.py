"""Cell streams: the one shape every reader's tables are reduced to before interpretation.

Text reports flatten their tables in many ways (tab-, `|`- or space-separated cells, one cell per
line, blank-line separated); HTML/PDF/DOCX tables arrive as grids. Both become a list of `Row`s of
classified `Token`s, so a single interpreter (parsers.tables) reads them all.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from parsers.document import Grid

LABEL, VALUE, BLANK = "label", "value", "blank"
GLUED = "glued"  # digits printed glued to a row label (`规章000`): split only where the row's width allows one reading
GAP = "gap"      # a row label followed at once by another label, in a table printed without numbers: blank cells

# A printed number: 1,234 / -15 / 24252.311082 / 75394432.52元 / 22（其中修订16件）.
_NUM = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?"
_UNIT = r"(?:万元|元|件|条|个|项|次|起|人次|家|篇)"
_NUMBER_CELL = re.compile(r"^(" + _NUM + r")\s*" + _UNIT + r"?\s*(?:\([^()]{0,40}\))?$")
# a cell token in a space-separated row: a number (with a unit or a short note glued on, as a delimited cell may
# print it: `3件`, `0(无)`) or a printed blank mark (`0 / / 0`, `行政强制 —`)
_TOKEN = r"(?:(?:" + _NUM + r")" + _UNIT + r"?(?:\([^()\s]{1,10}\))?|[/—–―-])"
_TRAILING_NUMBERS = re.compile(r"^(.*?[^\d\s,.+\-/—–―])\s+((?:" + _TOKEN + r"\s+)*" + _TOKEN + r")$")
_ALL_NUMBERS = re.compile(r"^(?:" + _TOKEN + r"\s+)+" + _TOKEN + r"$")
# a label ending in a CJK character (or a closing quote/bracket) with digits glued on (`规章000`, `稳定”0000000`)
_GLUED = re.compile(r"^(.*[\u4e00-\u9fff”’」』)）》])(\d{1,16})$")
_ZERO_LED = re.compile(r"^0\d{1,15}$")
_BLANK_MARKS = {"/", "\\", "-", "--", "—", "——", "–", "―", "─", "无", "空", "×", "x", "X", "*", "…", "...", "——/"}
_CELL_SEPARATOR = re.compile(r"\t|\|")
_SPACE_RUN = re.compile(r"(?<=\S) {2,}(?=\S)")
_SEPARATOR_LINE = re.compile(r"^[\s|:\-+=]*$")
_PRINTED_BLANK = re.compile(r"^[\t \u00a0\u3000\u2002\u2003\u200b]*[\u00a0\u3000\u2002\u2003][\t \u00a0\u3000\u2002\u2003\u200b]*$")
_PAGE_FOOTER = re.compile(r"^\s*(?:[-—–―－]\s*\d{1,3}\s*[-—–―－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
                          r"|共\s*\d{1,3}\s*页\s*第\s*\d{1,3}\s*页|(?i:page)\s*\d{1,3}(?:\s*(?i:of)\s*\d{1,3})?)\s*$")
_EMPTY_CELLS_ROW = re.compile(r"^[ \t]*\|?(?:[ \t]+\|){2,}[ \t]*$")
_BLANK_SPACES = re.compile(r"[\u00a0\u3000\u2002\u2003]")
_MARKDOWN = re.compile(r"^\s{0,3}#{1,6}\s+|\*\*|__")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")


@dataclass
class Token:
    kind: str  # LABEL | VALUE | BLANK
    text: str
    value: int | float | None = None
    inferred: bool = False  # placed by the document's own sums choosing between readings (Report.inferred)


@dataclass
class Row:
    """One source row. `multi` rows (a table row, a line with several cells) end value runs at their end."""

    tokens: list[Token] = field(default_factory=list)
    multi: bool = False


def nfkc(s: str) -> str:
    """Full-width digits/brackets/colons to ASCII, NBSP/ideographic spaces to spaces."""
    return s if s.isascii() else unicodedata.normalize("NFKC", s)  # ASCII is NFKC already (most value cells)


def to_number(s: str) -> int | float:
    s = s.replace(",", "")
    if "." in s:
        f = float(s)
        return f
    return int(s)


def classify(cell: str) -> list[Token]:
    """Classify one cleaned cell; a cell like `行政许可 97` or `0 0 0` splits into label + values."""
    s = cell.strip()
    if not s:
        return [Token(BLANK, "")]
    if _ZERO_LED.match(s):  # `000000000000000`: no printed number starts with 0, so these are cells run together
        return [Token(GLUED, s)]
    m = _NUMBER_CELL.match(s)
    if m:
        return [Token(VALUE, s, to_number(m.group(1)))]
    if s in _BLANK_MARKS:
        return [Token(BLANK, s)]
    if _ALL_NUMBERS.match(s):
        return _tokens(s)  # `0 0 0`, `/ / / / /`
    m = _TRAILING_NUMBERS.match(s) if len(s) <= 80 else None
    if m:
        return [Token(LABEL, m.group(1).strip())] + _tokens(m.group(2))
    m = _GLUED.match(s) if len(s) <= 60 else None
    if m:
        return [Token(LABEL, m.group(1)), Token(GLUED, m.group(2))]
    return [Token(LABEL, s)]


def _tokens(s: str) -> list[Token]:
    """Space-separated numbers and blank marks as cells."""
    out = []
    for p in s.split():
        m = _NUMBER_CELL.match(p)
        out.append(Token(VALUE, p, to_number(m.group(1))) if m else Token(BLANK, p))
    return out


def _split_line(line: str, borders: tuple[bool, bool]) -> list[str]:
    """A line's cells. `borders`: whether the document opens / closes its pipe rows with a border `|`."""
    if "\t" in line or "|" in line:
        parts = _CELL_SEPARATOR.split(line)
        opens, closes = borders
        stripped = line.strip(" \t")
        if opens and stripped.startswith("|") and len(parts) > 1 and not parts[0].strip(" \t"):
            parts.pop(0)  # markdown border: nothing before the first pipe is a cell
        if closes and stripped.endswith("|") and len(parts) > 1 and not parts[-1].strip(" \t"):
            parts.pop()
        return parts
    return _SPACE_RUN.split(line)


def pipe_borders(lines: list[str]) -> tuple[bool, bool]:
    """Whether the document's pipe rows start / end with a border `|` (markdown `| a | 0 |` both, r001
    `规章 | 0 |` the end only). Why: in a borderless `规章 | 0 | 0` document, ` | 0` and `行政强制 | ` carry an
    empty first / last cell, which reads exactly like a border on its own: the document's majority decides."""
    rows = [s for s in (line.strip(" \t\r") for line in lines if "|" in line) if s]
    opens = sum(1 for s in rows if s.startswith("|"))
    closes = sum(1 for s in rows if s.endswith("|"))
    return 2 * opens >= len(rows), 2 * closes >= len(rows)


def text_rows(text: str, mode: str = "default") -> list[Row]:
    """Split plain text into rows of tokens.

    A line with two or more cells is a multi row (table row); a line with one cell adds to a stream
    (one-cell-per-line layouts). Empty cells inside a multi row are blank cells; a whitespace-only
    line counts as a printed blank cell only when it holds an NBSP/ideographic space (`\\t\\xa0`).

    `mode` says how a one-cell-per-line layout marks an empty cell, when it marks it at all (the
    caller, parsers.recover, reads the text in every mode its marks allow and aligns each to the grid):
    `sep` a line holding only the separator (` |`); `open` the same, but one before a row label opens
    that row (`|` / `规章 |` / `0 |` …, real2/n075); `delim` lone separator lines delimit cells
    (`| 规章` / `|` / `0` / `|` …), so two with nothing between are an empty cell; `empty` cells are
    separated by one empty line and each further empty line is an empty cell; `lines` one cell per line,
    an empty cell an empty line or a lone separator; `bare` a label followed
    at once by another label is a row printed without numbers (a GAP of blank cells).
    """
    rows: list[Row] = []
    lines = text.split("\n")
    borders = pipe_borders(lines)
    empties, last_single = 0, False
    content_since_sep: bool | None = None  # delim: was anything printed since the last lone separator?
    if _SPLIT_ENUMERATOR.search(text):
        lines = _join_enumerators(lines)
    for i, raw in enumerate(lines):
        if not raw.strip(" \t\r"):
            if _PRINTED_BLANK.match(raw.rstrip("\r")):
                rows.append(Row([Token(BLANK, "")]))
            else:
                empties += 1
            continue
        single = mode in ("empty", "lines") and _one_cell(raw)
        if ((mode == "empty" and empties >= 2) or (mode == "lines" and empties)) and single and last_single:
            # only between one-cell lines: empty lines between table rows (`规章\t0` …) are spacing
            rows.extend(Row([Token(BLANK, "")]) for _ in range(empties - (mode == "empty")))
        empties, last_single = 0, single
        if mode in ("sep", "lines", "delim", "open") and _LONE_SEPARATOR.match(raw):
            opens_cell = mode == "delim" and _ROW_OPENER.match(raw)  # `| ` + an empty first cell: not a gap
            if (mode in ("sep", "lines") or (mode == "delim" and content_since_sep is False and not opens_cell)
                    or (mode == "open" and not _opens_label(lines, i))):
                rows.append(Row([Token(BLANK, "")]))
            content_since_sep = False
            continue
        if mode == "delim" and not _FILLER.match(raw):
            content_since_sep = True
        if _PAGE_FOOTER.match(raw):
            continue  # `- 3 -`, `第 3 页 共 5 页`: a PDF page break inside a table, not a cell
        if _EMPTY_CELLS_ROW.match(raw):  # `|  |  |  |` a row of empty cells (fillers are bare `|||`)
            rows.append(Row([Token(BLANK, "")] * len(_split_line(raw, borders)), multi=True))
            continue
        if _SEPARATOR_LINE.match(raw) and "|" in raw and not _BLANK_SPACES.search(raw):
            continue  # markdown |---| lines and '||' fillers (but `\xa0 |` is a printed blank cell)
        line = _MARKDOWN.sub("", raw.rstrip("\r"))
        cells = _split_line(line, borders)
        printed_blank = [bool(_PRINTED_BLANK.match(c)) for c in cells]
        cells = [_SPACES.sub(" ", nfkc(c)).strip() for c in cells]
        filled = [c for c in cells if c]
        if not filled:
            n = len(cells) if "|" in line else sum(printed_blank)  # `\t\xa0`: the tab is indentation
            if any(printed_blank):
                rows.append(Row([Token(BLANK, "")] * n, multi=n > 1))
            continue
        if len(filled) == 1:
            at = cells.index(filled[0])
            tokens = classify(filled[0])
            after = cells[at + 1:]
            # leading empty cells are blanks when printed (NBSP) or pipe-delimited; a bare `\t0` is indentation
            shown = [printed_blank[i] or "|" in line for i in range(len(cells))]
            before = [Token(BLANK, "") for i in range(at) if shown[i]]
            trail = [Token(BLANK, "") for i in range(at + 1, len(cells)) if shown[i]]
            if tokens[-1].kind == LABEL and after:
                # `行政强制\t\t` / `| 行政强制 | |`: a row label followed by printed blank cells
                rows.append(Row(tokens + [Token(BLANK, "")] * len(after), multi=True))
            elif (before or trail) and tokens[0].kind != LABEL:
                rows.append(Row(before + tokens + trail, multi=True))  # `| 　 | 0 | 　 |`: one value among blanks
            else:
                rows.append(Row(tokens, multi=len(tokens) > 1))
            continue
        rows.append(_row_from_cells(cells))
    return _bare_gaps(rows) if mode == "bare" else rows


_LONE_SEPARATOR = re.compile(r"^[ \t]*\|[ \t\r]*$")
_ROW_OPENER = re.compile(r"^\|[ \t]+\r?$")
_FILLER = re.compile(r"^[ \t]*\|[ \t|]*\|[ \t\r]*$")


def _one_cell(line: str) -> bool:
    """The line holds one cell (`0`, `0 |`, `| 规章`), not a row of several (`规章\t0`, `规章 | 0`)."""
    core = line.strip(" \t\r|")
    return not ("\t" in core or "|" in core or _SPACE_RUN.search(core))


def _opens_label(lines: list[str], i: int) -> bool:
    """The lone separator at line i opens a labelled row (`|` / `规章 |`): the next printed line is a label
    cell (prose after a table, `三、收到…情况`, carries no separator: the mark before it is an empty cell)."""
    for line in lines[i + 1:i + 6]:  # a label wrapped over lines (`三、本年` / `度办理结果 |`) ends at its separator
        if line.strip(" \t\r"):
            cell = line.strip(" \t\r|")
            if not cell or classify(nfkc(cell))[0].kind != LABEL:
                return False
            if "|" in line:
                return True
    return False


def _bare_gaps(rows: list[Row]) -> list[Row]:
    """A row of labels followed at once by another label gets a GAP: in a table printed without numbers
    (each row label on its own line), the row's cells are blank. Not after the last row: it may be cut."""
    out: list[Row] = []
    for row, nxt in zip(rows, rows[1:]):
        out.append(row)
        if all(t.kind == LABEL for t in row.tokens) and nxt.tokens[0].kind == LABEL:
            out.append(Row([Token(GAP, "")]))
    return out + rows[-1:]


_SPLIT_ENUMERATOR = re.compile(r"(?m)^[ \t]*\|?[ \t]*\d{1,2}[ \t]*\n(?:[ \t]*\n)*[ \t]*[.、．](?!\d)")
_LONE_NUMBER = re.compile(r"^\s*\|?\s*\d{1,2}\s*$")
_ENUM_REST = re.compile(r"^\s*[.、．](?!\d)")


def _join_enumerators(lines: list[str]) -> list[str]:
    """`6` / `.属于…` on separate lines (a label printed one character per line) is the label `6.属于…`."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LONE_NUMBER.match(line):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _ENUM_REST.match(lines[j]):
                out.append(line.strip() + lines[j].lstrip())  # its trailing tabs are cells
                i = j + 1
                continue
        out.append(line)
        i += 1
    return out


def _row_from_cells(cells: list[str]) -> Row:
    tokens: list[Token] = []
    for c in cells:
        tokens.extend(classify(c))
    # blanks before the row's first label are spanned label columns, not data cells
    first_label = next((i for i, t in enumerate(tokens) if t.kind == LABEL), None)
    if first_label is not None and all(t.kind == BLANK for t in tokens[:first_label]):
        tokens = tokens[first_label:]
    return Row(tokens, multi=True)


def clean_cell_text(text: str) -> str:
    """Normalise a grid cell: NFKC, whitespace runs to one space; digits split by spaces rejoined."""
    t = _SPACES.sub(" ", nfkc(text).replace("\n", " ").replace("\r", " ")).strip()
    squeezed = t.replace(" ", "")
    if squeezed and _NUMBER_CELL.match(squeezed):
        return squeezed
    return t


def grid_rows(grid: Grid) -> list[Row]:
    """Each grid row's origin cells (spanned positions are None and skipped) as one multi row."""
    rows: list[Row] = []
    for grid_row in grid:
        cells = [clean_cell_text(c.text) for c in grid_row if c is not None]
        if not any(cells):
            continue
        rows.append(_row_from_cells(cells))
    return rows
