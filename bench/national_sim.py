"""A national pass, modelled and checked: hours per full and incremental pass over China's ~2,800 county
portals, the binding constraint, the cores needed, and a measured replica run at scale the model predicts.

    .venv/bin/python bench/national_sim.py [--runs 3]       # measure, run 200+ replica hosts, model China
    .venv/bin/python bench/national_sim.py --no-run         # the model only, with the costs measured here

Everything the model needs that this machine can measure is measured here, in this process or the run:
- parse CPU a document: `parsers.limits.parse_limited` (what the crawl's parse workers run: a forked child
  per document, within the per-document limits) on the shared corpus (HTML pages, PDF reports);
- write CPU a document: `Archive.record_fetch` + `Archive.ingest` of those documents into a scratch archive;
- crawl CPU a request: the crawl process's own CPU in the replica run (parse processes excluded), less the
  writes it did (write cost above × fetches, ingests);
- stored bytes: a document's body as the archive keeps it (zlib), and the archive's size per report and per
  fetch row measured on the replica run's database.

The politeness model is crawler.backends' budget over Scrapy's downloader slot rule, simulated request by
request (`chain_seconds`): a backend serving N county hosts has min(BACKEND_MAX_SLOTS, ceil(N /
BACKEND_HOSTS_PER_SLOT)) slots, each holding one request; a slot lets its next request go DOWNLOAD_DELAY after
its previous answer, and Scrapy's slot then starts it once its own delay since the slot's previous start has
passed (DOWNLOAD_DELAY with ±50 % jitter, redrawn each time the slot is woken; AutoThrottle moves it towards
the server's latency after each response, never below DOWNLOAD_DELAY). A backend's requests are shared by
its slots; a pass takes as long as its busiest backend, unless the CPU (crawl + parse + write over the cores)
or the one writer takes longer. The strain rule (1 slot at a doubled delay after a 429/503/timeout) is not
modelled: it slows only a backend that pushes back.

The measured run: `--hosts` TRS 年报 columns, one per loopback address (127.0.1.x), each a unit with 1–3
reports, served by the replica with `--latency` s before each response, grouped into portals of 6, 12, 18,
24, 30 hosts (cycled) each declared on its own `backend`, like counties on provincial platforms; all crawled
by one `nianbao crawl` with DOWNLOAD_DELAY `--delay` (AutoThrottle on, as in production) and
BACKEND_HOSTS_PER_SLOT `--hosts-per-slot` (6, so these small groups get 1 to 4 slots as 40 to 160 counties
would). The delay is longer than the production 2 s so that on this shared 2-core machine politeness, not
CPU, sets the pace, as it does nationally (the CPU share the run needed is printed); the model predicts the
run from the requests each host serves (robots.txt, list page, report pages, attachments, the listing's
first page read again at the end), the slot rule and a fixed start-and-close time measured on a one-host
run. The most requests each backend had in flight at once, from the server's own log, is printed beside
its slots.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
HOUR = 3600.0

# ---------------------------------------------------------------------------------------------- politeness


def chain_seconds(n: int, delay: float, latency: float, rng: random.Random, *, jitter: float = 0.5,
                  start_delay: float | None = None, autothrottle: bool = True, max_delay: float = 60.0,
                  gate: float | None = None) -> float:
    """Seconds from the first request's start to the last response on one budget slot of a backend
    (crawler.backends) and its Scrapy downloader slot (scrapy.core.downloader.Downloader._process_queue,
    AutoThrottle._adjust_delay), with `n` requests to send. Each request takes `latency` s to answer.

    The backend's gate lets the slot's next request into Scrapy's queue `gate` s (DOWNLOAD_DELAY) after the
    previous answer; Scrapy then starts it once its own jittered delay since the previous start has passed
    (redrawn each time the slot is woken). `gate=0` is Scrapy alone with the queue never empty."""
    gate = delay if gate is None else gate
    slot_delay = max(delay, start_delay if autothrottle and start_delay is not None else delay)

    def draw() -> float:
        return slot_delay * (1 + rng.uniform(-jitter, jitter)) if jitter else slot_delay

    lastseen, started = -math.inf, 0
    busy_until: float | None = None   # the response of the request in flight
    latercall: float | None = None    # the slot's delayed _process_queue call
    arrival: float | None = None      # when the gate lets the next request into Scrapy's queue
    in_queue = True                   # a request waits in Scrapy's queue

    def process(now: float) -> float | None:
        """_process_queue at `now`; returns the end time once the n-th request was started."""
        nonlocal lastseen, started, busy_until, latercall, in_queue
        if not in_queue:
            return None
        d = draw()
        if now - lastseen < d:
            latercall = lastseen + d
            return None
        if busy_until is not None:  # no free transfer slot: the response will call again
            return None
        lastseen, started, busy_until = now, started + 1, now + latency
        if started == n:
            return busy_until
        if gate:
            in_queue = False            # the gate holds the next request until this one is answered
        else:
            latercall = now + draw()    # queue never empty: the recursive call after a start draws again
        return None

    end = process(0.0)
    while end is None:
        now = min(t for t in (busy_until, latercall, arrival) if t is not None)
        if now == busy_until:
            busy_until = None
            if autothrottle:  # the response moves the delay towards latency / target concurrency 1
                slot_delay = min(max(delay, latency, (slot_delay + latency) / 2), max_delay)
            if gate:
                arrival = now + gate    # the answer's own _process_queue finds the queue empty
                continue
            if latercall is not None:
                continue  # _process_queue returns at once while a delayed call is pending
        elif now == latercall:
            latercall = None
        else:
            arrival, in_queue = None, True
            if latercall is not None:
                continue
        end = process(now)
    return end


def mean_period(delay: float, latency: float, *, samples: int = 4000, seed: int = 7) -> float:
    """Mean seconds per request on one budget slot in steady state (a long chain)."""
    return chain_seconds(samples, delay, latency, random.Random(seed)) / samples


def backend_seconds(n: int, slots: int, delay: float, latency: float, rng: random.Random, **kw) -> float:
    """A backend's `n` requests over its `slots` budget slots, each slot its own chain (crawler.backends: a free
    slot takes the next request), the pass ending with the slowest slot."""
    per, extra = divmod(n, slots)
    return max(chain_seconds(per + (i < extra), delay, latency, rng, **kw) for i in range(slots) if per + (i < extra))


def budget_slots(served: int, max_slots: int = 4, hosts_per_slot: int = 40) -> int:
    """crawler.backends.slots_for: the same rule, here without importing Scrapy."""
    return max(1, min(max_slots, math.ceil(served / max(1, hosts_per_slot))))


# ---------------------------------------------------------------------------------------------- measured costs


@dataclass
class Costs:
    """CPU seconds and stored bytes, measured."""

    parse_html: float
    parse_pdf: float
    write_fetch: float      # record_fetch of one response
    write_ingest: float     # ingest of one parsed report
    crawl: float = 0.010    # per request; replaced by the run's measurement
    stored_html: int = 0    # zlib bytes of a report page as archived
    stored_pdf: int = 0
    row_bytes: float = 800.0   # archive bytes per fetch row beyond its body (indexes): replaced when measured
    report_bytes: float = 0.0  # archive bytes per report beyond its bodies (versions, metrics, sections, search)
    notes: list[str] = field(default_factory=list)


def _cpu_now() -> float:
    """CPU seconds of this process and its reaped children (parse_limited parses in a forked child)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _cpu(fn, *args, repeat: int = 3) -> float:
    fn(*args)  # warm (imports, caches)
    t0 = _cpu_now()
    for _ in range(repeat):
        fn(*args)
    return (_cpu_now() - t0) / repeat


