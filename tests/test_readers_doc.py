"""read_doc: the paths that can be tested honestly without a real Word .doc file.

No real-format .doc can be made here (LibreOffice is not installed, and none is in the corpus),
so the antiword text path is not tested on a Word document; its failure path is, with real antiword.
"""
from __future__ import annotations

import shutil

import pytest

from parsers.doc import OLE_MAGIC, read_doc
from parsers.model import ParseError

FAKE_OLE = OLE_MAGIC + b"\x00not really a compound file" * 20


def test_missing_antiword_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no antiword on PATH
    with pytest.raises(ParseError) as err:
        read_doc(FAKE_OLE, "http://x.gov.cn/a.doc")
    assert str(err.value) == "http://x.gov.cn/a.doc: .doc needs antiword (apt-get install antiword); archived raw"


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword not installed")
def test_antiword_refusal_is_a_parse_error():
    with pytest.raises(ParseError, match=r"^a\.doc: antiword could not read it \(.*not a Word Document"):
        read_doc(FAKE_OLE, "a.doc")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"<html><body>404</body></html>", "not a .doc"),
    (b"PK\x03\x04 a docx is a zip", "not a .doc"),
])
def test_bad_input_raises_parse_error_naming_source(data, reason):
    with pytest.raises(ParseError) as err:
        read_doc(data, "x.doc")
    assert str(err.value).startswith("x.doc: ") and reason in str(err.value)
