"""Backend budgets kept in lock files, so that every crawl process on one machine writing into one archive
(`nianbao schedule --parallel K` runs one process per portal) gives a backend the budget of one crawl, not K
times it (`crawler.backends` explains the budget; `crawler.redis_gates` does the same across machines).

Per backend, a directory named by a hash of its key (a key is a host or a platform name, not a file name):
- ``slot<i>``: held with `fcntl.flock` while that slot's request is in flight. The kernel drops the lock when
  the holding process dies, even by SIGKILL, so a crashed crawl never keeps a slot (no lease, no clean-up).
  It stores the slot's next start (wall clock, shared by every process), written by the holder on release;
- ``strain``: the backend's Retry-After (no slot starts before) and cool-down end (1 slot, doubled delay),
  read and raised under its own flock by any process that sees strain;
- ``wait-<process>``: held (flock) by a process whose first waiter found no slot, with when it began to wait
  and when it last looked: a process that frees a slot and wants it again leaves it to whoever waited longer,
  so K processes take turns instead of the one that frees a slot always taking it back. A dead waiter's file
  is unlocked, and removed by the next reader; a stopped one (not looking for STALE s) loses its turn.
Nothing here blocks the event loop on another process: slots are tried with LOCK_NB and acquire polls (POLL);
only the strain file's few-byte read-modify-write takes a blocking flock. A release in this process wakes
its own waiter at once.
"""
from __future__ import annotations

import asyncio
import atexit
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

POLL = 0.05     # s between two looks at a backend whose slots another process holds
STALE = 5.0     # s: a waiter that has not looked for this long (a stopped process) loses its turn
HORIZON = 3600  # s: a stored time further ahead than this is stale (the clock was set back), not a wait
_PRIVATE: Path | None = None  # the budgets of a process that crawls into no archive


def lock_dir(archive: str, configured: str = "") -> Path:
    """Where the budgets live: BACKEND_LOCK_DIR, else beside the archive (`<archive>.backends/`) so that
    every process crawling into one archive shares them; a crawl without an archive (check, discover) gets a
    private directory (one per process, removed when it exits: its budgets are its own, as before)."""
    if configured:
        return Path(configured)
    if archive:
        path = Path(archive).resolve()
        return path.with_name(path.name + ".backends")
    global _PRIVATE
    if _PRIVATE is None:
        _PRIVATE = Path(tempfile.mkdtemp(prefix="nianbao-backends-"))
        atexit.register(shutil.rmtree, _PRIVATE, True)
    return _PRIVATE


def _read_float(fd: int, at: int = 0) -> float:
    try:
        return float(os.pread(fd, 64, 0).split()[at])
    except (ValueError, IndexError):
        return 0.0


def _write(fd: int, text: str) -> None:
    data = text.encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _sane(t: float, now: float) -> float:
    return 0.0 if t > now + HORIZON else t