def measure_costs() -> Costs:
    from archive.store import Archive, now
    from parsers import parse_bytes
    from parsers.limits import parse_limited  # as the crawl's parse workers do: within the per-document limits

    labelled = [p for d in ("html", "pdf") for p in sorted((CORPUS / d).iterdir()) if p.with_suffix(".json").exists()]
    html = [p for p in labelled if p.suffix == ".html"]  # report pages with a truth file (not list pages)
    pdf = [p for p in labelled if p.suffix == ".pdf"]
    if not html or not pdf:
        sys.exit(f"{CORPUS}: the shared corpus' html/ and pdf/ are needed to measure parse costs")
    docs = [(p, p.read_bytes()) for p in html + pdf]
    cost = {p: _cpu(parse_limited, data, str(p)) for p, data in docs}
    c = Costs(parse_html=sum(cost[p] for p in html) / len(html), parse_pdf=sum(cost[p] for p in pdf) / len(pdf),
              write_fetch=0.0, write_ingest=0.0,
              stored_html=int(sum(len(zlib.compress(p.read_bytes())) for p in html) / len(html)),
              stored_pdf=int(sum(len(zlib.compress(p.read_bytes())) for p in pdf) / len(pdf)))
    reports = [(p, data, parse_bytes(data, str(p))) for p, data in docs]
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "w.db")
        archive.upsert_portal("w", "w")
        run = archive.start_run("w")
        fetch_cpu = ingest_cpu = 0.0
        rounds = 5
        for i in range(rounds):
            for p, data, report in reports:
                url = f"http://127.0.0.1/{i}/{p.name}"
                t0 = time.process_time()
                fid = archive.record_fetch(url, final_url=url, status=200, headers={"content-type": "text/html"},
                                           body=data + str(i).encode(), fetched_at=now(), run_id=run, portal_id="w")
                t1 = time.process_time()
                archive.ingest(fid, report, url=url, portal_id="w", run_id=run)
                fetch_cpu += t1 - t0
                ingest_cpu += time.process_time() - t1
        archive.close()
    c.write_fetch, c.write_ingest = fetch_cpu / (rounds * len(reports)), ingest_cpu / (rounds * len(reports))
    c.notes.append(f"parse: {len(html)} HTML pages ({c.parse_html * 1000:.0f} ms each), {len(pdf)} PDFs "
                   f"({c.parse_pdf * 1000:.0f} ms each) of {CORPUS}; write: record_fetch "
                   f"{c.write_fetch * 1000:.1f} ms, ingest {c.write_ingest * 1000:.1f} ms a document")
    return c


