"""Fuzz the attachment readers: mutated real PDFs and generated DOCX bytes must give a Document or a
ParseError — never another exception, never a hang.

    .venv/bin/python bench/fuzz_readers.py --inputs 10000 --budget 1800 --workers 2
    .venv/bin/python bench/fuzz_readers.py --replay pdf:1234      # re-run one input, show the traceback

Input i of a reader is fully determined by (--seed, reader, i): a seed document (the two real
PDFs of ../shared/corpus/pdf, or a DOCX made here with python-docx) and 1-3 mutations (bit flips,
truncation, chunk duplication, chunk deletion). Each input runs in a worker process under
signal.setitimer; one that takes longer than --timeout counts as a hang. Prints inputs/s per reader,
crashes (non-ParseError exceptions, with the input id to replay) and hangs.
"""
from __future__ import annotations

import argparse
import copy
import io
import logging
import random
import resource
import signal
import sys
import time
import traceback
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers.model import ParseError  # noqa: E402

PDF_SEEDS = [REPO.parent / "shared" / "corpus" / "pdf" / name for name in ("hzq_2023.pdf", "hzq_2024.pdf")]
READERS = ("pdf", "docx")
MEMORY_LIMIT = 3 << 30  # bytes of address space per worker: a memory blow-up fails, not the machine


class Hang(BaseException):
    """Raised by the alarm inside a reader that ran past the per-input timeout. A BaseException,
    so the readers' own `except Exception` (which turns everything into ParseError) cannot hide it."""


@dataclass
class Tally:
    inputs: int = 0
    parse_errors: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    slowest_id: str = ""
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.inputs += other.inputs
        self.parse_errors += other.parse_errors
        self.seconds += other.seconds
        if other.slowest > self.slowest:
            self.slowest, self.slowest_id = other.slowest, other.slowest_id
        self.crashes += other.crashes
        self.hangs += other.hangs


# ---------------------------------------------------------------------------------------------
# inputs


def docx_seed() -> bytes:
    """A small report-like DOCX: title, paragraphs, and a table with row and column merges."""
    import docx

    document = docx.Document()
    document.add_paragraph("某县2021年政府信息公开工作年度报告")
    table = document.add_table(rows=4, cols=4)
    table.cell(0, 0).merge(table.cell(1, 1)).text = "申请人情况"
    table.cell(0, 2).merge(table.cell(0, 3)).text = "法人或其他组织"
    for c in range(4):
        table.cell(3, c).text = str(c)
    document.add_paragraph("五、存在的主要问题及改进情况")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=None)
def seeds(reader: str) -> tuple[bytes, ...]:
    if reader == "pdf":
        return tuple(path.read_bytes() for path in PDF_SEEDS)
    return (docx_seed(),)


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(("flip", "flip", "truncate", "duplicate", "delete"))
        if not buf:
            break
        if kind == "flip":
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(buf))
                buf[i] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del buf[rng.randrange(len(buf)):]
        else:
            start = rng.randrange(len(buf))
            chunk = bytes(buf[start:start + rng.randint(1, 4096)])
            if kind == "duplicate":
                at = rng.randrange(len(buf) + 1)
                buf[at:at] = chunk * rng.randint(1, 4)
            else:
                del buf[start:start + len(chunk)]
    return bytes(buf)


_VALUES = ["0", "-1", "2", "7", "1000000000", "x", "", "restart", "continue"]


def mutate_tree(xml: bytes, rng: random.Random) -> bytes:
    """Well-formed but wrong Word XML: elements deleted, duplicated or moved, w:val attributes garbled."""
    from lxml import etree

    root = etree.fromstring(xml)
    for _ in range(rng.randint(1, 6)):
        nodes = list(root.iter())[1:]
        if not nodes:
            break
        node = rng.choice(nodes)
        kind = rng.choice(("delete", "duplicate", "move", "value"))
        parent = node.getparent()
        if parent is None:
            continue
        if kind == "delete":
            parent.remove(node)
        elif kind == "duplicate":
            parent.insert(parent.index(node), copy.deepcopy(node))
        elif kind == "move":
            target = rng.choice(nodes)
            if node not in target.iterancestors() and target is not node:
                parent.remove(node)
                target.append(node)
        else:
            vals = [e for e in nodes if any(k.endswith("}val") for k in e.attrib)]
            if vals:
                el = rng.choice(vals)
                key = next(k for k in el.attrib if k.endswith("}val"))
                el.set(key, rng.choice(_VALUES))
    return etree.tostring(root)


