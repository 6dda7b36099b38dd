"""Pages/s of the full crawl pipeline (spiders + archive + parse pool) next to a bare Scrapy spider that
fetches the same requests with the same settings, in the same run, against the local replica.

    .venv/bin/python bench/crawl_bench.py [--rounds 2] [--latency-ms 0 50]

Like with like:
- settings: both runs use `crawler.run.settings_for(db, fast=True)`, i.e. crawler.settings + FAST, what
  `nianbao crawl --replica` uses (delays off, one request at a time per host, robots.txt obeyed), and
  both run one crawler per portal in one CrawlerProcess. The settings are printed.
- requests: the pipeline run logs every request that reached its downloader (method, URL, body and the
  headers its spider set, e.g. Referer; not retries or redirect hops, which the bare spider's own
  middlewares redo), per portal, in order. The bare spider of that portal sends exactly those, in the
  same order (descending priorities), under the same per-host concurrency. It has no item pipeline and
  none of our downloader middlewares: it only downloads.

Order, per server latency: a cold pipeline run (the replica renders PDFs/DOCX on first use), then per
round: pipeline, then bare replaying that pipeline run's requests (both see warm replica caches).

Latency: at 0 ms (loopback) the replica answers at once and both runs are CPU-bound on this machine, so
the ratio is the pipeline's CPU cost per page (the replica server shares the same cores); at 50 ms a
response takes as long as on a fast real server (county portals answer in 100-1000 ms, and a real crawl
also waits 2 s between requests to a host), so the ratio says whether the pipeline keeps up with downloads.

Figures: bare = responses / seconds of its crawl; pipeline crawl = responses / seconds until the last
response was archived raw (`crawl_seconds`); end to end = until the last parse and ingest finished
(Scrapy's elapsed time). CPU = user+sys seconds of the crawl process and its parse workers. Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHOWN = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED",
         "ROBOTSTXT_OBEY", "RETRY_TIMES", "CONCURRENT_ITEMS", "LOG_LEVEL")
# headers Scrapy's (or our) downloader middlewares add: the bare spider's own middlewares add them again
ADDED_HEADERS = {b"user-agent", b"accept", b"accept-language", b"accept-encoding", b"cookie", b"if-none-match",
                 b"if-modified-since"}


def child(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run this file with args in a subprocess; (result, CPU seconds of it and its children)."""
    before = os.times()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=REPO)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if proc.returncode:
        sys.exit(f"{args[0]} failed:\n{proc.stderr[-3000:]}")
    return proc, cpu


# ---------------------------------------------------------------------------------------- the pipeline

class RequestLog:
    """Extension for the pipeline run: logs (portal, method, url, body, headers) of each request as it
    reaches the downloader; not robots.txt, retries or redirect hops."""

    def __init__(self, crawler) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.path = crawler.settings.get("BENCH_REQUEST_LOG")
        crawler.signals.connect(self.reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        self.rows: list[dict] = []

    @classmethod
    def from_crawler(cls, crawler) -> "RequestLog":
        return cls(crawler)

    def reached(self, request, spider) -> None:
        meta = request.meta
        if meta.get("dont_obey_robotstxt") or meta.get("retry_times") or meta.get("redirect_times"):
            return
        headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in request.headers.items()
                   if k.lower() not in ADDED_HEADERS}
        self.rows.append({"portal": spider.portal.id, "method": request.method, "url": request.url,
                          "body": request.body.decode("latin-1"), "headers": headers})

    def closed(self, spider) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            for row in self.rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_pipeline(control_url: str, db: str, log: str) -> None:
    """What `nianbao crawl all --replica URL --db DB` does, plus the request log."""
    from crawler.cli import replica_portals
    from crawler.run import crawl

    from crawler import settings as project

    portals = replica_portals(control_url)
    extensions = {**project.EXTENSIONS, "__main__.RequestLog": 0}  # the project's (the archivist) and the log
    summaries = crawl([p for p in portals.values() if p.enabled], db, fast=True,
                      overrides={"EXTENSIONS": extensions, "BENCH_REQUEST_LOG": log})
    for s in summaries:
        print(json.dumps(s, ensure_ascii=False, default=str))
    print(json.dumps({"cpu": thread_cpu()}))


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads (the reactor, the archive writer, the rest) and of the
    parse workers, after the crawl."""
    import threading

    from parsers import pool as parse_pool

    tick = os.sysconf("SC_CLK_TCK")
    out = {"reactor": time.thread_time(), "writer": 0.0}
    for thread in threading.enumerate():
        if thread.name.startswith("archive-writer") and thread.native_id:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
            out["writer"] += (int(fields[11]) + int(fields[12])) / tick
    own = os.times()
    out["other threads"] = own.user + own.system - out["reactor"] - out["writer"]
    if parse_pool._POOL is not None:
        parse_pool._POOL.shutdown(wait=True)
    workers = os.times()
    out["parse workers"] = workers.children_user + workers.children_system
    return {k: round(v, 2) for k, v in out.items()}


def pipeline(control_url: str, db: Path, log: Path) -> dict:
    proc, cpu = child(["--pipeline", control_url, str(db), str(log)])
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    threads = next((r.pop("cpu") for r in runs if "cpu" in r), {})
    runs = [r for r in runs if r]
    if not runs:
        sys.exit(f"pipeline crawl failed:\n{proc.stderr[-3000:]}")
    return {"n": sum(r["responses"] for r in runs), "crawl": max(r["crawl_seconds"] for r in runs),
            "total": max(r["elapsed"] for r in runs), "cpu": cpu, "threads": threads,
            "reports": sum(r["new_reports"] for r in runs), "status": Counter(r["status"] for r in runs)}


# ---------------------------------------------------------------------------------------- the bare spider

def run_bare(log: str) -> None:
    """One bare crawler per portal, each sending its portal's logged requests in the logged order."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.run import settings_for

    per_portal: dict[str, list[dict]] = {}
    for line in Path(log).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        per_portal.setdefault(row["portal"], []).append(row)

    class Bare(scrapy.Spider):
        name = "bare"
        custom_settings = {"ITEM_PIPELINES": {}, "DOWNLOADER_MIDDLEWARES": {}, "EXTENSIONS": {}}

        def __init__(self, rows: list[dict], **kw):
            super().__init__(**kw)
            self.rows = rows

        async def start(self):
            for i, row in enumerate(self.rows):
                yield scrapy.Request(row["url"], method=row["method"], body=row["body"].encode("latin-1"),
                                     headers=row["headers"], callback=self.parse, errback=self.failed,
                                     dont_filter=True, priority=len(self.rows) - i)

        def parse(self, response):
            return None

        def failed(self, failure):
            return None

    settings = settings_for(str(Path(tempfile.gettempdir()) / "unused.db"), fast=True)
    process = CrawlerProcess(settings)
    crawlers = []
    for rows in per_portal.values():
        crawler = process.create_crawler(Bare)
        process.crawl(crawler, rows=rows)
        crawlers.append(crawler)
    process.start()
    stats = [c.stats.get_stats() for c in crawlers]
    print(sum(s.get("response_received_count", 0) for s in stats), max(s["elapsed_time_seconds"] for s in stats))


