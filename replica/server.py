"""The replica server: every virtual site on its own loopback address, one port, one process.

Why one address per site: hosts, cookies, Referer checks, robots.txt and per-host politeness
then behave exactly as on real portals, with no resolver tricks. `Replica` runs the servers
in background threads (tests) or in the foreground (`python -m replica`); the control
address 127.0.0.1 answers /__replica__/… (truth, sites, stats, mutate, set_zero, fault).
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import socket
import ssl
import struct
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from replica.catalog import Catalog, Entry
from replica.faults import LOOP_PARAM, FaultConfig, draw, faulty, loop_redirect
from replica.layout import CONTROL_HOST, SITE_LAYOUT, site_info
from replica.sites import SITE_CLASSES
from replica.sites.base import Request, Response, Site
from replica.sites.county import Counties
from replica.sites.generic import NON_REPORTS
from replica.tls import TlsSides, self_signed_context


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024   # http.server's default of 5 stalls Scrapy (ecosystem.md §2)
    daemon_threads = True
    allow_reuse_address = True
    tls: TlsSides | None = None  # set for a site with a broken scheme (quirk #20)

    def handle_error(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """A client that hung up mid-answer (its timeout, a reset, TLS torn down) is normal for a portal;
        anything else is a replica bug and is printed."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """Serve one connection; on a site with a TLS side, only after sorting out (or failing) its scheme."""
        if self.tls is None:
            return super().finish_request(request, client_address)
        conn, scheme = self.tls.accept(request)
        if conn is None:
            if scheme == self.tls.broken:
                self.replica.count_broken(self.host_id)  # type: ignore[attr-defined]
            return None
        try:
            return super().finish_request(conn, client_address)
        finally:
            conn.close()


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet; counters say what happened
        pass

    def do_GET(self) -> None:
        self.server.replica._serve(self)  # type: ignore[attr-defined]

    do_POST = do_HEAD = do_GET


class Replica:
    """All replica sites; start()/stop() or use as a context manager."""

    def __init__(self, seed: int = 1, port: int = 0, *, fault_rate: float = 0.0, fault_seed: int = 0,
                 fault_delay: float = 2.0, oversize_bytes: int = 3_000_000, rate_limit: int = 10,
                 retry_after: int = 60, latency: float = 0.0, counties: bool = False, endless: str = "",
                 endless_items: str = "cycle", pinned: dict[tuple[int, str], str] | None = None) -> None:
        self.catalog = Catalog(seed)
        self.latency = latency  # seconds every site response waits before its first byte, like a real server
        # "lying": its column's pager never ends (see Lying.endless_page); off by default, so the
        # 17 sites and their figures stay as they are.
        self.endless, self.endless_items = endless, endless_items
        self.requested_port = port
        self.port = port
        self.faults = FaultConfig(fault_rate, fault_seed, fault_delay, oversize_bytes)
        # (report id, "detail" | "attachment") -> a fault kind (FAULT_KINDS or PINNED_ONLY) served on every
        # attempt: one report made unreachable, or answering a login/busy page with 200
        self.pinned = dict(pinned or {})
        self.timeline: list[tuple[str, str, float, float]] | None = None  # a list: (host, path, start, end) per request
        self.rate_limit, self.retry_after = rate_limit, retry_after
        self.sites_by_host: dict[str, Site] = {i.host: SITE_CLASSES[i.id](i, self) for i in SITE_LAYOUT}
        self.county_sites = Counties(self) if counties else None  # whole counties for `nianbao discover`
        self.hosts: dict[str, Site] = {**self.sites_by_host, **(self.county_sites.hosts if self.county_sites else {})}
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._cache: dict[tuple, bytes] = {}
        self._lock = threading.Lock()
        self._attempts: Counter[tuple[str, str]] = Counter()
        self.reset_stats()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "Replica":
        hosts = [CONTROL_HOST] + list(self.hosts)
        tls_hosts = [h for h, site in self.sites_by_host.items() if site.info.broken]
        context = self_signed_context(tls_hosts) if tls_hosts else None
        for _ in range(20):
            servers: list[_Server] = []
            try:
                port = self.requested_port
                for host in hosts:
                    s = _Server((host, port), _Handler)
                    s.replica = self  # type: ignore[attr-defined]
                    s.host_id = host  # type: ignore[attr-defined]
                    if context is not None and host in tls_hosts:
                        s.tls = TlsSides(self.sites_by_host[host].info.broken, context)
                    port = s.server_address[1]
                    servers.append(s)
            except OSError:
                for s in servers:
                    s.server_close()
                if self.requested_port:
                    raise
                continue
            self._servers, self.port = servers, port
            break
        else:
            raise OSError("no port free on all replica addresses")
        for s in self._servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        # shutdown() waits up to one poll interval per server: stop them all at once
        stoppers = [threading.Thread(target=s.shutdown) for s in self._servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for s in self._servers:
            s.server_close()
        self._servers, self._threads = [], []

    def __enter__(self) -> "Replica":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ public API

    def site(self, site_id: str) -> Site:
        if self.county_sites and site_id in self.county_sites.columns_by_id:
            return self.county_sites.columns_by_id[site_id]
        return self.sites_by_host[site_info(site_id).host]

    def counties(self) -> list[dict]:
        """With `counties=True`: each county's homepage and the 年报 columns (URL, unit) under it."""
        return self.county_sites.describe() if self.county_sites else []

    @property
    def control_url(self) -> str:
        return f"http://{CONTROL_HOST}:{self.port}"

    def sites(self) -> list[dict]:
        return [{"id": s.info.id, "family": s.info.family, "host": s.info.host, "name": s.info.name,
                 "base_url": s.base_url, "start_urls": s.info.start_urls(self.port), "encoding": s.encoding,
                 "reports": len(self.catalog.listed(s.info.id))} for s in self.sites_by_host.values()]

    def truth(self) -> list[dict]:
        """Every report served (removed ones are not): where it is and what it holds."""
        out = []
        for e in self.catalog.entries():
            s = self.site(e.site)
            att = s.attachment_path(e)
            r = e.report
            out.append({"rid": e.rid, "site": e.site, "detail_url": s.url(s.detail_path(e)),
                        "attachment_url": s.url(att) if att else None,
                        "image_urls": [s.url(s.image_path(e, w)) for w in ("t2", "t3", "t4")] if r.carrier == "image" else [],
                        "title": r.title, "organ": r.organ, "year": r.year, "format": r.fmt, "markup": r.markup,
                        "carrier": r.carrier, "published": r.published.isoformat(), "revision": r.revision,
                        "listed": e.site not in self.catalog.zeroed, "truth": r.truth})
        return out

    def non_reports(self) -> list[str]:
        """URLs of items in a 年报 column that are not reports (a crawler should not keep them as reports)."""
        g = self.site("generic")
        return [g.url(f"{g.col}{d[:4]}{d[5:7]}/t{d.replace('-', '')}_{i}.html") for i, d, _ in NON_REPORTS]

    def change(self, n: int, seed: int = 0) -> list[int]:
        return self.catalog.change(n, seed)

    def add(self, n: int, seed: int = 0) -> list[int]:
        return self.catalog.add(n, seed)

    def remove(self, n: int, seed: int = 0) -> list[int]:
        return self.catalog.remove(n, seed)

    def set_zero(self, site_id: str, zero: bool = True) -> None:
        site_info(site_id)
        self.catalog.set_zero(site_id, zero)

    def set_faults(self, rate: float, seed: int | None = None, delay: float | None = None) -> None:
        self.faults.rate = rate
        if seed is not None:
            self.faults.seed = seed
        if delay is not None:
            self.faults.delay = delay
        with self._lock:
            self._attempts.clear()

    def reset_stats(self) -> None:
        with self._lock:
            self.requests: dict[str, Counter[str]] = defaultdict(Counter)   # site -> kind -> n
            self.statuses: dict[str, Counter[int]] = defaultdict(Counter)   # site -> status -> n
            self.fault_counts: Counter[str] = Counter()
            self.bodies: Counter[str] = Counter()   # report-body URL -> full (200) downloads
            self.not_modified: Counter[str] = Counter()

    def stats(self) -> dict:
        with self._lock:
            return {"requests": {k: dict(v) for k, v in self.requests.items()},
                    "statuses": {k: {str(s): n for s, n in v.items()} for k, v in self.statuses.items()},
                    "faults": dict(self.fault_counts), "bodies": dict(self.bodies),
                    "not_modified": dict(self.not_modified)}

    def count_broken(self, host: str) -> None:
        """A connection failed on purpose on a site's broken scheme (kind "broken" in stats)."""
        with self._lock:
            self.requests[self.hosts[host].info.id]["broken"] += 1

    def cached(self, e: Entry, kind: str, make: Callable[[], bytes]) -> bytes:
        """Render lazily, once per report revision (PDFs take ~0.1 s)."""
        key = (e.rid, e.report.revision, kind)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            hit = make()
            with self._lock:
                self._cache[key] = hit
        return hit

    # ------------------------------------------------------------------ serving

    def _request(self, h: BaseHTTPRequestHandler) -> Request:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        form = {}
        if "application/x-www-form-urlencoded" in (h.headers.get("Content-Type") or "") or (body and b"=" in body):
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return Request(h.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                       {k.lower(): v for k, v in h.headers.items()}, form, h.client_address[0], h.path)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        try:
            self._answer(h)
        finally:
            if self.timeline is not None:
                with self._lock:
                    self.timeline.append((h.server.host_id, h.path, started, time.monotonic()))  # type: ignore[attr-defined]

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        host = h.server.host_id  # type: ignore[attr-defined]
        req = self._request(h)
        if host == CONTROL_HOST:
            try:
                resp = self._control(req)
            except (KeyError, ValueError) as e:  # bad parameters: say so instead of dropping the connection
                resp = Response(400, json.dumps({"error": repr(e)}).encode(), "application/json")
            self._write(h, resp, "send")
            return
        site = self.hosts[host]
        if LOOP_PARAM in req.query:  # inside a redirect loop: keep looping
            with self._lock:
                self.requests[site.info.id]["fault"] += 1
                self.statuses[site.info.id][302] += 1
            self._write(h, Response(302, b"", "text/html", "fault", {"Location": loop_redirect(req.raw_path)}), "send")
            return
        resp = site.handle(req)
        action = "send"
        if req.path != "/robots.txt":
            with self._lock:
                attempt = self._attempts[(host, req.raw_path)]
                self._attempts[(host, req.raw_path)] += 1
            kind = (self.pinned.get((resp.entry.rid, resp.kind)) if resp.entry is not None else None) \
                or draw(self.faults, host, req.raw_path, attempt, resp)
            if kind:
                resp, action = faulty(kind, resp, req.raw_path, self.port, self.faults)
                with self._lock:
                    self.fault_counts[kind] += 1
        if resp.entry is not None and resp.status == 200 and action == "send":
            resp = self._conditional(req, resp)
        with self._lock:
            self.requests[site.info.id][resp.kind] += 1
            self.statuses[site.info.id][resp.status] += 1
            if resp.status == 200 and resp.entry is not None and action == "send":
                self.bodies[site.url(req.raw_path)] += 1
            if resp.status == 304:
                self.not_modified[site.url(req.raw_path)] += 1
        if action == "stall":
            time.sleep(self.faults.delay)
            action = "send"
        if self.latency:
            time.sleep(self.latency)
        self._write(h, resp, action, head=req.method == "HEAD")

    @staticmethod
    def _conditional(req: Request, resp: Response) -> Response:
        etag = '"' + hashlib.sha1(resp.body).hexdigest()[:20] + '"'
        modified = resp.entry.modified  # type: ignore[union-attr]
        last_mod = email.utils.format_datetime(modified.replace(tzinfo=timezone.utc), usegmt=True)
        headers = {**resp.headers, "ETag": etag, "Last-Modified": last_mod}
        inm, ims = req.header("If-None-Match"), req.header("If-Modified-Since")
        fresh = False
        if inm:
            fresh = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims:
            try:
                fresh = email.utils.parsedate_to_datetime(ims).replace(tzinfo=None) >= modified
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            return Response(304, b"", None, resp.kind, headers, resp.entry)
        return Response(resp.status, resp.body, resp.content_type, resp.kind, headers, resp.entry)

    @staticmethod
    def _write(h: BaseHTTPRequestHandler, resp: Response, action: str, head: bool = False) -> None:
        try:
            if action == "reset":
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                h.close_connection = True
                return
            h.send_response(resp.status)
            if resp.content_type:
                h.send_header("Content-Type", resp.content_type)
            for k, v in resp.headers.items():
                h.send_header(k, v)
            body = resp.body
            if action == "truncate":      # no Content-Length: the close looks like a normal end
                body = body[: len(body) // 2]
            else:                         # truncate_cl: promise the whole body, send half
                h.send_header("Content-Length", str(len(body)))
                if action == "truncate_cl":
                    body = body[: len(body) // 2]
            h.send_header("Connection", "close")
            h.end_headers()
            if not head and resp.status != 304:
                h.wfile.write(body)
            h.wfile.flush()
            if action == "truncate_cl":  # cut the connection hard mid-body
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    # ------------------------------------------------------------------ control API

    def _control(self, req: Request) -> Response:
        def js(obj: object, status: int = 200) -> Response:
            return Response(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        q = {**req.query, **req.form}
        p = req.path.removeprefix("/__replica__/")
        if p == "truth.json":
            return js({"reports": self.truth(), "non_reports": self.non_reports(),
                       "zeroed": sorted(self.catalog.zeroed)})
        if p == "sites.json":
            return js(self.sites())
        if p == "counties.json":
            return js(self.counties())
        if p == "stats.json":
            return js(self.stats())
        if req.method != "POST":
            return js({"error": f"unknown or GET-only: {req.path}"}, 404)
        seed = int(q.get("seed") or 0)
        if p == "mutate":
            return js({"changed": self.change(int(q.get("change") or 0), seed),
                       "added": self.add(int(q.get("add") or 0), seed),
                       "removed": self.remove(int(q.get("remove") or 0), seed)})
        if p == "set_zero":
            self.set_zero(q["site"], q.get("zero", "1") not in ("0", "false"))
            return js({"zeroed": sorted(self.catalog.zeroed)})
        if p == "fault":
            self.set_faults(float(q.get("rate") or 0), int(q["seed"]) if "seed" in q else None,
                            float(q["delay"]) if "delay" in q else None)
            return js({"rate": self.faults.rate, "seed": self.faults.seed, "delay": self.faults.delay})
        if p == "reset_stats":
            self.reset_stats()
            return js({"ok": True})
        return js({"error": f"unknown: {req.path}"}, 404)
