"""Politeness per backend, not per hostname: hosts served by one machine share one budget.

Most counties sit on their province's shared platform: a hundred host names, one server. Scrapy's
politeness (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY) is per download slot, and a slot is per
host name and per crawler, while `crawler.run` runs one crawler per portal. So:

- a request's backend is the portal entry's `backend` key (a shared provincial platform named in
  portals.toml), else the address its host resolves to;
- the backend's budget grows with what it serves: N = the larger of the portals and the host names the
  crawl knows on it (each crawler's portal — its start and allowed hosts — is counted when it opens, and
  every request's host as it is sent; for an address backend, the hosts that resolve to that address),
  and it gets `min(BACKEND_MAX_SLOTS, ceil(N / BACKEND_HOSTS_PER_SLOT))` slots, or the `backend_slots` a
  portal entry declares for its platform. One portal on one host: 1 slot, as before;
- a slot holds one request in flight, and starts its next one at least DOWNLOAD_DELAY after its previous
  answer, so the backend sees at most slots / DOWNLOAD_DELAY requests a second; each slot is its own Scrapy
  download slot (`<backend>#<slot>`), on which AutoThrottle keeps adjusting the delay to the server's latency;
- strain — a 429 or 503 (with or without Retry-After) or a timeout, on any request to the backend — drops
  it to 1 slot with a doubled delay for a cool-down (BACKEND_COOLDOWN s, restarted by each new sign), and no
  request of any crawler on it starts before the Retry-After (or the doubled delay) has passed;
- the budget is the machine's: shared by every crawler of every process crawling into one archive (one
  `nianbao crawl`, or the K at once of `nianbao schedule --parallel K`) through lock files beside it
  (`crawler.file_gates.FileGates`), and, in a distributed run, by every worker process through Redis
  (`crawler.redis_gates.RedisGates`: slot leases that expire, so a killed worker cannot hold a slot forever);
- N across processes: a declared backend counts every portal of the portals file (PORTALS_FILE, set by
  `nianbao crawl`) that declares it, crawled now or not, so every process agrees on its slots; an address
  backend counts what this process sees (its portals' hosts, and hosts seen resolving to it): processes
  that see different N still share the slots, up to the largest N one of them computed.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import os
import socket
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response
from twisted.internet.error import TimeoutError as ConnectTimeoutError

from crawler.middlewares import retry_after

logger = logging.getLogger(__name__)
HELD = "backend_held"  # request meta: (backend, slot) this request holds (released once it is answered)
STRAIN_STATUSES = (429, 503)


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


def declared_backend(portal: object | None) -> str | None:
    declared = (getattr(portal, "options", None) or {}).get("backend")
    return f"backend:{declared}" if declared else None


async def backend_of(url: str, portal: object | None) -> str:
    """What serves `url`: the portal's declared backend, else the address its host resolves to (looked
    up once per host, in a worker thread: a slow DNS answer must not stall every crawler's event loop)."""
    declared = declared_backend(portal)
    if declared:
        return declared
    host = urlsplit(url).hostname or ""
    address = _ADDRESSES.get(host)
    if address is None:
        address = _ADDRESSES[host] = await asyncio.to_thread(resolve, host)
    return f"ip:{address}"


def slots_for(served: int, max_slots: int, hosts_per_slot: int) -> int:
    """The team's rule: one slot per `hosts_per_slot` portals/hosts served, at least 1, at most `max_slots`."""
    return max(1, min(max_slots, math.ceil(served / max(1, hosts_per_slot))))


def declared_slots(portal: object | None) -> int | None:
    """A portal entry's `backend_slots`: its platform's budget set by hand (checked by crawler.portals)."""
    return (getattr(portal, "options", None) or {}).get("backend_slots")


@dataclass
class Served:
    """What the crawl knows a backend serves."""

    portals: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    declared: int | None = None  # backend_slots from a portal entry
    logged: int = 0              # the slot count last logged

    @property
    def count(self) -> int:
        return max(len(self.portals), len(self.hosts), 1)


