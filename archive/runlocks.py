"""Which unfinished runs still have a live process: a run holds an flock while it runs.

A load, reparse or crawl killed with -9 leaves its `crawl_runs` row `running` with no `finished`; the
kernel drops its lock, so the next command that opens the archive can tell it is dead and mark it
`interrupted` (`Archive.mark_dead_runs`). A row with no lock file (written before runs held one) is
judged by its pid on this machine.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLocks:
    """`<db>.locks/run-<id>.runlock`, held with flock(LOCK_EX) by the process that started the run."""

    def __init__(self, db: Path) -> None:
        self.dir = Path(f"{db}.locks")
        self.held: dict[int, int] = {}

    def _path(self, run_id: int) -> Path:
        return self.dir / f"run-{run_id}.runlock"

    def hold(self, run_id: int) -> None:
        fd = None
        for _ in range(3):  # another process may remove the empty folder between mkdir and open
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(self._path(run_id), os.O_RDWR | os.O_CREAT, 0o644)
                break
            except FileNotFoundError:
                continue
            except OSError:  # a read-only folder: liveness falls back on the pid
                return
        if fd is None:
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.held[run_id] = fd

    def release(self, run_id: int) -> None:
        """Drop the lock and its file, and the folder once empty (an archive leaves no litter beside it)."""
        fd = self.held.pop(run_id, None)
        self._path(run_id).unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)
        try:
            self.dir.rmdir()
        except OSError:  # not empty (other runs, the scheduler's portal locks) or already gone
            pass

    def is_dead(self, run_id: int, pid: int | None) -> bool:
        """No process holds the run's lock (or, without a lock file, its pid is gone)."""
        if run_id in self.held:
            return False
        path = self._path(run_id)
        if not path.exists():
            return bool(pid) and not pid_alive(int(pid))  # type: ignore[arg-type]
        try:
            return not lock_held(path)
        except OSError:
            return False


def lock_held(path: Path) -> bool:
    """Whether some process holds an flock on the file at `path` now (probed without keeping it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (one owned by another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
