"""Parsing off the reactor: a process pool shared by every crawler in the process.

trafilatura and the table readers take 10–100 ms a document; run in a spider callback they would
stall every download. Workers get bytes and return a Report (or the reason it failed); they never
touch the archive.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from parsers.model import Report

_POOL: ProcessPoolExecutor | None = None


def parse_job(data: bytes, source: str, content_type: str | None) -> tuple[Report | None, str | None]:
    """(report, None) or (None, reason). Never raises: a parser bug must not lose the crawl."""
    from parsers import parse_bytes  # imported in the worker

    try:
        return parse_bytes(data, source, content_type), None
    except Exception as e:  # noqa: BLE001 - any parser failure is recorded with the body, not raised
        return None, f"{type(e).__name__}: {e}"


def pool(workers: int = 0) -> ProcessPoolExecutor:
    """The shared pool (spawned, not forked: forking a running reactor's process is unsafe)."""
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2,
                                    mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL
