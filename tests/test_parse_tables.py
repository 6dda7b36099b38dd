"""Table interpreter on each flattened layout, built from the template rather than copied files."""
from __future__ import annotations

import pytest

from parsers import parse_bytes
from parsers.cells import BLANK, LABEL, VALUE, classify, text_rows
from parsers.document import Cell, Document
from parsers import parse_document

T3_LABELS = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "(一)予以公开",
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "1.属于国家秘密", "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他", "(七)总计",
    "四、结转下年度继续办理",
]
T3_KEYS = ["new", "carried_over", "granted", "partial", "denied_secret", "denied_law", "denied_security",
           "denied_third_party", "denied_internal", "denied_process", "denied_enforcement", "denied_query",
           "unable_not_held", "unable_need_create", "unable_unclear", "rejected_petition", "rejected_duplicate",
           "rejected_publication", "rejected_mass", "rejected_confirm", "other_no_correction", "other_no_fee",
           "other_other", "handled_total", "carried_forward"]
COLS = ["natural", "commercial", "research", "social", "legal", "other", "total"]


def t3_values(i: int) -> list[int]:
    """Distinct numbers per row so a shifted row shows up as a wrong value."""
    return [i * 10 + c for c in range(7)]


def build(sep: str, one_per_line: bool = False, labels=T3_LABELS) -> str:
    lines = ["三、收到和处理政府信息公开申请情况"]
    for i, label in enumerate(labels):
        cells = [label] + [str(v) for v in t3_values(i)]
        if one_per_line:
            lines += [c + sep for c in cells]
        else:
            lines.append(sep.join(cells))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议\t行政诉讼",
              "结果维持\t结果纠正\t其他结果\t尚未审结\t总计"]
    t4 = [str(900 + i) for i in range(15)]
    lines += [v + sep for v in t4] if one_per_line else [sep.join(t4)]
    lines += [
              "五、存在的主要问题及改进情况", "无。"]
    return "\n".join(lines)


def expect_t3(metrics: dict) -> None:
    for i, key in enumerate(T3_KEYS):
        for c, col in enumerate(COLS):
            assert metrics[f"t3.{key}.{col}"] == t3_values(i)[c], f"t3.{key}.{col}"
    assert metrics["t4.review.upheld"] == 900 and metrics["t4.suit_after_review.total"] == 914


@pytest.mark.parametrize("sep,one", [("\t", False), (" | ", False), ("  ", False), (" ", False),
                                      (" |", True), ("", True)], ids=["tab", "pipe", "spaces", "space", "cell-per-line", "bare-lines"])
def test_t3_layouts(sep: str, one: bool) -> None:
    r = parse_bytes(build(sep, one).encode(), "x.txt")
    expect_t3(r.metrics)
    assert r.meta["format"] == "2021"


def test_blank_line_separated_cells() -> None:
    text = build("", True).replace("\n", "\n\n")
    expect_t3(parse_bytes(text.encode("gb18030"), "x.txt").metrics)


def test_typos_and_vertical_labels_still_match() -> None:
    labels = list(T3_LABELS)
    labels[5] = "2.其他法律法规禁止公开"
    labels[8] = "5.属于三类内容事务信息"
    labels[22] = "3.申请"
    labels[9] = "6.属于四类过程性信"
    labels[2] = "三、 本 年 度 办 理 结 果\t(一) 予 以 公 开"
    expect_t3(parse_bytes(build("\t", labels=labels).encode(), "x.txt").metrics)


def test_unlabelled_row_fills_its_gap_by_order() -> None:
    labels = list(T3_LABELS)
    labels[3] = ""  # (二)部分公开 lost its label: a bare value row between (一) and 1.
    expect_t3(parse_bytes(build(" | ", labels=labels).encode(), "x.txt").metrics)


def test_blanks_are_null_and_short_rows_are_dropped() -> None:
    text = "\n".join([
        "一、本年新收政府信息公开申请数量\t\t\t\t\t\t\t0",
        "二、上年结转政府信息公开申请数量\t/\t—\t0\t0\t0\t0\t0",
        "(一)予以公开\t0\t0\t0\t0\t0",  # five cells for seven columns: cannot be placed
        "(二)部分公开\t1\t0\t0\t0\t0\t0\t1",
        "五、存在的主要问题及改进情况",
    ])
    m = parse_bytes(text.encode(), "x.txt").metrics
    assert m["t3.new.total"] == 0 and m["t3.new.natural"] is None
    assert m["t3.carried_over.natural"] is None and m["t3.carried_over.commercial"] is None
    assert not any(k.startswith("t3.granted.") for k in m)
    assert m["t3.partial.total"] == 1