def rezip(data: bytes, member: str, body: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            zf.writestr(name, body if name == member else src.read(name))
    return out.getvalue()


def make_input(seed: int, reader: str, i: int) -> bytes:
    """Input i: raw byte mutations; for DOCX also mutations inside word/document.xml, re-zipped,
    since almost any raw change to a zip only exercises the zip layer (CRC errors)."""
    rng = random.Random(f"{seed}:{reader}:{i}")
    base = rng.choice(seeds(reader))
    if reader != "docx":
        return mutate(base, rng)
    mode = rng.choice(("zip", "xml", "tree", "tree"))
    if mode == "zip":
        return mutate(base, rng)
    xml = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml")
    return rezip(base, "word/document.xml", mutate(xml, rng) if mode == "xml" else mutate_tree(xml, rng))


def reader_fn(reader: str):
    if reader == "pdf":
        from parsers.pdf import read_pdf
        return read_pdf
    from parsers.docx import read_docx
    return read_docx


# ---------------------------------------------------------------------------------------------
# running


def _alarm(signum, frame):
    raise Hang()


def run_chunk(seed: int, reader: str, start: int, stop: int, timeout: float) -> Tally:
    """Worker: read inputs [start, stop) of `reader`, each under an alarm."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its per-object warnings on broken input
    signal.signal(signal.SIGALRM, _alarm)
    read = reader_fn(reader)
    tally = Tally()
    for i in range(start, stop):
        data = make_input(seed, reader, i)
        began = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            read(data, f"fuzz-{reader}-{i}")
        except ParseError:
            tally.parse_errors += 1
        except Hang:
            tally.hangs.append(f"{reader}:{i}")
        except Exception as exc:  # the finding: anything else escaped the reader
            tally.crashes.append(f"{reader}:{i} {type(exc).__name__}: {exc}"[:300])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        took = time.perf_counter() - began
        tally.inputs += 1
        tally.seconds += took
        if took > tally.slowest:
            tally.slowest, tally.slowest_id = took, f"{reader}:{i}"
    return tally


def fuzz(inputs: int, budget: float, workers: int = 2, seed: int = 0, timeout: float = 10.0,
         chunk: int = 25, readers: tuple[str, ...] = READERS,
         progress: bool = False) -> dict[str, tuple[Tally, float]]:
    """Run up to `inputs` per reader within `budget` seconds per reader; {reader: (tally, wall s)}.

    A worker that dies outright (a segfault, the memory limit) counts its whole chunk as one crash."""
    results: dict[str, tuple[Tally, float]] = {}
    for reader in readers:
        seeds(reader)  # fail here, not in a worker, if a seed file is missing
        tally, began = Tally(), time.monotonic()
        shown = began
        starts = list(range(0, inputs, chunk))
        while starts and time.monotonic() - began < budget:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending = {}
                while starts or pending:
                    while starts and len(pending) < workers * 2 and time.monotonic() - began < budget:
                        start = starts.pop(0)
                        job = pool.submit(run_chunk, seed, reader, start, min(start + chunk, inputs), timeout)
                        pending[job] = start
                    if not pending:
                        break
                    done = next(as_completed(pending))
                    start = pending.pop(done)
                    if progress and time.monotonic() - shown > 60:
                        shown = time.monotonic()
                        print(f"  {reader}: {tally.inputs:,} inputs, {len(tally.crashes)} crashes, "
                              f"{len(tally.hangs)} hangs, {shown - began:.0f} s", file=sys.stderr, flush=True)
                    try:
                        tally.add(done.result())
                    except Exception as exc:
                        tally.crashes.append(f"{reader}:{start}-{start + chunk} worker died ({type(exc).__name__})")
                        starts = [s for s in starts if s not in pending.values()] + sorted(pending.values())
                        break
        results[reader] = (tally, time.monotonic() - began)
    return results


def replay(spec: str, seed: int) -> None:
    reader, i = spec.split(":")
    data = make_input(seed, reader, int(i))
    print(f"{spec}: {len(data):,} bytes")
    try:
        doc = reader_fn(reader)(data, spec)
        print(f"read: {len(doc.text):,} chars, {len(doc.tables)} tables")
    except ParseError as exc:
        print(f"ParseError: {exc}")
    except Exception:
        traceback.print_exc()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=10_000, help="inputs per reader (default 10000)")
    ap.add_argument("--budget", type=float, default=1800, help="seconds per reader (default 1800)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per input before it is a hang")
    ap.add_argument("--readers", default=",".join(READERS))
    ap.add_argument("--replay", help="READER:INDEX — run one input in-process and show what happens")
    args = ap.parse_args()
    if args.replay:
        replay(args.replay, args.seed)
        return
    results = fuzz(args.inputs, args.budget, args.workers, args.seed, args.timeout,
                   readers=tuple(args.readers.split(",")), progress=True)
    bad = 0
    for reader, (tally, wall) in results.items():
        print(f"{reader}: {tally.inputs:,} inputs in {wall:.0f} s = {tally.inputs / wall:.1f} inputs/s "
              f"({args.workers} workers); ParseError {tally.parse_errors:,}, read {tally.inputs - tally.parse_errors - len(tally.crashes) - len(tally.hangs):,}, "
              f"crashes {len(tally.crashes)}, hangs {len(tally.hangs)} (> {args.timeout:g} s), slowest {tally.slowest:.2f} s ({tally.slowest_id})")
        for line in tally.crashes[:20] + [f"hang {h}" for h in tally.hangs[:20]]:
            print("   ", line)
        bad += len(tally.crashes) + len(tally.hangs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
