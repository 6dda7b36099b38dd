"""Re-render labelled TRUTH (never parser output) as the layouts real extractions produce.

A truth file becomes a `Doc`: prose lines and tables 2–4 as rows of `TCell`s (label/head/value, with
row/col spans as the template prints them). `render_text` flattens a Doc into one text layout
(tab, pipe, markdown, cell-per-line, spaces, ...) as *segments* that remember which metric key each
printed value carries, so a document cut after any value has a known truth. `render_html` writes the
same Doc in the table markups seen on real pages. Options (`Opts`) add the quirks one at a time.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field, replace

from tests.conftest import CORPUS

T3_COLS = ("natural", "commercial", "research", "social", "legal", "other", "total")
T4_GROUPS = ("review", "suit_direct", "suit_after_review")
T4_COLS = ("upheld", "corrected", "other", "pending", "total")
T4_HEADS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

# (section header, column headers, [(row key, printed labels..., columns)])
T2 = {
    "2021": [
        ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"),
         [("rules", ("规章",), ("issued", "repealed", "in_force")),
          ("normative", ("行政规范性文件", "规范性文件"), ("issued", "repealed", "in_force"))]),
        ("第二十条第（五）项", ("本年处理决定数量",), [("licensing", ("行政许可",), ("decisions",))]),
        ("第二十条第（六）项", ("本年处理决定数量",),
         [("punishment", ("行政处罚",), ("decisions",)), ("coercion", ("行政强制",), ("decisions",))]),
        ("第二十条第（八）项", ("本年收费金额（单位：万元）",), [("fees", ("行政事业性收费",), ("amount",))]),
    ],
    "2019": [
        ("第二十条第（一）项", ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
         [("rules", ("规章",), ("made", "published", "total")),
          ("normative", ("规范性文件",), ("made", "published", "total"))]),
        ("第二十条第（五）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
         [("licensing", ("行政许可",), ("prev_items", "change", "decisions")),
          ("other_services", ("其他对外管理服务事项",), ("prev_items", "change", "decisions"))]),
        ("第二十条第（六）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
         [("punishment", ("行政处罚",), ("prev_items", "change", "decisions")),
          ("coercion", ("行政强制",), ("prev_items", "change", "decisions"))]),
        ("第二十条第（八）项", ("上一年项目数量", "本年增/减"),
         [("fees", ("行政事业性收费",), ("prev_items", "change"))]),
        ("第二十条第（九）项", ("采购项目数量", "采购总金额"),
         [("procurement", ("政府集中采购",), ("projects", "amount"))]),
    ],
}
# (group label or None, [(row key, row label)])
_T3_HEAD = [
    (None, [("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")]),
    ("三、本年度办理结果", [("granted", "（一）予以公开"),
                      ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")]),
    ("（三）不予公开", [("denied_secret", "1.属于国家秘密"), ("denied_law", "2.其他法律行政法规禁止公开"),
                  ("denied_security", "3.危及“三安全一稳定”"), ("denied_third_party", "4.保护第三方合法权益"),
                  ("denied_internal", "5.属于三类内部事务信息"), ("denied_process", "6.属于四类过程性信息"),
                  ("denied_enforcement", "7.属于行政执法案卷"), ("denied_query", "8.属于行政查询事项")]),
    ("（四）无法提供", [("unable_not_held", "1.本机关不掌握相关政府信息"), ("unable_need_create", "2.没有现成信息需要另行制作"),
                  ("unable_unclear", "3.补正后申请内容仍不明确")]),
    ("（五）不予处理", [("rejected_petition", "1.信访举报投诉类申请"), ("rejected_duplicate", "2.重复申请"),
                  ("rejected_publication", "3.要求提供公开出版物"), ("rejected_mass", "4.无正当理由大量反复申请"),
                  ("rejected_confirm", "5.要求行政机关确认或重新出具已获取信息")]),
]
_T3_OTHER = {
    "2021": [("（六）其他处理", [("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
                          ("other_no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
                          ("other_other", "3.其他")])],
    "2019": [(None, [("other", "（六）其他处理")])],
}
_T3_TAIL = [(None, [("handled_total", "（七）总计"), ("carried_forward", "四、结转下年度继续办理")])]
# label typos of the kinds seen in real reports (seeds 000/001/004, hzq PDFs)
TYPOS = (("情形", "情况"), ("内部", "内容"), ("法律行政法规", "法律法规"), ("3.其他", "3.申请"), ("法规禁止", "止"),
         ("废止", "度止"))


@dataclass
class TCell:
    text: str
    role: str = "label"  # label | head | value
    key: str | None = None
    value: int | float | None = None
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Table:
    rows: list[list[TCell]]
    heads: int = 0  # leading header rows (permutable)
    name: str = ""


@dataclass
class Doc:
    name: str
    truth: dict[str, int | float | None]
    blocks: list[str | Table]  # prose lines and tables in document order


@dataclass(frozen=True)
class Opts:
    """Quirks applied while rendering; every one keeps the truth recoverable by a careful human."""

    blank: str = ""            # how a null cell is printed: '', '/', '—', '－', '\xa0', '\u3000'
    fullwidth: bool = False    # full-width digits and brackets in values and labels
    halfwidth_enum: bool = False  # `(一)` instead of `（一）`
    thousands: bool = False    # 1,295
    vertical_t4: str = ""      # '' | 'columns' (r034) | 'chars' (one char per line) | 'spaced' (`结 果 维 持`)
    spaced_labels: bool = False  # `本 年 度 办 理 结 果`
    split_labels: bool = False   # long labels broken over lines (`商业\n企业`)
    header_order: int = 0      # rotate table header rows by this many
    lost_labels: bool = False  # some t3 rows print without their label (kewei_2024); never two in a row
    page_breaks: bool = False  # PDF page footers (`- 3 -`, `第 3 页 共 5 页`) and repeated header rows mid-table
    t4_shape: str = "row"      # 'row' (15 cells) | 'groups' (3 rows of 5) | 'blocks' (header + 5 per group)
    typos: bool = False
    # (not in repr: the older variant tests seed their randomness with repr(opts), and keep their documents)
    comma: str = field(default=",", repr=False)  # thousands separator: `,` or the full-width `，` (1，295)
    units: bool = field(default=False, repr=False)  # some value cells carry a unit or a note: `3件`, `0（无）`
    t3_order: tuple[int, ...] = field(default=(), repr=False)  # table 3's 法人 columns in this order (head and cells)


def load_truths() -> list[tuple[str, dict]]:
    """Every labelled truth with table keys (seeds, real, real2, html, pdf)."""
    out = []
    for sub in ("seeds", "real", "real2", "html", "pdf"):
        for p in sorted((CORPUS / sub).glob("*.json")):
            t = json.loads(p.read_text(encoding="utf-8"))
            if t.get("metrics"):
                out.append((f"{sub}/{p.stem}", t))
    return out


def _fmt(truth: dict, table: str) -> str:
    keys = truth["metrics"]
    if table == "t2":
        if any(k.endswith((".made", ".published", ".prev_items")) or k.startswith("t2.procurement") for k in keys):
            return "2019"
        return "2021"
    if any(k.startswith("t3.other_") for k in keys):
        return "2021"
    if any(k.startswith("t3.other.") for k in keys):
        return "2019"
    return truth["meta"].get("format") or "2021"


def _v(truth: dict, key: str) -> TCell:
    return TCell("", "value", key, truth[key])


def _t2(truth: dict, rnd: random.Random) -> Table | None:
    m = truth["metrics"]
    rows: list[list[TCell]] = []
    for head, cols, members in T2[_fmt(truth, "t2")]:
        present = [r for r in members if any(f"t2.{r[0]}.{c}" in m for c in r[2])]
        if not present:
            continue
        rows.append([TCell(head, "head", colspan=4)])
        width = 3 // len(cols)
        rows.append([TCell("信息内容", "head")] + [TCell(c, "head", colspan=width) for c in cols])
        for key, labels, columns in present:
            cells = [TCell(rnd.choice(labels))]
            cells += [replace(_v(m, f"t2.{key}.{c}"), colspan=width) for c in columns if f"t2.{key}.{c}" in m]
            rows.append(cells)
    return Table(rows, 0, "t2") if rows else None


def _t3(truth: dict, order: tuple[int, ...] = ()) -> Table | None:
    """Table 3 as printed: 三、本年度办理结果 spans (一)…(七); (三)…(六) span their numbered rows.
    `order` permutes the five 法人或其他组织 columns (header and cells alike)."""
    m = truth["metrics"]
    groups = _T3_HEAD + _T3_OTHER[_fmt(truth, "t3")] + _T3_TAIL
    present = [(g, k, l) for g, members in groups for k, l in members if any(f"t3.{k}.{c}" in m for c in T3_COLS)]
    if not present:
        return None
    outside = ("new", "carried_over", "carried_forward")
    in_three = [k for _, k, _ in present if k not in outside]
    rows: list[list[TCell]] = []
    seen: set[str] = set()
    for group, key, label in present:
        row: list[TCell] = []
        if in_three and key == in_three[0]:
            row.append(TCell("三、本年度办理结果", rowspan=len(in_three)))
        sub = group if group and not group.startswith("三") else None
        if sub and sub not in seen:
            seen.add(sub)
            row.append(TCell(sub, rowspan=sum(1 for g, _, _ in present if g == sub)))
        row.append(TCell(label, colspan=3 if key in outside else (1 if sub else 2)))
        printed = [f"t3.{key}.{c}" for c in _t3_columns(order)]
        if order and not all(k in m for k in printed):  # a row cut off: the cells printed before the cut
            printed = printed[:next(i for i, k in enumerate(printed) if k not in m)]
        row += [_v(m, k) for k in printed if k in m]
        rows.append(row)
    head = [
        [TCell("本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和", "head", rowspan=3, colspan=3),
         TCell("申请人情况", "head", colspan=7)],
        [TCell("自然人", "head", rowspan=2), TCell("法人或其他组织", "head", colspan=5), TCell("总计", "head", rowspan=2)],
        [TCell(T3_SUBHEADS[i], "head") for i in (order or range(5))],
    ]
    return Table(head + rows, 3, "t3")


T3_SUBHEADS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")


def _t3_columns(order: tuple[int, ...]) -> tuple[str, ...]:
    """Table 3's columns in printed order: 自然人, the five 法人 columns in `order`, 总计."""
    return (T3_COLS[0],) + tuple(T3_COLS[1 + i] for i in (order or range(5))) + (T3_COLS[-1],)


