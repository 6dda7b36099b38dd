"""Pages per second of `nianbao crawl --redis` with 1 and with 2 worker processes, on the replica.

    .venv/bin/python bench/redis_bench.py [--workers 1 2] [--repeat 2]

Starts its own redis-server (free port, no persistence) and the replica (`python -m replica`)
as separate processes, then crawls every non-hostile replica site into a fresh archive per run with
politeness delays off (loopback only), after one unreported warm-up run (the replica renders each
body once and caches it). Two figures per run:
- fetch pages/s = responses the workers fetched / the longest worker's crawl time (its spider open to
  close, minus the idle wait before closing, crawler.distributed.IDLE_CLOSE): the frontier's speed;
- end-to-end pages/s = the same responses / wall-clock seconds of the whole `nianbao crawl`, with
  process start-up, the workers parsing what they fetched and the ONE writer writing everything: what a
  scheduled run costs.
The ratio of end-to-end rates between worker counts is taken within one round (the machine is shared:
absolute figures move with the load of other processes; one round's configurations run back to back, in
the opposite order in the next round).
CPU per page, from the run's own logs: the writer's (its process, crawler.distributed's `writer:` line)
and the workers' (fetch + parse, their `worker pid …: … s CPU` lines, parse processes included). They
give the prediction for a bigger machine: with C cores the run is bound by all cores busy, C / (writer +
workers' CPU per page), or by the one writer process (the reactor and the writer thread share one GIL),
1 / (writer CPU per page), whichever is lower; the replica, redis and start-up are left out (in
production the servers are elsewhere).
All processes share this machine's cores: the replica, redis, the workers, their parse pools and the writer;
the bench also reads the replica's and redis's CPU (/proc) and the load average, to say what bounds it here.
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
from dataclasses import dataclass
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


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    workers: int
    pages: int
    fetching: float  # s: the longest worker's crawl time
    wall: float      # s: the whole `nianbao crawl`
    writer_cpu: float
    worker_cpu: float
    servers_cpu: float = 0.0  # the bench's replica and redis-server during the run
    load: float = 0.0         # the machine's 1-minute load average when the run ended

    @property
    def rate(self) -> float:
        return self.pages / self.wall


def run(tmp: Path, portals: Path, ids: list[str], redis_url: str, workers: int, servers: list[int]) -> Run:
    db = Path(tempfile.mkdtemp(dir=tmp)) / "bench.db"  # a fresh archive: no 304s
    served = sum(cpu_of(pid) for pid in servers)
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
    writer = float(re.search(r"writer: \d+ items written, ([\d.]+) s CPU", proc.stderr).group(1))
    cpu = [float(c) for c in re.findall(r"worker pid \d+: ([\d.]+) s CPU", proc.stderr)]
    if len(cpu) != workers:
        sys.exit(f"expected {workers} worker CPU lines, found {len(cpu)}")
    served = sum(cpu_of(pid) for pid in servers) - served
    return Run(workers, pages, fetching, wall, writer, sum(cpu), served, os.getloadavg()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    server = shutil.which("redis-server") or sys.exit("redis-server not found (scripts/setup.sh installs it)")
    rport, pport = free_port(), free_port()
    procs = [subprocess.Popen([server, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "replica", "--port", str(pport)], cwd=REPO,
                              stdout=subprocess.DEVNULL)]
    runs: list[Run] = []
    try:
        sites = json.loads(wait_http(f"http://127.0.0.1:{pport}/__replica__/sites.json"))
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            ids = portal_file(tmp / "portals.toml", sites)
            print(f"replica: {len(ids)} sites, {sum(s['reports'] for s in sites if s['id'] in ids)} reports; "
                  f"{os.cpu_count()} CPUs")
            url = f"redis://127.0.0.1:{rport}/0"
            servers = [p.pid for p in procs]
            run(tmp, tmp / "portals.toml", ids, url, 1, servers)  # warm-up: the replica renders and caches every body once
            for round_ in range(1, args.repeat + 1):
                these = []
                # odd rounds in the order given, even rounds reversed: a load that grows or falls during the
                # bench (the machine is shared) favours neither worker count
                for workers in args.workers if round_ % 2 else args.workers[::-1]:
                    r = run(tmp, tmp / "portals.toml", ids, url, workers, servers)
                    these.append(r)
                    print(f"round {round_} workers={workers}: {r.pages} pages; fetch {r.fetching:.1f} s = "
                          f"{r.pages / r.fetching:.0f} pages/s; end-to-end {r.wall:.1f} s = {r.rate:.1f} pages/s; "
                          f"CPU a page: writer {1000 * r.writer_cpu / r.pages:.1f} ms, "
                          f"workers (fetch + parse) {1000 * r.worker_cpu / r.pages:.1f} ms, the bench's replica and "
                          f"redis {1000 * r.servers_cpu / r.pages:.1f} ms; load average {r.load:.1f}")
                these.sort(key=lambda r: r.workers)
                base = these[0]
                print(f"round {round_}: end-to-end vs workers={base.workers}: " + ", ".join(
                    f"workers={r.workers} {r.rate / base.rate:.2f}x" for r in these[1:]))
                runs += these
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    writer = sum(r.writer_cpu for r in runs) / sum(r.pages for r in runs)
    worker = sum(r.worker_cpu for r in runs) / sum(r.pages for r in runs)
    print(f"mean CPU a page: writer {1000 * writer:.1f} ms (bound: one writer process writes at most "
          f"{1 / writer:.0f} pages/s), workers {1000 * worker:.1f} ms")
    servers = sum(r.servers_cpu for r in runs) / sum(r.pages for r in runs)
    here = os.cpu_count() / (writer + worker + servers)
    best = max(r.rate for r in runs)
    print(f"this machine: the bench's replica and redis take {1000 * servers:.1f} ms a page more; with every process "
          f"here, {os.cpu_count()} idle cores would give at most {here:.0f} pages/s; measured at best {best:.1f} "
          f"({best / here:.0%} of it; the rest is start-up, idle waits and other processes' load)")
    for cores in (2, 8, 16):
        busy = cores / (writer + worker)
        print(f"predicted on {cores} cores (server latency and politeness aside): "
              f"{min(busy, 1 / writer):.0f} pages/s, bound by "
              f"{'the writer' if 1 / writer < busy else 'all cores busy'} "
              f"(all cores busy: {busy:.0f}, writer: {1 / writer:.0f}), with {cores - 1}+ workers")


if __name__ == "__main__":
    main()
