"""Meta variants rendered from every labelled truth: the body's name before chrome, on its own line above the
title, only in the preamble (each form real pages use), or only as a self-reference (organ null).

Each rule of parsers.meta is a claim about all reports, so each is checked on every labelled organ and year,
not on the page that prompted it."""
from __future__ import annotations

import json

import pytest

from parsers import parse_bytes
from parsers.evaluate import labelled_inputs
from tests.conftest import CORPUS

BODY = ("本报告中所列数据的统计期限自{year}年1月1日至{year}年12月31日。\n一、总体情况\n"
        "本年度主动公开政府信息121条，其中政策文件12件。\n（一）主动公开政府信息情况\n全年通过门户网站发布信息86条。\n"
        "二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n本年度收到申请3件。\n")
CHROME = ("首页 > 政务公开 > 政府信息公开年报\n【字体：大 中 小】 打印 关闭窗口\n来源：县政府办公室　发布时间：{pub}-01-20\n"
          "浏览次数：128\n索引号：000014349/{pub}-74857 组配分类：年度报告\n发布机构：\n")
PREAMBLE_FORMS = {
    "published": "根据《中华人民共和国政府信息公开条例》要求，现将{organ}{year}年政府信息公开工作年度报告予以公开。\n",
    "quoted": "根据《中华人民共和国政府信息公开条例》，编制了《{organ}{year}年政府信息公开工作年度报告》。\n",
    "authored": "本年度报告根据《中华人民共和国政府信息公开条例》要求，由{organ}编制。\n",
    "opening": "{year}年，{organ}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》。\n",
    "summed up": "在认真总结{year}年{organ}政府信息公开工作的基础上，编制本报告。\n",
    "contact": "本报告依据《中华人民共和国政府信息公开条例》编制。如对本报告有疑问，请与{organ}办公室联系（电话：0000-1234567）。\n",
}


TITLE_WORDINGS = [
    "{organ}{year}年政府信息公开工作年度报告",
    "{organ}{year}年度政府信息公开工作年度报告",
    "{organ}关于{year}年度政府信息公开情况的报告",
    "{organ}{year}年政府信息公开工作报告",
    "{organ}{year}年信息公开年度报告",
    "{organ}{year}年政务公开工作年度报告",
    "{organ}{year}年年报",
    "{year}年{organ}政府信息公开工作年度报告",
    "{year}年度{organ}信息公开年度报告",
    "《{organ}{year}年政府信息公开工作年度报告》",
    "信息名称：{organ}{year}年政府信息公开工作年度报告",
]


def _truths() -> list[tuple[str, int]]:
    if not CORPUS.is_dir():
        return []
    dirs = [CORPUS / d for d in ("seeds", "real", "real2", "html", "pdf")]
    seen = {}
    for _, t in labelled_inputs(dirs):
        meta = json.loads(t.read_text(encoding="utf-8"))["meta"]
        if meta.get("organ") and meta.get("year"):
            seen.setdefault(meta["organ"], meta["year"])
    return sorted(seen.items())


TRUTHS = _truths()


def _meta(text: str) -> dict:
    return parse_bytes(text.encode("utf-8"), "variant.txt").meta


def test_there_are_truths_to_render() -> None:
    assert len(TRUTHS) >= 60


@pytest.mark.parametrize("organ,year", TRUTHS)
def test_title_after_page_chrome(organ: str, year: int) -> None:
    text = CHROME.format(pub=year + 1) + f"{organ}{year}年政府信息公开工作年度报告\n" + BODY.format(year=year)
    meta = _meta(text)
    assert (meta["organ"], meta["year"]) == (organ, year)


@pytest.mark.parametrize("organ,year", TRUTHS)
def test_name_on_its_own_line_above_the_title(organ: str, year: int) -> None:
    meta = _meta(f"{organ}\n{year}年度政府信息公开工作年度报告\n" + BODY.format(year=year))
    assert (meta["organ"], meta["year"]) == (organ, year)


@pytest.mark.parametrize("form", sorted(PREAMBLE_FORMS))
@pytest.mark.parametrize("organ,year", TRUTHS)
def test_title_less_page_named_in_the_preamble(organ: str, year: int, form: str) -> None:
    if form in ("contact", "authored") and organ.endswith(("办公室", "办公厅")):
        pytest.skip("an office compiling or answering for its government reads as the government's")
    text = CHROME.format(pub=year + 1) + PREAMBLE_FORMS[form].format(organ=organ, year=year) + BODY.format(year=year)
    meta = _meta(text)
    assert (meta["organ"], meta["year"]) == (organ, year)


