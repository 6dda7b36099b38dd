"""Backend budgets shared across the worker processes of a distributed crawl (crawler.redis_gates), on the tests'
own redis-server on 127.0.0.1: two processes never exceed a backend's slots nor its delay, a worker killed
while holding a slot gives it back when its lease expires, and a real two-worker crawl keeps one budget."""
from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

from crawler.redis_gates import RedisGates
from replica import Replica
from test_backend_slots import check_two_slots_shared, in_flight_peak
from test_crawl_replica import REPO
from test_distributed import NIANBAO, redis_url  # noqa: F401  (the module's redis-server fixture)


def test_two_processes_share_the_slots_and_the_delay(redis_url):
    """Two RedisGates (as two worker processes have) on one backend of 2 slots."""
    check_two_slots_shared([RedisGates(redis_url, lease=10), RedisGates(redis_url, lease=10)])


def test_strain_seen_by_one_process_holds_the_others(redis_url):
    """A 429 heard by one worker: the other gets 1 slot and nothing before the Retry-After."""
    a, b = RedisGates(redis_url, lease=10), RedisGates(redis_url, lease=10)
    a.strain("backend:strained", 0.5, 1.0)
    slot, wait = b.try_acquire("backend:strained", 4)
    assert slot is None and 0 < wait <= 0.5, "the Retry-After holds every process"
    first = asyncio.run(b.acquire("backend:strained", 4, 0.0))
    assert b.try_acquire("backend:strained", 4) == (None, None), "one slot while it cools down"
    b.release("backend:strained", first, 0.0)


HOLD = """
import sys, time
from crawler.redis_gates import RedisGates
gates = RedisGates(sys.argv[1], lease=float(sys.argv[2]))
slot, _ = gates.try_acquire("backend:killed", 1)
print(slot, flush=True)
time.sleep(600)
"""


def test_a_killed_workers_slot_comes_back_when_its_lease_expires(redis_url):
    lease = 1.5
    holder = subprocess.Popen([sys.executable, "-c", HOLD, redis_url, str(lease)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "0", "the other process holds the backend's one slot"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    gates = RedisGates(redis_url, lease=10)
    assert gates.try_acquire("backend:killed", 1) == (None, None), "still leased to the dead process"
    slot = asyncio.run(asyncio.wait_for(gates.acquire("backend:killed", 1, 0.0), timeout=30))
    assert slot == 0


def test_two_worker_processes_keep_one_budget_on_a_replica_backend(tmp_path, redis_url):
    """Four replica sites declared as one platform with 2 slots, crawled by two worker processes: the server
    never has more than 2 requests in flight, and a request starts only when fewer than 2 slots are busy or
    resting (answered less than the delay ago)."""
    delay = 0.25
    sites_ids = ["trs0", "trs1", "hanweb", "gd"]
    with Replica(seed=1, latency=0.02) as replica:
        sites = {s["id"]: s for s in replica.sites()}
        text = ""
        for sid in sites_ids:
            urls = ", ".join(f'"{u}"' for u in sites[sid]["start_urls"])
            text += (f'[[portal]]\nid = "{sid}"\nname = "{sid}"\nstart_urls = [{urls}]\nfamily = "{sites[sid]["family"]}"\n'
                     f'backend = "platform-2"\nbackend_slots = 2\n\n')
        portals = tmp_path / "portals.toml"
        portals.write_text(text, encoding="utf-8")
        replica.timeline = []
        proc = subprocess.run(NIANBAO + ["crawl", *sites_ids, "--db", str(tmp_path / "a.db"), "--portals", str(portals),
                                         "--redis", redis_url, "--workers", "2", "--no-progress",
                                         "-s", f"DOWNLOAD_DELAY={delay}", "-s", "AUTOTHROTTLE_ENABLED=False",
                                         "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"],
                              capture_output=True, text=True, timeout=600, cwd=REPO)
        timeline = list(replica.timeline)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    fetched: dict[str, int] = {}
    for pid, n in re.findall(r"worker pid (\d+) fetched (\d+) responses", proc.stderr):
        fetched[pid] = fetched.get(pid, 0) + int(n)
    assert len(fetched) == 2 and min(fetched.values()) > 20, f"both workers fetched: {fetched}"
    hosts = {sites[s]["host"] for s in sites_ids}
    hits = sorted((start, end) for host, _, start, end in timeline if host in hosts)
    # the writer re-reads each listing's first page after the workers closed (its own process-wide gate)
    assert len(hits) >= 100
    log = [(None, s, e, 200) for s, e in hits]
    assert in_flight_peak(log) == 2, "two slots used, never more"
    tolerance = 0.03  # the server logs arrivals and answers, the crawler sends and hears them: a few ms apart
    for start, _ in hits:
        occupied = sum(1 for s, e in hits if s < start - tolerance and e > start - delay + tolerance)
        near = [(round(s - start, 3), round(e - start, 3), p) for h, p, s, e in timeline if h in hosts and abs(s - start) < 0.3]
        assert occupied < 2, f"a request started while both slots were busy or resting: {near}"