def _t4(truth: dict, shape: str) -> Table | None:
    m = truth["metrics"]
    keys = [f"t4.{g}.{c}" for g in T4_GROUPS for c in T4_COLS]
    cells = [_v(m, k) for k in keys if k in m]
    if not cells:
        return None
    if shape == "blocks":
        rows = []
        for gi, name in enumerate(("行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉")):
            rows += [[TCell(name, "head", colspan=5)], [TCell(h, "head") for h in T4_HEADS]]
            if cells[gi * 5:gi * 5 + 5]:
                rows.append(cells[gi * 5:gi * 5 + 5])
        return Table(rows, 0, "t4")
    head = [
        [TCell("行政复议", "head", rowspan=2, colspan=5), TCell("行政诉讼", "head", colspan=10)],
        [TCell("未经复议直接起诉", "head", colspan=5), TCell("复议后起诉", "head", colspan=5)],
        [TCell(h, "head") for h in T4_HEADS * 3],
    ]
    body = [cells] if shape == "row" else [cells[i:i + 5] for i in range(0, len(cells), 5)]
    return Table(head + body, 3, "t4")


def _lose_labels(t3: Table, rnd: random.Random) -> None:
    """Drop the label cells of a few inner t3 rows (not all-blank ones); their neighbours keep theirs, so
    order still tells."""
    previous = False
    for i in range(t3.heads + 1, len(t3.rows) - 1):
        values = [c for c in t3.rows[i] if c.role == "value"]
        # a row printed all blank keeps its label: with neither, nothing on the page shows it is a row
        if not previous and len(values) == 7 and any(c.value is not None for c in values) and rnd.random() < 0.2:
            t3.rows[i] = values
            previous = True
        else:
            previous = False


