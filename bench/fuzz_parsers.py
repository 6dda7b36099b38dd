"""Fuzz the text and HTML parsers with ≥10,000 mangled inputs derived from ../shared/corpus.

Each input is a corpus report truncated, line-shuffled, cell-dropped, byte-flipped, duplicated or
replaced by random bytes. A *crash* is any exception other than ParseError, a ParseError that wraps an
internal error, an output number that the input does not print, or a document slower than --per-doc.
Usage: .venv/bin/python bench/fuzz_parsers.py [--inputs 10000] [--seconds 600] [--per-doc 2] [--seed 1]
"""
from __future__ import annotations

import argparse
import random
import re
import signal
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers import parse_document, read_any  # noqa: E402
from parsers.model import ParseError  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
MUTATIONS = ("truncate", "shuffle", "drop_cells", "flip_bytes", "duplicate", "random_bytes", "splice")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()



def mutate(data: bytes, other: bytes, rnd: random.Random, how: str) -> bytes:
    if how == "truncate":
        return data[: rnd.randrange(len(data) + 1)]
    if how == "flip_bytes":
        b = bytearray(data)
        for _ in range(rnd.randint(1, 100)):
            if b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)
    if how == "random_bytes":
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 4000)))
    if how == "splice":
        i, j = rnd.randrange(len(data) + 1), rnd.randrange(len(other) + 1)
        return data[:i] + other[j:]
    lines = data.decode("utf-8", "replace").split("\n")
    if how == "shuffle":
        rnd.shuffle(lines)
    elif how == "drop_cells":
        lines = ["".join(c for c in re.split(r"(\t|\||</td>)", l) if rnd.random() > 0.2) for l in lines]
    elif how == "duplicate":
        i = rnd.randrange(len(lines) + 1)
        lines = lines[:i] + lines[i: i + rnd.randint(1, 40)] + lines[i:]
    return "\n".join(lines).encode("utf-8")


def run_one(data: bytes, source: str) -> str | None:
    """None when fine, else a description of the crash."""
    try:
        doc = read_any(data, source)
    except ParseError as e:
        return None if str(e).startswith(source) else f"ParseError without source: {e}"
    try:
        report = parse_document(doc)
    except ParseError as e:  # e.g. "not a report": allowed, but it must name the document
        return None if str(e).startswith(source) else f"ParseError without source: {e}"
    printed = doc.printed_numbers()
    for key, value in report.metrics.items():
        if value is not None and abs(value) not in printed:
            return f"invented number {key}={value}"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=600.0, help="stop after this long even if inputs remain")
    ap.add_argument("--per-doc", type=float, default=2.0, help="seconds one document may take")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=("text", "html"), help="fuzz one parser (default: 4 text : 1 HTML)")
    args = ap.parse_args()
    text = [p.read_bytes() for d in ("seeds", "real") for p in sorted((CORPUS / d).glob("*.txt"))]
    html = [p.read_bytes() for p in sorted((CORPUS / "html").glob("*.html"))]
    if not text or not html:
        sys.exit(f"no corpus under {CORPUS}")
    rnd = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    crashes: list[str] = []
    counts = {"text": 0, "html": 0}
    slowest = 0.0
    start = time.perf_counter()
    n = 0
    while n < args.inputs and time.perf_counter() - start < args.seconds:
        kind = args.only or ("html" if n % 5 == 0 else "text")  # HTML pages cost ~10x a text report
        pool = html if kind == "html" else text
        how = rnd.choice(MUTATIONS)
        data = mutate(rnd.choice(pool), rnd.choice(pool), rnd, how)
        source = f"fuzz{n}.{'html' if kind == 'html' else 'txt'}"
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.per_doc)
        try:
            problem = run_one(data, source)
        except Timeout:
            problem = f"slower than {args.per_doc}s"
        except Exception as e:  # the point of fuzzing: record, keep going
            problem = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        slowest = max(slowest, time.perf_counter() - t0)
        if problem:
            crashes.append(f"#{n} {kind}/{how}: {problem}")
        counts[kind] += 1
        n += 1
    elapsed = time.perf_counter() - start
    for c in crashes[:20]:
        print(c)
    print(f"inputs {n} (text {counts['text']}, html {counts['html']}) in {elapsed:.1f}s = {n / elapsed:.1f} inputs/s; "
          f"slowest {slowest * 1000:.0f} ms; crashes {len(crashes)}")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
