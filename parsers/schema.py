"""The canonical metric keys (the contract in metrics.json, copied from ../shared/schema).

tests/test_schema.py keeps this copy equal to the shared one, so the parser and the archive
always speak the same keys and Chinese labels.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("metrics.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def metric_labels() -> dict[str, str]:
    """key -> Chinese label, in schema order."""
    return {k["key"]: k["label"] for k in schema()["keys"]}


@lru_cache(maxsize=1)
def metric_formats() -> dict[str, tuple[str, ...]]:
    """key -> the template formats ("2019", "2021") that contain it."""
    return {k["key"]: tuple(k["formats"]) for k in schema()["keys"]}


def keys_for_format(fmt: str) -> list[str]:
    return [k for k, fmts in metric_formats().items() if fmt in fmts]
