"""Old Word (.doc, OLE2) attachments: text via the antiword program.

No Python library reads .doc tables reliably, and catdoc garbles Chinese; antiword under a UTF-8
locale gets the text right and prints tables as `|`-separated rows, which the text parser reads.
So a .doc Document has text only (no structural tables).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from . import limits
from .document import Document
from .model import ParseError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_BYTES = 50_000_000
_MISSING = ".doc needs antiword (apt-get install antiword); archived raw"


def read_doc(data: bytes, source: str) -> Document:
    """Read a .doc's text with antiword; raise ParseError naming `source` if it cannot be read."""
    if not data:
        raise ParseError(f"{source}: empty file")
    if not data.startswith(OLE_MAGIC):
        raise ParseError(f"{source}: not a .doc (no OLE2 signature; starts with {data[:16]!r})")
    if len(data) > MAX_BYTES:
        raise ParseError(f"{source}: {len(data):,} bytes is too big for a report .doc")
    antiword = shutil.which("antiword")
    if antiword is None:
        raise ParseError(f"{source}: {_MISSING}")
    text = _antiword(antiword, data, source)
    if not text.strip():
        raise ParseError(f"{source}: antiword found no text")
    return Document(source=source, kind="doc", text=text, title=_title(text))


def _antiword(antiword: str, data: bytes, source: str) -> str:
    """antiword's text output: -w 0 keeps each paragraph on one line; UTF-8 mapping for Chinese."""
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        path = os.path.join(tmp, "report.doc")
        with open(path, "wb") as fh:
            fh.write(data)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        seconds = limits.current().seconds  # antiword inherits the parse's address-space cap (RLIMIT_AS)
        try:
            done = subprocess.run([antiword, "-w", "0", "-m", "UTF-8.txt", path], capture_output=True,
                                  env=env, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            raise limits.LimitExceeded(f"{source}: antiword took over {seconds:g} s (limit seconds)") from None
        except OSError as exc:
            raise ParseError(f"{source}: could not run antiword ({exc})") from exc
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").replace(path, "file").strip() or f"exit {done.returncode}"
        raise ParseError(f"{source}: antiword could not read it ({why[:300]})")
    return "\n".join(line.rstrip() for line in done.stdout.decode("utf-8", "replace").splitlines())


def _title(text: str) -> str | None:
    """The opening lines up to one that names the report (…年度报告), if that comes within three."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
    for i, line in enumerate(lines):
        if line.startswith("|"):
            break
        if re.search(r"报告$", line):
            title = "".join(lines[: i + 1])
            return title if len(title) <= 80 else None
    return None
