"""Plausible generated Reports for archive tests and the search benchmark (not parsed from anything).

Organs x years 2015-2025; format by year (legacy before 2019, 2019 template for 2019-2020, 2021
template after); random counts for every key of the format, with last year's 结转下年度继续办理
carried into this year's 上年结转 (a few deliberately broken); six sections of report prose.
"""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Iterator

from parsers.model import SECTION_NAMES, Check, Report
from parsers.schema import keys_for_format

COUNTIES = ["沙坡头区", "中宁县", "海原县", "金东区", "昌图县", "建水县", "洪泽区", "沭阳县", "龙游县", "梅河口市",
            "南召县", "天门市", "福田区", "七里河区", "城阳区", "望城区"]
TOWNS = ["香山乡", "宣和镇", "镇罗镇", "兴仁镇", "永康镇", "迎水桥镇", "东园镇", "柔远镇", "常乐镇", "滨河镇",
         "七家子镇", "面甸镇", "大五里镇", "七里坪镇", "河东镇", "天山乡", "城关镇", "进化镇", "西交口乡", "马水镇"]
BUREAUS = ["财政局", "审计局", "市场监督管理局", "发展和改革局", "自然资源局", "住房和城乡建设局", "教育局", "民政局"]
PROSE = [
    "本机关坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实《中华人民共和国政府信息公开条例》。",
    "进一步加强政府信息公开工作，推进决策、执行、管理、服务、结果公开。",
    "全年通过政府门户网站主动公开政府信息{n}条，其中政策文件{m}件。",
    "本年度收到政府信息公开申请{n}件，均在法定期限内予以答复。",
    "依申请公开工作严格按照法定程序办理，做到受理、审查、答复各环节规范有序。",
    "本年度未收取信息处理费。",
    "本年度未发生因政府信息公开引起的行政复议、行政诉讼案件。",
    "本年度发生政府信息公开行政复议案件{m}件，行政诉讼案件{k}件。",
    "及时发布重要政策文件的解读材料，采用图解、视频等多种形式开展政策解读。",
    "加强政府信息公开平台建设，完善政府信息公开指南和公开目录。",
    "严格落实信息发布保密审查机制，做到先审查、后公开，一事一审、全面审查。",
    "主动公开财政预决算、“三公”经费等信息，接受社会监督。",
    "持续推进基层政务公开标准化规范化建设，更新完善公开事项清单。",
    "存在的主要问题是信息公开的及时性有待提高，政策解读形式较为单一。",
    "下一步，将加强业务培训，提升工作人员的业务能力和服务水平。",
    "本年度无其他需要报告的事项。",
    "扎实做好政务公开与政务服务融合工作，优化营商环境。",
    "围绕乡村振兴、民生保障、安全生产等重点领域加大信息公开力度。",
    "通过政务新媒体发布各类信息{n}条，回应社会关切{k}次。",
    "建立健全政府信息公开申请登记、审核、办理、答复、归档制度。",
    "对照上级要求开展自查自纠，整改发现的问题{k}个。",
    "加强会议开放，邀请群众代表列席有关会议{k}次。",
]


def corpus_phrases(corpus: Path) -> list[str]:
    """Sentences of real reports (the bench's vocabulary), split at 。；！ from the corpus's text files."""
    sentences: set[str] = set()
    for path in sorted(corpus.glob("*/*.txt")):
        for sentence in re.split(r"(?<=[。；！])", path.read_text(encoding="utf-8", errors="replace")):
            sentence = sentence.strip()
            if 8 <= len(sentence) <= 120 and not re.search(r"\d{3,}|\t", sentence):
                sentences.add(sentence)
    return sorted(sentences)


def organ_names(n: int) -> list[str]:
    """n distinct body names: the towns and bureaus of each county, then numbered ones (新1香山乡 …)."""
    bodies = TOWNS + BUREAUS
    names = []
    for i in range(n):
        county, body = COUNTIES[i % len(COUNTIES)], bodies[(i // len(COUNTIES)) % len(bodies)]
        round_ = i // (len(COUNTIES) * len(bodies))
        names.append(f"{county}{body}" if round_ == 0 else f"{county}新{round_}{body}")
    return names


def fmt_for(year: int) -> str:
    return "legacy" if year < 2019 else "2019" if year < 2021 else "2021"


def _metrics(fmt: str, rng: random.Random, carried_over: dict[str, int]) -> dict[str, int | float | None]:
    values: dict[str, int | float | None] = {}
    for key in keys_for_format(fmt):
        if key == "t2.fees.amount":
            values[key] = round(rng.random() * 50, 4)
        elif key.startswith("t3.carried_over."):
            values[key] = carried_over.get(key.split(".")[2], 0)
        else:
            values[key] = rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 13, 40, 120, None])
    return values


def _prose(rng: random.Random, phrases: list[str], sentences: int) -> str:
    out = []
    for _ in range(sentences):
        out.append(rng.choice(phrases).format(n=rng.randint(10, 900), m=rng.randint(0, 40), k=rng.randint(0, 9)))
    return "".join(out)


def report(organ: str, year: int, rng: random.Random, phrases: list[str] = PROSE,
           carried_over: dict[str, int] | None = None, size: int = 6) -> Report:
    """One generated Report; `size` = sentences per section."""
    fmt = fmt_for(year)
    metrics = {} if fmt == "legacy" else _metrics(fmt, rng, carried_over or {})
    title = f"{organ}{year}年政府信息公开工作年度报告"
    sections = {name: _prose(rng, phrases, rng.randint(max(1, size // 2), size)) for name in SECTION_NAMES}
    checks = []
    if metrics:
        new, over = metrics.get("t3.new.total"), metrics.get("t3.carried_over.total")
        handled = metrics.get("t3.handled_total.total")
        if None in (new, over, handled):
            checks.append(Check("受理=办理+结转", None, "a number is blank", {"t3.new.total": new}))
        else:
            ok = rng.random() > 0.2
            checks.append(Check("受理=办理+结转", ok, "本年新收+上年结转 = 办理结果合计+结转下年度" + ("" if ok else "（不等）"),
                                {"t3.new.total": new, "t3.carried_over.total": over, "t3.handled_total.total": handled}))
    text = title + "\n" + "\n".join(f"{name}\n{body}" for name, body in sections.items())
    return Report(source=f"sample:{organ}/{year}", meta={"organ": organ, "year": year, "format": fmt, "title": title,
                                                         "date": f"{year + 1}-01-{rng.randint(10, 31):02d}"},
                  metrics=metrics, checks=checks, sections=sections, text=text)


def timeline(organ: str, years: range, rng: random.Random, phrases: list[str] = PROSE, size: int = 6) -> Iterator[Report]:
    """An organ's reports over `years`, carry-over continuous except ~1 in 10 years."""
    forward: dict[str, int] = {}
    for year in years:
        carried = {k: (v + 1 if rng.random() < 0.1 else v) for k, v in forward.items()}
        rep = report(organ, year, rng, phrases, carried, size)
        forward = {k.split(".")[2]: v for k, v in rep.metrics.items()
                   if k.startswith("t3.carried_forward.") and isinstance(v, int)}
        yield rep


def reports(n_organs: int, years: range = range(2015, 2026), seed: int = 0, phrases: list[str] = PROSE,
            size: int = 6) -> Iterator[Report]:
    """n_organs x len(years) reports, deterministic for a seed."""
    rng = random.Random(seed)
    for organ in organ_names(n_organs):
        yield from timeline(organ, years, rng, phrases, size)
