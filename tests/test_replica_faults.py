"""Fault mode: every kind is produced, looks as it should on the wire, and is reproducible."""
from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from replica import Replica
from replica.faults import FAULT_KINDS, FaultConfig, draw
from replica.probe import Probe, fetch
from replica.sites.base import Response

DELAY = 0.4


def targets(rep: Replica, n: int = 60) -> list[tuple[str, str, dict]]:
    """(url, response kind, headers) for n detail pages and every attachment of a few sites."""
    out = []
    for t in rep.truth():
        if t["site"] in ("trs0", "gd", "hanweb") and len(out) < n:
            out.append((t["detail_url"], "detail", {}))
            if t["attachment_url"]:
                out.append((t["attachment_url"], "attachment", {"Referer": t["detail_url"]}))
    return out


def expected_kind(rep: Replica, url: str, kind: str, attempt: int = 0) -> str | None:
    host, raw = url.split("//", 1)[1].split(":", 1)[0], "/" + url.split("//", 1)[1].split("/", 1)[1]
    ctype = "text/html" if kind == "detail" else "application/pdf"
    return draw(rep.faults, host, raw, attempt, Response(200, b"", ctype, kind))


def manifests(kind: str, got: Probe, clean: bytes) -> bool:
    """Does what the client saw look like `kind`?"""
    if kind.startswith("http5"):
        return got.status == int(kind[4:])
    checks = {
        "reset": lambda: got.status is None and got.error == "reset",
        "timeout": lambda: got.error == "timeout",
        "truncated": lambda: got.status == 200 and "content-length" not in got.headers and 0 < len(got.body) < len(clean),
        "truncated_cl": lambda: got.error == "incomplete" and int(got.headers["content-length"]) == len(clean),
        "bad_gzip": lambda: got.headers.get("content-encoding") == "gzip" and not got.body.startswith(b"\x1f\x8b"),
        "wrong_charset": lambda: "charset=utf-8" in got.headers["content-type"] and not _utf8(got.body),
        "gb18030": lambda: "charset=GBK" in got.headers["content-type"] and "𠀀" in got.body.decode("gb18030")
        and not _gbk(got.body),
        "oversize": lambda: len(got.body) >= 200_000,
        "redirect_loop": lambda: got.status == 302 and "__loop=1" in got.headers["location"],
        "redirect_offsite": lambda: got.status == 302 and got.headers["location"].startswith("http://127.0.0.250:"),
        "empty200": lambda: got.status == 200 and got.body == b"",
        "soft404": lambda: got.status == 200 and "页面不存在" in got.text(),
        "not_pdf": lambda: got.status == 200 and not got.headers["content-type"].startswith("text/")
        and got.body[:4] not in (b"%PDF", b"PK\x03\x04") and clean[:4] in (b"%PDF", b"PK\x03\x04"),
    }
    return checks[kind]()


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _gbk(b: bytes) -> bool:
    try:
        b.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


def test_draw_is_deterministic_and_reaches_every_kind():
    cfg = FaultConfig(rate=1.0, seed=7)
    pdf = Response(200, b"", "application/pdf", "attachment")
    html = Response(200, b"", "text/html", "detail")
    on_pdf = Counter(draw(cfg, "127.0.0.2", f"/a/{i}.pdf", 0, pdf) for i in range(800))
    on_html = Counter(draw(cfg, "127.0.0.2", f"/a/{i}.html", 0, html) for i in range(800))
    assert set(on_pdf) | set(on_html) == set(FAULT_KINDS)
    assert "not_pdf" not in on_html and not {"soft404", "wrong_charset", "gb18030"} & set(on_pdf)
    assert [draw(cfg, "h", "/x", a, html) for a in range(20)] == [draw(cfg, "h", "/x", a, html) for a in range(20)]
    assert len({draw(cfg, "h", "/x", a, html) for a in range(20)}) > 3  # a retry gets a fresh draw
    half = FaultConfig(rate=0.25, seed=7)
    share = sum(draw(half, "h", f"/p{i}", 0, html) is not None for i in range(2000)) / 2000
    assert 0.2 < share < 0.3


@pytest.fixture(scope="module")
def faulty_rep():
    r = Replica(seed=2, fault_rate=1.0, fault_seed=11, fault_delay=DELAY, oversize_bytes=200_000).start()
    yield r
    r.stop()


def test_every_kind_on_the_wire_then_clean(faulty_rep):
    rep = faulty_rep
    urls = targets(rep, 110)
    seen = []
    for url, kind, headers in urls:
        want = expected_kind(rep, url, kind)
        got = fetch(url, headers=headers, timeout=DELAY / 2 if want == "timeout" else 10)
        seen.append((url, kind, headers, want, got))
    deadline = time.monotonic() + 2 * DELAY  # the last stalled answers may still be on their way
    while sum(rep.stats()["faults"].values()) < len(urls) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(rep.stats()["faults"].values()) == len(urls)
    assert set(rep.stats()["faults"]) == set(FAULT_KINDS)
    rep.set_faults(0.0)
    for url, kind, headers, want, got in seen:
        clean = fetch(url, headers=headers)
        assert clean.status == 200
        assert manifests(want, got, clean.body), (want, url, got.status, got.error, got.headers)
    rep.set_faults(1.0)


def test_redirect_loop_never_ends():
    with Replica(seed=2, fault_rate=1.0, fault_seed=11) as rep:
        url = next(u for u, k, _ in targets(rep) if expected_kind(rep, u, k) == "redirect_loop")
        base = url.split("/", 3)[:3]
        hops = [fetch(url).headers["location"]]
        for _ in range(4):
            hops.append(fetch("/".join(base) + hops[-1]).headers["location"])
        assert [h.rsplit("__loop=", 1)[1] for h in hops] == ["1", "2", "3", "1", "2"]


def test_same_seed_same_faults_and_retries_recover():
    def crawl(rep: Replica) -> list[tuple]:
        out = []
        for url, kind, headers in targets(rep, 16):
            for attempt in range(3):
                stall = expected_kind(rep, url, kind, attempt) == "timeout"
                got = fetch(url, headers=headers, timeout=DELAY / 2 if stall else 10)
                out.append((urlsplit(url).path, got.status, got.error, len(got.body)))  # ports differ
        return out

    with Replica(seed=4, fault_rate=0.25, fault_seed=5, fault_delay=DELAY) as a:
        first, faults_a = crawl(a), a.stats()["faults"]
    with Replica(seed=4, fault_rate=0.25, fault_seed=5, fault_delay=DELAY) as b:
        second, faults_b = crawl(b), b.stats()["faults"]
    assert first == second and faults_a == faults_b and sum(faults_a.values()) > 4
    by_url: dict[str, list] = {}
    for url, status, error, _ in first:
        by_url.setdefault(url, []).append(status == 200 and error is None)
    assert sum(any(v) for v in by_url.values()) >= 0.9 * len(by_url)  # 3 tries: nearly every URL comes through
