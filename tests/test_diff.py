"""`nianbao diff`: changed metrics against the truth files, carry-over, sentences, every output format."""
from __future__ import annotations

import json

import pytest
from archive_helpers import ingest_reports
from click.testing import CliRunner

from archive import render
from archive.diff import KEY_METRICS, sentences
from archive.store import Archive
from nianbao.cli import main
from parsers.model import Report
from parsers.schema import metric_formats, metric_labels


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def truth(corpus, year: int) -> dict:
    return json.loads((corpus / "html" / f"pingtan_{year}.json").read_text(encoding="utf-8"))


def truth_changes(old: dict, new: dict) -> dict:
    return {k: (old.get(k), new.get(k)) for k in set(old) | set(new) if old.get(k) != new.get(k) or (k in old) != (k in new)}


def expected_changes(old_truth: dict, new_truth: dict) -> dict:
    """The truth files' changes; across a template change only the rows both templates print, and 2019's
    (六)其他处理 against the sum of 2021's three (六) rows."""
    old, new = old_truth["metrics"], new_truth["metrics"]
    f_old, f_new = old_truth["meta"]["format"], new_truth["meta"]["format"]
    changes = truth_changes(old, new)
    if f_old == f_new:
        return changes
    formats = metric_formats()
    out = {k: v for k, v in changes.items() if f_old in formats[k] and f_new in formats[k]}
    assert (f_old, f_new) == ("2019", "2021")
    for col in ("natural", "commercial", "research", "social", "legal", "other", "total"):
        parts = [new.get(f"t3.{r}.{col}") for r in ("other_no_correction", "other_no_fee", "other_other")]
        summed = sum(v for v in parts if v is not None) if any(v is not None for v in parts) else None
        if f"t3.other.{col}" in old and old[f"t3.other.{col}"] != summed:
            out[f"t3.other.{col}"] = (old[f"t3.other.{col}"], summed)
    return out


@pytest.fixture(scope="module")
def pingtan_db(tmp_path_factory, corpus):
    """The eight 平潭 pages loaded through the real parser."""
    db = tmp_path_factory.mktemp("diff") / "pingtan.db"
    files = [str(corpus / "html" / f"pingtan_{y}.html") for y in range(2018, 2026)]
    assert invoke("load", "--quiet", "--db", str(db), *files).exit_code == 0
    return db


@pytest.mark.parametrize("years", [(2022, 2023), (2023, 2024), (2020, 2021)])
def test_changed_cells_match_the_truth_files(pingtan_db, corpus, years):
    old_year, new_year = years
    result = invoke("diff", "平潭", "--db", str(pingtan_db), "--from", str(old_year), "--to", str(new_year), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["organ"], data["from"], data["to"]) == ("平潭综合实验区", old_year, new_year)
    expected = expected_changes(truth(corpus, old_year), truth(corpus, new_year))
    if old_year == 2020:
        assert data["template_change"]["from"] == "2019" and data["template_change"]["to"] == "2021"
    got = {c["key"]: (c["old"], c["new"]) for c in data["changes"]}
    assert got == expected
    labels = metric_labels()
    for c in data["changes"]:
        assert c["label"].startswith(labels[c["key"]])
        if isinstance(c["old"], (int, float)) and isinstance(c["new"], (int, float)):
            assert c["delta"] == pytest.approx(c["new"] - c["old"])
    t_old, t_new = truth(corpus, old_year)["metrics"], truth(corpus, new_year)["metrics"]
    for row in data["continuity"]:
        assert row["carried_forward"] == t_old.get(f"t3.carried_forward.{row['column']}")
        assert row["carried_over"] == t_new.get(f"t3.carried_over.{row['column']}")
        both = row["carried_forward"] is not None and row["carried_over"] is not None
        assert row["ok"] == ((row["carried_forward"] == row["carried_over"]) if both else None)
    assert {s["name"] for s in data["sections"]} and any(s["added"] or s["removed"] for s in data["sections"])


def _report(year: int, metrics: dict, text: str) -> Report:
    return Report(source=f"t{year}", meta={"organ": "香山乡人民政府", "year": year, "format": "2021", "title": f"{year}"},
                  metrics=metrics, sections={"总体情况": text}, text=text)


