"""`nianbao diff` output: plain text, markdown and a self-contained HTML page with an inline SVG chart.

Every string from the archive (organ names, titles, report prose: all from portals) is escaped here.
"""
from __future__ import annotations

from html import escape

from archive.diff import KEY_METRICS


def _fmt(value) -> str:
    return "—" if value is None else str(value)


def _signed(value) -> str:
    return "" if value is None else (f"+{value}" if value > 0 else str(value))


def template_note(result: dict) -> str:
    """One line on a template change between the two years, or ""."""
    c = result.get("template_change")
    if not c:
        return ""
    return (f"Template changed {c['from']} → {c['to']}: compared the {c['shared']} rows both templates share "
            f"(and 2019's (六)其他处理 against the sum of 2021's three); {c['only_from']} rows only in {c['from']} "
            f"and {c['only_to']} only in {c['to']} are left out.")


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else "ok" if ok else "BROKEN"


def text(result: dict) -> str:
    lines = [f"{result['organ']}: {result['from']} → {result['to']}", ""]
    if template_note(result):
        lines += [template_note(result), ""]
    lines.append(f"Metrics changed: {len(result['changes'])}")
    for c in result["changes"]:
        lines.append(f"  {c['label']} [{c['key']}]: {_fmt(c['old'])} → {_fmt(c['new'])} {_signed(c['delta'])}".rstrip())
    if result["continuity"]:
        lines += ["", "Carry-over (结转下年度 → 上年结转):"]
        for c in result["continuity"]:
            lines.append(f"  {c['label']}: {_fmt(c['carried_forward'])} → {_fmt(c['carried_over'])}  {_mark(c['ok'])}")
    for s in result["sections"]:
        if s["added"] or s["removed"]:
            lines += ["", f"== {s['name']} ({s['unchanged']} sentences unchanged)"]
            lines += [f"  - {x}" for x in s["removed"]] + [f"  + {x}" for x in s["added"]]
    return "\n".join(lines) + "\n"


def markdown(result: dict) -> str:
    out = [f"# {result['organ']}: {result['from']} → {result['to']}", "",
           *([template_note(result), ""] if template_note(result) else []),
           f"## Metrics changed ({len(result['changes'])})", "", "| metric | key | old | new | delta |",
           "|---|---|---:|---:|---:|"]
    out += [f"| {_md(c['label'])} | `{c['key']}` | {_fmt(c['old'])} | {_fmt(c['new'])} | {_signed(c['delta'])} |"
            for c in result["changes"]]
    if result["continuity"]:
        out += ["", "## Carry-over", "", "| column | 结转下年度 (from) | 上年结转 (to) | ok |", "|---|---:|---:|---|"]
        out += [f"| {c['label']} | {_fmt(c['carried_forward'])} | {_fmt(c['carried_over'])} | {'n/a' if c['ok'] is None else '✓' if c['ok'] else '✗'} |"
                for c in result["continuity"]]
    out += ["", "## Sections"]
    for s in result["sections"]:
        out += ["", f"### {_md(s['name'])}", f"{s['unchanged']} sentences unchanged.", ""]
        out += [f"- ~~{_md(x)}~~" for x in s["removed"]] + [f"- **{_md(x)}**" for x in s["added"]]
    return "\n".join(out) + "\n"


