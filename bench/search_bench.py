"""Search benchmark: exact Chinese substring search on an archive of 100,000 generated reports.

Builds (once; cached under /tmp) an archive whose `search` table holds N generated reports of ~1-3 KB
of report prose (phrases from ../shared/corpus plus tests/sample.py's PROSE), indexed by the same code
the archive uses (archive.ngrams). Then runs, per query length 1, 2, 3, 4, 8 characters, the SQL
Datasette 0.65 runs for `/db/search?_search=Q` (the count query and the first page) with the
plugin's `escape_fts`, prints p50/p95, and checks every result set against Python substring truth.

    .venv/bin/python bench/search_bench.py            # 100,000 reports
    .venv/bin/python bench/search_bench.py -n 20000 --rebuild
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "tests"))

import sample  # noqa: E402  (tests/sample.py: generated reports)
from archive import ngrams  # noqa: E402
from archive.store import Archive  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
NAMED = ["复议", "公开", "依申请公开", "信息处理费", "费", "信息公开、依申请", "诉讼"]
LENGTHS = (1, 2, 3, 4, 8)
# What Datasette 0.65's table view runs for ?_search= (filters.py + table.py): the count and the first page.
WHERE = "id in (select rowid from search_fts where search_fts match escape_fts(:search))"
COUNT_SQL = f"select count(*) from search where {WHERE}"
PAGE_SQL = (f"select id, organ_id, organ, year, province, format, check_status, status, title, text from search"
            f" where {WHERE} order by id limit 101")


MEAN_CHARS = 3_000  # real report pages average ~3,100 characters


def _phrases() -> list[str]:
    return sample.corpus_phrases(CORPUS) + sample.PROSE if CORPUS.is_dir() else sample.PROSE


def _chunk(args: tuple[int, int, int]) -> list[tuple[int, str, int, str, str, str]]:
    """Rows [start, stop) with their n-gram index text: (id, organ, year, title, text, index_text).

    Seeded per chunk, so a build is the same whatever the number of processes."""
    start, stop, n = args
    rng = random.Random(start)
    phrases, organs = _PHRASES, _ORGANS
    rows = []
    for i in range(start, stop):
        organ, year = organs[i // 10 % len(organs)], 2015 + i % 11
        title = f"{organ}{year}年政府信息公开工作年度报告"
        body, size, target = [title], len(title), rng.randint(MEAN_CHARS // 2, MEAN_CHARS * 3 // 2)
        while size < target:
            body.append(rng.choice(phrases).format(n=rng.randint(1, 999), m=rng.randint(0, 50), k=rng.randint(0, 9)))
            size += len(body[-1]) + 1
        text = "\n".join(body)
        rows.append((i + 1, organ, year, title, text, ngrams.index_text(text)))
    return rows


def _init(n: int) -> None:
    global _PHRASES, _ORGANS
    _PHRASES, _ORGANS = _phrases(), sample.organ_names(max(1, n // 10))


def generated(n: int, processes: int):
    """Chunks of generated rows, tokenised in `processes` worker processes."""
    chunks = [(s, min(n, s + 2_000), n) for s in range(0, n, 2_000)]
    with multiprocessing.Pool(processes, initializer=_init, initargs=(n,)) as pool:
        yield from pool.imap(_chunk, chunks)


def build(path: Path, n: int, processes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    chars = 0
    with Archive(path) as archive:  # the real schema; bulk rows go straight into search + search_fts
        conn = archive.conn
        conn.execute("pragma foreign_keys = off")  # search rows without report rows: only search is measured
        conn.execute("pragma synchronous = off")
        conn.execute("pragma cache_size = -1000000")
        with archive.db.atomic():
            for rows in generated(n, processes):
                conn.executemany("insert into search(id, organ, year, format, status, title, text)"
                                 " values (?, ?, ?, '2021', 'current', ?, ?)", [r[:5] for r in rows])
                conn.executemany("insert into search_fts(rowid, text) values (?, ?)", [(r[0], r[5]) for r in rows])
                chars += sum(len(r[4]) for r in rows)
        t1 = time.perf_counter()
        archive.optimize_search()
    t2 = time.perf_counter()
    print(f"built {n:,} reports (mean {chars / n:,.0f} characters) in {t2 - t0:.0f} s (generate+index {t1 - t0:.0f} s,"
          f" optimize {t2 - t1:.0f} s); db {path.stat().st_size / 1e9:.2f} GB", flush=True)


def queries(conn: sqlite3.Connection, rng: random.Random, per_length: int) -> dict[int, list[str]]:
    """Substrings of random stored texts (so most hit), per length, plus a few that occur nowhere."""
    n = conn.execute("select max(id) from search").fetchone()[0]
    out: dict[int, list[str]] = {}
    for length in LENGTHS:
        picked: list[str] = []
        while len(picked) < per_length:
            text = conn.execute("select text from search where id = ?", (rng.randint(1, n),)).fetchone()[0]
            start = rng.randrange(0, max(1, len(text) - length))
            q = text[start:start + length]
            if len(q) == length and not any(c.isspace() for c in q):
                picked.append(q)
        picked.append("鑫" * length if length > 1 else "鑫")  # a miss
        out[length] = picked
    return out


def timed(conn: sqlite3.Connection, q: str, repeat: int = 3) -> tuple[float, int]:
    """ms for the count query + the first page; the best of `repeat` runs (the machine's cores are shared)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        count = conn.execute(COUNT_SQL, {"search": q}).fetchone()[0]
        conn.execute(PAGE_SQL, {"search": q}).fetchall()
        best = min(best, (time.perf_counter() - t) * 1000)
    return best, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reports", dest="n", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2, help="tokenising processes for the build")
    ap.add_argument("--db", type=Path, default=None, help="default /tmp/nianbao-bench/search-N.db")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--per-length", type=int, default=20)
    ap.add_argument("--no-truth", action="store_true", help="skip the Python substring check")
    args = ap.parse_args()
    path = args.db or Path(f"/tmp/nianbao-bench/search-{args.n}.db")
    if args.rebuild or not path.exists():
        build(path, args.n, args.processes)
    else:
        print(f"using cached {path} ({path.stat().st_size / 1e6:.0f} MB; --rebuild to rebuild)")
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    conn.create_function("escape_fts", 1, ngrams.fts_query, deterministic=True)
    haystacks = [ngrams.normalize(t) for (t,) in conn.execute("select text from search")] if not args.no_truth else []
    rng = random.Random(7)
    plan = queries(conn, rng, args.per_length)
    timed(conn, "公开")  # warm the page cache once
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; each query: best of 3 runs")
    print(f"{'length':>6} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'median hits':>11}")
    mismatches = 0
    for length, qs in plan.items():
        times, hits = [], []
        for q in qs:
            ms, count = timed(conn, q)
            times.append(ms)
            hits.append(count)
            if haystacks:
                words = ngrams.normalized_words(q)
                truth = sum(1 for h in haystacks if words and all(w in h for w in words))
                if truth != count:
                    mismatches += 1
                    print(f"MISMATCH {q!r}: index {count}, truth {truth}")
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{length:>6} {len(qs):>7} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f} "
              f"{int(statistics.median(hits)):>11,}")
    for q in NAMED:
        ms, count = timed(conn, q)
        print(f"  {q!r}: {count:,} reports, {ms:.1f} ms")
    print("exactness: " + ("all result counts equal Python substring truth" if haystacks and not mismatches
                           else f"{mismatches} mismatches" if haystacks else "not checked"))


if __name__ == "__main__":
    main()