class FileGates:
    """`crawler.backends.Gates` in lock files: one budget per backend for every process using the directory."""

    _shared: dict[Path, "FileGates"] = {}

    def __init__(self, directory: str | Path) -> None:
        self.root = Path(directory)
        self.root.mkdir(parents=True, exist_ok=True)
        self.me = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.held: dict[tuple[str, int], int] = {}   # (backend, slot) -> the fd holding its flock
        self.dirs: dict[str, Path] = {}
        self.queues: dict[str, asyncio.Lock] = {}    # one waiter per backend looks at the files; the rest queue
        self.released: dict[str, asyncio.Event] = {}  # set when this process releases one of the backend's slots

    @classmethod
    def shared(cls, directory: str | Path) -> "FileGates":
        """One per process and directory: every crawler of the process queues behind the same waiter."""
        key = Path(directory).resolve()
        if key not in cls._shared:
            cls._shared[key] = cls(key)
        return cls._shared[key]

    def _dir(self, key: str) -> Path:
        d = self.dirs.get(key)
        if d is None:
            d = self.root / hashlib.sha256(key.encode()).hexdigest()[:32]
            d.mkdir(exist_ok=True)
            (d / "backend").write_text(key + "\n", encoding="utf-8")  # for whoever lists the directory
            self.dirs[key] = d
        return d

    # ---------------------------------------------------------------- strain

    def _strain_state(self, key: str) -> tuple[float, float]:
        """(no slot starts before, cool-down until), wall clock."""
        path = self._dir(key) / "strain"
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return 0.0, 0.0
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            now = time.time()
            return _sane(_read_float(fd, 0), now), _sane(_read_float(fd, 1), now)
        finally:
            os.close(fd)

    def strain(self, key: str, wait: float, cooldown: float) -> None:
        fd = os.open(self._dir(key) / "strain", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = time.time()
            not_before = max(_sane(_read_float(fd, 0), now), now + wait)
            cool_until = max(_sane(_read_float(fd, 1), now), now + max(wait, cooldown))
            _write(fd, f"{not_before:.6f} {cool_until:.6f}\n")
        finally:
            os.close(fd)

    def allowed(self, key: str, slots: int) -> int:
        """The slots the backend has now: 1 while it cools down."""
        return 1 if time.time() < self._strain_state(key)[1] else slots

    # ---------------------------------------------------------------- waiters (turns between processes)

    def _earlier_waiters(self, key: str, since: float) -> int:
        """Other live processes waiting on the backend since before `since`."""
        count = 0
        for entry in os.scandir(self._dir(key)):
            if not entry.name.startswith("wait-") or entry.name == f"wait-{self.me}":
                continue
            try:
                fd = os.open(entry.path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:  # held: its process is alive and waiting
                    count += _read_float(fd) < since and _read_float(fd, 1) > time.time() - STALE
                    continue
                os.unlink(entry.path)    # not held: its process died while waiting
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        return count

    def _wait_file(self, key: str, since: float) -> int:
        """Say this process waits on the backend since `since` (locked before it is visible, see the module)."""
        d = self._dir(key)
        tmp = d / f".wait-{self.me}"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write(fd, f"{since:.6f} {since:.6f}\n")
        os.replace(tmp, d / f"wait-{self.me}")
        return fd

    def _unwait(self, key: str, fd: int) -> None:
        try:
            os.unlink(self._dir(key) / f"wait-{self.me}")
        except FileNotFoundError:
            pass
        os.close(fd)

    # ---------------------------------------------------------------- slots

    def try_acquire(self, key: str, slots: int, since: float | None = None) -> tuple[int | None, float | None]:
        """(the slot taken, None), or (None, seconds until a free slot's next start; None while none is free
        or it is another process's turn). `since`: when this process's waiter began to wait."""
        now = time.time()
        not_before, cool_until = self._strain_state(key)
        n = 1 if now < cool_until else slots
        d = self._dir(key)
        ready: list[tuple[int, int]] = []  # (slot, fd) free and rested, locked by us for now
        soonest: float | None = None
        for i in range(n):
            if (key, i) in self.held:
                continue
            fd = os.open(d / f"slot{i}", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            start = max(_sane(_read_float(fd), now), not_before)
            if start <= now:
                ready.append((i, fd))
                continue
            os.close(fd)
            soonest = start - now if soonest is None else min(soonest, start - now)
        taken = None
        if ready and len(ready) > self._earlier_waiters(key, now if since is None else since):
            taken = ready.pop(0)
            self.held[(key, taken[0])] = taken[1]
        for _, fd in ready:
            os.close(fd)
        if taken is not None:
            return taken[0], None
        return None, (None if ready else soonest)

    async def acquire(self, key: str, slots: int, delay: float) -> int:
        lock = self.queues.setdefault(key, asyncio.Lock())
        released = self.released.setdefault(key, asyncio.Event())
        async with lock:
            since: float | None = None
            waiting: int | None = None
            try:
                while True:
                    released.clear()  # before looking: a release from now on wakes us
                    slot, wait = self.try_acquire(key, slots, since)
                    if slot is not None:
                        return slot
                    if since is None:
                        since = time.time()
                        waiting = self._wait_file(key, since)
                    else:
                        _write(waiting, f"{since:.6f} {time.time():.6f}\n")  # still looking
                    try:
                        await asyncio.wait_for(released.wait(), POLL if wait is None else min(max(wait, 0.001), POLL * 4))
                    except TimeoutError:
                        pass
            finally:
                if waiting is not None:
                    self._unwait(key, waiting)

    def release(self, key: str, slot: int, delay: float) -> None:
        """The request was answered: the slot's next request may start `delay` seconds from now (counted from
        the answer, not the send: a request may wait in Scrapy's own slot after taking the gate; twice that
        while the backend cools down); the slot's lock goes with it."""
        fd = self.held.pop((key, slot), None)
        if fd is None:
            return
        try:
            now = time.time()
            gap = 2 * delay if now < self._strain_state(key)[1] else delay
            _write(fd, f"{max(_sane(_read_float(fd), now), now + gap):.6f}\n")
        finally:
            os.close(fd)  # drops the flock
        event = self.released.get(key)
        if event is not None:
            event.set()