def test_cut_off_document_keeps_what_is_printed() -> None:
    text = "一、本年新收政府信息公开申请数量 | 58 | 7 | 0 | 0 | 1 | 0 | 66 |\n(一)予以公开 | 2 | 1 | 0 |"
    m = parse_bytes(text.encode(), "x.txt").metrics
    assert m["t3.new.total"] == 66
    assert m["t3.granted.research"] == 0 and "t3.granted.social" not in m


T2_2021 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年制发件数\t本年度止件数\t现行有效件数
规章\t1\t2\t3
行政规范性文件\t4\t5\t6
第二十条第（五）项
信息内容\t本年处理决定数量\t\t
行政许可\t７\t\t
第二十条第（六）项
信息内容\t本年处理决定数量\t\t
行政处罚\t8\t\t
行政强制\t\t\t
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）\t\t
行政事业性收费\t24252.311082\t\t
"""

T2_2019 = """第二十条第(一)项
信息内容
本年新
制作数量
本年新
公开数量
对外公开总数量
规章
0
0
0
规范性文件
5
5
5
第二十条第(五)项
信息内容
上一年项目数量
本年增/减
处理决定数量
行政许可
10
-2
442
其他对外管理服务事项
1
0
3
第二十条第(八)项
信息内容
上一年项目数量
本年增/减
行政事业性收费
35
-15
第二十条第(九)项
信息内容
采购项目数量
采购总金额
政府集中采购
1
75394432.52元
"""


def test_t2_2021_with_typo_header_fullwidth_digit_and_blank() -> None:
    r = parse_bytes(T2_2021.encode(), "x.txt")
    m = r.metrics
    assert [m["t2.rules.issued"], m["t2.rules.repealed"], m["t2.rules.in_force"]] == [1, 2, 3]
    assert m["t2.normative.in_force"] == 6 and m["t2.licensing.decisions"] == 7
    assert m["t2.punishment.decisions"] == 8 and m["t2.coercion.decisions"] is None
    assert m["t2.fees.amount"] == 24252.311082
    assert r.meta["format"] == "2021"


def test_t2_2019_one_cell_per_line() -> None:
    r = parse_bytes(T2_2019.encode(), "x.txt")
    m = r.metrics
    assert m["t2.normative.total"] == 5 and m["t2.licensing.change"] == -2 and m["t2.licensing.decisions"] == 442
    assert m["t2.other_services.decisions"] == 3
    assert m["t2.fees.prev_items"] == 35 and m["t2.fees.change"] == -15
    assert m["t2.procurement.amount"] == 75394432.52
    assert r.meta["format"] == "2019"


def test_html_grid_with_spans() -> None:
    rows = []
    for i, (label, key) in enumerate(zip(T3_LABELS, T3_KEYS)):
        rows.append([Cell(label)] + [Cell(str(v)) for v in t3_values(i)])
    rows[2] = [Cell("三、本年度办理结果", rowspan=22)] + rows[2]
    for r in rows[3:24]:
        r.insert(0, None)
    rows[0][1] = Cell(" 0 ")  # padded value
    doc = Document(source="g", kind="html", text="", tables=[rows])
    m = parse_document(doc).metrics
    assert m["t3.new.natural"] == 0 and m["t3.carried_forward.total"] == t3_values(24)[6]
    assert m["t3.other_other.natural"] == t3_values(22)[0]


def test_classify_cells() -> None:
    assert [t.kind for t in classify("行政许可 97")] == [LABEL, VALUE]
    assert [t.value for t in classify("0 0 0")] == [0, 0, 0]
    assert classify("1,234")[0].value == 1234
    assert classify("22（其中修订16件）")[0].kind == LABEL or classify("22(其中修订16件)")[0].value == 22
    assert classify("/")[0].kind == BLANK and classify("—")[0].kind == BLANK
    assert classify("1.属于国家秘密")[0].kind == LABEL


def test_nbsp_only_line_is_a_printed_blank_but_tab_only_is_filler() -> None:
    rows = text_rows("\t\u00a0\n\t\n\t0")
    kinds = [t.kind for r in rows for t in r.tokens]
    assert kinds == [BLANK, VALUE]


def test_general_cell_rules() -> None:
    """Rules the layout-variant harness needed, each on its smallest input."""
    kinds = lambda text: [[t.kind for t in r.tokens] for r in text_rows(text)]  # noqa: E731
    assert kinds("四、结转下年度继续办理 0 / / / / / 0") == [[LABEL, VALUE] + [BLANK] * 5 + [VALUE]]
    assert kinds("/ / / / /") == [[BLANK] * 5]
    assert kinds("\u00a0 |") == [[BLANK]]                      # printed blank, not a `||` filler
    assert kinds("| \u3000 | \u3000 | 0 |") == [[BLANK, BLANK, VALUE]]
    assert kinds("|  |  |  |") == [[BLANK] * 3] and kinds("|||") == []
    assert kinds("- 3 -\n第 3 页 共 5 页") == []               # page footers inside a table
    assert kinds("6\n.属于四类过程性信息") == [[LABEL]]         # a label printed one character per line


def test_label_less_row_in_a_cell_stream_is_placed_by_order() -> None:
    lines = []
    for i, label in enumerate(T3_LABELS):
        lines += ([label] if i != 4 else []) + [str(v) for v in t3_values(i)]
    text = "三、收到和处理政府信息公开申请情况\n" + "\n".join(lines) + "\n五、存在的主要问题及改进情况\n无。"
    m = parse_bytes(text.encode(), "x.txt").metrics
    assert [m[f"t3.denied_secret.{c}"] for c in COLS] == t3_values(4)
    assert [m[f"t3.carried_forward.{c}"] for c in COLS] == t3_values(24)


# ---------------------------------------------------------------------------- pre-2019 统计表

OLD_ROWS = [("指标名称", "计量单位", "2017年度", "历年累计"),
            ("一、主动公开情况",),
            ("(一)主动公开政府信息数", "条", "120", "980"),
            ("其中:主动公开规范性文件数", "条", "3", "40"),
            ("二、依申请公开情况",),
            ("(一)收到申请数", "件", "2", "15"),
            ("其中:涉及国家秘密", "件", "0", "0"),
            ("三、因政府信息公开申请行政复议、提起行政诉讼情况",),
            ("(一)维持具体行政行为数", "件", "0", "10"),
            ("(二)被依法纠错数", "件", "0", "10"),
            ("(三)其他情形数", "件", "0", "1")]


def _old_table_html(rows) -> str:
    return "<table>" + "".join("<tr>" + (f'<td colspan="4">{r[0]}</td>' if len(r) == 1 else
                                         "".join(f"<td>{c}</td>" for c in r)) + "</tr>" for r in rows) + "</table>"


def test_old_statistics_table_yields_no_template_keys(corpus) -> None:
    """pingtan_2018's real 统计表 with the old 复议/诉讼 rows added: still no t2/t3/t4 key, format legacy."""
    page = (corpus / "html" / "pingtan_2018.html").read_text(encoding="utf-8")
    extra = _old_table_html(OLD_ROWS[7:])[len("<table>"):-len("</table>")]
    page = page.replace("</tbody></table>", extra + "</tbody></table>", 1)
    r = parse_bytes(page.encode(), "p.html")
    assert r.metrics == {} and r.meta["format"] == "legacy"


