"""Politeness per backend, not per hostname: hosts served by one machine share one budget.

Most counties sit on their province's shared platform: a hundred host names, one server. Scrapy's
politeness (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY) is per download slot, and a slot is per
host name and per crawler, while `crawler.run` runs one crawler per portal. So:

- a request's backend is the portal entry's `backend` key (a shared provincial platform named in
  portals.toml), else the address its host resolves to;
- the request's download slot is that backend (`request.meta["download_slot"]`), so one portal's
  hosts on one server share Scrapy's slot;
- a process-wide gate lets at most CONCURRENT_REQUESTS_PER_DOMAIN requests per backend be in flight
  across all crawlers of the process, each starting at least DOWNLOAD_DELAY after the previous answer.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

logger = logging.getLogger(__name__)
HELD = "backend_held"  # request meta: the backend whose gate this request holds (released once it is answered)


_ADDRESSES: dict[str, str] = {}  # host -> resolve(host), for the process


def resolve(host: str) -> str:
    """The host's first address, or the host itself when it does not resolve (the download then fails
    on its own, with the real reason). Blocking: `backend_of` calls it off the event loop."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)[0][4][0]
    except OSError:
        return host


async def backend_of(url: str, portal: object | None) -> str:
    """What serves `url`: the portal's declared backend, else the address its host resolves to (looked
    up once per host, in a worker thread: a slow DNS answer must not stall every crawler's event loop)."""
    declared = (getattr(portal, "options", None) or {}).get("backend")
    if declared:
        return f"backend:{declared}"
    host = urlsplit(url).hostname or ""
    address = _ADDRESSES.get(host)
    if address is None:
        address = _ADDRESSES[host] = await asyncio.to_thread(resolve, host)
    return f"ip:{address}"


@dataclass
class _Gate:
    busy: int = 0
    next_start: float = 0.0
    waiters: deque = field(default_factory=deque)


class Gates:
    """Per-backend budgets shared by every crawler of the process (they all run on one event loop)."""

    def __init__(self) -> None:
        self.gates: dict[str, _Gate] = {}

    async def acquire(self, key: str, concurrency: int, delay: float) -> None:
        gate = self.gates.setdefault(key, _Gate())
        while True:
            if gate.busy >= concurrency:
                waiter = asyncio.get_running_loop().create_future()
                gate.waiters.append(waiter)
                await waiter
                continue
            wait = gate.next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            break
        gate.busy += 1

    def release(self, key: str, delay: float) -> None:
        """The request was answered: the next one may start `delay` seconds from now (counted from the
        answer, not from the send: a request may wait in Scrapy's own slot after taking the gate)."""
        gate = self.gates.get(key)
        if gate is None or gate.busy <= 0:
            return
        gate.busy -= 1
        gate.next_start = max(gate.next_start, time.monotonic() + delay)
        while gate.waiters:
            waiter = gate.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break


GATES = Gates()


class BackendSlotMiddleware:
    """Put each request in its backend's download slot and through the process-wide backend gate.

    Sits closest to the downloader (process_request last, process_response/exception first), so the gate
    is held for the download itself and released before a retry or redirect is scheduled."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.concurrency = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1))
        self.delay = crawler.settings.getfloat("DOWNLOAD_DELAY", 0)
        self.held: dict[int, str] = {}  # id(request) -> backend, for the ones still in flight at close
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BackendSlotMiddleware":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        key = await backend_of(request.url, getattr(self.crawler.spider, "portal", None))
        request.meta.setdefault("download_slot", key)
        await GATES.acquire(key, self.concurrency, self.delay)
        request.meta[HELD] = key
        self.held[id(request)] = key

    def _release(self, request: Request) -> None:
        key = request.meta.pop(HELD, None)
        if key is not None and self.held.pop(id(request), None) is not None:
            GATES.release(key, self.delay)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None

    def spider_closed(self) -> None:
        """Requests dropped without an answer (the crawl closing) must not keep other crawlers waiting."""
        for key in self.held.values():
            GATES.release(key, self.delay)
        self.held.clear()
