"""Pages/s of the full crawl pipeline (spiders + archive + parse pool) next to a bare Scrapy spider that
fetches the same URLs with the same settings, in the same run, against the local replica.

    .venv/bin/python bench/crawl_bench.py [--rounds 2]

Order: bare (cold replica caches), then per round: pipeline, bare. The ratio compares each pipeline
run with the bare run after it (both see warm replica caches). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
POSTED = ("dataproxy.jsp", "/fjdzapp/search", "search.jsp")  # list endpoints the pipeline reaches by POST


def pipeline(control_url: str, db: Path) -> tuple[int, float, float]:
    """(responses, crawl seconds, end-to-end seconds) of `nianbao crawl all --replica`: the crawl phase ends
    with the last response archived raw; end to end also waits for the last parse and ingest."""
    cmd = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')", "crawl", "all",
           "--replica", control_url, "--db", str(db), "--json", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if not runs:
        sys.exit(f"pipeline crawl failed:\n{proc.stderr[-2000:]}")
    return (sum(r["responses"] for r in runs), max(r["crawl_seconds"] for r in runs),
            max(r["elapsed"] for r in runs))


def bare(urls_file: Path) -> tuple[int, float]:
    proc = subprocess.run([sys.executable, __file__, "--bare", str(urls_file)], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"bare crawl failed:\n{proc.stderr[-2000:]}")
    n, secs = proc.stdout.split()
    return int(n), float(secs)


def run_bare(urls_file: str) -> None:
    """A spider that only downloads: same settings as the pipeline (crawler.settings + FAST), no items."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.run import settings_for

    urls = json.loads(Path(urls_file).read_text())

    class Bare(scrapy.Spider):
        name = "bare"
        custom_settings = {"ITEM_PIPELINES": {}, "DOWNLOADER_MIDDLEWARES": {}, "LOG_LEVEL": "ERROR"}

        async def start(self):
            for u in urls:
                yield scrapy.Request(u, callback=self.parse, dont_filter=True)

        def parse(self, response):
            return None

    settings = settings_for(str(Path(tempfile.gettempdir()) / "unused.db"), fast=True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(stats.get("response_received_count", 0), stats["elapsed_time_seconds"])


def main() -> None:
    from crawler.replica import Replica

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        run_bare(args.bare)
        return
    with tempfile.TemporaryDirectory() as tmp, Replica(seed=1, rate_limit=100_000) as replica:
        tmp = Path(tmp)
        # the URLs: what a first pipeline crawl fetched (GETs only; the few POST list calls are skipped)
        n, secs, total = pipeline(replica.control_url, tmp / "probe.db")
        urls = [u for (u,) in sqlite3.connect(tmp / "probe.db").execute("select url from fetches order by id")
                if not any(p in u for p in POSTED)]
        (tmp / "urls.json").write_text(json.dumps(urls))
        print(f"replica: {len(replica.sites())} sites; the pipeline fetched {n} responses; bare spider gets {len(urls)} URLs")
        print(f"cold    pipeline crawl {n / secs:6.1f} pages/s, end to end {n / total:6.1f} pages/s "
              f"(replica renders PDFs/DOCX on first use)")
        for i in range(args.rounds):
            n, secs, total = pipeline(replica.control_url, tmp / f"round{i}.db")
            bn, bsecs = bare(tmp / "urls.json")
            b = bn / bsecs
            print(f"round {i + 1}: bare {b:6.1f} pages/s ({bn} in {bsecs:.1f} s) | pipeline crawl {n / secs:6.1f} pages/s "
                  f"({n} in {secs:.1f} s) = {n / secs / b:.0%} of bare | end to end incl. parse+ingest "
                  f"{n / total:6.1f} pages/s ({total:.1f} s) = {n / total / b:.0%} of bare")


if __name__ == "__main__":
    main()