def build_doc(name: str, truth: dict, opts: Opts, seed: int) -> Doc:
    """Prose + tables for one truth (rows the truth lacks are not printed)."""
    rnd = random.Random(seed)
    m = truth["metrics"]
    meta = truth["meta"]
    year = meta.get("year") or 2023
    organ = meta.get("organ") or "本机关"
    t2, t3, t4 = _t2(truth, rnd), _t3(truth, opts.t3_order), _t4(truth, opts.t4_shape)
    if t3 is not None and opts.lost_labels:
        _lose_labels(t3, rnd)
    intro = f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
    if m.get("t3.new.total") is not None:
        intro += f"全年共收到政府信息公开申请{m['t3.new.total']}件，较上年增加3件。"
    blocks: list[str | Table] = [f"{organ}{year}年政府信息公开工作年度报告", "一、总体情况", intro]
    for heading, table in (("二、主动公开政府信息情况", t2), ("三、收到和处理政府信息公开申请情况", t3),
                           ("四、政府信息公开行政复议、行政诉讼情况", t4)):
        if table is not None:
            blocks += [heading, table]
    if truth.get("complete"):
        blocks += ["五、存在的主要问题及改进情况", f"一是公开内容不够全面；二是{year + 1}年将加强培训2次以上。",
                   "六、其他需要报告的事项", "本年度未收取信息处理费。", f"{organ}", f"{year + 1}年1月15日"]
    return Doc(name, dict(m), blocks)


