"""The versions of the libraries that read documents, recorded with each parse.

The same bytes can read differently under another lxml, pdfminer or python-docx (a table cell found or
not, a char order); with these stored beside every report version, a difference between two archives,
or two runs, can be traced to a library upgrade. `requirements.lock` pins them for installs.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata

READER_PACKAGES = ("lxml", "pdfplumber", "pdfminer.six", "python-docx", "trafilatura")


@lru_cache(maxsize=1)
def reader_versions() -> dict[str, str]:
    """{package: version} of the installed readers (a missing one is left out)."""
    out: dict[str, str] = {}
    for name in READER_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
