"""Per-document resource limits: the caps in one place, and a way to run one parse inside them.

Every command that parses (`parse`, `load`, `reparse`, the crawl's parse workers) goes through
`parse_limited`: the document is parsed in a forked child process with an address-space cap
(RLIMIT_AS, on top of what the process already maps) and a wall clock (the parent kills the child when
it runs over; the child also has an alarm, so it dies even if its parent did). A child that dies or is
killed takes nothing else with it: the caller gets a ParseError naming the document and the limit.

The readers stop early on their own caps, read from `current()` (pages, text operators and decompressed
stream size in PDFs, each DOCX part's and the whole zip's uncompressed size, bytes per text line), so a
hostile document usually fails in well under a second instead of at the wall clock.

Defaults are the `Limits` fields below; change them with `NIANBAO_LIMITS="seconds=10,memory=512M"` (read
by every process, so spawned workers and scheduled crawls see it too) or `--limit NAME=VALUE` on the
commands that parse.
"""
from __future__ import annotations

import faulthandler
import math
import os
import pickle
import resource
import select
import signal
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from parsers.model import ParseError, Report

ENV = "NIANBAO_LIMITS"
T = TypeVar("T")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


@dataclass(frozen=True)
class Limits:
    """What one document may cost. A real report is 3-15 pages, < 5 MB and parses in < 2 s."""

    seconds: float = 30.0  # wall clock per document (the child is killed past it)
    memory: int = 1 << 30  # address space a document may add to the process that parses it
    document_bytes: int = 100 << 20  # bigger files are not read at all (the crawl's download cap is 64 MB)
    pdf_pages: int = 60  # pages past this are not read
    pdf_text_ops_per_page: int = 20_000  # text-showing operators (Tj TJ ' ") + the glyph bytes they show, one page;
    pdf_text_ops: int = 150_000  # the same over the document (real reports: < 2,000 a page, < 7,000 in all)
    pdf_stream_bytes: int = 64 << 20  # one PDF stream inflated (a page's content stream is < 1 MB)
    docx_part_bytes: int = 50 << 20  # one DOCX zip member uncompressed (word/document.xml, styles.xml, media)
    docx_total_bytes: int = 200 << 20  # all members together
    line_bytes: int = 100_000  # one line of a text document (a paragraph is < 10 KB)
    table_rows: int = 20_000  # rows handed to the table interpreter (table rows or text lines; a report has < 1,000)

    def describe(self, name: str) -> str:
        """`name=value` as a person reads it (sizes in K/M/G)."""
        value = getattr(self, name)
        if name in _SIZES:
            return f"{name}={human_bytes(value)}"
        return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"

    def to_env(self) -> str:
        """The NIANBAO_LIMITS string of the fields that differ from the defaults."""
        default = Limits()
        return ",".join(self.describe(f.name).replace(" ", "") for f in fields(self)
                        if getattr(self, f.name) != getattr(default, f.name))

    def with_overrides(self, items: Iterable[str]) -> "Limits":
        """A copy with `NAME=VALUE` items applied (sizes take K/M/G); ValueError names a bad one."""
        known = [f.name for f in fields(self)]
        changes: dict[str, Any] = {}
        for item in items:
            name, sep, raw = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in known:
                raise ValueError(f"unknown limit {item!r} (known: {', '.join(known)})")
            try:
                value = parse_size(raw) if name in _SIZES else (float(raw) if name == "seconds" else int(raw))
            except ValueError:
                raise ValueError(f"limit {name}: not a number: {raw!r}") from None
            if value <= 0:
                raise ValueError(f"limit {name}: must be above 0, not {raw!r}")
            changes[name] = value
        return replace(self, **changes)


_SIZES = {"memory", "document_bytes", "pdf_stream_bytes", "docx_part_bytes", "docx_total_bytes", "line_bytes"}


class LimitExceeded(ParseError):
    """A document over one of the limits; the message names the document and the limit."""


def parse_size(raw: str) -> int:
    """'512M' → 536870912; plain digits are bytes."""
    text = raw.strip().lower().removesuffix("b").removesuffix("i")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    return int(float(text[: len(text) - len(unit)]) * _UNITS[unit])


