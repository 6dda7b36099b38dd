"""Hostile inputs, made on the fly, run through the real commands under the per-document limits.

    python bench/attack.py                 # every attack at full size (≈ 3 min, ≈ 6 GB of sparse/temp files)
    python bench/attack.py --small         # the bounded sizes the test suite runs (tests/test_attacks.py)
    python bench/attack.py --only pdf-inflate --only docx-media

Each attack writes its files to a temporary folder, runs `nianbao parse` or `nianbao load` on them in a
child process and prints attack → held / FAILED with the seconds and the peak RSS of the command and every
process it started (RUSAGE_CHILDREN of a wrapper, so the forked parse children count). Held means: done in
< 60 s and < 1.5 GB, a hostile document refused with an error naming it (never archived as a report),
a real report beside it or inside it still read.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 60.0
MAX_RSS_MB = 1536.0
_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "sys.stdout.buffer.write(p.stdout); sys.stderr.buffer.write(p.stderr)\n"
    "print('\\n' + json.dumps({'rc': p.returncode, 'rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}),"
    " file=sys.stderr)\n"
)


@dataclass
class Outcome:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float
    db: Path | None = None


@dataclass
class Attack:
    """One attack: `make(folder, small)` writes its files and returns the command's arguments after
    `nianbao`; `judge(outcome, folder)` says whether the project held, and why (beyond time and memory)."""

    name: str
    what: str
    make: Callable[[Path, bool], list[str]]
    judge: Callable[[Outcome, Path], tuple[bool, str]]
    small: bool = True  # part of the bounded set the test suite runs
    owner: str = "limits"  # the part of the project that makes it hold
    tags: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ generators


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (object i+1 = objects[i]; object 1 is the catalog)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


def pdf_pages(n_pages: int, content: bytes, extra_objects: list[bytes] = (), resources: bytes = b"") -> bytes:
    """n pages sharing one content stream object (`content`: a full stream object body)."""
    first_page = 3
    content_id = first_page + n_pages
    font_id = content_id + 1
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(n_pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> %s >> >>" % (content_id, font_id, resources)] * n_pages
    objects += [content, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", *extra_objects]
    return pdf_file(objects)


def docx_file(path: Path, document_xml: bytes, bomb_name: str | None = None, bomb_size: int = 0) -> None:
    """A minimal DOCX; `bomb_name` adds a member of `bomb_size` zero bytes, deflated while written."""
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
          b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>'
          b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          b'wordprocessingml.document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", document_xml)
        if bomb_name:
            block = b"\0" * (1 << 24)
            with zf.open(bomb_name, "w", force_zip64=True) as fh:
                for _ in range(bomb_size // len(block)):
                    fh.write(block)


def docx_body(paragraphs: list[str]) -> bytes:
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{body}</w:body></w:document>'.encode()


def png_file(width: int = 64, height: int = 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes(random.Random(y).randrange(256) for _ in range(width * 3)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def corpus() -> Path:
    for path in (ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if path.is_dir():
            return path
    raise SystemExit("attack: needs the shared corpus (../shared/corpus) for the real reports beside the attacks")


def good_html() -> Path:
    return corpus() / "html" / "pingtan_2023.html"


def good_text() -> Path:
    return sorted((corpus() / "real").glob("*.txt"))[0]


# ------------------------------------------------------------------ judging


def refused(out: Outcome, folder: Path) -> tuple[bool, str]:
    """`parse` exits 1 with an error naming the file."""
    error = next((line for line in out.stdout.splitlines() if "ERROR:" in line), "")
    if out.rc == 1 and str(folder) in error:
        return True, error.split("ERROR:", 1)[1].replace(str(folder) + "/", "").strip()[:110]
    return False, f"exit {out.rc}; not refused: {(error or out.stdout.strip().splitlines()[:2] or ['no output'])}"[:110]


def answered(out: Outcome, folder: Path) -> tuple[bool, str]:
    """Read or refused, either is fine: the point is the time and memory, and no crash."""
    if "Traceback" in out.stderr or out.rc not in (0, 1):
        return False, f"exit {out.rc}: {out.stderr.strip().splitlines()[-2:-1]}"[:110]
    error = next((line for line in out.stdout.splitlines() if "ERROR:" in line), "")
    return True, (error.split("ERROR:", 1)[1].replace(str(folder) + "/", "").strip() if error else "read")[:110]


def read_like(original: Path, decoded: Callable[[bytes], bytes] | None = None):
    """`parse --jsonl` gives the same metrics and meta as the plain original, or refuses it loudly."""
    def judge(out: Outcome, folder: Path) -> tuple[bool, str]:
        try:
            got = json.loads(out.stdout.splitlines()[0])
        except (IndexError, ValueError):
            return False, f"exit {out.rc}: no JSON line"
        if "error" in got:
            return True, f"refused loudly: {got['error'].split(': ', 1)[-1][:90]}"
        want = json.loads(subprocess.run([str(nianbao()), "parse", "--jsonl", str(original)], capture_output=True,
                                         text=True).stdout.splitlines()[0])
        same = got["metrics"] == want["metrics"] and got["meta"]["year"] == want["meta"]["year"]
        return same, (f"read: {len(got['metrics'])} metrics as the original" if same else
                      f"read wrong: {len(got['metrics'])} metrics (original {len(want['metrics'])}), "
                      f"organ {got['meta'].get('organ')!r}")[:110]
    return judge


def loaded(good: int, refused_names: tuple[str, ...]):
    """`load` archived `good` reports and none of the named files as a report."""
    def judge(out: Outcome, folder: Path) -> tuple[bool, str]:
        if out.db is None or not out.db.exists():
            return False, f"exit {out.rc}: no archive"
        with sqlite3.connect(out.db) as conn:
            sources = [s for (s,) in conn.execute("select source from report_versions")]
            fetched = [u for (u,) in conn.execute("select url from fetches")]
        bad = [n for n in refused_names if any(s.endswith("/" + n) for s in sources)]
        leaked = [n for n in refused_names if n.endswith("passwd.txt") and any(u.endswith(n) for u in fetched)]
        last = out.stdout.strip().splitlines()[-1:] or [""]
        ok = out.rc == 0 and len(sources) == good and not bad and not leaked
        why = f"archived as reports: {bad}" if bad else f"stored: {leaked}" if leaked else last[0].split(": ", 1)[-1]
        return ok, f"{len(sources)}/{good} good archived; {why}"[:110]
    return judge


# ------------------------------------------------------------------ the attacks


def _pdf_operators(folder: Path, small: bool) -> list[str]:
    ops = 50_000
    content = pdf_stream(b"BT /F1 12 Tf 72 700 Td " + b"(a) Tj " * ops + b"ET")
    path = folder / "operators.pdf"
    path.write_bytes(pdf_pages(60, content))
    return ["parse", str(path)]


def _pdf_inflate(folder: Path, small: bool) -> list[str]:
    size = (150 if small else 1536) << 20
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n"
    packed = zlib.compressobj(9)
    body = packed.compress(b"BT /F1 12 Tf 72 700 Td (a) Tj ET ") + deflated_tail(packed, size)
    path = folder / "inflate.pdf"
    path.write_bytes(pdf_pages(1, content % len(body) + body + b"\nendstream"))
    args = ["parse", str(path)]
    return args + ["--limit", "pdf_stream_bytes=64M"] if small else args


def deflated_tail(z, size: int) -> bytes:
    block = b" " * (1 << 20)
    parts = [z.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + z.flush()


def _pdf_xobject(folder: Path, small: bool) -> list[str]:
    """One form XObject of 2,000 glyphs painted 2,000 times on one page."""
    form = pdf_stream(b"BT /F1 12 Tf 72 700 Td " + b"(ab) Tj " * 1000 + b"ET",
                      b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> ")
    content = pdf_stream(b"/X1 Do " * 2000)
    # objects: 1 catalog, 2 pages, 3 page, 4 content, 5 font, 6 form
    path = folder / "xobject.pdf"
    path.write_bytes(pdf_pages(1, content, [form], resources=b"/XObject << /X1 6 0 R >>"))
    return ["parse", str(path)]


def _pdf_page_tree(folder: Path, small: bool) -> list[str]:
    n = 5_000 if small else 50_000
    path = folder / "pages.pdf"
    path.write_bytes(pdf_pages(n, pdf_stream(b"BT /F1 12 Tf 72 700 Td (page) Tj ET")))
    return ["parse", str(path)]


def _docx_member(name: str):
    def make(folder: Path, small: bool) -> list[str]:
        path = folder / f"bomb-{name.rsplit('/', 1)[-1]}.docx"
        docx_file(path, docx_body(["某县人民政府2023年政府信息公开工作年度报告"]), name, (256 if small else 2048) << 20)
        return ["parse", str(path)]
    return make


def _docx_entities(folder: Path, small: bool) -> list[str]:
    lol = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 20}">' for i in range(8)) + "]>"
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = f'<?xml version="1.0"?>{lol}<w:document {ns}><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>'
    path = folder / "entities.docx"
    docx_file(path, xml.encode())
    return ["parse", str(path)]


def _docx_lying(folder: Path, small: bool) -> list[str]:
    """word/document.xml declares 1,000 bytes and inflates to 256 MB (local header and central directory both lie)."""
    path = folder / "lying.docx"
    real = docx_body(["某县人民政府2023年政府信息公开工作年度报告"])
    body = real[:-len(b"</w:body></w:document>")] + b" " * ((32 if small else 256) << 20) + b"</w:body></w:document>"
    docx_file(path, body)
    data = bytearray(path.read_bytes())
    name = b"word/document.xml"
    local = data.find(b"PK\x03\x04")  # the local header and central directory entry of document.xml
    while local >= 0 and data[local + 30: local + 30 + len(name)] != name:
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0 and data[central + 46: central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)
    path.write_bytes(bytes(data))
    return ["parse", str(path)]


def _ole_garbage(folder: Path, small: bool) -> list[str]:
    """An OLE2 signature then random bytes: antiword gets it, under the same limits."""
    rng = random.Random(7)
    path = folder / "garbage.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256) for _ in range(200_000)))
    return ["parse", str(path)]


def _one_line_text(folder: Path, small: bool) -> list[str]:
    path = folder / "oneline.txt"
    unit = "本机关主动公开政府信息120条，".encode("utf-8")
    path.write_bytes(unit * (((4 if small else 45) << 20) // len(unit)))
    return ["parse", str(path)]


def _huge_table(folder: Path, small: bool) -> list[str]:
    rows = 20_000 if small else 120_000
    cells = "".join(f"<tr><td>行{i}</td><td>{i}</td><td>{i * 2}</td><td>{i * 3}</td></tr>" for i in range(rows))
    path = folder / "table.html"
    path.write_text(f"<html><body><h1>某县2023年政府信息公开工作年度报告</h1><table>{cells}</table></body></html>",
                    encoding="utf-8")
    return ["parse", str(path)]


def _load_dir(folder: Path, extra: Callable[[Path], None]) -> list[str]:
    reports = folder / "reports"
    reports.mkdir()
    for src in (good_html(), good_text()):
        (reports / src.name).write_bytes(src.read_bytes())
    extra(reports)
    return ["load", "--quiet", "--db", str(folder / "attack.db"), str(reports)]


def _sparse(folder: Path, small: bool) -> list[str]:
    def extra(d: Path) -> None:
        with open(d / "huge.txt", "wb") as fh:
            fh.truncate((1 if small else 5) << 30)
    return _load_dir(folder, extra)


def _symlink(folder: Path, small: bool) -> list[str]:
    return _load_dir(folder, lambda d: (d / "passwd.txt").symlink_to("/etc/passwd"))


def _random_bytes(folder: Path, small: bool) -> list[str]:
    def extra(d: Path) -> None:
        rng = random.Random(11)
        for suffix in ("doc", "pdf", "docx"):
            (d / f"random.{suffix}").write_bytes(bytes(rng.randrange(256) for _ in range(20_000)))
    return _load_dir(folder, extra)


def _file(name: str, data: Callable[[], bytes]):
    def make(folder: Path, small: bool) -> list[str]:
        path = folder / name
        path.write_bytes(data())
        return ["parse", str(path)]
    return make


def _utf16(folder: Path, small: bool) -> list[str]:
    path = folder / "utf16.txt"
    path.write_bytes(good_text().read_text(encoding="utf-8").encode("utf-16-le"))
    return ["parse", "--jsonl", str(path)]


def _nested(folder: Path, small: bool) -> list[str]:
    html = good_html().read_text(encoding="utf-8")
    head, sep, rest = html.partition("<body")
    start = rest.index(">") + 1
    body, end_sep, tail = rest[start:].rpartition("</body>")
    path = folder / "nested.html"
    path.write_text(head + sep + rest[:start] + "<div>" * 300 + body + "</div>" * 300 + end_sep + tail, encoding="utf-8")
    return ["parse", "--jsonl", str(path)]


LOGIN = ("<html><head><title>用户登录</title></head><body><div class='login'><h2>请登录后查看</h2>"
         "<p>您访问的政府信息公开工作年度报告需要登录后查看。</p><form action='/login' method='post'>用户名：<input name='user'>"
         "密码：<input type='password' name='pwd'><button>登录</button></form><p>某县人民政府办公室 版权所有</p></div></body></html>")
BUSY = "<html><head><title>提示</title></head><body><p>系统繁忙，请稍后再试</p></body></html>"

_REPLICAS: list = []  # replicas started by a crawl attack, stopped by its judge


def _crawl_walls(folder: Path, small: bool) -> list[str]:
    """A replica site (gbk, 15 reports) where one report URL answers a login page and another 系统繁忙, with 200."""
    from replica import Replica

    truth = [t for t in Replica(seed=1).truth() if t["site"] == "gbk" and t["carrier"] == "html"]
    replica = Replica(seed=1, rate_limit=100_000,
                      pinned={(truth[0]["rid"], "detail"): "login", (truth[1]["rid"], "detail"): "busy"}).start()
    _REPLICAS.append(replica)
    (folder / "walled.json").write_text(json.dumps(
        [t["detail_url"].replace(":0/", f":{replica.port}/") for t in truth[:2]]), encoding="utf-8")
    return ["crawl", "gbk", "--replica", replica.control_url, "--db", str(folder / "attack.db"), "--json",
            "--no-progress"]


def partial_run(out: Outcome, folder: Path) -> tuple[bool, str]:
    """The crawl exits 1 with a `partial` run naming the walled URLs, and archives neither as a report."""
    while _REPLICAS:
        _REPLICAS.pop().stop()
    walled = json.loads((folder / "walled.json").read_text(encoding="utf-8"))
    try:
        summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    except (StopIteration, ValueError):
        return False, f"exit {out.rc}: no run summary"
    with sqlite3.connect(folder / "attack.db") as conn:
        archived = [u for (u,) in conn.execute("select url from reports") if u in walled]
    named = all(u in (summary.get("error") or "") for u in walled)
    ok = out.rc == 1 and summary["status"] == "partial" and named and not archived
    return ok, (f"run {summary['status']}, exit {out.rc}, {summary.get('missed', 0)} missed"
                + (", both named" if named else ", NOT named") + (f"; archived: {archived}" if archived else ""))[:110]


def _crawl_endless(folder: Path, small: bool) -> list[str]:
    """A replica column (`lying`) whose page N links to page N+1 forever, other reports on each page."""
    from replica import Replica

    replica = Replica(seed=1, rate_limit=100_000, endless="lying").start()
    _REPLICAS.append(replica)
    return ["crawl", "lying", "--replica", replica.control_url, "--db", str(folder / "attack.db"), "--json",
            "--no-progress"]


def capped_run(out: Outcome, folder: Path) -> tuple[bool, str]:
    """The crawl ends by itself at the list-page cap, says so, exits 1 with a `partial` run and marks nothing gone."""
    while _REPLICAS:
        _REPLICAS.pop().stop()
    try:
        summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    except (StopIteration, ValueError):
        return False, f"exit {out.rc}: no run summary"
    caps = summary.get("caps_hit") or []
    ok = out.rc == 1 and summary["status"] == "partial" and bool(caps) and not summary.get("gone_reports")
    return ok, (f"run {summary['status']}, exit {out.rc}, cap: {caps[0] if caps else 'none'}")[:110]


ATTACKS = [
    Attack("pdf-operators", "11 KB PDF: 60 pages share one stream of 50,000 one-char Tj", _pdf_operators, refused),
    Attack("pdf-inflate", "1.5 MB PDF whose content stream inflates to 1.5 GB", _pdf_inflate, refused),
    Attack("pdf-xobject", "one page paints a 2,000-glyph form XObject 2,000 times", _pdf_xobject, refused),
    Attack("pdf-page-tree", "50,000 pages (only the first 60 are read)", _pdf_page_tree, answered),
    Attack("docx-media", "2 MB DOCX whose word/media/image1.png inflates to 2 GB", _docx_member("word/media/image1.png"),
           refused),
    Attack("docx-styles", "2 MB DOCX whose word/styles.xml inflates to 2 GB", _docx_member("word/styles.xml"), refused),
    Attack("docx-entities", "DOCX with a billion-laughs entity in document.xml", _docx_entities, refused),
    Attack("docx-lying-size", "DOCX whose document.xml declares 1,000 bytes and inflates to 256 MB", _docx_lying,
           refused),
    Attack("ole-garbage", "a .doc: OLE2 signature, then 200 KB of random bytes (antiword)", _ole_garbage, refused),
    Attack("text-one-line", "45 MB text of one line", _one_line_text, refused),
    Attack("html-huge-table", "HTML table of 120,000 rows", _huge_table, answered, small=False),
    Attack("load-5gb", "load: a 5 GB (sparse) file beside two reports", _sparse, loaded(2, ("huge.txt",))),
    Attack("load-symlink", "load: a symlink to /etc/passwd beside two reports", _symlink, loaded(2, ("passwd.txt",))),
    Attack("load-random", "load: random bytes named .doc/.pdf/.docx beside two reports", _random_bytes,
           loaded(2, ("random.doc", "random.pdf", "random.docx")), owner="meta"),
    Attack("png", "a PNG image", _file("image.png", png_file), refused, owner="meta"),
    Attack("one-line", "a one-line text", _file("title.txt", "某县人民政府2023年政府信息公开工作年度报告".encode),
           refused, owner="meta"),
    Attack("utf16-no-bom", "a real text report in UTF-16LE without a BOM", _utf16, None, owner="meta"),  # judge below
    Attack("nested-divs", "a real report page inside 300 nested <div>s", _nested, None, owner="meta"),
    Attack("login-page", "a login page (请登录后查看)", _file("login.html", LOGIN.encode), refused, owner="meta"),
    Attack("busy-page", "系统繁忙，请稍后再试", _file("busy.html", BUSY.encode), refused, owner="meta"),
    Attack("crawl-walls", "crawl: report URLs answering a login page and 系统繁忙 with 200", _crawl_walls, partial_run,
           owner="runstatus"),
    Attack("crawl-endless", "crawl: a listing whose page N links to page N+1 forever", _crawl_endless, capped_run,
           owner="walk"),
]


def _judges() -> None:
    for attack in ATTACKS:
        if attack.name == "utf16-no-bom":
            attack.judge = read_like(good_text())
        elif attack.name == "nested-divs":
            attack.judge = read_like(good_html())


_judges()


# ------------------------------------------------------------------ running


def nianbao() -> Path:
    return Path(sys.executable).parent / "nianbao"


def run(attack: Attack, small: bool) -> tuple[bool, str, Outcome]:
    with tempfile.TemporaryDirectory(prefix=f"attack-{attack.name}-") as tmp:
        folder = Path(tmp)
        args = attack.make(folder, small)
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, str(nianbao()), *args], capture_output=True,
                              text=True, timeout=600, cwd=folder)
        seconds = time.monotonic() - start
        stats = json.loads(proc.stderr.rstrip().rsplit("\n", 1)[-1])
        out = Outcome(stats["rc"], proc.stdout, proc.stderr, seconds, stats["rss_kb"] / 1024,
                      folder / "attack.db" if args[0] == "load" else None)
        held, why = attack.judge(out, folder)
        bounded = seconds < MAX_SECONDS and out.rss_mb < MAX_RSS_MB
        if not bounded:
            why = f"over {MAX_SECONDS:.0f} s or {MAX_RSS_MB:.0f} MB; " + why
        return held and bounded, why, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="The bounded sizes (the test suite's set).")
    ap.add_argument("--only", action="append", default=[], help="Run only this attack (repeatable).")
    opts = ap.parse_args(argv)
    chosen = [a for a in ATTACKS if (not opts.only or a.name in opts.only) and (a.small or not opts.small)]
    print(f"{'attack':16} {'result':7} {'s':>6} {'MB':>6}  {'owner':6}  what → why")
    failed = 0
    for attack in chosen:
        held, why, out = run(attack, opts.small)
        failed += not held
        print(f"{attack.name:16} {'held' if held else 'FAILED':7} {out.seconds:6.1f} {out.rss_mb:6.0f}  {attack.owner:6}  "
              f"{attack.what} → {why}", flush=True)
    print(f"{len(chosen) - failed}/{len(chosen)} held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