@pytest.mark.parametrize("organ,year", TRUTHS)
def test_the_crawls_listing_title_names_a_title_less_page(organ: str, year: int) -> None:
    data = (CHROME.format(pub=year + 1) + "根据《中华人民共和国政府信息公开条例》编制本报告。\n" + BODY.format(year=year)).encode()
    meta = parse_bytes(data, "v.txt", hints={"listing_title": f"{organ}{year}年政府信息公开工作年度报告"}).meta
    assert (meta["organ"], meta["year"]) == (organ, year)


@pytest.mark.parametrize("self_ref", ["我乡", "我镇", "我局", "我单位", "我街道", "我委"])
def test_a_page_naming_itself_only_as_we_has_no_organ(self_ref: str) -> None:
    text = (CHROME.format(pub=2023) + f"根据《中华人民共和国政府信息公开条例》，现公布{self_ref}2022年政府信息公开工作年度报告。\n"
            f"2022年，{self_ref}持续健全依申请公开办理机制。\n" + BODY.format(year=2022))
    meta = _meta(text)
    assert meta["organ"] is None and meta["year"] == 2022


@pytest.mark.parametrize("wording", TITLE_WORDINGS)
@pytest.mark.parametrize("organ,year", TRUTHS)
def test_every_title_wording(organ: str, year: int, wording: str) -> None:
    meta = _meta(wording.format(organ=organ, year=year) + "\n" + BODY.format(year=year))
    assert (meta["organ"], meta["year"]) == (organ, year)


@pytest.mark.parametrize("organ,year", [(o, y) for o, y in TRUTHS if len(o) >= 6])
def test_a_title_wrapped_anywhere_in_the_name(organ: str, year: int) -> None:
    """Broken over two lines, the name is read whole, or as its second line when that is a name by itself,
    or not at all: never as a fragment."""
    cut = len(organ) // 2
    meta = _meta(f"{organ[:cut]}\n{organ[cut:]}{year}年政府信息公开工作年度报告\n" + BODY.format(year=year))
    assert meta["year"] == year
    assert meta["organ"] in (organ, organ[cut:], None)


@pytest.mark.parametrize("head,tail", [("武汉市东湖生态旅游风景区管理委", "员会市场监督管理局"), ("某县某镇人民", "政府"),
                                       ("某市某区某街道办", "事处"), ("某县人民政府办", "公室"), ("某县某经济开", "发区")])
def test_a_title_wrapped_inside_the_body_word(head: str, tail: str) -> None:
    meta = _meta(f"{head}\n{tail}2021年政府信息公开工作年度报告\n" + BODY.format(year=2021))
    assert meta["organ"] == head + tail


@pytest.mark.parametrize("organ", ["某市财政局(某区管委会)", "某县发展和改革局(县粮食和物资储备局)"])
def test_brackets_printed_in_a_name_are_kept(organ: str) -> None:
    meta = _meta(f"{organ}2023年政府信息公开工作年度报告\n" + BODY.format(year=2023))
    assert meta["organ"] == organ
    meta = _meta(f"{organ.replace('(', '（').replace(')', '）')}2023年政府信息公开工作年度报告\n" + BODY.format(year=2023))
    assert meta["organ"] == organ  # full-width brackets read as the text's NFKC form


@pytest.mark.parametrize("fragment", [
    "2022年，我区持续健全依申请公开办理机制。",
    "2022年，在某县人民政府的正确领导下，全面推进政务公开。",
    "2022年，全镇政府信息公开工作稳步推进。",
    "2022年，按照上级要求，切实做好信息公开办",
])
def test_fragments_are_not_organs(fragment: str) -> None:
    meta = _meta("根据《中华人民共和国政府信息公开条例》编制本报告。\n" + fragment + "\n" + BODY.format(year=2022))
    assert meta["organ"] is None


@pytest.mark.parametrize("toolbar", [" 发布时间：{pub}-01-10 来源：县政府办公室", "【字体：大 中 小】打印", " 日期:{pub}-01-09 来源: 县人民政府 字体大小:"])
@pytest.mark.parametrize("organ,year", TRUTHS)
def test_title_with_the_toolbar_on_its_line(organ: str, year: int, toolbar: str) -> None:
    text = f"{organ}{year}年政府信息公开工作年度报告" + toolbar.format(pub=year + 1) + "\n" + BODY.format(year=year)
    meta = _meta(text)
    assert (meta["organ"], meta["year"]) == (organ, year)
