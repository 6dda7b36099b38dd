"""Property tests: mangled real reports never crash the parser, and every output number is printed in them.

Inputs are derived from the corpus (truncated at random points, lines shuffled, cells dropped, bytes
flipped or random). Only ParseError may escape, and never one that wraps an internal error.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import parse_bytes, parse_document, read_any
from parsers.model import ParseError
from tests.conftest import CORPUS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def sources() -> tuple[bytes, ...]:
    files = sorted((CORPUS / "seeds").glob("*.txt")) + sorted((CORPUS / "real").glob("*.txt"))
    return tuple(p.read_bytes() for p in files)


@lru_cache(maxsize=1)
def html_sources() -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted((CORPUS / "html").glob("pingtan_202[345].html")))



def check(data: bytes, source: str = "fuzz.txt") -> None:
    try:
        doc = read_any(data, source)
    except ParseError as e:
        assert str(e).startswith(source)
        return
    try:
        report = parse_document(doc)  # no safety net here: any other exception is a bug
    except ParseError as e:  # a mangled report may no longer look like one: refused, with the reason
        assert str(e).startswith(f"{source}: not a report: "), e
        return
    printed = doc.printed_numbers()
    for key, value in report.metrics.items():
        assert value is None or abs(value) in printed, f"{key}={value} not in the input"
    report.to_json()


def mutate(data: bytes, rnd: random.Random, how: str) -> bytes:
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    if how == "truncate":
        return data[: rnd.randrange(len(data) + 1)]
    if how == "shuffle":
        rnd.shuffle(lines)
        return "\n".join(lines).encode()
    if how == "drop_cells":
        out = []
        for line in lines:
            cells = re.split(r"(\t|\|)", line)
            out.append("".join(c for c in cells if rnd.random() > 0.2))
        return "\n".join(l for l in out if rnd.random() > 0.1).encode()
    if how == "flip_bytes":
        b = bytearray(data)
        for _ in range(rnd.randint(1, 50)):
            if b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)
    if how == "duplicate":
        i = rnd.randrange(len(lines) + 1)
        return "\n".join(lines[:i] + lines[i: i + rnd.randint(1, 30)] + lines[i:]).encode("gb18030")
    raise AssertionError(how)


@SETTINGS
@given(idx=st.integers(0, 10_000), seed=st.integers(0, 2**32 - 1),
       how=st.sampled_from(["truncate", "shuffle", "drop_cells", "flip_bytes", "duplicate"]))
def test_mangled_text_reports(idx: int, seed: int, how: str) -> None:
    srcs = sources()
    check(mutate(srcs[idx % len(srcs)], random.Random(seed), how))


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("0123456789 \t|\n/—.,-一二三四五六七()（）、章规许可行政复议诉讼总计其他结果维持自然人年"
                                              "本新收政府信息公开申请数量予以部分国家秘密<>table td tr")), max_size=800))
def test_table_like_noise(text: str) -> None:
    check(text.encode("utf-8"))
    check(("<table><tr><td>" + text.replace("\t", "</td><td>").replace("\n", "</td></tr><tr><td>")
           + "</td></tr></table>").encode("utf-8"), "fuzz.html")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(idx=st.integers(0, 100), cut=st.floats(0, 1))
def test_truncated_html_pages(idx: int, cut: float) -> None:
    srcs = html_sources()
    data = srcs[idx % len(srcs)]
    check(data[: int(len(data) * cut)], "fuzz.html")


def test_parse_bytes_wraps_only_parse_errors() -> None:
    for data in (b"", b"   ", b"%PDF-1.4 garbage", b"PK\x03\x04junk", bytes.fromhex("D0CF11E0A1B11AE1") + b"x" * 100):
        with pytest.raises(ParseError) as e:
            parse_bytes(data, "src.bin")
        assert str(e.value).startswith("src.bin")