class Budgets:
    """Slots per backend from what it serves, for the process (every crawler reports its portal here)."""

    def __init__(self) -> None:
        self.served: dict[str, Served] = {}

    def note(self, backend: str, *, portal: str | None = None, host: str | None = None,
             declared: int | None = None) -> None:
        s = self.served.setdefault(backend, Served())
        if portal:
            s.portals.add(portal)
        if host:
            s.hosts.add(host)
        if declared:
            s.declared = max(s.declared or 0, declared)

    def slots(self, backend: str, max_slots: int, hosts_per_slot: int, delay: float) -> int:
        s = self.served.setdefault(backend, Served())
        n = s.declared or slots_for(s.count, max_slots, hosts_per_slot)
        if n != s.logged:
            s.logged = n
            how = "declared in the portal file" if s.declared else f"1 per {hosts_per_slot}, at most {max_slots}"
            logger.info("backend %s serves %d portal%s (%d host%s): %d slot%s (%s), each request >= %g s after "
                        "its slot's previous answer", backend, len(s.portals), "" if len(s.portals) == 1 else "s",
                        len(s.hosts), "" if len(s.hosts) == 1 else "s", n, "" if n == 1 else "s", how, delay)
        return n


BUDGETS = Budgets()


_FILES: dict[tuple[str, float], list] = {}  # (portals file, mtime) -> its portals


def platform_peers(portals_file: str, portal: object) -> list:
    """The portals of the portals file that declare the same backend as `portal` (none for an address
    backend): counted on it whether or not this process crawls them, so that every process crawling some of
    a platform's portals gives the platform the same slots."""
    declared = declared_backend(portal)
    if not declared or not portals_file:
        return []
    from crawler.portals import PortalError, load_portals
    try:
        stamp = (portals_file, os.stat(portals_file).st_mtime)
        if stamp not in _FILES:
            _FILES[stamp] = list(load_portals(portals_file).values())
    except (OSError, PortalError):
        return []  # the crawl read it already; a file changed since counts only the portals crawled
    return [p for p in _FILES[stamp] if declared_backend(p) == declared and p.id != getattr(portal, "id", None)]


class Gates(Protocol):
    """Per-backend slots: who may start a request now, and when the next may."""

    async def acquire(self, key: str, slots: int, delay: float) -> int: ...
    def release(self, key: str, slot: int, delay: float) -> None: ...
    def strain(self, key: str, wait: float, cooldown: float) -> None: ...


def strain_wait(response: Response, delay: float) -> float:
    """How long a backend that showed strain is left alone: its Retry-After, else twice the delay."""
    wait = retry_after(response.headers.get("Retry-After", b"").decode("latin-1"))
    return 2 * delay if wait is None else wait


