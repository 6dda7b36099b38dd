"""The budget rule of crawler.backends, driven through BackendSlotMiddleware without a network: slots grow with
the portals/hosts a backend serves, never more requests in flight than slots, each slot waits the delay after
its answer, and a 429 on one crawler's request slows every crawler on that backend."""
from __future__ import annotations

import asyncio
import logging
import time
from itertools import pairwise
from types import SimpleNamespace

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.backends import BackendSlotMiddleware, Budgets, declared_slots, slots_for
from crawler.file_gates import FileGates
from crawler.portals import Portal, PortalError, load_portals


def test_slots_grow_with_what_the_backend_serves_bounded():
    assert [slots_for(n, 4, 40) for n in (1, 2, 40, 41, 80, 81, 180, 5000)] == [1, 1, 1, 2, 2, 3, 4, 4]
    assert slots_for(180, 8, 20) == 8 and slots_for(0, 4, 40) == 1


def test_declared_slots_are_read_and_a_bad_value_names_the_file_and_portal(tmp_path):
    assert declared_slots(Portal("a", "a", ["http://a.gov.cn/"], options={"backend_slots": 3})) == 3
    assert declared_slots(Portal("a", "a", ["http://a.gov.cn/"])) is None
    bad = tmp_path / "portals.toml"
    bad.write_text('[[portal]]\nid = "bad"\nname = "b"\nstart_urls = ["http://b.gov.cn/"]\nbackend_slots = 0\n',
                   encoding="utf-8")
    with pytest.raises(PortalError, match=r"portals.toml \[\[portal\]\] #1 \(bad\): backend_slots must be a whole number"):
        load_portals(bad)


def test_the_budget_chosen_is_logged_in_words(caplog):
    budgets = Budgets()
    with caplog.at_level(logging.INFO, logger="crawler.backends"):
        for i in range(180):
            budgets.note("ip:192.0.2.180", portal=f"county{i}", host=f"www.c{i}.gov.cn")
        assert budgets.slots("ip:192.0.2.180", 4, 40, 2.0) == 4
        assert budgets.slots("ip:192.0.2.180", 4, 40, 2.0) == 4
    lines = [r.getMessage() for r in caplog.records if "192.0.2.180" in r.getMessage()]
    assert lines == ["backend ip:192.0.2.180 serves 180 portals (180 hosts): 4 slots (1 per 40, at most 4), "
                     "each request >= 2 s after its slot's previous answer"]


def middleware(portal: Portal, gates: FileGates, delay: float) -> BackendSlotMiddleware:
    crawler = get_crawler(Spider, {"DOWNLOAD_DELAY": delay, "BACKEND_COOLDOWN": 5})
    crawler.spider = SimpleNamespace(portal=portal)
    return BackendSlotMiddleware(crawler, gates)


def county_portals(platform: str, counties: int, crawlers: int) -> list[Portal]:
    """`counties` county hosts on one declared platform, split over `crawlers` portals."""
    hosts = [f"www.county{i}.{platform}.gov.cn" for i in range(counties)]
    return [Portal(f"{platform}-{c}", "p", [f"http://{h}/nb/" for h in hosts[c::crawlers]],
                   options={"backend": platform}) for c in range(crawlers)]


async def fetch(mw: BackendSlotMiddleware, url: str, log: list, latency: float, status: int = 200,
                headers: dict | None = None) -> None:
    """What the downloader does with one request: the middleware's gate, the download, the answer."""
    request = Request(url)
    await mw.process_request(request)
    start = time.monotonic()
    await asyncio.sleep(latency)
    log.append((request.meta["download_slot"], start, time.monotonic(), status))
    mw.process_response(request, Response(url, status=status, headers=headers or {}))