def timeline_text(organ: str, timeline: list[dict], markdown_table: bool = False) -> str:
    keys = list(KEY_METRICS)
    header = ["year", "format", *KEY_METRICS.values()]
    rows = [[str(t["year"]), t["format"] or "", *(_fmt(t["metrics"].get(k)) for k in keys)] for t in timeline]
    if markdown_table:
        return "\n".join([f"# {_md(organ)}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                         + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    return "\n".join([organ, "\t".join(header), *("\t".join(r) for r in rows)]) + "\n"


def _md(value: str) -> str:
    return (value or "").replace("|", "\\|").replace("\n", " ")


def chart_svg(timeline: list[dict], width: int = 360, height: int = 160, metrics: dict[str, str] | None = None) -> str:
    """Small multiples: one line chart per key metric (default KEY_METRICS) over every year given (gaps where absent)."""
    years = [t["year"] for t in timeline]
    if not years:
        return ""
    panels = []
    for key, title in (metrics or KEY_METRICS).items():
        values = [t["metrics"].get(key) for t in timeline]
        panels.append(_panel(title, key, years, values, width, height))
    return '<div class="charts">' + "".join(panels) + "</div>"


def _panel(title: str, key: str, years: list[int], values: list, width: int, height: int) -> str:
    left, right, top, bottom = 36, 18, 24, 22
    nums = [v for v in values if isinstance(v, (int, float))]
    top_value = max(nums) if nums and max(nums) > 0 else 1
    span = max(len(years) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / span if len(years) > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" data-key="{escape(key)}">',
             f'<text x="{left}" y="15" class="t">{escape(title)}</text>',
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" class="axis"/>',
             f'<text x="{left - 4}" y="{y(top_value) + 4:.1f}" class="ytick">{top_value:g}</text>',
             f'<text x="{left - 4}" y="{y(0) + 4:.1f}" class="ytick">0</text>']
    segment: list[str] = []
    for i, v in enumerate(values + [None]):
        if isinstance(v, (int, float)):
            segment.append(f"{x(i):.1f},{y(v):.1f}")
        elif segment:
            parts.append(f'<polyline points="{" ".join(segment)}" class="line"/>')
            segment = []
    step = max(1, -(-len(years) * 34 // (width - left - right)))  # a year label needs ~34 px
    for i, (year, v) in enumerate(zip(years, values)):
        if i % step == 0 or i == len(years) - 1 and (len(years) - 1) % step >= step / 2:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 6}" class="xtick">{year}</text>')
        if isinstance(v, (int, float)):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" class="dot"><title>{year}: {v:g}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _tick(value: float) -> str:
    """An axis label people read: 15,380 not 1.538e+04; 38.4 stays 38.4."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


BAR_COLORS = ("#1f6fb4", "#e08a1e", "#3a9d4a", "#b8b8b8", "#8e5bb5")


def bar_chart(title: str, years: list[int], series: list[tuple[str, list]], width: int = 560, height: int = 220,
              unit: str = "") -> str:
    """A (stacked when several series) bar chart by year as inline SVG, with a legend and value tooltips."""
    left, right, top, bottom = 56, 12, 28, 40 if len(series) > 1 else 24
    totals = [sum(v for _, values in series if isinstance(v := values[i], (int, float))) for i in range(len(years))]
    top_value = max([t for t in totals if t > 0], default=1)
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(years), 1)
    bar = max(min(slot * 0.7, 40), 2)
    step = max(1, -(-len(years) * 34 // plot_w))

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" class="bars">',
             f'<text x="{left}" y="16" class="t">{escape(title)}{escape(f"（{unit}）" if unit else "")}</text>',
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" class="axis"/>',
             f'<text x="{left - 4}" y="{y(top_value) + 4:.1f}" class="ytick">{_tick(top_value)}</text>',
             f'<text x="{left - 4}" y="{y(0) + 4:.1f}" class="ytick">0</text>']
    for i, year in enumerate(years):
        x = left + slot * i + (slot - bar) / 2
        base = 0.0
        for k, (name, values) in enumerate(series):
            v = values[i]
            if isinstance(v, (int, float)) and v > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y(base + v):.1f}" width="{bar:.1f}" height="{y(base) - y(base + v):.1f}" '
                             f'fill="{BAR_COLORS[k % len(BAR_COLORS)]}"><title>{year} {escape(name)}: {v:,.6g}</title></rect>')
                base += v
        if i % step == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14:.1f}" class="xtick">{year}</text>')
    if len(series) > 1:
        lx = left
        for k, (name, _) in enumerate(series):
            parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{BAR_COLORS[k % len(BAR_COLORS)]}"/>'
                         f'<text x="{lx + 14}" y="{height - 5}" class="lg">{escape(name)}</text>')
            lx += 24 + 13 * len(name)
    parts.append("</svg>")
    return "".join(parts)


DIFF_STYLE = """
.nbdiff{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;max-width:1100px;color:#222}
.nbdiff table{border-collapse:collapse;margin:1em 0}.nbdiff td,.nbdiff th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.nbdiff td.n{text-align:right;font-variant-numeric:tabular-nums}.nbdiff .up{color:#b00}.nbdiff .down{color:#070}
.nbdiff .charts{display:flex;flex-wrap:wrap;gap:10px}.nbdiff .charts svg{border:1px solid #eee;background:#fcfcfc}
.nbdiff .t{font-size:13px;fill:#222}.nbdiff .xtick{font-size:10px;text-anchor:middle;fill:#555}
.nbdiff .ytick{font-size:10px;text-anchor:end;fill:#555}
.nbdiff .axis{stroke:#999}.nbdiff .line{fill:none;stroke:#1f6fb4;stroke-width:2}.nbdiff .dot{fill:#1f6fb4}
.nbdiff del{background:#fdd;text-decoration:line-through}.nbdiff ins{background:#dfd;text-decoration:none}
.nbdiff .bad{color:#b00;font-weight:bold}.nbdiff .ok{color:#070}.nbdiff .na{color:#888}
.nbdiff .note{background:#eef5ff;padding:6px 10px;border-left:4px solid #1f6fb4}
"""  # scoped: the same content sits inside Datasette's page (its header and styles) and in a file of its own


def _year_link(result: dict, side: str, links: dict | None) -> str:
    year = escape(str(result[side]))
    fmt = result.get(f"{side}_format")
    label = f"{year}" + (f"（{escape(fmt)} 模板）" if fmt else "")
    if links and links.get(side):
        return f'<a href="{escape(links[side])}">{label}</a>'
    return label


def html_title(result: dict) -> str:
    return f"{result['organ']}：{result['from']} → {result['to']} 年度报告对比"


def html_page(result: dict) -> str:
    """The diff as a page of its own (`nianbao diff --format html`): no external resources."""
    return (f"<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>{escape(html_title(result))}</title>"
            f"<style>body{{margin:2em}}{DIFF_STYLE}</style></head><body>{html_content(result)}</body></html>")


def html_content(result: dict, links: dict | None = None) -> str:
    """The diff's HTML inside `<div class=nbdiff>` (styled by DIFF_STYLE). links: optional URLs of the organ
    page and of the two reports ({"organ", "from", "to"}), given when Datasette serves it."""
    e = escape
    title = html_title(result)
    rows = "".join(
        f"<tr><td>{e(c['label'])}<br><code>{e(c['key'])}</code></td><td class=n>{e(_fmt(c['old']))}</td>"
        f"<td class=n>{e(_fmt(c['new']))}</td>"
        f"<td class='n {'up' if (c['delta'] or 0) > 0 else 'down' if (c['delta'] or 0) < 0 else ''}'>{e(_signed(c['delta']))}</td></tr>"
        for c in result["changes"]
    )
    cont = "".join(
        f"<tr><td>{e(c['label'])}</td><td class=n>{e(_fmt(c['carried_forward']))}</td>"
        f"<td class=n>{e(_fmt(c['carried_over']))}</td>"
        + ("<td class=na>n/a（一侧未填）</td>" if c["ok"] is None else
           f"<td class={'ok' if c['ok'] else 'bad'}>{'一致' if c['ok'] else '不一致'}</td>") + "</tr>"
        for c in result["continuity"]
    )
    secs = "".join(
        f"<h3>{e(s['name'])}</h3><p>{s['unchanged']} 句未变</p>"
        + "".join(f"<p><del>{e(x)}</del></p>" for x in s["removed"])
        + "".join(f"<p><ins>{e(x)}</ins></p>" for x in s["added"])
        for s in result["sections"]
    )
    sources = " · ".join(
        f"{y}: {e(u)}" for y, u in ((result["from"], result.get("from_source")), (result["to"], result.get("to_source"))) if u
    )
    organ = (f'<a href="{e(links["organ"])}">{e(result["organ"])}</a>' if links and links.get("organ")
             else e(result["organ"]))
    change = result.get("template_change")
    note = (f"<p class=note>模板变更：{e(change['from'])} 版 → {e(change['to'])} 版。只比较两版共有的 {change['shared']} 项"
            f"（2019 版“(六)其他处理”对 2021 版三项之和）；仅 {e(change['from'])} 版有的 {change['only_from']} 项、"
            f"仅 {e(change['to'])} 版有的 {change['only_to']} 项不计为变化。</p>" if change else "")
    return (
        f"<div class=nbdiff><h1>{e(title)}</h1><p>机关：{organ} · 报告：{_year_link(result, 'from', links)} → "
        f"{_year_link(result, 'to', links)}</p><p class=src>{sources}</p>{note}"
        f"<h2>历年关键指标</h2>{chart_svg(result['timeline'])}"
        f"<h2>变化的指标（{len(result['changes'])}）</h2>"
        f"<table><tr><th>指标</th><th>{result['from']}</th><th>{result['to']}</th><th>增减</th></tr>{rows}</table>"
        + (f"<h2>结转衔接（{result['from']} 结转下年度 → {result['to']} 上年结转）</h2>"
           f"<table><tr><th>申请人</th><th>结转下年度</th><th>上年结转</th><th></th></tr>{cont}</table>" if cont else "")
        + f"<h2>正文变化（只比较叙述文字，不含表格）</h2>{secs}</div>"
    )


def candidates_text(query: str, candidates: list[dict]) -> str:
    lines = [f"{query!r} matches {len(candidates)} organs; give one of these names:"]
    lines += [f"  {c['name']}  (id {c['id']}; years {c['years'] or '-'})" for c in candidates]
    return "\n".join(lines)
