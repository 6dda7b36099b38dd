"""Parse cost per document on one core: text, HTML and PDF reports of ../shared/corpus and replica pages.

Reports CPU time (time.process_time, best of --runs passes: the machine is shared, wall time is noise)
per document, and reports/s = 1000 / mean ms. Next to each, in the same run:
- HTML: the trafilatura path (NIANBAO_HTML_PROSE=trafilatura: prose always from trafilatura, the reading
  before the CMS article containers were read with lxml);
- PDF: the floor pdfminer/pdfplumber alone pays to interpret the pages into chars and rules (what no
  tuning of our reader can remove);
- every kind: read+decode, the floor any parser pays.
Usage: .venv/bin/python bench/parse_bench.py [--runs N] [--replica N]
"""
from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers import parse_bytes  # noqa: E402
from parsers.html import USE_TRAFILATURA_ENV, decode_html  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
Doc = tuple[str, bytes]


def corpus(kind: str) -> list[Doc]:
    """The shared corpus' labelled documents of one kind."""
    if kind == "text":
        paths = sorted(p for d in ("seeds", "real") for p in (CORPUS / d).glob("*.txt"))
    else:
        paths = sorted(p for p in (CORPUS / kind).glob(f"*.{kind}") if p.with_suffix(".json").exists())
    return [(str(p), p.read_bytes()) for p in paths]


def replica_pages(n: int) -> list[Doc]:
    """n report pages of the replica's generator in its three markups (clean, word, compact), wrapped as
    a TRS page: the families' container around real-length synthetic prose and tables."""
    from replica.markup import body_html
    from replica.reports import make_report
    out = []
    for seed, (fmt, markup) in zip(range(n), itertools.cycle(itertools.product(("2019", "2021"),
                                                                              ("clean", "word", "compact")))):
        r = make_report(random.Random(seed), seed, "青川县城关镇人民政府", 2023 if fmt == "2021" else 2020,
                        fmt=fmt, markup=markup, carrier="html")
        page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{r.title}</title></head><body>'
                f'<div class=TRS_Editor>{body_html(r, lambda t: f"./W0{t}.png", with_title=True)}</div>'
                "</body></html>")
        out.append((f"replica-{seed}-{fmt}-{markup}", page.encode()))
    return out


def cpu_ms(fn: Callable[[bytes, str], object], docs: list[Doc], runs: int) -> list[float]:
    """Per document: the least CPU ms over `runs` passes."""
    best = [float("inf")] * len(docs)
    for _ in range(runs):
        for i, (source, data) in enumerate(docs):
            start = time.process_time()
            fn(data, source)
            best[i] = min(best[i], (time.process_time() - start) * 1000)
    return best


def with_env(name: str, value: str, fn: Callable[[bytes, str], object]) -> Callable[[bytes, str], object]:
    def run(data: bytes, source: str) -> object:
        old = os.environ.get(name)
        os.environ[name] = value
        try:
            return fn(data, source)
        finally:
            if old is None:
                del os.environ[name]
            else:
                os.environ[name] = old
    return run


def pdf_floor(data: bytes, source: str) -> object:
    """pdfplumber's objects (chars, rects, lines) of the pages the reader reads: the interpreter's cost."""
    import pdfplumber
    from parsers import limits
    from parsers.pdf import _TEXT, _first_pages
    _TEXT.start(limits.current())
    pdf = pdfplumber.open(io.BytesIO(data))
    pages = _first_pages(pdf, limits.current().pdf_pages)
    return [len(p.objects) for p in pages]


def line(label: str, docs: list[Doc], ms: list[float], extra: str = "") -> None:
    mean = statistics.fmean(ms)
    size = statistics.fmean(len(d) for _, d in docs) / 1024
    print(f"{label:33s} {len(docs):3d} docs (mean {size:6.1f} KB): {mean:7.2f} ms CPU/doc "
          f"(median {statistics.median(ms):7.2f})  {1000 / mean:7.1f} reports/s{extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="passes per measurement; the best per document counts")
    ap.add_argument("--replica", type=int, default=30, help="replica report pages (0: none)")
    args = ap.parse_args()
    parse = lambda data, source: parse_bytes(data, source)  # noqa: E731
    decode = lambda data, source: decode_html(data)  # noqa: E731
    kinds = [("text", corpus("text")), ("html", corpus("html")), ("html replica", replica_pages(args.replica)),
             ("pdf", corpus("pdf"))]
    for kind, docs in kinds:
        if not docs:
            print(f"{kind}: no inputs")
            continue
        now = cpu_ms(parse, docs, args.runs)
        base = statistics.fmean(cpu_ms(decode, docs, args.runs))
        line(f"{kind} parse", docs, now, f"   read+decode {base:.2f} ms")
        if kind.startswith("html"):
            before = cpu_ms(with_env(USE_TRAFILATURA_ENV, "trafilatura", parse), docs, args.runs)
            line(f"{kind} parse, trafilatura", docs, before,
                 f"   lxml containers save {100 * (1 - statistics.fmean(now) / statistics.fmean(before)):.0f}%")
        if kind == "pdf":
            floor = cpu_ms(pdf_floor, docs, args.runs)
            line("pdf interpret only (floor)", docs, floor,
                 f"   = {100 * statistics.fmean(floor) / statistics.fmean(now):.0f}% of the parse")


if __name__ == "__main__":
    main()