@pytest.mark.parametrize("sep", ["\t", " | "])
@pytest.mark.parametrize("header", [True, False], ids=["header", "unit-column-only"])
def test_old_statistics_table_in_text(sep: str, header: bool) -> None:
    rows = OLD_ROWS if header else OLD_ROWS[7:]  # a page-2 part: only the unit column tells
    text = "某县2017年政府信息公开工作年度报告\n一、概述\n本年度主动公开政府信息120条。\n" + \
           "\n".join(sep.join(r) for r in rows) + "\n"
    r = parse_bytes(text.encode(), "old.txt")
    assert r.metrics == {} and r.meta["format"] == "legacy"


def test_old_table_before_the_template_tables_is_skipped_not_them(corpus) -> None:
    page = (corpus / "html" / "pingtan_2024.html").read_text(encoding="utf-8")
    plain = parse_bytes(page.encode(), "p.html")
    mixed = parse_bytes(page.replace("<table", _old_table_html(OLD_ROWS) + "<table", 1).encode(), "p.html")
    assert mixed.metrics == plain.metrics and len(plain.metrics) == 200 and mixed.meta["format"] == "2021"


def test_empty_edge_cells_of_a_borderless_pipe_table() -> None:
    """`行政强制 | ` in a document whose rows carry no borders is a label and a blank cell; where the document
    closes every row with `|` (r001), the same final pipe is a border."""
    kinds = lambda text: [[t.kind for t in r.tokens] for r in text_rows(text)]  # noqa: E731
    borderless = "规章 | 0 | 0 | 3\n行政处罚 | 5\n行政强制 | \n | 0 | 1"
    assert kinds(borderless) == [[LABEL] + [VALUE] * 3, [LABEL, VALUE], [LABEL, BLANK], [BLANK, VALUE, VALUE]]
    closed = "规章 | 0 | 0 | 3 |\n行政处罚 | 5 |\n行政强制 |"
    assert kinds(closed) == [[LABEL] + [VALUE] * 3, [LABEL, VALUE], [LABEL]]
    text = ("信息内容 | 本年处理决定数量\n行政许可 | 4\n行政处罚 | 0\n行政强制 | \n"
            "信息内容 | 本年收费金额（单位：万元）\n行政事业性收费 | 0")
    m = parse_bytes(text.encode(), "t2.txt").metrics
    assert (m["t2.licensing.decisions"], m["t2.coercion.decisions"], m["t2.fees.amount"]) == (4, None, 0)


