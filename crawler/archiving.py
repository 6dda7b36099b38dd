"""The crawl's archive connections, one set per database file per process.

- `open_archive(path)`: an `archive.store.Archive` for the reactor thread's READS (conditional-request
  validators, where an archived report came from). Reads are sub-millisecond and never wait in WAL mode.
- `archive_writer(path)`: an `ArchiveWriter`, the one thread that does every WRITE of the crawl, on its
  own connection. Several crawlers (one per portal) run in one process; they all write through it, so
  SQLite never sees two writers of ours at once, and the reactor never waits for zlib, hashing, an
  ingest or a commit.

The writer commits in batches (every `BATCH_ROWS` jobs or `BATCH_SECONDS` after the first one, whichever
comes first) and resolves a job's future only after its batch committed: raw first holds, because the
pipeline parses and ingests a response only after its `record_fetch` future resolved, i.e. the raw
fetch is durably in the archive before anything derived from it is written.
"""
from __future__ import annotations

import atexit
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
    the batch, so a failing method undoes only itself. `urgent=True` commits right after the job (for a
    caller that blocks on the result). Jobs run in the order they were submitted.
    """

    def __init__(self, path: str | Path, *, batch_rows: int = BATCH_ROWS, batch_seconds: float = BATCH_SECONDS):
        from archive.store import Archive

        self.path = str(path)
        self.batch_rows, self.batch_seconds = batch_rows, batch_seconds
        self.archive = Archive(self.path)  # used only by the writer thread from here on
        self.archive.conn.execute("pragma temp_store = memory")  # savepoint journals of a batch stay in RAM
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.batches = self.written = 0
        self.thread = threading.Thread(target=self._run, name=f"archive-writer {Path(self.path).name}", daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any, urgent: bool = False, **kwargs: Any) -> Future:
        if not self.thread.is_alive():
            raise RuntimeError(f"the archive writer of {self.path} is closed")
        future: Future = Future()
        self.jobs.put((future, fn, args, kwargs, urgent))
        return future

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a job now and wait for it (committed); for the few writes at the start and end of a run."""
        return self.submit(fn, *args, urgent=True, **kwargs).result()

    def close(self) -> None:
        """Finish the queued jobs, stop the thread, checkpoint and close the connection."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        self.archive.close()

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        stop = False
        while not stop:
            job = self.jobs.get()
            if job is None:
                return
            batch = [job]
            deadline = time.monotonic() + self.batch_seconds
            while not job[4] and len(batch) < self.batch_rows:  # gather, without holding the write lock
                try:
                    job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._commit(batch)

    def _commit(self, batch: list) -> None:
        from archive.schema import write_transaction

        done: list[tuple[Future, Any, BaseException | None]] = []
        try:
            with write_transaction(self.archive.db):
                for future, fn, args, kwargs, _ in batch:
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:  # each Archive write method is a savepoint of the batch: a failing one undoes only itself
                        done.append((future, fn(self.archive, *args, **kwargs), None))
                    except Exception as e:  # noqa: BLE001 - tell the caller; the batch goes on
                        done.append((future, None, e))
        except BaseException as e:  # the commit itself failed: nothing of the batch is stored
            logger.error("archive %s: a batch of %d writes failed to commit: %r", self.path, len(batch), e)
            for future, *_ in batch:
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


def archived_source(archive, report_url: str) -> str | None:
    """The URL the archived report at `report_url` was parsed from (the page, or its attachment), or None
    when no report was ever archived there (then nothing may be asked for conditionally: a 304 would
    hide a report we never got)."""
    row = archive.conn.execute(
        "select f.url from reports r join fetches f on f.id = r.fetch_id where r.url = ? order by r.id desc limit 1",
        (report_url,)).fetchone()
    return row[0] if row else None