# ---------------------------------------------------------------------------------------------- the replica run


@dataclass
class Host:
    host: str
    site_id: str
    start_url: str
    requests: int   # what the crawl will ask of it: robots.txt, list page, reports, attachments, re-read
    reports: int
    attachments: int
    parsed_pdf: int  # reports whose tables are only in a PDF/DOCX (the file is parsed)


def build_replica(hosts: int, latency: float, seed: int):
    """The replica with `hosts` extra TRS unit columns on 127.0.1.1 … (not started)."""
    from replica import Replica, SiteInfo
    from replica.sites.county import UnitTrs

    from replica.reports import organ_name

    rep = Replica(seed=seed, latency=latency)
    rng = random.Random(f"national|{seed}")
    made: list[tuple[str, UnitTrs]] = []
    names = [a + b + "县" for a in "青松河清连岚云溪平安东西南北中" for b in "山水源阳川宁和丰泉林江城原台谷"]  # 225
    if hosts > len(names):
        sys.exit(f"--hosts {hosts}: at most {len(names)} (one county each: a report is identified by organ × year)")
    for i in range(hosts):
        host = f"127.0.{1 + i // 250}.{1 + i % 250}"
        unit = organ_name(rng, names[i])   # a county's government, office, township or department
        info = SiteInfo(f"nat{i:03d}", "trs", host, ("/zfxxgk/zfxxgknb/index.html",), unit)
        site = UnitTrs(info, rep, "/zfxxgk/zfxxgknb/")
        for year in range(rng.randint(2022, 2024), 2025):
            rep.catalog.publish(rng, info.id, unit, year)
        rep.hosts[host] = site
        made.append((host, site))
    return rep, made