# ------------------------------------------------------------------------------ cell text

def _number(v: int | float, opts: Opts) -> str:
    if isinstance(v, float):
        s = f"{v:,.6f}".rstrip("0").rstrip(".") if opts.thousands else repr(v)
    else:
        s = f"{v:,}" if opts.thousands else str(v)
    if opts.fullwidth:
        s = s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,."})
    return s.replace(",", opts.comma)


# what real tables print after a number in a cell (a unit, a note on a zero); amounts in 万元 carry their unit
UNITS = ("件", "件", "个", "项")
ZERO_NOTES = ("（无）", "(无)", "（空）")


def _with_unit(text: str, c: TCell, rnd: random.Random) -> str:
    if c.key and c.key.endswith(".amount"):
        return text + "万元"
    if c.value == 0 and rnd.random() < 0.5:
        return text + rnd.choice(ZERO_NOTES)
    return text + rnd.choice(UNITS) if rnd.random() < 0.6 else text


def _label(text: str, opts: Opts, rnd: random.Random) -> str:
    if opts.halfwidth_enum:
        text = text.replace("（", "(").replace("）", ")")
    if opts.fullwidth:
        text = re.sub(r"(\d)\.", lambda mm: chr(ord(mm.group(1)) + 0xFEE0) + "．", text)
    if opts.typos and rnd.random() < 0.4:
        for a, b in TYPOS:
            if a in text:
                return text.replace(a, b, 1)
        core = re.search(r"[\u4e00-\u9fff]{4,}", text)
        if core:  # one dropped character (`6.属于四类过程性信`, `本年新收政府信息公开申数量`)
            i = rnd.randrange(core.start(), core.end())
            text = text[:i] + text[i + 1:]
    return text


def cell_text(c: TCell, opts: Opts, rnd: random.Random) -> str:
    if c.role == "value":
        if c.value is None:
            return opts.blank
        return _with_unit(_number(c.value, opts), c, rnd) if opts.units else _number(c.value, opts)
    return _label(c.text, opts, rnd)


def _split(text: str, rnd: random.Random) -> list[str]:
    """A label wrapped in a narrow cell: lines of a fixed width (`三、本年\n度办理结\n果`, `商业\n企业`)."""
    if len(text) < 4:
        return [text]
    width = rnd.randint(2, max(2, min(12, len(text) - 1)))
    return [text[i:i + width] for i in range(0, len(text), width)]


def t4_vertical_lines(heads: list[str], opts: Opts) -> list[str]:
    """t4 column headers printed vertically: char rows across columns (r034) or one char per line."""
    if opts.vertical_t4 == "columns":
        return [" ".join(h[i] if i < len(h) else "" for h in heads).strip() for i in range(4)]
    if opts.vertical_t4 == "chars":
        return [ch for h in heads for ch in h]
    return [" ".join(h) for h in heads]


# ------------------------------------------------------------------------------ text layouts

LAYOUTS = ("tab", "pipe", "pipe_border", "markdown", "cell_lines", "cell_lines_blank", "cell_pipe",
           "row_blank", "spaces", "single_space", "alt_pipe", "lone_sep", "bar_open", "bar_label", "blank_lines")
# layouts where a cell can be empty text and still be seen as a cell
DELIMITED = ("tab", "pipe", "pipe_border", "markdown", "row_blank")
# one cell per line, an empty cell marked the layout's own way (the marks real page extractions leave):
# lone_sep   `0 |` per cell, an empty cell a line holding only the separator (` |` or `|`) or nothing,
#            filler lines (`|||`) between some rows;
# bar_open   each row opened by a lone `|` line, then `0 |` per cell, an empty cell ` |` (real2/n075);
# bar_label  `| 规章`, then each cell after a lone `|` line, an empty cell an empty line (real2/n159);
# blank_lines cells separated by an empty line, an empty cell one more empty line (`12` and five empty
#            cells before `12`: `12`, six empty lines, `12`).
MARKED = ("lone_sep", "bar_open", "bar_label", "blank_lines")
LINE_LAYOUTS = ("cell_lines", "cell_lines_blank", "cell_pipe", "alt_pipe") + MARKED


