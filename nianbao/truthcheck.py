"""Compare an archive with the replica's truth: which reports were archived, which metric cells match.

Used by the tests, the bench and `nianbao demo` (its summary says how close the crawl came).
A cell is a (report, metric key) in the truth or in the archive; it matches when both hold the same
value (None = printed blank). A report the archive lacks counts all its truth cells as wrong.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field

from archive import queries


@dataclass
class Comparison:
    reports: int = 0
    archived: int = 0
    cells: int = 0
    matching: int = 0
    by_carrier: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    missing: list[str] = field(default_factory=list)
    wrong: list[tuple[str, str, object, object]] = field(default_factory=list)  # url, key, truth, archived

    @property
    def ratio(self) -> float:
        return self.matching / self.cells if self.cells else 1.0

    def carrier_ratio(self, carrier: str) -> float:
        ok, total = self.by_carrier.get(carrier, (0, 0))
        return ok / total if total else 1.0


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def compare(db_path: str, truth: list[dict], sites: set[str] | None = None) -> Comparison:
    """`truth` is `Replica.truth()`; only listed reports of `sites` (default: all) are compared."""
    with closing(queries.reader(db_path)) as conn:
        archived = queries.current_metrics_by_url(conn)
    out = Comparison()
    for t in truth:
        if not t.get("listed", True) or (sites is not None and t["site"] not in sites):
            continue
        out.reports += 1
        url = t["detail_url"]
        expected = t["truth"]["metrics"]
        got = archived.get(url)
        if got is None:
            out.missing.append(url)
            got = {}
        else:
            out.archived += 1
        counter = out.by_carrier[t["carrier"]]
        for key in set(expected) | set(got):
            ok = key in expected and key in got and _same(expected[key], got[key])
            out.cells += 1
            counter[1] += 1
            if ok:
                out.matching += 1
                counter[0] += 1
            elif url in archived:
                out.wrong.append((url, key, expected.get(key, "absent"), got.get(key, "absent")))
    return out


def summary(c: Comparison) -> str:
    carriers = ", ".join(f"{k} {c.carrier_ratio(k):.1%}" for k in sorted(c.by_carrier))
    wrong_reports = Counter(u for u, *_ in c.wrong)
    return (f"{c.archived}/{c.reports} reports archived; {c.matching}/{c.cells} metric cells equal the truth "
            f"({c.ratio:.2%}; {carriers}); {len(wrong_reports)} archived reports with a wrong cell")
