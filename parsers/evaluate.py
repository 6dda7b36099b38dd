"""Scoring parsed reports against truth files (NAME.json beside NAME.txt/.html/.htm/.pdf/.docx).

Cell accuracy is honest: per document, over the union of truth keys and predicted keys, so a missing
key, an extra key and a wrong value each count as one wrong cell. Meta accuracy is over organ/year/format.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

INPUT_SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".docx")
META_FIELDS = ("organ", "year", "format")


@dataclass
class DocScore:
    source: str
    cells: int = 0
    cells_right: int = 0
    meta_right: int = 0
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None


def labelled_inputs(dirs: list[Path]) -> list[tuple[Path, Path]]:
    """(input, truth) pairs under the given directories (or files), sorted by path."""
    pairs = []
    for d in dirs:
        files = sorted(d.rglob("*")) if d.is_dir() else [d]
        for f in files:
            if f.suffix.lower() in INPUT_SUFFIXES and f.with_suffix(".json").is_file():
                pairs.append((f, f.with_suffix(".json")))
    return pairs


def load_truth(path: Path) -> dict:
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable truth file ({e})") from e
    if not isinstance(truth, dict) or not isinstance(truth.get("metrics"), dict) or not isinstance(truth.get("meta"), dict):
        raise ValueError(f"{path}: truth file needs 'meta' and 'metrics' objects")
    return truth


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return a == b


def score(source: str, truth: dict, meta: dict, metrics: dict) -> DocScore:
    s = DocScore(source)
    t = truth["metrics"]
    for key in sorted(set(t) | set(metrics)):
        s.cells += 1
        if key not in metrics:
            s.mismatches.append(f"{key}: missing (truth {t[key]!r})")
        elif key not in t:
            s.mismatches.append(f"{key}: extra {metrics[key]!r} (absent in truth)")
        elif not _same(t[key], metrics[key]):
            s.mismatches.append(f"{key}: got {metrics[key]!r}, truth {t[key]!r}")
        else:
            s.cells_right += 1
    for f in META_FIELDS:
        if _same(truth["meta"].get(f), meta.get(f)):
            s.meta_right += 1
        else:
            s.mismatches.append(f"meta.{f}: got {meta.get(f)!r}, truth {truth['meta'].get(f)!r}")
    return s


def summary(scores: list[DocScore], seconds: float) -> str:
    cells = sum(s.cells for s in scores)
    right = sum(s.cells_right for s in scores)
    meta_total = len(scores) * len(META_FIELDS)
    meta_right = sum(s.meta_right for s in scores)
    cell_acc = 100.0 * right / cells if cells else 100.0
    meta_acc = 100.0 * meta_right / meta_total if meta_total else 100.0
    rate = len(scores) / seconds if seconds > 0 else float("inf")
    return (f"documents {len(scores)}  cell accuracy {cell_acc:.2f}% ({right}/{cells})  "
            f"meta accuracy {meta_acc:.2f}% ({meta_right}/{meta_total})  {rate:.1f} reports/s")
