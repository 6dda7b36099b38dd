"""An archive's connections for a crawl, one set per database file per process.

- `open_archive(path)`: an `archive.store.Archive` for the reactor thread's READS (conditional-request
  validators, where an archived report came from). Reads are sub-millisecond and never wait in WAL mode.
- `archive_writer(path)`: an `ArchiveWriter`, the one thread that does every WRITE of the crawl, on its
  own connection. Several crawlers (one per portal) run in one process; they all write through it, so
  SQLite never sees two writers of ours at once, and the reactor never waits for zlib, hashing, an
  ingest or a commit.

The writer commits in batches (when no job is waiting, after `BATCH_ROWS` jobs or `BATCH_SECONDS` after the
first one, whichever comes first), raw responses before derived writes, and resolves a job's future only
after its batch committed: raw first holds, because the
crawl (crawler.archivist) parses and ingests a response only after its `record_fetch` future resolved, i.e.
the raw fetch is durably in the archive before anything derived from it is written.
"""
from __future__ import annotations

import atexit
import itertools
import logging
import queue
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

_ARCHIVES: dict[str, object] = {}
_WRITERS: dict[str, "ArchiveWriter"] = {}
_LOCK = threading.Lock()
BATCH_ROWS = 256
BATCH_SECONDS = 0.1


class ArchiveWriter:
    """A thread with its own `Archive` connection that runs write jobs in batched transactions.

    `submit(fn, *args, **kwargs)` queues `fn(archive, *args, **kwargs)` and returns a
    `concurrent.futures.Future` that resolves (with fn's result or exception) once the transaction
    holding it committed. Jobs call Archive write methods, whose own transactions become savepoints of
    the batch, so a failing method undoes only itself.

    Order: `urgent=True` jobs first (a caller blocks on them; the batch commits right after), then
    `raw=True` jobs (raw responses: cheap, and the crawl waits for them), then the rest (ingests,
    mark_seen: derived from fetches that already committed, so they may be overtaken by newer raw
    writes); first come first served within each class.

    A batch starts as soon as a job arrives and takes further jobs until the queue stays empty for
    `LINGER` seconds, `batch_rows` jobs ran or `batch_seconds` passed, then commits.
    """

    URGENT, RAW, DERIVED, STOP = range(4)
    LINGER = 0.02  # how long an open batch waits for one more job (the write lock is held meanwhile)

    def __init__(self, path: str | Path, *, batch_rows: int = BATCH_ROWS, batch_seconds: float = BATCH_SECONDS):
        from archive.store import Archive

        self.path = str(path)
        self.batch_rows, self.batch_seconds = batch_rows, batch_seconds
        self.archive = Archive(self.path)  # used only by the writer thread from here on
        self.archive.keep_temp_in_memory()
        self.jobs: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self.batches = self.written = 0
        self.thread = threading.Thread(target=self._run, name=f"archive-writer {Path(self.path).name}", daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any, urgent: bool = False, raw: bool = False,
               **kwargs: Any) -> Future:
        if not self.thread.is_alive():
            raise RuntimeError(f"the archive writer of {self.path} is closed")
        future: Future = Future()
        kind = self.URGENT if urgent else self.RAW if raw else self.DERIVED
        self.jobs.put((kind, next(self._seq), future, fn, args, kwargs))
        return future

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a job now and wait for it (committed); for the few writes at the start and end of a run."""
        return self.submit(fn, *args, urgent=True, **kwargs).result()

    def close(self) -> None:
        """Finish the queued jobs, stop the thread, checkpoint and close the connection (once)."""
        if self.thread.is_alive():
            self.jobs.put((self.STOP, next(self._seq), None, None, (), {}))
            self.thread.join()
        if not getattr(self, "_closed", False):
            self._closed = True
            self.archive.close()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job[0] == self.STOP:
                return
            self._batch(job)

    def _batch(self, job: tuple) -> None:
        from archive.schema import write_transaction

        started = time.monotonic()
        taken: list[Future] = []
        done: list[tuple[Future, Any, BaseException | None]] = []
        try:
            with write_transaction(self.archive.db):
                while True:
                    kind, _, future, fn, args, kwargs = job
                    taken.append(future)
                    if future.set_running_or_notify_cancel():
                        try:  # each Archive write method is a savepoint of the batch: a failing one undoes only itself
                            done.append((future, fn(self.archive, *args, **kwargs), None))
                        except Exception as e:  # noqa: BLE001 - tell the caller; the batch goes on
                            done.append((future, None, e))
                    left = started + self.batch_seconds - time.monotonic()
                    if kind == self.URGENT or len(taken) >= self.batch_rows or left <= 0:
                        break
                    try:
                        job = self.jobs.get(timeout=min(left, self.LINGER))
                    except queue.Empty:
                        break
                    if job[0] == self.STOP:
                        self.jobs.put(job)  # finish this batch first
                        break
        except BaseException as e:  # the commit itself failed: nothing of the batch is stored
            logger.error("archive %s: a batch of %d writes failed to commit: %r", self.path, len(taken), e)
            for future in taken:
                if not future.done():  # (results are set only after the commit)
                    future.set_exception(e)
            return
        self.batches += 1
        self.written += len(done)
        for future, result, error in done:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


def archive_writer(path: str | Path) -> ArchiveWriter:
    """The process's writer thread for the archive at `path` (started on first use, closed at exit)."""
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _WRITERS:
            _WRITERS[key] = ArchiveWriter(key)
            atexit.register(_WRITERS[key].close)
        return _WRITERS[key]


def open_archive(path: str | Path):
    """The process's Archive for `path` (created, and its schema migrated, on first use)."""
    from archive.store import Archive  # imported late: the crawler's page objects do not need it

    key = str(Path(path).resolve())
    if key not in _ARCHIVES:
        _ARCHIVES[key] = Archive(key)
    return _ARCHIVES[key]