def human_bytes(n: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


_CURRENT: Limits | None = None


def current() -> Limits:
    """The limits in force in this process: set by `use`, else NIANBAO_LIMITS, else the defaults."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Limits().with_overrides(i for i in os.environ.get(ENV, "").split(",") if i.strip())
    return _CURRENT


def use(limits: Limits) -> None:
    """Put `limits` in force here and in every process started from here (through NIANBAO_LIMITS)."""
    global _CURRENT
    _CURRENT = limits
    os.environ[ENV] = limits.to_env()


def configure(overrides: Iterable[str]) -> Limits:
    """`--limit NAME=VALUE` options on top of the limits in force; ValueError names a bad one."""
    limits = current().with_overrides(overrides)
    use(limits)
    return limits


def check_rows(rows: list[T], source: str) -> list[T]:
    """`rows` if the table interpreter can afford them (it costs seconds per 10,000), else LimitExceeded."""
    cap = current().table_rows
    if len(rows) > cap:
        raise LimitExceeded(f"{source}: {len(rows):,} table rows or text lines, over {cap:,} (limit table_rows)")
    return rows


# ------------------------------------------------------------------ one document in a child process


def read_document(path: str | Path, limits: Limits | None = None) -> bytes:
    """A file's bytes, refused unread when it is over `document_bytes`."""
    limits = limits or current()
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limits.document_bytes:
            raise _too_big(p, size, limits)
        with p.open("rb") as fh:
            data = fh.read(limits.document_bytes + 1)
    except OSError as e:
        raise ParseError(f"{p}: cannot read file ({e.strerror or e})") from e
    if len(data) > limits.document_bytes:  # it grew while we looked
        raise LimitExceeded(f"{p}: over the document size limit ({limits.describe('document_bytes')})")
    return data


def _too_big(source: str | Path, size: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(f"{source}: {human_bytes_approx(size)} is over the document size limit "
                         f"({limits.describe('document_bytes')})")


def human_bytes_approx(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def parse_limited(data: bytes, source: str, content_type: str | None = None,
                  limits: Limits | None = None, hints: Mapping[str, str] | None = None) -> Report:
    """`parsers.parse_bytes` under the limits; only ParseError escapes."""
    limits = limits or current()
    if len(data) > limits.document_bytes:
        raise _too_big(source, len(data), limits)
    return run_limited(_parse, data, source, content_type, hints, source=source, limits=limits)


def parse_file_limited(path: str | Path, limits: Limits | None = None) -> Report:
    """`parsers.parse_file` under the limits (a file over `document_bytes` is not read)."""
    from parsers import _content_type_for

    return parse_limited(read_document(path, limits), str(path), _content_type_for(Path(path)), limits)


def _parse(data: bytes, source: str, content_type: str | None, hints: Mapping[str, str] | None = None) -> Report:
    from parsers import parse_bytes

    return parse_bytes(data, source, content_type, hints)


def run_limited(fn: Callable[..., T], *args: Any, source: str, limits: Limits | None = None) -> T:
    """fn(*args) in a forked child under `limits` (address space, wall clock); its result or a ParseError.

    The child's result comes back pickled through a pipe. An exception in the child comes back as a
    ParseError with its message (a ParseError's own message is kept as is).
    """
    limits = limits or current()
    if not hasattr(os, "fork"):  # no fork (not POSIX): the readers' own caps still hold
        return fn(*args)
    warm()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(fn, args, limits, write_fd)
    os.close(write_fd)
    reaped = False
    try:
        payload, timed_out = _collect(read_fd, limits.seconds)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # interrupted (Ctrl-C): the child must not outlive us
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
    if timed_out:
        raise LimitExceeded(f"{source}: over the time limit ({limits.describe('seconds')} s); killed")
    return _result(payload, status, source, limits)


_WARM = False
_SAMPLE = ("<html><head><title>某县人民政府2023年政府信息公开工作年度报告</title></head><body><h1>某县人民政府"
           "2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>本机关2023年主动公开政府信息120条。</p><table><tr><td>"
           "信息内容</td><td>本年制发件数</td></tr><tr><td>规章</td><td>0</td></tr></table></body></html>")


def warm() -> None:
    """Once per process, before the first fork: import the lazily imported readers and run one small
    parse, so each child starts with modules, caches and compiled patterns in place (a cold child is
    3x slower), and freeze those objects so the children's garbage collector does not copy their pages."""
    global _WARM
    if _WARM:
        return
    _WARM = True
    import gc
    import importlib

    for module in ("parsers.pdf", "parsers.docx", "parsers.doc"):
        try:
            importlib.import_module(module)
        except ImportError:  # parse_bytes names a missing reader per document
            pass
    try:
        _parse(_SAMPLE.encode("utf-8"), "warm-up.html", "text/html")
    except ParseError:
        pass
    gc.freeze()


def _collect(fd: int, seconds: float) -> tuple[bytes, bool]:
    """Everything the child writes until it closes the pipe, or (what came, True) at the deadline."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _result(payload: bytes, status: int, source: str, limits: Limits) -> Any:
    tag, body = payload[:1], payload[1:]
    if tag == b"R":
        return pickle.loads(body)
    if tag == b"E":
        kind, message = pickle.loads(body)
        raise (LimitExceeded if kind == "LimitExceeded" else ParseError)(message)
    if tag == b"M":
        raise LimitExceeded(f"{source}: over the memory limit ({limits.describe('memory')} of address space)")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        why = " (the wall-clock alarm)" if sig == signal.SIGALRM else ""
        raise LimitExceeded(f"{source}: the parse process died of {name}{why}; parse stopped")
    raise ParseError(f"{source}: the parse process exited ({os.WEXITSTATUS(status)}) without a result")


def _child(fn: Callable[..., Any], args: tuple, limits: Limits, write_fd: int) -> None:
    """Run in the forked child: set the limits, run fn, write a tagged result, exit without cleanup."""
    global _CURRENT
    code = 0
    try:
        _CURRENT = limits
        _enter(limits)
        try:
            payload = b"R" + pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = b"M"
        except BaseException as e:  # noqa: BLE001 - everything goes back to the parent as a message
            payload = b"M" if _from_memory(e) else b"E" + pickle.dumps((type(e).__name__, str(e) or repr(e)))
        _write_all(write_fd, payload)
    except MemoryError:
        _write_all(write_fd, b"M")
    except BaseException:  # noqa: BLE001 - nothing may unwind into the parent's code in a forked child
        code = 1
    finally:
        os._exit(code)


def _enter(limits: Limits) -> None:
    """The child's caps: address space on top of what is mapped now, a backstop alarm, no core dumps."""
    mapped = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize() \
        if Path("/proc/self/statm").exists() else 0
    _lower(resource.RLIMIT_AS, mapped + limits.memory)
    _lower(resource.RLIMIT_CORE, 0)
    faulthandler.disable()  # a crash is reported by the parent, named; no dump of this child's stack
    _die_with_parent()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    signal.alarm(math.ceil(limits.seconds) + 5)


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when its parent dies (a `load` killed with -9 must not leave a parse
    running that still holds the run's lock). Elsewhere the backstop alarm ends it."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)


def _lower(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(which, (value, hard))


def _from_memory(exc: BaseException) -> bool:
    """A reader that wrapped a MemoryError in its own error still ran out of memory."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
