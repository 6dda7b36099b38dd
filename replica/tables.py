"""The three report tables as abstract grids (origin cells with row/col spans), per template.

Why: HTML (three markups), PDF and DOCX renderers all draw the same grid, so the spans of the
official templates (国办公开办函〔2019〕60号 / 〔2021〕30号) are written down once, here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from replica.prose import legacy_numbers
from replica.reports import APPLICANTS, T3_COLS, T4_COLS, T4_GROUPS, Metrics, Report, format_number


@dataclass(frozen=True)
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    is_value: bool = False
    blank: bool = False  # a value printed blank (None in the truth)


Grid = list[list[Cell]]  # rows of origin cells, as HTML writes them


def _v(m: Metrics, key: str, colspan: int = 1) -> Cell:
    v = m[key]
    return Cell(format_number(v), 1, colspan, True, v is None)


def _section(text: str) -> list[Cell]:
    return [Cell(text, 1, 4)]


def t2_grid(r: Report) -> Grid:
    m = r.metrics
    if r.fmt == "2021":
        return [
            _section("第二十条第（一）项"),
            [Cell("信息内容"), Cell("本年制发件数"), Cell("本年废止件数"), Cell("现行有效件数")],
            [Cell("规章")] + [_v(m, f"t2.rules.{c}") for c in ("issued", "repealed", "in_force")],
            [Cell("行政规范性文件")] + [_v(m, f"t2.normative.{c}") for c in ("issued", "repealed", "in_force")],
            _section("第二十条第（五）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政许可"), _v(m, "t2.licensing.decisions", 3)],
            _section("第二十条第（六）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政处罚"), _v(m, "t2.punishment.decisions", 3)],
            [Cell("行政强制"), _v(m, "t2.coercion.decisions", 3)],
            _section("第二十条第（八）项"),
            [Cell("信息内容"), Cell("本年收费金额（单位：万元）", colspan=3)],
            [Cell("行政事业性收费"), _v(m, "t2.fees.amount", 3)],
        ]
    items_head = [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")]

    def items(label: str, g: str) -> list[Cell]:
        return [Cell(label)] + [_v(m, f"t2.{g}.{c}") for c in ("prev_items", "change", "decisions")]

    return [
        _section("第二十条第（一）项"),
        [Cell("信息内容"), Cell("本年新制作数量"), Cell("本年新公开数量"), Cell("对外公开总数量")],
        [Cell("规章")] + [_v(m, f"t2.rules.{c}") for c in ("made", "published", "total")],
        [Cell("规范性文件")] + [_v(m, f"t2.normative.{c}") for c in ("made", "published", "total")],
        _section("第二十条第（五）项"),
        list(items_head),
        items("行政许可", "licensing"),
        items("其他对外管理服务事项", "other_services"),
        _section("第二十条第（六）项"),
        list(items_head),
        items("行政处罚", "punishment"),
        items("行政强制", "coercion"),
        _section("第二十条第（八）项"),
        [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减", colspan=2)],
        [Cell("行政事业性收费"), _v(m, "t2.fees.prev_items"), _v(m, "t2.fees.change", 2)],
        _section("第二十条第（九）项"),
        [Cell("信息内容"), Cell("采购项目数量"), Cell("采购总金额", colspan=2)],
        [Cell("政府集中采购"), _v(m, "t2.procurement.projects"), _v(m, "t2.procurement.amount", 2)],
    ]


_GROUPS_2021 = [
    ("（三）不予公开", ["denied_secret", "denied_law", "denied_security", "denied_third_party", "denied_internal",
                      "denied_process", "denied_enforcement", "denied_query"]),
    ("（四）无法提供", ["unable_not_held", "unable_need_create", "unable_unclear"]),
    ("（五）不予处理", ["rejected_petition", "rejected_duplicate", "rejected_publication", "rejected_mass",
                      "rejected_confirm"]),
]
_SUB_LABELS = {
    "denied_secret": "1.属于国家秘密", "denied_law": "2.其他法律行政法规禁止公开",
    "denied_security": "3.危及“三安全一稳定”", "denied_third_party": "4.保护第三方合法权益",
    "denied_internal": "5.属于三类内部事务信息", "denied_process": "6.属于四类过程性信息",
    "denied_enforcement": "7.属于行政执法案卷", "denied_query": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息", "unable_need_create": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确", "rejected_petition": "1.信访举报投诉类申请",
    "rejected_duplicate": "2.重复申请", "rejected_publication": "3.要求提供公开出版物",
    "rejected_mass": "4.无正当理由大量反复申请", "rejected_confirm": "5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_no_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "3.其他",
}
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _row_values(m: Metrics, row: str) -> list[Cell]:
    return [_v(m, f"t3.{row}.{c}") for c in T3_COLS]


def t3_grid(r: Report) -> Grid:
    m = r.metrics
    result_span = 22 if r.fmt == "2021" else 20
    g: Grid = [
        [Cell(T3_NOTE, 3, 3), Cell("申请人情况", 1, 7)],
        [Cell("自然人", 2, 1), Cell("法人或其他组织", 1, 5), Cell("总计", 2, 1)],
        [Cell("商业企业"), Cell("科研机构"), Cell("社会公益组织"), Cell("法律服务机构"), Cell("其他")],
        [Cell("一、本年新收政府信息公开申请数量", 1, 3)] + _row_values(m, "new"),
        [Cell("二、上年结转政府信息公开申请数量", 1, 3)] + _row_values(m, "carried_over"),
        [Cell("三、本年度办理结果", result_span, 1), Cell("（一）予以公开", 1, 2)] + _row_values(m, "granted"),
        [Cell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2)] + _row_values(m, "partial"),
    ]
    groups = list(_GROUPS_2021)
    if r.fmt == "2021":
        groups.append(("（六）其他处理", ["other_no_correction", "other_no_fee", "other_other"]))
    for label, rows in groups:
        for i, row in enumerate(rows):
            head = [Cell(label, len(rows), 1)] if i == 0 else []
            g.append(head + [Cell(_SUB_LABELS[row])] + _row_values(m, row))
    if r.fmt == "2019":
        g.append([Cell("（六）其他处理", 1, 2)] + _row_values(m, "other"))
    g.append([Cell("（七）总计", 1, 2)] + _row_values(m, "handled_total"))
    g.append([Cell("四、结转下年度继续办理", 1, 3)] + _row_values(m, "carried_forward"))
    return g


def t4_grid(r: Report) -> Grid:
    m = r.metrics
    labels = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [Cell("行政复议", 1, 5), Cell("行政诉讼", 1, 10)],
        [Cell(t, 2, 1) for t in labels] + [Cell("未经复议直接起诉", 1, 5), Cell("复议后起诉", 1, 5)],
        [Cell(t) for t in labels * 2],
        [_v(m, f"t4.{g}.{c}") for g in T4_GROUPS for c in T4_COLS],
    ]


def legacy_grid(r: Report) -> Grid:
    """The pre-2019 统计表 (as Pingtan 2018: 指标名称/计量单位/本年度/历年累计): not t2/t3/t4."""
    active, applications = legacy_numbers(r)
    granted = applications - applications // 4

    def row(label: str, unit: str, n: int) -> list[Cell]:
        return [Cell(label), Cell(unit), Cell(str(n), is_value=True), Cell(str(n * (r.year - 2007)), is_value=True)]

    return [[Cell("指标名称"), Cell("计量单位"), Cell(f"{r.year}年度"), Cell("历年累计")],
            row("一、主动公开文件数", "条", active),
            row("其中：政府网站公开数", "条", active),
            row("政府公报公开数", "条", 0),
            row("二、受理依申请公开信息总数", "件", applications),
            row("其中：当面申请数", "件", applications // 2),
            row("网上申请数", "件", applications - applications // 2),
            row("信函、传真申请数", "件", 0),
            row("三、对申请的答复总数", "件", applications),
            row("其中：同意公开答复数", "件", granted),
            row("同意部分公开答复数", "件", applications - granted),
            row("不予公开答复数", "件", 0),
            row("其他类型答复数", "件", 0),
            row("四、接受行政诉讼、举报数", "件", 0),
            row("其中：行政复议数", "件", 0),
            row("行政诉讼数", "件", 0)]


def grid(r: Report, which: str) -> Grid:
    return {"t2": t2_grid, "t3": t3_grid, "t4": t4_grid, "legacy": legacy_grid}[which](r)


# ---------------------------------------------------------------------------- Word-paste artefacts

def word_grid_shift(g: Grid) -> Grid:
    """Pingtan 2021: 自然人 colspan=2 over a blank cell + half of a colspan=2 商业企业 cell.

    A naive grid then puts 自然人 and 商业企业 over the wrong columns; the data cells are
    自然人 / 商业企业 (colspan 2) / 科研机构 / … / 总计.
    """
    out = [list(row) for row in g]
    out[0][1] = replace(out[0][1], colspan=8)
    out[1][0] = replace(out[1][0], rowspan=1, colspan=2)
    out[2] = [Cell("", is_value=False), replace(out[2][0], colspan=2)] + out[2][1:]
    for row in out[3:]:
        # the commercial value is the 2nd value cell from the left of the 7 value cells
        first_value = len(row) - len(T3_COLS)
        i = first_value + APPLICANTS.index("commercial")
        row[i] = replace(row[i], colspan=2)
    return out


def split_result_label(g: Grid) -> Grid:
    """Pingtan 2019: the 三、本年度办理结果 rowspan cell is repeated where Word broke the page."""
    out = [list(row) for row in g]
    start = next(i for i, row in enumerate(out) if row[0].text == "三、本年度办理结果")
    total = out[start][0].rowspan
    first = 10
    out[start][0] = replace(out[start][0], rowspan=first)
    out[start + first] = [Cell("三、本年度办理结果", total - first, 1)] + out[start + first]
    return out