def test_diff_logic_on_constructed_reports(tmp_path):
    db = tmp_path / "x.db"
    with Archive(db) as archive:
        ingest_reports(archive, [
            _report(2021, {"t3.new.total": 5, "t3.carried_forward.total": 2, "t4.review.total": 1}, "一。二。三。"),
            _report(2022, {"t3.new.total": 9, "t3.carried_over.total": 3, "t4.review.total": 1, "t2.fees.amount": 1.5},
                    "一。二改了。三。四。"),
        ])
    data = json.loads(invoke("diff", "香山乡", "--db", str(db), "--format", "json").output)
    assert data["changes"] == [
        {"key": "t2.fees.amount", "label": metric_labels()["t2.fees.amount"], "old": None, "new": 1.5, "delta": None},
        {"key": "t3.new.total", "label": metric_labels()["t3.new.total"], "old": 5, "new": 9, "delta": 4},
        {"key": "t3.carried_over.total", "label": metric_labels()["t3.carried_over.total"], "old": None, "new": 3,
         "delta": None},
        {"key": "t3.carried_forward.total", "label": metric_labels()["t3.carried_forward.total"], "old": 2, "new": None,
         "delta": None},
    ]
    assert [c for c in data["continuity"] if c["column"] == "total"] == [
        {"column": "total", "label": "总计", "carried_forward": 2, "carried_over": 3, "ok": False}]
    assert data["sections"] == [{"name": "总体情况", "removed": ["二。"], "added": ["二改了。", "四。"], "unchanged": 2}]
    text = invoke("diff", "香山乡", "--db", str(db)).output
    assert "5 → 9 +4" in text and "BROKEN" in text and "+ 四。" in text
    md = invoke("diff", "香山乡", "--db", str(db), "--format", "markdown").output
    assert "| `t3.new.total` | 5 | 9 | +4 |" in md
    timeline = invoke("diff", "香山乡", "--db", str(db), "--all").output
    assert timeline.splitlines()[2].startswith("2021\t2021\t5\t")


def test_ambiguous_and_unknown_organs(pingtan_db, tmp_path):
    db = tmp_path / "two.db"
    with Archive(db) as archive:
        ingest_reports(archive, [_report(2021, {}, "a。"), _report(2022, {}, "b。")])
        other = _report(2021, {}, "c。")
        other.meta["organ"] = "香山镇人民政府"
        ingest_reports(archive, [other])
    result = invoke("diff", "香山", "--db", str(db))
    assert result.exit_code == 2
    assert "香山乡人民政府" in result.output and "香山镇人民政府" in result.output
    assert invoke("diff", "不存在的机关", "--db", str(db)).exit_code == 1
    assert "only 1 archived year" in invoke("diff", "香山镇", "--db", str(db)).output
    assert "no report archived for 1999" in invoke("diff", "平潭", "--db", str(pingtan_db), "--from", "1999").output


def test_html_page_is_self_contained_with_a_chart(pingtan_db, tmp_path):
    out = tmp_path / "diff.html"
    assert invoke("diff", "平潭综合实验区", "--db", str(pingtan_db), "--format", "html", "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == len(KEY_METRICS)
    for year in range(2018, 2026):
        assert f">{year}</text>" in page  # every archived year on the x axis
    assert "<script" not in page and "src=" not in page and "<link" not in page and "@import" not in page
    assert "t2.normative.in_force" in page


def test_rendering_escapes_portal_text():
    evil = "<script>alert(1)</script>"
    result = {"organ": evil, "from": 2021, "to": 2022, "from_source": "javascript:x", "to_source": None,
              "changes": [{"key": "t3.new.total", "label": evil, "old": 1, "new": 2, "delta": 1}],
              "continuity": [], "sections": [{"name": evil, "removed": [evil], "added": [], "unchanged": 0}],
              "timeline": [{"year": 2021, "format": "2021", "metrics": {}}]}
    page = render.html_page(result)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_sentences_split_at_chinese_punctuation():
    assert sentences("一、总体情况\n本年度。收到申请！没有；") == ["一、总体情况", "本年度。", "收到申请！", "没有；"]


def test_missing_side_is_na_and_table_text_is_not_prose(tmp_path):
    db = tmp_path / "na.db"
    table_text = "信息内容\t本年制发件数\n规章\t0\t0\t12\n第二十条第(一)项"
    with Archive(db) as archive:
        ingest_reports(archive, [
            _report(2021, {"t3.new.total": 5, "t3.carried_forward.natural": None}, "收到申请5件。" + table_text),
            _report(2022, {"t3.new.total": 6, "t3.carried_over.natural": 0}, "收到申请6件。\n规章\t1\t0\t13"),
        ])
    data = json.loads(invoke("diff", "香山乡", "--db", str(db), "--format", "json").output)
    assert [c["ok"] for c in data["continuity"] if c["column"] == "natural"] == [None]
    assert "BROKEN" not in invoke("diff", "香山乡", "--db", str(db)).output
    assert data["sections"][0]["removed"] == ["收到申请5件。"] and data["sections"][0]["added"] == ["收到申请6件。"]
    assert data["template_change"] is None
