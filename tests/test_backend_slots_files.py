"""Backend budgets shared by every crawl process on one machine (crawler.file_gates): two processes never exceed a
backend's slots nor its delay, a process killed with SIGKILL while holding a slot frees it at once, strain seen
by one holds the others, processes take turns, and three real `nianbao crawl` processes on one archive keep one
budget on a platform they share."""
from __future__ import annotations

import asyncio
import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from itertools import pairwise
from types import SimpleNamespace

from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler.backends import BUDGETS, BackendSlotMiddleware
from crawler.file_gates import POLL, FileGates, lock_dir
from crawler.portals import load_portals
from replica import Replica
from test_backend_slots import check_two_slots_shared, county_portals, fetch, in_flight_peak, middleware
from test_crawl_replica import REPO
from test_schedule_service import NIANBAO


def test_two_processes_share_the_slots_and_the_delay(tmp_path):
    """Two FileGates on one directory (two open files per slot: as two processes have) on one backend of 2."""
    check_two_slots_shared([FileGates(tmp_path), FileGates(tmp_path)])


def test_strain_seen_by_one_process_holds_the_others(tmp_path):
    """A 429 heard by one process: the other gets 1 slot and nothing before the Retry-After."""
    a, b = FileGates(tmp_path), FileGates(tmp_path)
    a.strain("backend:strained", 0.5, 1.0)
    slot, wait = b.try_acquire("backend:strained", 4)
    assert slot is None and 0 < wait <= 0.5, "the Retry-After holds every process"
    assert b.allowed("backend:strained", 4) == 1
    first = asyncio.run(b.acquire("backend:strained", 4, 0.0))
    assert b.try_acquire("backend:strained", 4) == (None, None), "one slot while it cools down"
    assert a.try_acquire("backend:strained", 4) == (None, None), "for the other process too"
    b.release("backend:strained", first, 0.0)


def test_a_429_heard_by_one_process_holds_the_others_crawlers(tmp_path):
    """The middleware of two processes (two FileGates on one directory): a Retry-After one of them hears holds the
    other's requests, which then go one at a time at a doubled delay."""
    delay, latency, retry = 0.02, 0.01, 1
    a, b = county_portals("plat-files-429", 200, 2)  # 200 hosts: 4 slots
    log: list = []

    async def crawl() -> float:
        mw_a, mw_b = middleware(a, FileGates(tmp_path), delay), middleware(b, FileGates(tmp_path), delay)
        await mw_a.spider_opened()
        await mw_b.spider_opened()
        await fetch(mw_a, f"{a.start_urls[0]}busy.html", log, latency, 429, {"Retry-After": str(retry)})
        strained = time.monotonic()
        log.clear()
        await asyncio.gather(*(fetch(mw_b, f"{b.start_urls[1]}{i}.html", log, latency) for i in range(6)))
        return strained

    strained = asyncio.run(crawl())
    assert min(s for _, s, _, _ in log) >= strained + retry * 0.95, "the other process waited for the Retry-After"
    assert in_flight_peak(log) == 1, "one slot while the backend cools down"
    runs = sorted((s, e) for _, s, e, _ in log)
    assert min(s2 - e1 for (_, e1), (s2, _) in pairwise(runs)) >= 2 * delay * 0.95, "a doubled delay"


def test_a_process_that_frees_a_slot_leaves_it_to_one_that_waited(tmp_path):
    """Without turns, the process whose own waiter wakes on its release would take the slot back every time."""
    a, b = FileGates(tmp_path), FileGates(tmp_path)

    async def turns() -> None:
        slot, _ = a.try_acquire("backend:turns", 1)
        assert slot == 0
        waiting = asyncio.ensure_future(b.acquire("backend:turns", 1, 0.0))
        await asyncio.sleep(POLL * 2)  # b looked, found the slot held, and said it waits
        assert not waiting.done()
        a.release("backend:turns", 0, 0.0)
        assert a.try_acquire("backend:turns", 1) == (None, None), "b's turn"
        assert await asyncio.wait_for(waiting, 10) == 0
        b.release("backend:turns", 0, 0.0)
        assert a.try_acquire("backend:turns", 1) == (0, None), "nobody waits: a takes it"

    asyncio.run(turns())


HOLD = """
import sys, time
from crawler.file_gates import FileGates
slot, _ = FileGates(sys.argv[1]).try_acquire("backend:killed", 1)
print(slot, flush=True)
time.sleep(600)
"""