def describe(rep, made) -> list[Host]:
    out = []
    for host, site in made:
        entries = rep.catalog.listed(site.info.id)
        atts = sum(1 for e in entries if site.attachment_path(e))
        pdf = sum(1 for e in entries if e.report.carrier in ("pdf", "docx"))
        # robots.txt + the list page + report pages + attachments + the list page read again at the end
        out.append(Host(host, site.info.id, f"http://{host}:{{port}}/zfxxgk/zfxxgknb/index.html",
                        2 + len(entries) + atts + 1, len(entries), atts, pdf))
    return out


# `nianbao crawl`, reporting its own process's CPU (the reactor and the writer thread; not the parse pool)
CRAWL = """
import atexit, sys, time
t0 = time.process_time()
def report():
    print(f"CRAWL-CPU {time.process_time() - t0:.3f}", file=sys.stderr, flush=True)
atexit.register(report)
from nianbao.cli import main
main(prog_name='nianbao')
"""


GROUP_SIZES = (6, 12, 18, 24, 30)  # hosts per shared backend in the replica run, cycled: 1 to 4 slots each


def groups_of(hosts: list[Host]) -> list[list[Host]]:
    """The hosts cut into shared backends of GROUP_SIZES hosts (cycled), like counties on provincial platforms."""
    out, i, k = [], 0, 0
    while i < len(hosts):
        size = GROUP_SIZES[k % len(GROUP_SIZES)]
        out.append(hosts[i:i + size])
        i, k = i + size, k + 1
    return out


def crawl(tmp: Path, groups: list[list[Host]], port: int, delay: float, name: str,
          hosts_per_slot: int) -> tuple[float, float, Path]:
    """Crawl each group of hosts as one portal on its own declared backend (`backend = "<name>-g<i>"`), all
    portals in one `nianbao crawl`; (wall seconds, crawl-process CPU seconds, db path)."""
    entries = []
    for g, hosts in enumerate(groups):
        urls = ", ".join(f'"{h.start_url.format(port=port)}"' for h in hosts)
        entries.append(f'[[portal]]\nid = "{name}-g{g}"\nname = "national {g}"\nstart_urls = [{urls}]\n'
                       f'family = "trs"\nbackend = "{name}-g{g}"\n')
    portals = tmp / f"{name}.toml"
    portals.write_text("\n".join(entries), encoding="utf-8")
    db = tmp / f"{name}.db"
    args = ["crawl", *(f"{name}-g{g}" for g in range(len(groups))), "--db", str(db), "--portals", str(portals),
            "--no-progress", "-s", f"DOWNLOAD_DELAY={delay}", "-s", f"AUTOTHROTTLE_START_DELAY={max(delay, 0.01)}",
            "-s", f"AUTOTHROTTLE_ENABLED={1 if delay else 0}", "-s", "CONCURRENT_REQUESTS=1000",
            "-s", f"BACKEND_HOSTS_PER_SLOT={hosts_per_slot}"]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CRAWL, *args], capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"crawl {name} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = float(re.search(r"CRAWL-CPU ([\d.]+)", proc.stderr).group(1))
    return wall, cpu, db


def peak_in_flight(spans: list[tuple[float, float]]) -> int:
    """The most requests a server had in flight at once, from (arrival, answer) pairs."""
    peak = now = 0
    for _, step in sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans]):
        now += step
        peak = max(peak, now)
    return peak