def _marked_cell(text: str, layout: str, first: bool, rnd: random.Random) -> str:
    """One cell (text may be empty) in a MARKED layout, newline included."""
    if layout == "lone_sep":
        return f"{text} |\n" if text else rnd.choice((" |\n", "|\n", "\n"))
    if layout == "bar_open":
        return f"{text} |\n" if text else " |\n"
    if layout == "bar_label":
        return (f"| {text}" if first else f"|\n{text}") + "\n"
    return f"{text}\n\n" if text else "\n"  # blank_lines


def _marked_row_end(layout: str, rnd: random.Random) -> str:
    if layout == "lone_sep" and rnd.random() < 0.5:
        return "|" * rnd.randint(2, 4) + "\n"
    return "|\n" if layout == "bar_label" else ""


@dataclass
class Seg:
    text: str
    key: str | None = None
    value: int | float | None = None


def _join_row(cells: list[str], layout: str, rnd: random.Random) -> str:
    if layout in ("tab", "row_blank"):
        return "\t".join(cells)
    if layout == "pipe":
        return " | ".join(cells)
    if layout in ("pipe_border", "markdown"):
        return "| " + " | ".join(cells) + " |"
    if layout == "spaces":
        return "".join(c + " " * rnd.randint(2, 4) for c in cells[:-1]) + cells[-1]
    return " ".join(cells)


def render_text(doc: Doc, layout: str, opts: Opts, seed: int) -> list[Seg]:
    """The document in one layout, as segments; a value segment carries its key and value."""
    rnd = random.Random(seed)
    segs: list[Seg] = []
    line_mode = layout in LINE_LAYOUTS

    def emit(text: str, key: str | None = None, value=None) -> None:
        segs.append(Seg(text, key, value))

    for block in doc.blocks:
        if isinstance(block, str):
            emit(block + "\n")
            continue
        rows = _page_broken(_ordered_rows(block, opts), block.heads, rnd) if opts.page_breaks else \
            _ordered_rows(block, opts)
        for ri, row in enumerate(rows):
            if row and row[0].role == "page":
                emit(row[0].text + "\n")
                continue
            texts: list[tuple[str, TCell]] = []
            for c in row:
                t = cell_text(c, opts, rnd)
                if c.role != "value" and opts.spaced_labels and len(t) <= 12:
                    t = " ".join(t)
                texts.append((t, c))
            if block.name == "t4" and opts.vertical_t4 and all(c.role == "head" and c.text in T4_HEADS for c in row):
                for line in t4_vertical_lines([c.text for c in row], opts):
                    emit(line + ("\n\n" if layout in ("cell_lines_blank", "blank_lines") else "\n"))
                continue
            if layout in MARKED:
                if layout == "bar_open":
                    emit("|\n")
                for ci, (t, c) in enumerate(texts):
                    parts = _split(t, rnd) if opts.split_labels and c.role != "value" else [t]
                    wrap = "\n\n" if layout == "blank_lines" else "\n"
                    cell = _marked_cell(wrap.join(parts), layout, ci == 0, rnd)
                    emit(cell, c.key, c.value) if c.role == "value" else emit(cell)
                emit(_marked_row_end(layout, rnd))
                continue
            if line_mode:
                for t, c in texts:
                    parts = _split(t, rnd) if opts.split_labels and c.role != "value" else [t]
                    sep = {"cell_lines": "\n", "cell_lines_blank": "\n\n", "cell_pipe": " |\n", "alt_pipe": "\n|\n"}[layout]
                    for p in parts[:-1]:
                        emit(p + ("\n\n" if layout == "cell_lines_blank" else "\n"))
                    emit(parts[-1] + sep, c.key, c.value) if c.role == "value" else emit(parts[-1] + sep)
                continue
            # row layouts: values are separate segments so a cut can fall between cells
            head = [t for t, c in texts if c.role != "value"]
            if opts.split_labels and head and all(c.role != "value" for _, c in texts[:len(head)]):
                pieces = _split(head[0], rnd)
                if len(pieces) > 1:  # the first label wraps: its head on a line of its own
                    emit(pieces[0] + "\n")
                    texts[0] = ("".join(pieces[1:]), texts[0][1])
            line = _join_row([t for t, _ in texts], layout, rnd)
            # emit the line prefix up to each value so cut points fall after a value's text
            pos = 0
            for t, c in texts:
                if c.role != "value":
                    continue
                idx = _find_cell(line, t, pos, layout)
                emit(line[pos:idx + len(t)], c.key, c.value)
                pos = idx + len(t)
            end = line[pos:] + "\n"
            if layout == "row_blank":
                end += "\n"
            emit(end)
            if layout == "markdown" and ri == 0:
                emit("|" + "---|" * len(texts) + "\n")
    return segs


