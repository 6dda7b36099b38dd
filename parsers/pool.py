"""Parsing off the reactor: a process pool shared by every crawler in the process.

trafilatura and the table readers take 10–100 ms a document; run in a spider callback they would
stall every download. Workers get bytes and return a Report (or the reason it failed); they never
touch the archive.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Iterable, Iterator, Mapping

from parsers.model import Report

_POOL: ProcessPoolExecutor | None = None
Hints = Mapping[str, str] | None  # titles from outside the document: {"listing_title": …} (parsers.parse_bytes)
Page = tuple[bytes, str, str | None, Hints]  # a report page as parse_job takes it: data, source, content type, hints


def listing_hints(listing_title: str | None) -> Hints:
    """The hints of a document listed under `listing_title` (None when it was not listed with a title)."""
    return {"listing_title": listing_title} if listing_title and listing_title.strip() else None


def parse_job(data: bytes, source: str, content_type: str | None,
              page: Page | None = None, hints: Hints = None) -> tuple[Report | None, str | None]:
    """(report, None) or (None, reason). Never raises: a parser bug must not lose the crawl.

    Each document is parsed inside the limits in force (`parsers.limits.parse_limited`: a child process
    with a wall clock and an address-space cap), so a hostile one costs seconds and leaves this worker,
    and the pool, alive.

    `page`: for an attachment, the report page it hangs off (data, source, content type, hints); its meta
    completes the attachment's report (`Report.take_page`), as the crawl does. `hints`: what the crawl
    knows of the document from outside it (the title it was listed under)."""
    from parsers.limits import parse_limited  # imported in the worker

    try:
        report = parse_limited(data, source, content_type, hints=hints)
    except Exception as e:  # noqa: BLE001 - any parser failure is recorded with the body, not raised
        return None, f"{type(e).__name__}: {e}"
    if page is not None:
        page_data, page_source, page_type, page_hints = page
        page_report, _ = parse_job(page_data, page_source, page_type, hints=page_hints)
        if page_report is not None:
            report.take_page(page_report)
    return report, None


WORKER_NICE = 19  # workers yield the CPU to the crawl: downloads first, parsing catches up after


def _init_worker(nice: int = WORKER_NICE) -> None:
    """Lower the worker's priority and import the parsers once, before the first document arrives."""
    try:
        os.nice(nice)
    except OSError:  # not permitted here: parse at normal priority
        pass
    import parsers  # noqa: F401


def default_workers() -> int:
    """Parse workers when PARSE_WORKERS is 0: one per CPU but one, which is the crawl's."""
    return max(1, (os.cpu_count() or 2) - 1)


def pool(workers: int = 0, nice: int = WORKER_NICE) -> ProcessPoolExecutor:
    """The shared pool (spawned, not forked: forking a running reactor's process is unsafe).

    One core is left to the crawl (the reactor is one thread) and the workers run at the lowest
    priority (nice +19): on a small machine the parse backlog waits, not the reactor, so the crawl
    runs at download speed and the parsing finishes after it. A distributed run's workers pass `nice=0`:
    there parsing is the worker's share of the run, and its pipeline holds the downloads back meanwhile.
    (`workers` and `nice` take effect when the pool is first made.)
    """
    global _POOL
    if _POOL is not None and getattr(_POOL, "_broken", False):  # a worker died anyway (killed from outside)
        _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL = None
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=workers or default_workers(),
                                    mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                                    initargs=(nice,))
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


def close_pool() -> None:
    """Wait for the shared pool's workers to finish and exit (their CPU time then counts as this process's
    children's, os.times())."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True)
        _POOL = None


def parse_in_order(jobs: Iterable[tuple], workers: int) -> Iterator[tuple[Report | None, str | None]]:
    """parse_job over `jobs` (its argument tuples) on `workers` processes (in this one when workers <= 1),
    results in job order.

    For batch work (`nianbao reparse`): the workers run at normal priority, and only a few bodies per
    worker are read ahead, so memory stays bounded however large the archive is.
    """
    if workers <= 1:
        for job in jobs:
            yield parse_job(*job)
        return
    ahead: deque[Future] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(0,)) as executor:
        for job in jobs:
            ahead.append(executor.submit(parse_job, *job))
            if len(ahead) >= 4 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
