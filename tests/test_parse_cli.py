"""`nianbao parse` and `nianbao eval` as a user runs them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import main


def test_parse_jsonl_keeps_order_and_reports_errors(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    files = [corpus / "seeds" / "004_0111ab58c84f3498.txt", bad, empty, corpus / "html" / "pingtan_2024.html"]
    res = CliRunner().invoke(main, ["parse", "--jsonl", *map(str, files)])
    assert res.exit_code == 1
    lines = [json.loads(l) for l in res.output.splitlines()]
    assert [l["source"] for l in lines] == list(map(str, files))
    assert lines[0]["meta"]["organ"] == "沙坡头区香山乡" and lines[0]["metrics"]["t2.punishment.decisions"] == 4
    assert set(lines[0]) == {"source", "meta", "metrics", "inferred", "checks", "sections", "readers"}
    assert "error" in lines[1] and "error" in lines[2] and lines[2]["error"].startswith(str(empty))
    assert lines[3]["meta"]["year"] == 2024


def test_parse_summary(corpus: Path) -> None:
    res = CliRunner().invoke(main, ["parse", str(corpus / "real" / "r031.txt")])
    assert res.exit_code == 0
    assert "建水县面甸镇人民政府" in res.output and "2025" in res.output


def test_eval_prints_accuracy_last(corpus: Path, tmp_path: Path) -> None:
    for name in ("r001", "r022"):
        for ext in (".txt", ".json"):
            shutil.copy(corpus / "real" / f"{name}{ext}", tmp_path / f"{name}{ext}")
    truth = json.loads((tmp_path / "r022.json").read_text())
    truth["metrics"]["t2.rules.issued"] = 99  # a wrong truth cell shows up as a mismatch
    (tmp_path / "r022.json").write_text(json.dumps(truth, ensure_ascii=False))
    res = CliRunner().invoke(main, ["eval", str(tmp_path)])
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()[-1]
    assert "cell accuracy" in last and "meta accuracy 100.00%" in last and "reports/s" in last
    assert "t2.rules.issued: got 0, truth 99" in res.output
    assert "(94/95)" in last