def _page_broken(rows: list[list[TCell]], heads: int, rnd: random.Random) -> list[list[TCell]]:
    """A page break between two data rows: footer, header line, and (sometimes) the table header again."""
    data = [i for i in range(heads + 1, len(rows))]
    if not data:
        return rows
    at = rnd.choice(data)
    page = rnd.randint(2, 9)
    footer = rnd.choice((f"- {page} -", f"— {page} —", f"第 {page} 页 共 {page + 2} 页", f"第{page}页"))
    repeat = rows[:heads] if heads and rnd.random() < 0.5 else []
    return rows[:at] + [[TCell(footer, "page")]] + repeat + rows[at:]


def _find_cell(line: str, text: str, start: int, layout: str) -> int:
    """Index of a value cell's text in the joined line, at a cell boundary."""
    i = start
    while True:
        i = line.index(text, i)
        before = line[i - 1] if i else ""
        after = line[i + len(text)] if i + len(text) < len(line) else ""
        if (not before or before in " \t|") and (not after or after in " \t|"):
            return i
        i += 1


def _ordered_rows(table: Table, opts: Opts) -> list[list[TCell]]:
    if not opts.header_order or table.heads < 2:
        return table.rows
    k = opts.header_order % table.heads
    heads = table.rows[:table.heads]
    return heads[k:] + heads[:k] + table.rows[table.heads:]


def join(segs: list[Seg]) -> str:
    return "".join(s.text for s in segs)


def truth_of(segs: list[Seg]) -> dict[str, int | float | None]:
    return {s.key: s.value for s in segs if s.key}


def cut_points(segs: list[Seg], rnd: random.Random, n: int) -> list[int]:
    """Segment indices right after a printed (non-null) value: cuts a reader can place exactly.

    A cut after a blank cell is not used: whether a trailing empty cell was printed or lost in the cut
    cannot be told from the text.
    """
    points = [i for i, s in enumerate(segs) if s.key and s.value is not None]
    return sorted(rnd.sample(points, min(n, len(points))))


def cut(segs: list[Seg], i: int, rnd: random.Random, line_mode: bool) -> tuple[str, dict]:
    """The text up to and including segment i (plus part of a following label), and its truth.

    In one-cell-per-line layouts the partial label may be just its enumerator (r025 ends `0\n\n2`); in
    row layouts a bare number on the last line could as well be a value, so only digit-free parts are cut.
    """
    head = segs[: i + 1]
    text = join(head)
    nxt = segs[i + 1].text if i + 1 < len(segs) else ""
    if nxt and not segs[i + 1].key and (line_mode or not re.search(r"\d", nxt)):
        text += nxt[: rnd.randrange(len(nxt))]
    return text, truth_of(head)


# ------------------------------------------------------------------------------ HTML markups

MARKUPS = ("editor", "word", "compact", "one_table", "th_heads", "page_split", "unmerged")
# unmerged: Word's vertically merged cells saved as an empty cell in every row they cover (no rowspan)


