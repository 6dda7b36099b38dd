"""A short seeded run of bench/fuzz_readers.py: mutated inputs give a Document or a ParseError, in time."""
from __future__ import annotations

import importlib.util
import sys

from conftest import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("fuzz_readers", REPO / "bench" / "fuzz_readers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # workers unpickle its functions by module name
    spec.loader.exec_module(module)
    return module


def test_short_fuzz_run_finds_no_crash_or_hang(corpus):
    results = _bench().fuzz(inputs=100, budget=60, workers=2, seed=20240601, timeout=30, chunk=10)
    for reader, (tally, _wall) in results.items():
        assert tally.inputs == 100, reader
        assert tally.crashes == [] and tally.hangs == [], reader
        assert 0 < tally.parse_errors < 100, f"{reader}: the mutations should both break and spare inputs"