def test_an_enumerated_row_label_beats_a_column_header_and_order() -> None:
    """real/r034 shape: the only table-3 row printed is 四、结转…, right under the column headers (…其他), and
    table 4 follows in three rows of five. The row's own label decides; `其他` (3.其他) and a totals row after
    it must not take its values."""
    text = "\n".join([
        "三、收到和处理政府信息公开申请情况",
        "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和 | 申请人情况",
        "自然人 | 法人或其他组织 | 总计", "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他",
        "四、结转下年度继续办理 | 1 | 2 | 0 | 0 | 0 | 0 | 3",
        "四、政府信息公开行政复议、行政诉讼情况", "行政复议 | 行政诉讼", "未经复议直接起诉 | 复议后起诉",
        " | ".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3),
        "0 | 1 | 0 | 0 | 1", "0 | 0 | 2 | 0 | 2", "0 | 0 | 0 | 3 | 3",
    ])
    m = parse_bytes(text.encode(), "r034.txt").metrics
    assert {k: v for k, v in m.items() if k.startswith("t3.")} == {
        f"t3.carried_forward.{c}": v for c, v in zip(COLS, [1, 2, 0, 0, 0, 0, 3])}
    assert (m["t4.review.total"], m["t4.suit_direct.total"], m["t4.suit_after_review.total"]) == (1, 2, 3)


# ------------------------------------------------------------------------------ blank-cell marks, glued digits

def _t3_report(lines: list[str]) -> "parsers.model.Report":
    head = "三、收到和处理政府信息公开申请情况\n申请人情况\n自然人\n商业企业\n科研机构\n社会公益组织\n法律服务机构\n其他\n总计\n"
    return parse_bytes((head + "\n".join(lines) + "\n四、政府信息公开行政复议、行政诉讼情况\n").encode(), "t.txt")


def test_one_more_empty_line_is_one_empty_cell():
    """Blank-line-separated cells: `12`, five empty cells and `12` print as `12`, six empty lines, `12`."""
    rows = ["一、本年新收政府信息公开申请数量", "", "12", "", "", "", "", "", "", "12", "",
            "二、上年结转政府信息公开申请数量", "", "0", "", "0", "", "0", "", "0", "", "0", "", "0", "", "0", ""]
    m = _t3_report(rows).metrics
    assert [m[f"t3.new.{c}"] for c in COLS] == [12, None, None, None, None, None, 12]
    assert [m[f"t3.carried_over.{c}"] for c in COLS] == [0] * 7


def test_lone_separator_lines_are_empty_cells_and_filler_lines_are_not():
    rows = ["一、本年新收政府信息公开申请数量 |", "3 |", " |", "|", "1 |", " |", " |", "4 |", "|||",
            "二、上年结转政府信息公开申请数量 |", "0 |", "0 |", "0 |", "0 |", "0 |", "0 |", "0 |", "||||"]
    m = _t3_report(rows).metrics
    assert [m[f"t3.new.{c}"] for c in COLS] == [3, None, None, 1, None, None, 4]


