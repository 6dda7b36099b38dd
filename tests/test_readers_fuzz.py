"""A short seeded run of bench/fuzz_readers.py: mutated inputs give a Document or a ParseError, in time."""
from __future__ import annotations

from bench_modules import bench_module


def _bench():
    return bench_module("fuzz_readers")  # workers unpickle its functions by module name


def test_short_fuzz_run_finds_no_crash_or_hang(corpus):
    results = _bench().fuzz(inputs=100, budget=60, workers=2, seed=20240601, timeout=30, chunk=10)
    for reader, (tally, _wall) in results.items():
        assert tally.inputs == 100, reader
        assert tally.crashes == [] and tally.hangs == [], reader
        assert 0 < tally.parse_errors < 100, f"{reader}: the mutations should both break and spare inputs"
