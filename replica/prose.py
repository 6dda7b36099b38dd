"""The text of a synthetic report as a list of blocks every renderer (HTML, PDF, DOCX) shares.

Why blocks: the same document must come out identically in three file formats, and the
prose must state numbers the tables hold (收到政府信息公开申请N件 = t3.new.total) so a parser's
text/table cross-checks have something real to check.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from replica.reports import Report, value

SECTIONS_TEMPLATE = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                     "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
SECTIONS_LEGACY = ("一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况",
                   "四、政府信息公开的收费及减免情况", "五、因政府信息公开申请提起行政复议、行政诉讼的情况",
                   "六、政府信息公开工作存在的主要问题及改进情况")


@dataclass(frozen=True)
class Block:
    kind: str   # title | h | p | table | sign | date
    text: str   # for kind == "table": t2 | t3 | t4


def _template_intro(r: Report) -> str:
    notice = "国办公开办函〔2021〕30号" if r.fmt == "2021" else "国办公开办函〔2019〕60号"
    return (f"本报告根据《中华人民共和国政府信息公开条例》（国务院令第711号）和《国务院办公厅政府信息与政务公开办公室"
            f"关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{notice}）要求编制。本报告所列数据统计期限为"
            f"{r.year}年1月1日至{r.year}年12月31日。")


def blocks(r: Report) -> list[Block]:
    """The whole document, title to date; tables appear as placeholders after their headings."""
    rng = r.prose_rng()
    m = r.metrics
    out = [Block("title", r.title)]
    active = rng.randint(40, 12000)
    if r.fmt == "legacy":
        active, applications = legacy_numbers(r)
        out.append(Block("p", f"本报告是根据《中华人民共和国政府信息公开条例》要求，由{r.organ}编制的{r.year}年度政府信息公开工作年度报告。"))
        for i, head in enumerate(SECTIONS_LEGACY):
            out.append(Block("h", head))
            out.append(Block("p", _legacy_para(i, r, rng, active, applications)))
        if r.content_seed % 2 == 0:  # old-style statistics table (Pingtan 2018): not t2/t3/t4
            out.append(Block("h", "七、政府信息公开情况统计表"))
            out.append(Block("table", "legacy"))
    else:
        out.append(Block("p", _template_intro(r)))
        received = value(m, "t3.new.total")
        issued = value(m, "t2.normative.issued" if r.fmt == "2021" else "t2.normative.made")
        problems = rng.choice([
            ("政策解读形式较为单一", "基层政务公开标准化规范化建设仍需加强", "进一步丰富解读形式，提升公开质量"),
            ("信息发布的及时性有待提高", "依申请公开办理人员业务水平有待提升", "加强业务培训，完善工作机制"),
        ])
        texts = [
            (f"{r.year}年，{r.organ}深入贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
             f"全年主动公开政府信息{active}条，收到政府信息公开申请{received}件，"
             f"{rng.choice(['按时办结率100%', '均在法定期限内答复', '未发生因答复不当引发的纠纷'])}。"),
            f"全年制发行政规范性文件{issued}件，均按规定在政府网站集中公开。",
            (f"本年度共收到政府信息公开申请{received}件，上年结转{value(m, 't3.carried_over.total')}件，"
             f"办结{value(m, 't3.handled_total.total')}件，结转下年度继续办理{value(m, 't3.carried_forward.total')}件。"),
            None,
            "主要问题：一是{}；二是{}。下一步，将{}。".format(*problems),
            f"{r.year}年，本机关未收取信息处理费。" if rng.random() < 0.8 else "无其他需要报告的事项。",
        ]
        tables = {1: "t2", 2: "t3", 3: "t4"}
        for i, head in enumerate(SECTIONS_TEMPLATE):
            out.append(Block("h", head))
            if texts[i]:
                out.append(Block("p", texts[i]))
            if i in tables:
                out.append(Block("table", tables[i]))
    out.append(Block("sign", r.organ))
    out.append(Block("date", f"{r.published.year}年{r.published.month}月{r.published.day}日"))
    return out


def legacy_numbers(r: Report) -> tuple[int, int]:
    """(主动公开条数, 依申请公开件数) of a pre-2019 report: stated in its prose and its statistics table."""
    rng = random.Random(f"legacy|{r.content_seed}")
    return rng.randint(40, 12000), (0 if rng.random() < 0.4 else rng.randint(1, 40))


def _legacy_para(i: int, r: Report, rng: random.Random, active: int, applications: int) -> str:
    return [
        f"{r.year}年，{r.organ}认真贯彻落实《中华人民共和国政府信息公开条例》，进一步健全工作机制，政府信息公开工作有序推进。",
        f"全年主动公开政府信息{active}条，其中通过政府网站公开{active - rng.randint(0, active // 10)}条。",
        f"全年共受理政府信息公开申请{applications}件，均已按期答复。" if applications else "全年未收到政府信息公开申请。",
        "本年度未收取政府信息公开相关费用。",
        "本年度未发生因政府信息公开申请提起行政复议、行政诉讼的情况。",
        "政府信息公开工作与公众需求相比仍有差距，下一步将进一步规范公开内容，提高公开时效。",
    ][i]
