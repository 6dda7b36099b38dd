"""Hostile hosts, one quirk each so each can be tested alone (cms-patterns.md §4, rows 19 and 20).

- 412: 瑞数-like; every request answers 412 with an inline `$_ts` script (never passable).
- 521: 加速乐-like; 521 + `document.cookie=__jsl_clearance_s=…;location.href=…` until that cookie is sent.
- 429: more than `rate_limit` requests per minute from one client -> 429 + Retry-After.
- robots: a normal site whose robots.txt says `Disallow: /`.
- tls / nohttp: plain `HostileSite`s whose https (tls) or http (nohttp) side fails (replica.tls).
Behind the block each is a small TRS-like site, so a crawler that gets through sees reports.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque

from replica.sites.base import Request, Response
from replica.sites.trs import TrsSite

TS_PAGE = ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
           '<meta id="9DhefwqGPrzGxEp9hPaoag" content="{token}" r="m"><script type="text/javascript" r="m">'
           '$_ts=window[\'$_ts\'];if(!$_ts)$_ts={{}};$_ts.nsd=84371;$_ts.cd="qXrDqqlErrAGr1AtcAqqrrlEcqqGrq9x";'
           '</script><script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r="m">'
           "</script></head><body></body></html>")


class HostileSite(TrsSite):
    column = "/zfxxgknb/"
    per_page = 10

    def handle(self, req: Request) -> Response:
        blocked = self.block(req)
        return blocked if blocked is not None else super().handle(req)

    def block(self, req: Request) -> Response | None:
        return None


class Hostile412(HostileSite):
    def block(self, req: Request) -> Response | None:
        token = hashlib.sha1(req.raw_path.encode()).hexdigest()[:40]
        return Response(412, TS_PAGE.format(token=token).encode(), "text/html; charset=utf-8", "block")


class Hostile521(HostileSite):
    def clearance(self, req: Request) -> str:
        return hashlib.sha1(f"jsl|{req.client}".encode()).hexdigest()[:32]

    def block(self, req: Request) -> Response | None:
        want = f"__jsl_clearance_s={self.clearance(req)}"
        if want in req.header("Cookie").replace(" ", "").split(";"):
            return None
        script = (f"<script>document.cookie=('_')+('_jsl_clear')+('ance_s=')+'{self.clearance(req)}'+"
                  f"(';max-age=3600;path=/');location.href=location.pathname+location.search</script>")
        return Response(521, script.encode(), "text/html", "block",
                        {"Set-Cookie": f"__jsluid_s={hashlib.md5(req.client.encode()).hexdigest()}; max-age=31536000; path=/"})


class Hostile429(HostileSite):
    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._rate_lock = threading.Lock()

    def block(self, req: Request) -> Response | None:
        now = time.monotonic()
        with self._rate_lock:
            q = self._seen[req.client]
            while q and now - q[0] > 60:
                q.popleft()
            q.append(now)
            over = len(q) > self.replica.rate_limit
        if not over:
            return None
        return Response(429, "<html><body><h1>429 Too Many Requests</h1></body></html>".encode(),
                        "text/html", "block", {"Retry-After": str(self.replica.retry_after)})


class HostileRobots(HostileSite):
    def block(self, req: Request) -> Response | None:
        if req.path == "/robots.txt":
            return Response(200, b"User-agent: *\nDisallow: /\n", "text/plain", "robots")
        return None
