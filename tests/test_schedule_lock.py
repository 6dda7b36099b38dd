"""The per-portal flock: one holder at a time, kept by the crawl process, dropped by the kernel on death."""
import signal
import subprocess
import sys
from pathlib import Path

from crawler.schedule import PortalLock


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path: Path):
    db = tmp_path / "a.db"
    first, second = PortalLock(db, "trs0"), PortalLock(db, "trs0")
    assert first.acquire()
    assert not second.acquire()
    assert PortalLock(db, "gd").acquire()              # other portals are independent
    assert first.is_held() and "scheduler" in second.holder()
    first.release()
    assert not first.is_held()
    assert second.acquire()
    second.release()


def test_the_crawl_process_keeps_the_lock_and_sigkill_frees_it(tmp_path: Path):
    db = tmp_path / "a.db"
    lock = PortalLock(db, "trs0")
    assert lock.acquire()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], pass_fds=(lock.fd,))
    try:
        lock.release()                                  # the scheduler thread is gone (or the scheduler died) ...
        assert lock.is_held()                           # ... but the crawl still holds the portal
        assert not PortalLock(db, "trs0").acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert not lock.is_held()                       # the kernel dropped it with the process
    finally:
        child.kill()
        child.wait()