def _html_cell_text(c: TCell, markup: str, opts: Opts, rnd: random.Random) -> str:
    t = cell_text(c, opts, rnd)
    esc = t.replace("&", "&amp;").replace("<", "&lt;")
    vertical = c.role == "head" and c.text in T4_HEADS and opts.vertical_t4
    if vertical:
        return "<br>".join(esc) if markup != "word" else "".join(f"<p class=MsoNormal>{ch}</p>" for ch in esc)
    if c.role == "value":
        if not esc.strip():
            return "&nbsp;" if markup in ("compact", "word") else ("<o:p></o:p>" if markup == "word" else "")
        if markup == "word":
            digits = list(esc) if len(esc) > 1 and rnd.random() < 0.5 else [esc]
            runs = "".join(f"<span lang=EN-US style='font-family:仿宋_GB2312'>{d}</span>" for d in digits)
            return f"<p class=MsoNormal align=center><font face=Calibri>&nbsp;</font>{runs}<o:p></o:p></p>"
        return f"<p style=\"text-indent: 0em;\">{esc}</p>" if markup == "editor" else esc
    parts = _split(esc, rnd) if (opts.split_labels or markup == "editor") and len(esc) > 3 else [esc]
    if markup == "word":
        return "<p class=MsoNormal>" + "".join(f"<font face=仿宋_GB2312>{p}</font>" for p in parts) + "<o:p></o:p></p>"
    if markup == "editor":
        return "".join(f"<p style=\"text-indent: 0em;\">{p}</p>" for p in parts)
    return "<br>".join(parts)


def _unmerge(rows: list[list[TCell]]) -> list[list[TCell]]:
    """Rows with each rowspan replaced by an empty cell (of the same colspan) in every row it covered."""
    covered: dict[int, tuple[int, int]] = {}  # column -> (rows still covered, colspan)
    out = []
    for row in rows:
        cells, new, col = list(row), [], 0
        while cells or any(c >= col for c in covered):
            if col in covered:
                left, span = covered.pop(col)
                new.append(TCell("", "head", colspan=span))
                if left > 1:
                    covered[col] = (left - 1, span)
                col += span
                continue
            if not cells:
                col += 1
                continue
            c = cells.pop(0)
            if c.rowspan > 1:
                covered[col] = (c.rowspan - 1, c.colspan)
            new.append(replace(c, rowspan=1))
            col += c.colspan
        out.append(new)
    return out


def _html_rows(table: Table, markup: str, opts: Opts, rnd: random.Random) -> str:
    out = []
    rows = _unmerge(table.rows) if markup == "unmerged" else table.rows
    for row in rows:  # DOM order: header rows keep their spans
        tds = []
        for c in row:
            tag = "th" if markup == "th_heads" and c.role == "head" else "td"
            attrs = ""
            if c.rowspan > 1:
                attrs += f" rowspan=\"{c.rowspan}\""
            if c.colspan > 1:
                attrs += f" colspan=\"{c.colspan}\""
            if markup == "compact":
                attrs += " nowrap"
            elif markup == "word":
                attrs += " style='border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'"
            tds.append(f"<{tag}{attrs}>{_html_cell_text(c, markup, opts, rnd)}</{tag}>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "\n".join(out)


def _unspanned(rows: list[list[TCell]]) -> list[list[TCell]]:
    """Rows of one page of a split table: a rowspan cannot reach past the page's last row."""
    out = []
    for i, row in enumerate(rows):
        out.append([replace(c, rowspan=min(c.rowspan, len(rows) - i)) for c in row])
    return out


def render_html(doc: Doc, markup: str, opts: Opts, seed: int) -> str:
    """A TRS/Word-style page holding the document; tables in their own <table> (or all in one)."""
    rnd = random.Random(seed)
    body: list[str] = []
    table_open = "<table class=MsoNormalTable border=1 cellspacing=0>" if markup == "word" else "<table border=\"1\">"
    shared: list[str] = []
    for block in doc.blocks:
        if isinstance(block, str):
            if shared and markup == "one_table":
                continue  # prose between tables is dropped when the tables share one grid
            body.append(f"<p style=\"text-indent: 2em;\">{block}</p>")
            continue
        if markup == "page_split" and len(block.rows) > block.heads + 1:
            # a Word table broken across pages: two <table>s, the header sometimes repeated
            at = rnd.randrange(block.heads + 1, len(block.rows))
            first, rest = block.rows[:at], block.rows[at:]
            head = block.rows[:block.heads] if rnd.random() < 0.5 else []
            for part in (first, head + rest):
                part_rows = _html_rows(Table(_unspanned(part), block.heads, block.name), markup, opts, rnd)
                body.append(f"{table_open}<tbody>{part_rows}</tbody></table>")
            continue
        rows = _html_rows(block, markup, opts, rnd)
        if markup == "one_table":
            if not shared:
                body.append("@@TABLE@@")
            shared.append(rows)
        else:
            body.append(f"{table_open}<tbody>{rows}</tbody></table>")
    page = "\n".join(body).replace("@@TABLE@@", f"{table_open}<tbody>{''.join(shared)}</tbody></table>")
    title = doc.blocks[0] if isinstance(doc.blocks[0], str) else "年度报告"
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"ArticleTitle\" content=\"{title}\">"
            f"<title>{title}</title></head><body><div class=\"article_content\"><div class=TRS_Editor>\n{page}\n"
            f"</div></div></body></html>")