def in_flight_peak(log: list) -> int:
    events = sorted([(s, 1) for _, s, _, _ in log] + [(e, -1) for _, _, e, _ in log])
    peak = now = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def check_two_slots_shared(instances: list, delay: float = 0.05, latency: float = 0.02) -> None:
    """40 requests through two gate instances (as two processes have) on one backend of 2 slots: never more
    than 2 in flight, and each slot's next request starts at least the delay after its previous answer."""
    log: list = []

    async def fetch(gates) -> None:
        slot = await gates.acquire("backend:shared-2", 2, delay)
        start = time.monotonic()
        await asyncio.sleep(latency)
        log.append((slot, start, time.monotonic(), 200))
        gates.release("backend:shared-2", slot, delay)

    async def crawl() -> None:
        await asyncio.gather(*(fetch(instances[i % 2]) for i in range(40)))

    asyncio.run(crawl())
    assert in_flight_peak(log) == 2
    for slot in (0, 1):
        runs = sorted((s, e) for k, s, e, _ in log if k == slot)
        assert min(s2 - e1 for (_, e1), (s2, _) in pairwise(runs)) >= delay * 0.9, slot


def test_never_more_in_flight_than_slots_and_each_slot_waits_the_delay(tmp_path):
    delay, latency = 0.05, 0.02
    gates = FileGates(tmp_path)
    portals = county_portals("plat-a", 100, 2)   # 100 hosts on one platform, crawled as 2 portals: 3 slots
    log: list = []

    async def crawl() -> None:
        mws = [middleware(p, gates, delay) for p in portals]
        for mw in mws:
            await mw.spider_opened()
        await asyncio.gather(*(fetch(mws[i % 2], f"{portals[i % 2].start_urls[i % 50]}{i}.html", log, latency)
                               for i in range(60)))

    asyncio.run(crawl())
    assert len(log) == 60
    assert {slot for slot, *_ in log} == {"backend:plat-a#0", "backend:plat-a#1", "backend:plat-a#2"}
    assert in_flight_peak(log) == 3
    for slot in {s for s, *_ in log}:
        runs = sorted((s, e) for k, s, e, _ in log if k == slot)
        gaps = [s2 - e1 for (_, e1), (s2, _) in zip(runs, runs[1:])]
        assert min(gaps) >= delay * 0.95, (slot, min(gaps))


def test_a_429_slows_every_crawler_on_the_backend(tmp_path):
    delay, latency, retry = 0.02, 0.01, 1
    gates = FileGates(tmp_path)
    a, b = county_portals("plat-b", 200, 2)  # 200 hosts: 4 slots
    log: list = []

    async def crawl() -> float:
        mw_a, mw_b = middleware(a, gates, delay), middleware(b, gates, delay)
        await mw_a.spider_opened()
        await mw_b.spider_opened()
        await asyncio.gather(*(fetch(mw_b, f"{b.start_urls[0]}warm{i}.html", log, latency) for i in range(8)))
        await fetch(mw_a, f"{a.start_urls[0]}busy.html", log, latency, 429, {"Retry-After": str(retry)})
        strained = time.monotonic()
        log.clear()
        await asyncio.gather(*(fetch(mw_b, f"{b.start_urls[1]}{i}.html", log, latency) for i in range(6)))
        assert mw_a.crawler.stats.get_value("nianbao/backend_strain") == 1
        return strained

    strained = asyncio.run(crawl())
    assert min(s for _, s, _, _ in log) >= strained + retry * 0.95, "the other crawler waited for the Retry-After"
    assert in_flight_peak(log) == 1, "one slot while the backend cools down"
    runs = sorted((s, e) for _, s, e, _ in log)
    assert min(s2 - e1 for (_, e1), (s2, _) in zip(runs, runs[1:])) >= 2 * delay * 0.95, "a doubled delay"


def test_a_timeout_is_strain_too_and_the_budget_comes_back_after_the_cool_down(tmp_path):
    from scrapy.exceptions import DownloadTimeoutError

    gates = FileGates(tmp_path)
    (portal,) = county_portals("plat-c", 200, 1)
    mw = middleware(portal, gates, 0.0)
    mw.cooldown = 2.0

    async def timed_out() -> None:
        await mw.spider_opened()
        request = Request(f"{portal.start_urls[0]}slow.html")
        await mw.process_request(request)
        mw.process_exception(request, DownloadTimeoutError("took longer than 60 seconds"))

    asyncio.run(timed_out())
    assert gates.allowed("backend:plat-c", 4) == 1
    time.sleep(2.05)
    assert gates.allowed("backend:plat-c", 4) == 4