def test_a_killed_process_frees_its_slot_at_once(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    gates = FileGates(tmp_path)
    try:
        assert holder.stdout.readline().strip() == "0", "the other process holds the backend's one slot"
        assert gates.try_acquire("backend:killed", 1) == (None, None)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    assert gates.try_acquire("backend:killed", 1) == (0, None), "the kernel dropped the dead process's lock"


WAIT = """
import asyncio, sys
from crawler.file_gates import FileGates
asyncio.run(FileGates(sys.argv[1]).acquire("backend:dead-waiter", 1, 0.0))
"""


def test_a_killed_waiter_does_not_keep_its_turn(tmp_path):
    gates = FileGates(tmp_path)
    assert gates.try_acquire("backend:dead-waiter", 1) == (0, None)
    waiter = subprocess.Popen([sys.executable, "-c", WAIT, str(tmp_path)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not list(gates._dir("backend:dead-waiter").glob("wait-*")):
            assert time.monotonic() < deadline and waiter.poll() is None, "the other process never waited"
            time.sleep(0.05)
        waiter.send_signal(signal.SIGSTOP)  # alive, its file locked, but it cannot take the slot
        gates.release("backend:dead-waiter", 0, 0.0)
        assert gates.try_acquire("backend:dead-waiter", 1) == (None, None), "its turn while it lives"
    finally:
        waiter.send_signal(signal.SIGKILL)
        waiter.wait(10)
    assert gates.try_acquire("backend:dead-waiter", 1) == (0, None), "a dead waiter's turn is gone"
    assert not list(gates._dir("backend:dead-waiter").glob("wait-*")), "and its file with it"


def test_the_lock_directory_is_beside_the_archive_unless_set(tmp_path):
    assert lock_dir(str(tmp_path / "nb.db")) == tmp_path / "nb.db.backends"
    assert lock_dir(str(tmp_path / "nb.db"), str(tmp_path / "locks")) == tmp_path / "locks"
    private = lock_dir("")  # check, discover: no archive, the process's own budgets (every crawler of it shares them)
    assert private.is_dir() and private == lock_dir("") and private.name.startswith("nianbao-backends-")


def platform_file(path, sites: dict, ids: list[str], backend: str, slots: int | None) -> None:
    text = ""
    for sid in ids:
        urls = ", ".join(f'"{u}"' for u in sites[sid]["start_urls"])
        text += (f'[[portal]]\nid = "{sid}"\nname = "{sid}"\nstart_urls = [{urls}]\nfamily = "{sites[sid]["family"]}"\n'
                 f'backend = "{backend}"\n' + (f"backend_slots = {slots}\n" if slots else "") + "\n")
    path.write_text(text, encoding="utf-8")


def test_a_declared_backend_counts_every_portal_of_the_file_on_it(tmp_path):
    """A process crawling one county of a platform gives it the slots of the whole platform (every process agrees)."""
    sites = {f"c{i}": {"start_urls": [f"http://www.c{i}.example.gov.cn/nb/"], "family": "trs"} for i in range(81)}
    path = tmp_path / "portals.toml"
    platform_file(path, sites, list(sites), "plat-files", None)
    portal = load_portals(path)["c0"]
    crawler = get_crawler(Spider, {"PORTALS_FILE": str(path), "BACKEND_LOCK_DIR": str(tmp_path / "locks")})
    crawler.spider = SimpleNamespace(portal=portal)
    asyncio.run(BackendSlotMiddleware(crawler).spider_opened())
    assert len(BUDGETS.served["backend:plat-files"].portals) == 81
    assert BUDGETS.slots("backend:plat-files", 4, 40, 0) == 3


def test_three_crawl_processes_on_one_archive_keep_one_budget(tmp_path):
    """Three `nianbao crawl` processes started at once, one portal each, on replica sites declared as one platform
    with 2 slots: the server never has more than 2 requests in flight, and a request starts only when fewer than
    2 slots are busy or resting (answered less than the delay ago)."""
    delay = 0.2
    ids = ["trs0", "hanweb", "gd"]
    with Replica(seed=1, latency=0.02) as replica:
        sites = {s["id"]: s for s in replica.sites()}
        portals = tmp_path / "portals.toml"
        platform_file(portals, sites, ids, "platform-2", 2)
        replica.timeline = []
        procs = [subprocess.Popen(NIANBAO + ["crawl", sid, "--db", str(tmp_path / "a.db"), "--portals", str(portals),
                                             "--no-progress", "-s", f"DOWNLOAD_DELAY={delay}",
                                             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"],
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for sid in ids]
        outs = [p.communicate(timeout=600) for p in procs]
        timeline = list(replica.timeline)
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out[-2000:] + err[-3000:]
        assert re.search(r"backend backend:platform-2 serves 3 portals .*: 2 slots \(declared", err), err[-3000:]
    hosts = {sites[s]["host"] for s in ids}
    per_host = {h: sum(1 for host, *_ in timeline if host == h) for h in hosts}
    assert min(per_host.values()) > 20, f"every process crawled: {per_host}"
    hits = sorted((start, end) for host, _, start, end in timeline if host in hosts)
    log = [(None, s, e, 200) for s, e in hits]
    assert in_flight_peak(log) == 2, "two slots used, never more"
    tolerance = 0.03  # the server logs arrivals and answers, the crawler sends and hears them: a few ms apart
    for start, _ in hits:
        occupied = sum(1 for s, e in hits if s < start - tolerance and e > start - delay + tolerance)
        assert occupied < 2, f"a request started at {start} while both slots were busy or resting"


def held_by_another(gates: FileGates, key: str, slot: int) -> bool:
    """Is the slot's file locked (a request in flight), looking without taking a turn or a slot."""
    path = gates._dir(key) / f"slot{slot}"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_crawl_killed_mid_request_frees_its_slot_at_once(tmp_path):
    """A real `nianbao crawl` holding its platform's one slot for a slow answer, killed with SIGKILL: the slot
    is free the moment the process is gone (no lease to wait out)."""
    with Replica(seed=1, latency=3) as replica:
        sites = {s["id"]: s for s in replica.sites()}
        portals = tmp_path / "portals.toml"
        platform_file(portals, sites, ["trs0"], "platform-1", 1)
        db = tmp_path / "a.db"
        crawl = subprocess.Popen(NIANBAO + ["crawl", "trs0", "--db", str(db), "--portals", str(portals), "--no-progress",
                                            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                                 cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gates = FileGates(lock_dir(str(db)))
        try:
            deadline = time.monotonic() + 120
            while not held_by_another(gates, "backend:platform-1", 0):
                assert time.monotonic() < deadline, "the crawl never held its slot"
                time.sleep(0.05)
            time.sleep(0.5)  # well inside the 3 s the answer takes
            assert held_by_another(gates, "backend:platform-1", 0)
        finally:
            crawl.send_signal(signal.SIGKILL)
            crawl.wait(10)
        assert gates.try_acquire("backend:platform-1", 1) == (0, None), "freed with its process"