def replica_run(args, costs: Costs) -> None:
    rep, made = build_replica(args.hosts, args.latency, args.seed)
    hosts = describe(rep, made)
    groups = groups_of(hosts)
    rep.start()
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            # start-up and close of a crawl (process, Scrapy, archive, the end-of-run writes): one host, no delay
            fixed, _, _ = crawl(tmp, [hosts[:1]], rep.port, 0.0, "one", args.hosts_per_slot)
            fixed -= hosts[0].requests * args.latency
            rep.reset_stats()
            rep.timeline = []
            wall, cpu, db = crawl(tmp, groups, rep.port, args.delay, "national", args.hosts_per_slot)
            stats = rep.stats()
            timeline, rep.timeline = rep.timeline, None
            served = sum(sum(kinds.values()) for site, kinds in stats["requests"].items() if site.startswith("nat"))
            with sqlite3.connect(db) as conn:
                conn.execute("pragma wal_checkpoint(truncate)")
                fetches = conn.execute("select count(*) from fetches").fetchone()[0]
                reports = conn.execute("select count(*) from reports").fetchone()[0]
                table = dict(conn.execute("select name, tbl_name from sqlite_master where type in ('table', 'index')"))
                pages: dict[str, int] = {}
                for name, size in conn.execute("select name, sum(pgsize) from dbstat group by name"):
                    owner = table.get(name, name)
                    pages[owner] = pages.get(owner, 0) + size
            size = sum(pages.values())
    finally:
        rep.stop()
    expected = sum(h.reports for h in hosts)
    if reports != expected:
        print(f"! the run archived {reports} reports of {expected} served")
    costs.crawl = max(0.0, cpu - fetches * costs.write_fetch - reports * costs.write_ingest) / max(1, fetches)
    costs.row_bytes = pages.get("fetches", 0) / max(1, fetches)
    derived = size - pages.get("fetches", 0) - pages.get("bodies", 0)
    costs.report_bytes = derived / max(1, reports)  # versions, metrics, sections, checks, search index, …
    # the model of this run: each backend's requests over its slots
    rng = random.Random(args.seed)
    slots = [budget_slots(len(g), hosts_per_slot=args.hosts_per_slot) for g in groups]
    chains = [backend_seconds(sum(h.requests for h in g), k, args.delay, args.latency, rng, start_delay=args.delay)
              for g, k in zip(groups, slots)]
    predicted = fixed + max(chains)
    peaks = [peak_in_flight([(start, end) for host, _, start, end in timeline if host in {h.host for h in g}])
             for g in groups]
    slowest = chains.index(max(chains))
    cpu_needed = (sum(h.requests for h in hosts) * (costs.crawl + costs.write_fetch)
                  + sum(h.reports for h in hosts) * (costs.parse_html + costs.write_ingest)
                  + sum(h.parsed_pdf for h in hosts) * costs.parse_pdf)
    print(f"\nreplica run: {len(hosts)} hosts (127.0.1.x), {sum(h.reports for h in hosts)} reports, "
          f"{sum(h.attachments for h in hosts)} attachments, latency {args.latency} s, DOWNLOAD_DELAY {args.delay} s "
          f"(±50 % jitter, AutoThrottle); {len(groups)} shared backends (a declared `backend` per portal) of "
          f"{', '.join(str(len(g)) for g in groups)} hosts, with BACKEND_HOSTS_PER_SLOT={args.hosts_per_slot}: "
          f"{', '.join(map(str, slots))} slots")
    print(f"  requests: model {sum(h.requests for h in hosts)}, served {served}, archived fetches {fetches}; "
          f"most in flight at once per backend, from the server's log: {', '.join(map(str, peaks))}")
    print(f"  CPU: crawl process {cpu:.1f} s ({1000 * costs.crawl:.1f} ms a request after writes); "
          f"crawl + parse + write {cpu_needed:.1f} s = {cpu_needed / wall:.2f} of one core over the run: "
          f"politeness sets the pace")
    print(f"  start-up and close, measured on one host: {fixed:.1f} s; slowest backend {max(chains):.1f} s "
          f"({len(groups[slowest])} hosts, {sum(h.requests for h in groups[slowest])} requests over "
          f"{slots[slowest]} slots)")
    print(f"  wall: predicted {predicted:.1f} s, measured {wall:.1f} s -> measured/predicted {wall / predicted:.2f} "
          f"({'within' if abs(wall / predicted - 1) <= 0.2 else 'NOT within'} 20 %)")
    print(f"  archive: {size / 1e6:.1f} MB for {reports} reports, {fetches} fetches: a fetch row "
          f"{costs.row_bytes:.0f} bytes with its indexes, a report's derived rows {costs.report_bytes / 1e3:.1f} KB")


