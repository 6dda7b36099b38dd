"""Parse throughput on one core for the text and HTML inputs of ../shared/corpus, next to a baseline.

The baseline reads and decodes the same files (the floor any parser pays); both are timed in the same
run, so the ratio is meaningful on any machine. Usage: .venv/bin/python bench/parse_bench.py [--seconds N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers import parse_bytes  # noqa: E402
from parsers.html import decode_html  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"


def inputs(kind: str) -> list[Path]:
    if kind == "text":
        return sorted(p for d in ("seeds", "real") for p in (CORPUS / d).glob("*.txt"))
    return sorted(p for p in (CORPUS / "html").glob("*.html") if p.with_suffix(".json").exists())


def rate(fn, files: list[Path], seconds: float) -> tuple[float, int]:
    """Reports per second over repeated passes of `files` for at least `seconds`."""
    blobs = [(str(p), p.read_bytes()) for p in files]
    n, start = 0, time.perf_counter()
    while True:
        for source, data in blobs:
            fn(data, source)
            n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum time per measurement")
    args = ap.parse_args()
    for kind in ("text", "html"):
        files = inputs(kind)
        if not files:
            print(f"{kind}: no inputs under {CORPUS}")
            continue
        size = sum(p.stat().st_size for p in files) / len(files) / 1024
        base, _ = rate(lambda d, s: decode_html(d), files, args.seconds)
        parsed, n = rate(lambda d, s: parse_bytes(d, s, "text/html" if kind == "html" else None), files, args.seconds)
        print(f"{kind:5s} {len(files):3d} files (mean {size:6.1f} KB): parse {parsed:8.1f} reports/s   "
              f"read+decode baseline {base:10.1f} /s   parse costs {base / parsed:7.1f}x the baseline  ({n} parses)")


if __name__ == "__main__":
    main()