# ------------------------------------------------------------------------------ pre-2019 reports

LEGACY_LAYOUTS = ("prose", "tab", "pipe", "spaces", "cell_lines")
# the old 统计表's rows (指标名称 | 计量单位 | 本年度 | 历年累计): (label, unit, truth key of this year's figure or None)
_LEGACY_TABLE = (
    ("一、主动公开情况", "", None),
    ("（一）主动公开政府信息数", "条", "t2.normative.issued"),
    ("其中：主动公开规范性文件数", "件", "t2.normative.in_force"),
    ("二、依申请公开情况", "", None),
    ("（一）收到申请数", "件", "t3.new.total"),
    ("1.当面申请数", "件", "t3.new.natural"),
    ("（二）申请办理结果", "", None),
    ("1.按时办结数", "件", "t3.handled_total.total"),
    ("2.同意公开答复数", "件", "t3.granted.total"),
    ("三、因政府信息公开申请行政复议、提起行政诉讼情况", "", None),
    ("（一）维持具体行政行为数", "件", "t4.review.upheld"),
    ("（二）被依法纠错数", "件", "t4.review.corrected"),
    ("（三）其他情形数", "件", "t4.review.other"),
    ("四、政府信息公开收费情况", "", None),
    ("（一）依申请提供信息收费", "万元", "t2.fees.amount"),
)


def build_legacy_text(truth: dict, layout: str, seed: int) -> str:
    """A pre-2019 report (the 2008 条例's headings, figures in prose, in `layout` also an old 统计表) holding the
    truth's numbers: none of them belongs in a template cell."""
    rnd = random.Random(seed)
    m = {k: v for k, v in truth["metrics"].items() if v is not None}
    num = lambda key: m.get(key, rnd.randint(0, 40))  # noqa: E731
    year = rnd.randint(2012, 2018)
    organ = truth["meta"].get("organ") or "县人民政府办公室"
    lines = [f"{organ}{year}年政府信息公开工作年度报告",
             "本报告根据《中华人民共和国政府信息公开条例》要求编制。全文包括概述，主动公开政府信息情况，依申请公开政府信息"
             "情况，政府信息公开的收费及减免情况，因政府信息公开申请提起行政复议、行政诉讼的情况，存在的主要问题及改进措施。",
             "一、概述", f"{year}年，我单位认真贯彻落实《条例》，召开专题会议{rnd.randint(2, 6)}次。",
             "二、主动公开政府信息情况",
             f"全年主动公开政府信息{num('t2.normative.issued')}条，其中规范性文件{num('t2.normative.in_force')}件。",
             "三、依申请公开政府信息情况",
             f"全年共受理政府信息公开申请{num('t3.new.total')}件，其中予以公开{num('t3.granted.total')}件，"
             f"部分公开{num('t3.partial.total')}件，不予公开{num('t3.denied_secret.total')}件。",
             "四、政府信息公开的收费及减免情况", "本年度未收取信息检索、复制费用。",
             "五、因政府信息公开申请提起行政复议、行政诉讼的情况",
             f"本年度发生政府信息公开行政复议{num('t4.review.total')}件，行政诉讼{num('t4.suit_direct.total')}件。"]
    if layout != "prose":
        head = ["指标名称", "计量单位", "本年度", "历年累计"]
        rows = [head] + [[label, unit, str(num(key)) if key else "", str(num(key) + rnd.randint(0, 90)) if key else ""]
                         for label, unit, key in _LEGACY_TABLE]
        lines.append(f"{organ}{year}年政府信息公开情况统计表")
        for row in rows:
            if layout == "cell_lines":
                lines += [c for c in row if c]
            else:
                lines.append(_join_row(row, layout, rnd))
    lines += ["六、存在的主要问题及改进措施", "一是公开内容不够全面。", organ, f"{year + 1}年3月1日"]
    return "\n".join(lines) + "\n"