def bare(log: Path) -> dict:
    proc, cpu = child(["--bare", str(log)])
    n, secs = proc.stdout.split()[-2:]
    return {"n": int(n), "secs": float(secs), "cpu": cpu}


# ---------------------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--latency-ms", type=float, nargs="+", default=[0, 50],
                    help="server latencies to measure at (ms before each response's first byte); 0 = loopback, "
                         "where CPU is the only limit")
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    ap.add_argument("--pipeline", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        run_bare(args.bare)
        return
    if args.pipeline:
        run_pipeline(*args.pipeline)
        return

    from parsers.pool import default_workers
    from replica import Replica
    from crawler.run import settings_for

    settings = settings_for("x.db", fast=True)
    shown = " ".join(f"{k}={settings.get(k)}" for k in SHOWN)
    print(f"{os.cpu_count()} CPUs; parse workers: {settings.getint('PARSE_WORKERS') or default_workers()}")
    print(f"settings of both runs (crawler.settings + FAST), one crawler per portal: {shown}")
    for latency in args.latency_ms:
        with tempfile.TemporaryDirectory() as tmp, \
                Replica(seed=1, rate_limit=100_000, latency=latency / 1000) as replica:
            measure(replica, Path(tmp), args.rounds, f"server latency {latency:g} ms")


def measure(replica, tmp: Path, rounds: int, label: str) -> None:
    """A cold pipeline run, then `rounds` of (pipeline, bare replay of its requests), printed."""
    p = pipeline(replica.control_url, tmp / "cold.db", tmp / "cold.jsonl")
    rows = [json.loads(line) for line in (tmp / "cold.jsonl").read_text(encoding="utf-8").splitlines()]
    methods = Counter(r["method"] for r in rows)
    print(f"{label}: replica {len(replica.sites())} sites ({len({r['portal'] for r in rows})} crawled); "
          f"the pipeline sent {len(rows)} requests ({', '.join(f'{n} {m}' for m, n in methods.items())}; "
          f"+ robots.txt, retries, redirects) and got {p['n']} responses; {p['reports']} reports; "
          f"runs {dict(p['status'])}; the bare spider replays the same requests per portal in the same order")
    print(f"  cold    pipeline crawl {p['n'] / p['crawl']:6.1f} pages/s, end to end {p['n'] / p['total']:6.1f} pages/s "
          f"(replica renders PDFs/DOCX on first use)")
    for i in range(rounds):
        p = pipeline(replica.control_url, tmp / f"round{i}.db", tmp / f"round{i}.jsonl")
        b = bare(tmp / f"round{i}.jsonl")
        rate = b["n"] / b["secs"]
        crawl, total = p["n"] / p["crawl"], p["n"] / p["total"]
        print(f"  round {i + 1}: bare {rate:6.1f} pages/s ({b['n']} in {b['secs']:.1f} s, CPU {b['cpu']:.1f} s) | "
              f"pipeline crawl {crawl:6.1f} pages/s ({p['n']} in {p['crawl']:.1f} s) = {crawl / rate:.0%} of bare | "
              f"end to end incl. parse+ingest {total:6.1f} pages/s ({p['total']:.1f} s, CPU {p['cpu']:.1f} s) "
              f"= {total / rate:.0%} of bare")
        print(f"           pipeline CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in p["threads"].items())
              + f"; bare CPU per page {b['cpu'] / b['n'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