# ---------------------------------------------------------------------------------------------- the national model

# County-level divisions per province (民政部 行政区划统计, 2023; 2,844 in all). cms-patterns.md §0: "nearly every
# county site runs on its province's (sometimes its prefecture's) shared platform", so by default one backend
# per province. Guangdong's 122 agrees with cms-patterns.md's "122 county units".
PROVINCES = {
    "四川": 183, "河北": 167, "河南": 157, "云南": 129, "山东": 136, "湖南": 122, "广东": 122, "黑龙江": 121,
    "山西": 117, "广西": 111, "陕西": 107, "新疆": 107, "安徽": 104, "内蒙古": 103, "湖北": 103, "辽宁": 100,
    "江西": 100, "江苏": 95, "浙江": 90, "贵州": 88, "甘肃": 86, "福建": 84, "西藏": 74, "吉林": 60,
    "青海": 44, "重庆": 38, "海南": 25, "宁夏": 22, "北京": 16, "天津": 16, "上海": 16,
}


@dataclass
class Nation:
    counties: int = 2800            # cms-patterns.md §0 (~2,800 county units)
    departments: int = 12           # per county with their own 年报 column: replica/sites/county.py (11–13)
    townships: int = 7              # per county, sub-columns of the county portal: replica counties (6–8), §0
    years: int = 7                  # reports a column still lists (2018–2024): §0, sites moved to provincial
                                    # platforms in the 2017–2019 集约化 campaign (older reports mostly left behind)
    list_pages: float = 1.5         # list pages per column: page sizes 10–20 (§A–D) hold 7 reports on one page;
                                    # +0.5 for year/unit sub-column pages (§5 step 4)
    pdf_share: float = 0.4          # reports whose tables are only in a PDF: issue #13 ("if 40% are PDFs"), §2 "common"
    copy_share: float = 0.2         # HTML reports that also link a 全真版 PDF (fetched, not parsed): §2, Fujian [V]
    latency: float = 0.6            # s a provincial platform takes to answer (first byte + transfer): assumption
    delay: float = 2.0              # DOWNLOAD_DELAY: 1 request per backend at a time, >= 2 s apart (crawler/settings.py)
    platform: str = "province"      # backends: one per province, or one per prefecture (≈ 15 counties each)
    max_slots: int = 4              # BACKEND_MAX_SLOTS: a backend's budget, at most (crawler/settings.py)
    hosts_per_slot: int = 40        # BACKEND_HOSTS_PER_SLOT: one slot per this many county hosts it serves
    # incremental pass (helper `walk`'s design, assumed): a listing walk stops at known items, so each column's
    # first page is read; known reports are re-checked on a rotation; a full walk of a column on a rotation
    first_pages: float = 1.0        # share of columns whose first page a pass reads
    recheck_days: int = 30          # known reports re-checked once per this many passes (conditional, 304)
    full_walk_days: int = 30        # a column walked whole once per this many passes
    new_per_unit_day: float = 1 / 60  # new reports a unit publishes a day in season (one a year, Jan–Mar: §1)
    passes_per_year: int = 155      # `season` schedule: daily Jan–Apr (120), weekly otherwise (35)

    @property
    def units(self) -> int:
        return 1 + self.departments + self.townships

    def backends(self) -> list[int]:
        """Counties on each backend."""
        scale = self.counties / sum(PROVINCES.values())
        per = [max(1, round(n * scale)) for n in PROVINCES.values()]
        if self.platform == "prefecture":
            per = [q for n in per for q in [15] * (n // 15) + ([n % 15] if n % 15 else [])]
        return per

    def full_requests(self) -> float:
        """Requests per county in a full pass."""
        per_column = self.list_pages + 1 + self.years * (1 + self.pdf_share + self.copy_share)
        return 1 + self.units * per_column  # robots.txt per county host + columns (first page re-read at the end)

    def incremental_requests(self) -> float:
        per_column = (self.first_pages + self.years / self.recheck_days * (1 + self.pdf_share)
                      + (self.list_pages - 1 + 1) / self.full_walk_days   # the rest of a full walk + its re-read
                      + self.new_per_unit_day * (1 + self.pdf_share + self.copy_share))
        return 1 + self.units * per_column


def model(n: Nation, costs: Costs, cores: int = 4) -> None:
    """Hours per pass on a machine of `cores` cores: one for the crawl process (reactor and writer thread
    share a GIL), the rest parse. Politeness: each backend's requests over its slots (crawler.backends), each
    slot a request every `period` s; the strain rule (1 slot, doubled delay after a 429/503/timeout) is not
    modelled: it slows only a backend that pushes back, which the model cannot know."""
    period = mean_period(n.delay, n.latency)
    backends = n.backends()
    slots = [budget_slots(c, n.max_slots, n.hosts_per_slot) for c in backends]
    load = [c / k for c, k in zip(backends, slots)]           # counties per slot
    worst = max(range(len(backends)), key=lambda i: load[i])
    reports = n.counties * n.units * n.years
    print(f"\nChina, modelled: {n.counties} counties × {n.units} columns (government, {n.departments} departments, "
          f"{n.townships} townships) × {n.years} years = {reports:,} reports; {len(backends)} backends "
          f"(one per {n.platform}; the largest serves {max(backends)} counties); {n.pdf_share:.0%} PDF-only reports")
    print(f"  politeness: a backend serving N county hosts gets min({n.max_slots}, ceil(N / {n.hosts_per_slot})) slots "
          f"({', '.join(f'{slots.count(k)} backends with {k}' for k in sorted(set(slots)))}); "
          f"a slot sends a request every {period:.2f} s (the next >= {n.delay} s after the answer, Scrapy's "
          f"±50 % jitter, latency {n.latency} s); the busiest slots: {backends[worst]} counties over {slots[worst]} "
          f"slot{'s' if slots[worst] > 1 else ''}; the strain rule (1 slot, doubled delay after a 429/503/timeout) "
          f"is not modelled")
    for name, per_county, parsed, ingested in (
            ("full pass", n.full_requests(), reports * (1 + n.pdf_share), reports),
            ("incremental pass", n.incremental_requests(),
             n.counties * n.units * n.new_per_unit_day * (1 + n.pdf_share), n.counties * n.units * n.new_per_unit_day)):
        requests = n.counties * per_county
        polite = load[worst] * per_county * period / HOUR
        parse_cpu = ingested * (costs.parse_html + n.pdf_share * costs.parse_pdf)
        crawl_cpu = requests * costs.crawl
        write_cpu = requests * costs.write_fetch + ingested * costs.write_ingest
        writer = (crawl_cpu + write_cpu) / HOUR   # the crawl process: reactor + writer thread, one core
        cpu = (parse_cpu + crawl_cpu + write_cpu) / HOUR
        hours = max(polite, writer, parse_cpu / HOUR / (cores - 1))
        needed = 1 + max(1, math.ceil(parse_cpu / HOUR / max(hours, 1e-9)))
        bounds = {f"politeness on the busiest backend ({backends[worst]} counties, {slots[worst]} slot{'s' if slots[worst] > 1 else ''})": polite,
                  "the crawl + writer process (one core)": writer,
                  f"parsing on {cores - 1} cores": parse_cpu / HOUR / (cores - 1)}
        binding = max(bounds, key=bounds.get)
        print(f"  {name}: {requests:,.0f} requests ({per_county:.0f} a county), {ingested:,.0f} reports parsed; "
              f"CPU {cpu:.1f} core-hours (crawl {crawl_cpu / HOUR:.1f}, parse {parse_cpu / HOUR:.1f}, "
              f"write {write_cpu / HOUR:.1f})")
        print(f"    hours: {hours:.1f}, bound by {binding} "
              f"({'; '.join(f'{k} {v:.1f} h' for k, v in bounds.items())}); cores to keep that pace: {needed} "
              f"(one crawl + writer process, {needed - 1} parse)")
        if polite > 24 and name == "full pass":
            print(f"    politeness alone needs {polite:.1f} h: < 24 h would take a request every "
                  f"{24 * HOUR / (load[worst] * per_county):.2f} s per slot there, or more slots")
        if polite > 2 and name == "incremental pass":
            print(f"    politeness alone needs {polite:.1f} h: < 2 h would take more slots on the busiest backend")
    # archive size: first year = a full pass; then per year new reports + list pages that changed
    per_report = costs.stored_html + n.pdf_share * costs.stored_pdf + n.copy_share * costs.stored_pdf \
        + (1 + n.pdf_share + n.copy_share) * costs.row_bytes + costs.report_bytes
    lists = n.counties * n.units * n.list_pages * (costs.row_bytes + costs.stored_html / 10)
    first = reports * per_report + lists
    new = n.counties * n.units * 1
    yearly = new * per_report + n.passes_per_year * n.counties * n.units * n.first_pages * costs.row_bytes \
        + new * costs.stored_html / 10
    print(f"  archive: {first / 1e9:.0f} GB after the first full pass ({per_report / 1e3:.0f} KB a report: page "
          f"{costs.stored_html / 1e3:.0f} KB + {n.pdf_share + n.copy_share:.0%} × PDF {costs.stored_pdf / 1e3:.0f} KB "
          f"compressed + rows), then {yearly / 1e9:.0f} GB a year ({new:,} new reports, {n.passes_per_year} passes' "
          f"list-page rows; 304s update a last-seen date, no row)")
    parse_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    crawl_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    measured = "measured" if crawl_rss else "not measured (--no-run): 500 MB assumed for"
    crawl_rss = crawl_rss or 500.0
    memory = (crawl_rss + (cores - 1) * parse_rss) / 1024
    disk = first + 5 * yearly
    print(f"  the machine: {cores} cores (the crawl + writer process, {cores - 1} parse processes: 2 suffice for "
          f"the CPU above, the rest is headroom for re-parsing), {max(8, math.ceil(2 * memory)):.0f} GB memory "
          f"({measured} peaks: crawl process {crawl_rss:.0f} MB, a parse process {parse_rss:.0f} MB; ×2 headroom), "
          f"{math.ceil(disk / 1e9 / 100) * 100:.0f} GB disk (first pass + 5 years)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=210)
    ap.add_argument("--delay", type=float, default=4.0, help="DOWNLOAD_DELAY of the replica run (s)")
    ap.add_argument("--hosts-per-slot", type=int, default=6,
                    help="BACKEND_HOSTS_PER_SLOT of the replica run (production: 40), so its small groups get 1-4 slots")
    ap.add_argument("--runs", type=int, default=1, help="replica runs (each ~3.5 min)")
    ap.add_argument("--latency", type=float, default=1.0, help="the replica's server latency (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-run", action="store_true", help="skip the replica run (crawl CPU then 10 ms a request)")
    ap.add_argument("--platform", choices=["province", "prefecture"], default="province")
    args = ap.parse_args()
    costs = measure_costs()
    print("measured:", *costs.notes, sep="\n  ")
    for _ in range(0 if args.no_run else args.runs):
        replica_run(args, costs)
    print(f"  per-request crawl CPU {1000 * costs.crawl:.1f} ms"
          f"{'' if not args.no_run else ' (not measured: --no-run)'}; stored: report page {costs.stored_html / 1e3:.0f} KB, "
          f"PDF {costs.stored_pdf / 1e3:.0f} KB (zlib, corpus)")
    model(Nation(platform=args.platform), costs)
    if args.platform == "province":
        model(Nation(platform="prefecture"), costs)


if __name__ == "__main__":
    main()
