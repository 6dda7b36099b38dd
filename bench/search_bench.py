"""Search benchmark: Datasette's HTML search page on an archive of N generated reports of real length.

Builds (once; cached under /tmp) an archive whose `search` table holds N generated reports of ~3,000
characters on average (real report pages average ~3,100), sentences of the shared corpus
(../shared/corpus) plus tests/sample.py's PROSE, indexed by the archive's own code (archive.ngrams),
tokenised in worker processes and inserted in one transaction. Then, for common words, common phrases,
rare words and multi-word queries, times three ways in: GET `/db/search?_search=Q` (the search table page)
and GET `/-/search?q=Q` (the plugin page behind the landing page's search box: snippets, facets) as a
browser does (HTML, Datasette's defaults, the nianbao plugin), and `nianbao search Q` (the click command,
in process: no interpreter start-up). Prints p50/p95 per kind and way, and checks the count each page
shows and its first page of ids (both orders) against Python substring truth over every text.

    .venv/bin/python bench/search_bench.py                        # 100,000 reports
    .venv/bin/python bench/search_bench.py --reports 500000       # ~17 GB under /tmp (3.4 GB per 100,000)
    .venv/bin/python bench/search_bench.py --reports 500000 --extend-from /tmp/nianbao-bench/search-100000.db
    .venv/bin/python bench/search_bench.py --ingest-cost          # ms per report to write the search postings
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "tests"))

import sample  # noqa: E402  (tests/sample.py: generated reports)
from archive import ngrams, search_sql  # noqa: E402
from archive import search as fulltext  # noqa: E402
from archive.store import Archive  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
MEAN_CHARS = 3_000  # real report pages average ~3,100 characters


def _phrases() -> list[str]:
    return sample.corpus_phrases(CORPUS) + sample.PROSE if CORPUS.is_dir() else sample.PROSE


def _chunk(args: tuple[int, int, int]) -> list[tuple[int, str, int, str, str, str, str]]:
    """Rows [start, stop) with their index texts: (id, organ, year, title, text, index_text, gram_text).

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
        rows.append((i + 1, organ, year, title, text, ngrams.index_text(text), ngrams.gram_text(text)))
    return rows


