"""Arithmetic checks (勾稽关系) of a report against itself. They never change a value.

Each Check names its numbers; `passed` is None when one of them is blank or absent.
"""
from __future__ import annotations

import re

from parsers.cells import nfkc
from parsers.model import Check, Number
from parsers.tables import T3_COLUMNS, T4_COLUMNS, T4_GROUPS

_RESULT_ROWS = (
    "granted", "partial", "denied_secret", "denied_law", "denied_security", "denied_third_party",
    "denied_internal", "denied_process", "denied_enforcement", "denied_query", "unable_not_held",
    "unable_need_create", "unable_unclear", "rejected_petition", "rejected_duplicate", "rejected_publication",
    "rejected_mass", "rejected_confirm", "other", "other_no_correction", "other_no_fee", "other_other",
)
_APPLICANTS = T3_COLUMNS[:-1]


def _sum_check(name: str, metrics: dict, parts: list[str], total: str, detail: str) -> Check | None:
    if total not in metrics and not any(p in metrics for p in parts):
        return None
    values = {k: metrics.get(k) for k in parts + [total]}
    if any(v is None for v in values.values()):
        return Check(name, None, detail + " (a number is blank or absent)", values)
    got = sum(values[p] for p in parts)
    return Check(name, abs(got - values[total]) < 1e-6, f"{detail}: {_fmt(got)} vs {_fmt(values[total])}", values)


def _fmt(x: Number) -> str:
    return str(round(x, 6)) if isinstance(x, float) else str(x)


def table_checks(metrics: dict) -> list[Check]:
    checks: list[Check] = []
    rows = {k.split(".")[1] for k in metrics if k.startswith("t3.")}
    present_rows = [r for r in _RESULT_ROWS if r in rows]
    for col in T3_COLUMNS:
        c = _balance(metrics, col)
        if c:
            checks.append(c)
        if present_rows:
            c = _sum_check(f"t3.results.{col}", metrics, [f"t3.{r}.{col}" for r in present_rows],
                           f"t3.handled_total.{col}", f"result rows add up to (七)总计 [{col}]")
            if c:
                checks.append(c)
    for row in sorted(rows, key=_row_order):
        c = _sum_check(f"t3.row.{row}", metrics, [f"t3.{row}.{a}" for a in _APPLICANTS], f"t3.{row}.total",
                       f"six applicant columns add up to 总计 [{row}]")
        if c:
            checks.append(c)
    for g in T4_GROUPS:
        c = _sum_check(f"t4.{g}", metrics, [f"t4.{g}.{x}" for x in T4_COLUMNS[:-1]], f"t4.{g}.total",
                       f"four results add up to 总计 [{g}]")
        if c:
            checks.append(c)
    return checks


def unconfirmed(checks: list[Check], inferred: list[str]) -> list[Check]:
    """Checks that use an inferred cell: a sum that chose the cell cannot also confirm it, so a pass
    becomes `None` and the detail says why (a failure still tells)."""
    if not inferred:
        return checks
    chosen = set(inferred)
    for c in checks:
        used = sorted(chosen.intersection(c.values))
        if used:
            c.detail += f" [inferred: {', '.join(used)}; not a confirmation]"
            if c.passed:
                c.passed = None
    return checks


def _row_order(row: str) -> int:
    order = ("new", "carried_over") + _RESULT_ROWS + ("handled_total", "carried_forward")
    return order.index(row) if row in order else len(order)


def _balance(metrics: dict, col: str) -> Check | None:
    keys = [f"t3.new.{col}", f"t3.carried_over.{col}", f"t3.handled_total.{col}", f"t3.carried_forward.{col}"]
    if not any(k in metrics for k in keys):
        return None
    values = {k: metrics.get(k) for k in keys}
    name = f"t3.balance.{col}"
    detail = f"new + carried over = handled + carried forward [{col}]"
    if any(v is None for v in values.values()):
        return Check(name, None, detail + " (a number is blank or absent)", values)
    left = values[keys[0]] + values[keys[1]]
    right = values[keys[2]] + values[keys[3]]
    return Check(name, left == right, f"{detail}: {_fmt(left)} vs {_fmt(right)}", values)


_RECEIVED = re.compile(r"(?:收到|受理|接收|共收)[^。；;\n]{0,20}?(?:政府信息公开|依申请公开)?申请[^。；;\n\d]{0,6}(\d+)\s*(?:件|个|条|份|起)")
_REVIEW = re.compile(r"行政复议[^。；;\n\d]{0,6}(\d+)\s*(?:件|起|宗)")
_SUIT = re.compile(r"行政诉讼[^。；;\n\d]{0,6}(\d+)\s*(?:件|起|宗)")


def prose_checks(text: str, metrics: dict) -> list[Check]:
    """Numbers the prose states against the table (收到…申请N件, 行政复议N件, 行政诉讼N件)."""
    t = nfkc(text)
    checks: list[Check] = []
    m = _RECEIVED.search(t)
    if m and "t3.new.total" in metrics:
        n = int(m.group(1))
        new, carried = metrics.get("t3.new.total"), metrics.get("t3.carried_over.total")
        values = {"prose": n, "t3.new.total": new, "t3.carried_over.total": carried}
        if new is None:
            checks.append(Check("prose.applications", None, "收到申请 vs t3 new (blank)", values))
        else:
            ok = n == new or (carried is not None and n == new + carried)
            checks.append(Check("prose.applications", ok, f"prose 收到申请{n}件 vs table new {_fmt(new)}"
                                + (f" (+ carried over {_fmt(carried)})" if carried else ""), values))
    for name, rx, keys in (("prose.review", _REVIEW, ["t4.review.total"]),
                           ("prose.suit", _SUIT, ["t4.suit_direct.total", "t4.suit_after_review.total"])):
        m = rx.search(t)
        if m and all(k in metrics for k in keys):
            n = int(m.group(1))
            vals = [metrics[k] for k in keys]
            values = {"prose": n, **{k: metrics[k] for k in keys}}
            if any(v is None for v in vals):
                checks.append(Check(name, None, f"prose {n} vs table (blank)", values))
            else:
                checks.append(Check(name, n == sum(vals), f"prose {n} vs table {_fmt(sum(vals))}", values))
    return checks
