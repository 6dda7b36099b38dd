"""The package ships a copy of the shared metrics contract; it must not drift from ../shared."""
import json
from pathlib import Path

from parsers.schema import SCHEMA_PATH, keys_for_format, metric_labels

SHARED = Path(__file__).resolve().parents[2] / "shared" / "schema" / "metrics.json"


def test_shipped_schema_equals_shared_contract():
    assert json.loads(SCHEMA_PATH.read_text("utf-8")) == json.loads(SHARED.read_text("utf-8"))


def test_each_template_has_its_keys():
    labels = metric_labels()
    assert len(labels) == 226
    assert "t3.other.total" in keys_for_format("2019") and "t3.other.total" not in keys_for_format("2021")
    assert "t2.fees.amount" in keys_for_format("2021")