def test_bar_opened_rows_with_values_between_lone_separators():
    """real2/n159's layout: `| label`, then each cell after a lone `|`; an empty cell is nothing between two."""
    rows = ["| 一、本年新收政府信息公开申请数量", "|", "2", "|", "", "|", "0", "|", "", "|", "0", "|", "0", "|", "2", "|",
            "| 二、上年结转政府信息公开申请数量", "|", "0", "|", "0", "|", "0", "|", "0", "|", "0", "|", "0", "|", "0", "|"]
    m = _t3_report(rows).metrics
    assert [m[f"t3.new.{c}"] for c in COLS] == [2, None, 0, None, 0, 0, 2]


def test_glued_digits_split_only_when_one_reading_or_the_row_sum_picks_it():
    text = ("二、主动公开政府信息情况\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章000\n规范性文件100\n"
            "信息内容\t本年处理决定数量\n行政许可0\n" "三、收到和处理政府信息公开申请情况\n"
            "一、本年新收政府信息公开申请数量120000012\n二、上年结转政府信息公开申请数量0000000\n")
    r = parse_bytes(text.encode(), "t.txt")
    assert [r.metrics[f"t2.rules.{c}"] for c in ("issued", "repealed", "in_force")] == [0, 0, 0]
    assert "t2.normative.issued" not in r.metrics  # 1/0/0 or 10/0 and a blank: left out
    assert r.metrics["t2.licensing.decisions"] == 0
    # 12 0 0 0 0 0 12 is the one complete reading whose sum holds (1 2 0 0 0 0 12 does not add up)
    assert [r.metrics[f"t3.new.{c}"] for c in COLS] == [12, 0, 0, 0, 0, 0, 12]
    assert r.inferred == sorted(f"t3.new.{c}" for c in COLS)
    assert "inferred" in r.to_json() and r.to_json()["inferred"] == r.inferred
    row = next(c for c in r.checks if c.name == "t3.row.new")
    assert row.passed is None and "not a confirmation" in row.detail  # the sum that chose them cannot confirm them


def test_table_printed_with_labels_and_no_numbers_is_blank_rows():
    text = ("二、主动公开政府信息情况\n第二十条第（一）项\n信息内容\n本年制发件数\n本年废止件数\n现行有效件数\n规章\n行政规范性文件\n"
            "第二十条第（五）项\n信息内容\n本年处理决定数量\n行政许可\n三、收到和处理政府信息公开申请情况\n")
    m = parse_bytes(text.encode(), "t.txt").metrics
    assert {k: v for k, v in m.items() if k.startswith("t2.")} == {
        "t2.rules.issued": None, "t2.rules.repealed": None, "t2.rules.in_force": None,
        "t2.normative.issued": None, "t2.normative.repealed": None, "t2.normative.in_force": None,
        "t2.licensing.decisions": None}


def test_row_opening_blanks_are_dropped_only_where_one_reading_or_the_sums_decide():
    from parsers.cells import Token
    from parsers.tables import _T4_ROW_STARTS, _t4_sums, _without_openers
    b, v = (lambda: Token(BLANK, "")), (lambda n: Token(VALUE, str(n), n))
    # three rows of five, each opened by a blank mark: one reading keeps 15 cells
    one = [b(), b(), b(), b(), b(), v(0), b(), v(1), v(0), v(0), v(0), v(1), b(), v(2), v(0), v(0), v(0), v(2)]
    got = _without_openers(one, 15, _T4_ROW_STARTS, _t4_sums)
    assert [c.value for c in got] == [None, None, None, None, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 2]
    assert not any(c.inferred for c in got)
    # a blank that may open row 2 or 3, and no sum to tell: no reading is certain
    many = [v(1), v(0), v(0), v(0), v(1), b(), b(), b(), b(), b(), v(0), b(), b(), b(), b(), b()]
    assert _without_openers(many, 15, _T4_ROW_STARTS, _t4_sums) == []


def test_cells_run_together_without_a_label():
    """No printed number starts with 0: `000000000000000` under table 4's header is its 15 cells."""
    text = ("四、政府信息公开行政复议、行政诉讼情况\n行政复议行政诉讼\n结果维持结果纠正其他结果尚未审结总计\n"
            "000000000000000\n五、存在的主要问题及改进情况\n")
    m = parse_bytes(text.encode(), "t.txt").metrics
    assert [m.get(f"t4.{g}.{c}") for g in ("review", "suit_direct", "suit_after_review")
            for c in ("upheld", "corrected", "other", "pending", "total")] == [0] * 15
    # one 1 among them: its column cannot be known from the digits alone
    text = text.replace("000000000000000", "000001000000000")
    assert not any(k.startswith("t4.") for k in parse_bytes(text.encode(), "t.txt").metrics)
