"""parsers.legacy: a pre-2019 report's key figures read from its prose, each with the sentence it came from."""
from __future__ import annotations

import pytest

from parsers import legacy, parse_file


@pytest.mark.parametrize("text, key, value", [
    ("全年主动公开政府信息11290条，其中通过政府网站公开10291条。", "legacy.proactive.items", 11290),
    ("2018年我局收到申请总数为1起，因相关结果已于之前邮寄告知。", "legacy.applications.received", 1),
    ("全年共受理政府信息公开申请22件，均已按期答复。", "legacy.applications.received", 22),
    ("全年未收到政府信息公开申请。", "legacy.applications.received", 0),
    ("本年度发生政府信息公开行政复议2件。", "legacy.review.total", 2),
    ("本年度未发生因政府信息公开申请提起行政复议、行政诉讼的情况。", "legacy.suit.total", 0),
    ("共收取信息检索、复制费用350元。", "legacy.fees.amount", 0.035),
    ("本年度未收取政府信息公开相关费用。", "legacy.fees.amount", 0),
])
def test_figures_from_sentences(text, key, value):
    found = legacy.figures(text)
    assert found[key]["value"] == pytest.approx(value) and found[key]["text"] in text


def test_cumulative_and_unrelated_numbers_are_not_read():
    assert "legacy.proactive.items" not in legacy.figures("截至目前累计主动公开的政府信息约44条。")
    assert legacy.figures("2018年，我局认真贯彻《条例》，召开会议3次。") == {}
    first = legacy.figures("全年主动公开政府信息5条。另主动公开政府信息9条。")
    assert first["legacy.proactive.items"]["value"] == 5  # the first sentence that states it


def test_every_value_is_printed_or_a_stated_none(corpus):
    report = parse_file(corpus / "real" / "r019.txt")
    assert report.meta["format"] == "legacy"
    figures = report.meta["legacy"]
    assert figures["legacy.proactive.items"]["value"] == 2092
    assert {k: f["value"] for k, f in figures.items() if k != "legacy.proactive.items"} == {
        "legacy.applications.received": 0, "legacy.review.total": 0, "legacy.suit.total": 0, "legacy.fees.amount": 0}
    for f in figures.values():
        assert f["value"] == 0 or str(f["value"]) in f["text"]
    assert not any(k.startswith("legacy.") for k in report.metrics)  # the metrics contract is untouched


def test_template_reports_get_no_legacy_figures(corpus):
    assert "legacy" not in parse_file(corpus / "html" / "pingtan_2023.html").meta