def _init(n: int) -> None:
    global _PHRASES, _ORGANS
    _PHRASES, _ORGANS = _phrases(), sample.organ_names(max(1, n // 10))


def generated(n: int, processes: int, start: int = 0):
    """Chunks of generated rows from id `start` + 1, tokenised in `processes` worker processes, at most two
    chunks per process ahead of the writer (Pool.imap would hold every chunk the writer has not taken yet)."""
    chunks = [(s, min(n, s + 2_000), n) for s in range(start, n, 2_000)]
    with multiprocessing.Pool(processes, initializer=_init, initargs=(n,)) as pool:
        ahead = collections.deque(pool.apply_async(_chunk, (c,)) for c in chunks[:2 * processes])
        for c in chunks[2 * processes:] + [None] * len(ahead):
            rows = ahead.popleft().get()
            if c is not None:
                ahead.append(pool.apply_async(_chunk, (c,)))
            yield rows


def build(path: Path, n: int, processes: int, extend_from: Path | None = None) -> None:
    """Generate and index n reports; or copy a smaller build (rows are seeded per chunk and organ names grow
    as a prefix, so its rows are this build's first ones), give it the gram index, and append the rest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if extend_from:
        shutil.copyfile(extend_from, path)
        migrate(path)
    with Archive(path) as archive:  # the real schema; bulk rows go straight into search + search_fts
        conn = archive.conn
        conn.execute("pragma foreign_keys = off")  # search rows without report rows: only search is measured
        conn.execute("pragma synchronous = off")
        conn.execute("pragma cache_size = -1000000")
        start = conn.execute("select coalesce(max(id), 0) from search").fetchone()[0]
        if start % 2_000 or start > n:
            raise SystemExit(f"{extend_from}: {start:,} rows, not a build of fewer reports than {n:,}")
        chars = conn.execute("select coalesce(sum(length(text)), 0) from search").fetchone()[0]
        with archive.db.atomic():
            for rows in generated(n, processes, start):
                conn.executemany("insert into search(id, organ, year, format, kind, status, title, text)"
                                 " values (?, ?, ?, '2021', 'html', 'current', ?, ?)", [r[:5] for r in rows])
                conn.executemany("insert into search_fts(rowid, text) values (?, ?)", [(r[0], r[5]) for r in rows])
                conn.executemany("insert into search_grams(rowid, grams) values (?, ?)", [(r[0], r[6]) for r in rows])
                chars += sum(len(r[4]) for r in rows)
        t1 = time.perf_counter()
        archive.optimize_search()
    t2 = time.perf_counter()
    print(f"built {n:,} reports (mean {chars / n:,.0f} characters) in {t2 - t0:.0f} s (generate+index {t1 - t0:.0f} s,"
          f" optimize {t2 - t1:.0f} s); db {path.stat().st_size / 1e9:.2f} GB", flush=True)


def migrate(path: Path) -> None:
    """Give a build of an older checkout the gram index the way a real archive gets it (schema migration 10,
    from the stored texts), and time it."""
    conn = sqlite3.connect(path)
    has_grams = conn.execute("select 1 from sqlite_master where name = 'search_grams'").fetchone()
    conn.close()
    if has_grams:
        return
    size, t = path.stat().st_size, time.perf_counter()
    with Archive(path) as archive:
        t1 = time.perf_counter()
        archive.conn.execute("insert into search_grams(search_grams) values ('optimize')")
        archive.conn.commit()
    print(f"migrated: search_grams from the stored texts in {t1 - t:.0f} s, optimize {time.perf_counter() - t1:.0f} s;"
          f" db {size / 1e9:.2f} -> {path.stat().st_size / 1e9:.2f} GB", flush=True)


def ingest_cost(n: int = 1_000) -> None:
    """ms per report to write a report's search postings, without and with the gram index (in one transaction)."""
    _init(n)
    rows = _chunk((0, n, n))
    import tempfile
    for grams in (False, True):
        with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "ingest.db") as archive:
            conn = archive.conn
            conn.execute("pragma foreign_keys = off")
            t = time.perf_counter()
            with archive.db.atomic():
                for r in rows:
                    conn.execute("insert into search(id, text) values (?, ?)", (r[0], r[4]))
                    conn.execute("insert into search_fts(rowid, text) values (?, ?)", (r[0], ngrams.index_text(r[4])))
                    if grams:
                        conn.execute("insert into search_grams(rowid, grams) values (?, ?)", (r[0], ngrams.gram_text(r[4])))
            ms = (time.perf_counter() - t) * 1000 / n
        print(f"ingest: {ms:.2f} ms per report of search row + n-gram postings" + (" + gram postings" if grams else ""),
              flush=True)


# Query kinds, as a user types them in the search box of /db/search.
COMMON = ["公开", "的", "年", "申请", "复议", "费", "年度", "诉讼", "信息", "工作"]
COMMON_4_5 = ["依申请公开", "信息公开", "行政复议", "政府信息", "主动公开", "公开指南"]
PHRASES = ["政府信息公开工作年度报告", "政府信息公开", "依申请公开工作", "主动公开政府信息", "政府信息公开申请",
           "行政复议、行政诉讼", "年度报告", "政府信息公开条例"]
# Rare or absent phrases whose every n-gram is common: the index must read each doclist to the end.
RARE_OF_COMMON = ["信息公开、依申请", "公开政府信息工作年度", "年度报告公开", "复议诉讼公开", "申请公开信息处理"]
MULTI = ["行政 复议", "公开 费", "政府信息 年度报告", "依申请 复议 诉讼", "信息处理费 行政诉讼", "公开 鑫鑫"]


def rare_words(conn: sqlite3.Connection, haystacks: list[str], rng: random.Random, k: int) -> list[str]:
    """Substrings (2-6 characters) of random organ names and texts that at most 50 reports contain, and a miss."""
    n = conn.execute("select max(id) from search").fetchone()[0]
    picked: list[str] = []
    for _ in range(2_000):
        if len(picked) >= k:
            break
        # Half from the organ names (each names ~10 reports), half from the prose (mostly common).
        column = "organ" if len(picked) % 2 == 0 else "text"
        text = conn.execute(f"select {column} from search where id = ?", (rng.randint(1, n),)).fetchone()[0]
        length = rng.randint(2, 6)
        start = rng.randrange(0, max(1, len(text) - length))
        q = text[start:start + length]
        if len(q) == length and not any(c.isspace() for c in q) and truth(haystacks, q, stop=51) <= 50:
            picked.append(q)
    return picked + ["鑫鑫"]


def truth(haystacks: list[str], q: str, stop: int | None = None) -> int:
    """How many normalised texts contain every word of q (Python substring truth), counting to `stop`."""
    words, count = ngrams.normalized_words(q), 0
    for h in haystacks:
        if words and all(w in h for w in words):
            count += 1
            if count == stop:
                break
    return count


def truth_ids(haystacks: list[str], q: str, k: int, newest_first: bool = False) -> list[int]:
    """The first k ids (1…n) whose texts contain every word of q, lowest first or newest first."""
    words, out = ngrams.normalized_words(q), []
    order = range(len(haystacks) - 1, -1, -1) if newest_first else range(len(haystacks))
    for i in order:
        if words and all(w in haystacks[i] for w in words):
            out.append(i + 1)
            if len(out) == k:
                break
    return out


_COUNT = re.compile(r"<h3>\s*([\d,]+)(\+?) rows?")
_PLUGIN_COUNT = re.compile(r'<p id="count">\s*([\d,]+)(\+?)')


async def page(client, db: str, q: str, repeat: int, plugin: bool = False) -> tuple[float, str]:
    """ms to get the HTML search table page, or the plugin's /-/search page (best of `repeat`), and the count shown."""
    best, html = float("inf"), ""
    url = (f"/-/search?" + urllib.parse.urlencode({"q": q, "db": db}) if plugin
           else f"/{db}/search?" + urllib.parse.urlencode({"_search": q}))
    for _ in range(repeat):
        t = time.perf_counter()
        response = await client.get(url)
        best = min(best, (time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (q, response.status_code, response.text[:500])
        html = response.text
    m = (_PLUGIN_COUNT if plugin else _COUNT).search(html)
    return best, (m.group(1) + m.group(2)) if m else "0"


def command(path: Path, q: str, repeat: int) -> float:
    """ms for `nianbao search Q --db PATH` (the click command in process, best of `repeat`)."""
    from click.testing import CliRunner

    from archive.cli import search

    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        result = CliRunner().invoke(search, [q, "--db", str(path)])
        best = min(best, (time.perf_counter() - t) * 1000)
        assert result.exit_code == 0, (q, result.output[-500:])
    return best


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def shown(count: int) -> str:
    """The count as the page shows it (capped, then "+")."""
    return f"{search_sql.capped(count):,}"


async def run(path: Path, args) -> None:
    from datasette.app import Datasette

    from archive.metadata import build as metadata
    from archive.serve import SQL_TIME_LIMIT_MS

    db = path.stem
    ds = Datasette(immutables=[str(path)], metadata=metadata(db),
                   settings={"sql_time_limit_ms": SQL_TIME_LIMIT_MS, "facet_time_limit_ms": 1000,
                             "suggest_facets": False, "allow_download": False})
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    t = time.perf_counter()
    texts = [t for (t,) in conn.execute("select text from search order by id")]
    with multiprocessing.Pool(args.processes) as pool:  # NFKC of a 3,000-character text: ~2 ms
        haystacks = pool.map(ngrams.normalize, texts, chunksize=500)
    del texts
    print(f"truth: {len(haystacks):,} normalised texts in memory ({time.perf_counter() - t:.0f} s)", flush=True)
    kinds = {"common 1-2 chars": COMMON, "common 4-5 chars": COMMON_4_5, "common phrases 6-12": PHRASES,
             "rare words": rare_words(conn, haystacks, random.Random(7), args.rare),
             "rare, common n-grams": RARE_OF_COMMON, "multi-word": MULTI}
    await page(ds.client, db, "公开", 1)  # warm the page cache and Datasette's startup
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; each query: best of {args.repeat} of"
          f" GET /{db}/search?_search=Q (table), GET /-/search?q=Q (plugin page), both HTML with Datasette"
          f" {__import__('datasette').__version__} defaults, and `nianbao search Q` in process (cli)")
    print(f"{'kind':<20} {'queries':>7} {'table p50/p95 ms':>17} {'/-/search p50/p95':>18} {'cli p50/p95 ms':>15}"
          "  shown counts (table | /-/search)")
    mismatches = 0
    for kind, qs in kinds.items():
        times: dict[str, list[float]] = {"table": [], "plugin": [], "cli": []}
        counts, plugin_counts = [], []
        for q in qs:
            ms, count = await page(ds.client, db, q, args.repeat)
            times["table"].append(ms)
            ms, plugin_count = await page(ds.client, db, q, args.repeat, plugin=True)
            times["plugin"].append(ms)
            times["cli"].append(command(path, q, args.repeat))
            counts.append(count)
            plugin_counts.append(plugin_count)
            expected = truth(haystacks, q, stop=search_sql.COUNT_CAP + 1)
            ids = [r[0] for r in search_sql.search(conn, q, 100, columns="id")[1]]
            for shown_count in (count, plugin_count):
                # An older checkout shows counts above the cap in full.
                uncapped = (shown_count.replace(",", "").isdigit()
                            and int(shown_count.replace(",", "")) > search_sql.COUNT_CAP)
                if shown_count != shown(expected) and not (uncapped and expected > search_sql.COUNT_CAP):
                    mismatches += 1
                    print(f"MISMATCH {q!r}: page shows {shown_count}, truth {shown(expected)}")
            if ids != truth_ids(haystacks, q, 100):
                mismatches += 1
                print(f"MISMATCH {q!r}: first page of ids")
            if hasattr(fulltext.Results, "next_before"):  # an older checkout's /-/search sorts by year
                newest = [r["id"] for r in fulltext.search(conn, q, limit=100, with_facets=False).rows]
                if newest != truth_ids(haystacks, q, 100, newest_first=True):
                    mismatches += 1
                    print(f"MISMATCH {q!r}: first page of /-/search and nianbao search (newest first)")
        cells = [f"{p50:>8.1f}/{p95:<8.1f}" for p50, p95 in map(percentiles, times.values())]
        print(f"{kind:<20} {len(qs):>7} {cells[0]:>17} {cells[1]:>18} {cells[2]:>15}  "
              + " ".join(counts[:6]) + " | " + " ".join(plugin_counts[:6]), flush=True)
    print("exactness: " + ("every shown count and first page equal Python substring truth" if not mismatches
                           else f"{mismatches} mismatches"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reports", dest="n", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2, help="tokenising processes for the build")
    ap.add_argument("--db", type=Path, default=None, help="default /tmp/nianbao-bench/search-N.db")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--extend-from", type=Path, default=None,
                    help="build by appending to a copy of a smaller build (e.g. /tmp/nianbao-bench/search-100000.db)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--rare", type=int, default=10, help="rare words to time")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ingest-cost", action="store_true", help="only time writing 1,000 reports' search postings")
    args = ap.parse_args()
    if args.ingest_cost:
        ingest_cost()
        return
    path = args.db or Path(f"/tmp/nianbao-bench/search-{args.n}.db")
    if args.rebuild or not path.exists():
        build(path, args.n, args.processes, args.extend_from)
    else:
        print(f"using cached {path} ({path.stat().st_size / 1e9:.2f} GB; --rebuild to rebuild)")
        migrate(path)
    if not args.build_only:
        asyncio.run(run(path, args))


if __name__ == "__main__":
    main()
