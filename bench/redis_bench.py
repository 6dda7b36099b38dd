"""Pages per second of `nianbao crawl --redis` with 1 and with 2 worker processes, on the replica.

    .venv/bin/python bench/redis_bench.py [--workers 1 2] [--repeat 1]

Starts its own redis-server (free port, no persistence) and the replica (`python -m replica`)
as separate processes, then crawls every non-hostile replica site into a fresh archive per run with
politeness delays off (loopback only), after one unreported warm-up run (the replica renders each
body once and caches it). Two figures per run:
- fetch pages/s = responses the workers fetched / the longest worker's crawl time (its spider open to
  close, minus the idle wait before closing, crawler.distributed.IDLE_CLOSE): the frontier's speed;
- end-to-end pages/s = the same responses / wall-clock seconds of the whole `nianbao crawl`, with
  process start-up and the ONE writer parsing and ingesting everything: what a scheduled run costs.
All processes share this machine's cores: the replica, redis, the workers, the writer and its parse pool.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crawler.distributed import IDLE_CLOSE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-c", "from nianbao.cli import main; main(prog_name='nianbao')"]
LOOPBACK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> bytes:
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def portal_file(path: Path, sites: list[dict]) -> list[str]:
    ids, text = [], ""
    for s in sites:
        if s["family"] == "hostile":
            continue
        ids.append(s["id"])
        urls = ", ".join(f'"{u}"' for u in s["start_urls"])
        text += f'[[portal]]\nid = "{s["id"]}"\nname = "{s["name"]}"\nstart_urls = [{urls}]\nfamily = "{s["family"]}"\n\n'
    path.write_text(text, encoding="utf-8")
    return ids


def run(tmp: Path, portals: Path, ids: list[str], redis_url: str, workers: int) -> tuple[int, float, float]:
    db = Path(tempfile.mkdtemp(dir=tmp)) / "bench.db"  # a fresh archive: no 304s
    t0 = time.perf_counter()
    proc = subprocess.run(NIANBAO + ["crawl", *ids, "--db", str(db), "--portals", str(portals), "--redis", redis_url,
                                     "--workers", str(workers), "--no-progress", *LOOPBACK],
                          capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"crawl failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    found = re.findall(r"worker pid \d+ fetched (\d+) responses, \d+ bytes in ([\d.]+) s", proc.stderr)
    pages = sum(int(n) for n, _ in found)
    fetching = max(float(t) for _, t in found) - IDLE_CLOSE
    return pages, fetching, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    server = shutil.which("redis-server") or sys.exit("redis-server not found (scripts/setup.sh installs it)")
    rport, pport = free_port(), free_port()
    procs = [subprocess.Popen([server, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "replica", "--port", str(pport)], cwd=REPO,
                              stdout=subprocess.DEVNULL)]
    try:
        sites = json.loads(wait_http(f"http://127.0.0.1:{pport}/__replica__/sites.json"))
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            ids = portal_file(tmp / "portals.toml", sites)
            print(f"replica: {len(ids)} sites, {sum(s['reports'] for s in sites if s['id'] in ids)} reports; "
                  f"{os.cpu_count()} CPUs")
            url = f"redis://127.0.0.1:{rport}/0"
            run(tmp, tmp / "portals.toml", ids, url, 1)  # warm-up: the replica renders and caches every body once
            for _ in range(args.repeat):
                for workers in args.workers:
                    pages, fetching, wall = run(tmp, tmp / "portals.toml", ids, url, workers)
                    print(f"workers={workers}: {pages} pages; fetch {fetching:.1f} s = {pages / fetching:.0f} pages/s; "
                          f"end-to-end {wall:.1f} s = {pages / wall:.0f} pages/s")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    main()