class BackendSlotMiddleware:
    """Put each request through its backend's budget and in the Scrapy download slot of the budget's slot.

    Sits closest to the downloader (process_request last, process_response/exception first), so the slot
    is held for the download itself and released before a retry or redirect is scheduled; it also sees a
    429/503 or a timeout before RetryMiddleware does."""

    def __init__(self, crawler: Crawler, gates: Gates | None = None) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.max_slots = max(1, settings.getint("BACKEND_MAX_SLOTS", 4))
        self.hosts_per_slot = max(1, settings.getint("BACKEND_HOSTS_PER_SLOT", 40))
        self.cooldown = settings.getfloat("BACKEND_COOLDOWN", 60)
        self.cap = settings.getfloat("RETRY_AFTER_MAX", 300)
        self.delay = settings.getfloat("DOWNLOAD_DELAY", 0)
        self.gates = gates or self._gates(crawler)
        self.held: dict[int, tuple[str, int]] = {}  # id(request) -> (backend, slot), still in flight at close
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @staticmethod
    def _gates(crawler: Crawler) -> Gates:
        """The machine's gates (lock files shared by every process crawling into the archive), or Redis's when
        the crawl is distributed (its workers and its writer, which re-reads a portal's listings while other
        portals' workers may still be on the same backend)."""
        settings = crawler.settings
        url = settings.get("BACKEND_REDIS_URL")
        if not url:
            from crawler.file_gates import FileGates, lock_dir
            return FileGates.shared(lock_dir(settings.get("ARCHIVE_DB", ""), settings.get("BACKEND_LOCK_DIR", "")))
        from crawler.redis_gates import RedisGates
        return RedisGates.shared(url, lease=crawler.settings.getfloat("BACKEND_LEASE_SECONDS", 0)
                                 or default_lease(crawler))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BackendSlotMiddleware":
        return cls(crawler)

    @property
    def portal(self) -> object | None:
        return getattr(self.crawler.spider, "portal", None)

    async def spider_opened(self) -> None:
        """Count this crawler's portal on its backends before its first request, so the budget is known."""
        portal = self.portal
        if portal is None:
            return
        for peer in [portal, *platform_peers(self.crawler.settings.get("PORTALS_FILE", ""), portal)]:
            declared = declared_slots(peer)
            hosts = set(getattr(peer, "allowed_hosts", [])) | {urlsplit(u).hostname or "" for u in peer.start_urls}
            for host in sorted(hosts - {""}):
                key = await backend_of(f"http://{host}/", peer)
                BUDGETS.note(key, portal=peer.id, host=host, declared=declared)

    async def process_request(self, request: Request) -> None:
        portal = self.portal
        key = await backend_of(request.url, portal)
        BUDGETS.note(key, host=urlsplit(request.url).hostname, portal=getattr(portal, "id", None))
        slots = BUDGETS.slots(key, self.max_slots, self.hosts_per_slot, self.delay)
        slot = await self.gates.acquire(key, slots, self.delay)
        request.meta["download_slot"] = f"{key}#{slot}"
        request.meta[HELD] = (key, slot)
        self.held[id(request)] = (key, slot)

    def _release(self, request: Request) -> tuple[str, int] | None:
        held = request.meta.pop(HELD, None)
        if held is not None and self.held.pop(id(request), None) is not None:
            self.gates.release(*held, self.delay)
            return held
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        held = self._release(request)
        if held is not None and response.status in STRAIN_STATUSES:
            self._strain(held[0], request, f"answered {response.status}", strain_wait(response, self.delay))
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        held = self._release(request)
        if held is not None and isinstance(exception, (DownloadTimeoutError, ConnectTimeoutError)):
            self._strain(held[0], request, "timed out", 2 * self.delay)
        return None

    def _strain(self, key: str, request: Request, why: str, wait: float) -> None:
        """A wait over RETRY_AFTER_MAX is a block (RetryAfterMiddleware gives the request up); the backend
        still cools down, without holding every other portal on it for that long."""
        wait = wait if wait <= self.cap else 2 * self.delay
        logger.info("backend %s strained (%s %s): 1 slot, >= %g s apart, for %g s; next request in %g s",
                    key, request.url, why, 2 * self.delay, max(wait, self.cooldown), wait)
        self.crawler.stats.inc_value("nianbao/backend_strain")
        self.gates.strain(key, wait, self.cooldown)

    def spider_closed(self) -> None:
        """Requests dropped without an answer (the crawl closing) must not keep other crawlers waiting."""
        for key, slot in self.held.values():
            self.gates.release(key, slot, self.delay)
        self.held.clear()


def default_lease(crawler: Crawler) -> float:
    """How long a Redis slot lease lives: longer than a request can hold it (waiting in Scrapy's slot for
    AutoThrottle's delay, then the download), short enough that a killed worker's slot comes back soon."""
    s = crawler.settings
    return s.getfloat("DOWNLOAD_TIMEOUT", 60) + s.getfloat("AUTOTHROTTLE_MAX_DELAY", 60) + 10
