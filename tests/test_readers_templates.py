"""The report tables of the official templates as origin-cell specs, shared by the reader tests.

A spec row lists the origin cells that start in that row, left to right, as (text, rowspan, colspan);
`grid()` places them (skipping positions a span from above covers) into the exact Grid a reader
must return. The layouts follow the 2019 and 2021 templates (labels as in metrics.json).
"""
from __future__ import annotations

from parsers.document import Cell, Grid
from parsers.schema import schema

Spec = list[list[tuple[str, int, int]]]

APPLICANTS = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
DENIED = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
          "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]
UNABLE = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
REJECTED = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
            "5.要求行政机关确认或重新出具已获取信息"]
OTHER_2021 = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"]
T4_COLUMNS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def _values(row: int, blank: bool = False) -> list[tuple[str, int, int]]:
    """Seven numbers for a t3 row: six applicant columns (row+col) and their total; `blank` prints ''."""
    nums = [row + col for col in range(6)]
    return [("" if blank else str(n), 1, 1) for n in nums + [sum(nums)]]


def t3(fmt: str, blank_row: int | None = None) -> Spec:
    """收到和处理政府信息公开申请情况 (10 columns); values follow `_values` by data-row number."""
    others = [("（六）其他处理", 1, 2)] if fmt == "2019" else [("（六）其他处理", 3, 1)]
    results = 2 + len(DENIED) + len(UNABLE) + len(REJECTED) + (1 if fmt == "2019" else 3) + 1
    spec: Spec = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [(name, 1, 1) for name in APPLICANTS],
        [("一、本年新收政府信息公开申请数量", 1, 3)],
        [("二、上年结转政府信息公开申请数量", 1, 3)],
        [("三、本年度办理结果", results, 1), ("（一）予以公开", 1, 2)],
        [("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2)],
    ]
    for group, items in (("（三）不予公开", DENIED), ("（四）无法提供", UNABLE), ("（五）不予处理", REJECTED)):
        spec += [([(group, len(items), 1)] if i == 0 else []) + [(item, 1, 1)] for i, item in enumerate(items)]
    if fmt == "2019":
        spec.append(others)
    else:
        spec += [(others if i == 0 else []) + [(item, 1, 1)] for i, item in enumerate(OTHER_2021)]
    spec.append([("（七）总计", 1, 2)])
    spec.append([("四、结转下年度继续办理", 1, 3)])
    for i, row in enumerate(spec[3:]):
        row += _values(i, blank=i == blank_row)
    return spec


def t4() -> Spec:
    """政府信息公开行政复议、行政诉讼情况 (15 columns)."""
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [(name, 2, 1) for name in T4_COLUMNS] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(name, 1, 1) for name in T4_COLUMNS * 2],
        [(str(n), 1, 1) for n in range(1, 16)],
    ]


def width(spec: Spec) -> int:
    return sum(colspan for _, _, colspan in spec[0])


def grid(spec: Spec) -> Grid:
    """The exact grid a reader must produce for `spec`."""
    out: Grid = [[None] * width(spec) for _ in spec]
    taken = [[False] * width(spec) for _ in spec]
    for r, row in enumerate(spec):
        c = 0
        for text, rowspan, colspan in row:
            while taken[r][c]:
                c += 1
            out[r][c] = Cell(text, rowspan, colspan)
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    assert not taken[rr][cc], f"spec overlaps at {rr},{cc}"
                    taken[rr][cc] = True
    assert all(all(row) for row in taken), "spec leaves holes"
    return out


def metrics(fmt: str, blank_row: int | None = None) -> dict[str, int | None]:
    """The metrics a parser must read from a report holding exactly t3(fmt, blank_row) and t4()."""
    rows = [r["key"] for r in schema()["t3_rows"] if fmt in r["formats"]]
    columns = [c["key"] for c in schema()["t3_columns"]]
    out: dict[str, int | None] = {}
    for i, row in enumerate(rows):
        for column, (text, _, _) in zip(columns, _values(i, blank=i == blank_row)):
            out[f"t3.{row}.{column}"] = int(text) if text else None
    t4_keys = [f"t4.{g['key']}.{c['key']}" for g in schema()["t4_groups"] for c in schema()["t4_columns"]]
    out.update({key: n for n, key in enumerate(t4_keys, start=1)})
    return out


def test_template_specs_tile_their_tables():
    """Every position is covered exactly once; t3 rows are those of metrics.json for the format."""
    for fmt in ("2019", "2021"):
        g = grid(t3(fmt))
        data_rows = [r for r in schema()["t3_rows"] if fmt in r["formats"]]
        assert len(g) == 3 + len(data_rows)
        assert all(len(row) == 10 for row in g)
    assert len(grid(t4())[0]) == 15
