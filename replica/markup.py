"""Report bodies as HTML in the three real markups (shared/notes/cms-patterns.md §1).

Why so messy: a parser that passes on tidy `<td>1</td>` tables fails on real pages. The
markups copy what the saved Pingtan pages show: editor-clean UEditor tables with labels split
across `<p>`/`<span>` and `&nbsp;` runs (2024), Word-pasted MsoNormal with `<o:p>`, `<font>`
runs, `&nbsp;` before digits and newlines inside style attributes (2019-2021), and the compact
`nowrap` style whose blank cells are `&nbsp;` (Shanghai 2019).
"""
from __future__ import annotations

import html
import random
from dataclasses import dataclass
from typing import Callable

from replica.prose import Block, blocks
from replica.reports import Report
from replica.tables import Cell, Grid, grid, split_result_label, word_grid_shift

NBSP_RUN = "\n &nbsp; &nbsp; &nbsp; &nbsp; &nbsp; &nbsp; &nbsp; &nbsp;"


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _pieces(rng: random.Random, text: str, n: int) -> list[str]:
    """Cut `text` into n non-empty pieces at random points (how editors break label cells)."""
    if len(text) < 2 or n < 2:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), min(n - 1, len(text) - 1)))
    return [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]


# ---------------------------------------------------------------------------- editor-clean

_CLEAN_TABLE = ('<table style="font-family: &#39;Times New Roman&#39;;font-size: 13px;border-collapse: collapse;'
                'border: none;width: auto !important;margin: 0 auto;" cellspacing="0" align="center" border="1"><tbody>')
_CLEAN_TD = ("padding: 5px;border-left: {l};border-right: 1px solid windowtext;border-top: {t};"
             "border-bottom: 1px solid windowtext")


def _clean_label(rng: random.Random, text: str, which: str) -> str:
    p = '<p style="text-indent: 0em;">'
    if which == "t4" and len(text) == 4 and rng.random() < 0.8:
        return f"{p}{_esc(text[:2])}<br/>{_esc(text[2:])}</p>"
    roll = rng.random()
    if len(text) >= 4 and roll < 0.25:  # <p>商业</p><p>企业</p>
        return "".join(f"{p}{_esc(x)}</p>" for x in _pieces(rng, text, 2))
    if len(text) >= 5 and roll < 0.45:  # <p>三、本</p><p>年<span>度办</span>\n &nbsp;…</p><p><span>理结果</span>…</p>
        a, b, c = _pieces(rng, text, 3)
        b1, b2 = (b[:1], b[1:]) if len(b) > 1 else (b, "")
        span = '<span style="text-indent: 0em;">'
        return (f"{p}{_esc(a)}</p>{p}{_esc(b1)}{span}{_esc(b2)}</span>{NBSP_RUN}</p>"
                f"{p}{span}{_esc(c)}</span>{NBSP_RUN}</p>")
    return f"{p}{_esc(text)}</p>"


def _clean_table(rng: random.Random, g: Grid, which: str) -> str:
    rows = []
    for i, row in enumerate(g):
        tds = []
        for j, c in enumerate(row):
            attrs = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            style = _CLEAN_TD.format(l="1px solid windowtext" if j == 0 else "none",
                                     t="1px solid windowtext" if i == 0 else "none")
            if c.is_value:
                shown = rng.choice(["&nbsp;", "&nbsp;", "/"]) if c.blank else _esc(c.text)  # "/": no digit = blank
                inner = f'<p style="text-indent: 0em;">{shown}</p>'
            elif c.colspan == 4 and which == "t2":
                inner = _esc(c.text) if rng.random() < 0.5 else f'<p style="text-indent: 0em;">{_esc(c.text)}</p>'
            else:
                inner = _clean_label(rng, c.text, which)
            tds.append(f'<td{attrs} style="{style}" valign="center">{inner}</td>')
        cls = ' class="firstRow"' if i == 0 else ""
        rows.append(f'<tr style="height: 19px"{cls}>' + "".join(tds) + "</tr>")
    return _CLEAN_TABLE + "".join(rows) + "</tbody></table>"


def _clean_block(rng: random.Random, b: Block) -> str:
    if b.kind == "title":
        return f'<p style="text-align: center;"><strong>{_esc(b.text)}</strong></p>'
    if b.kind == "h":
        return f'<p style="text-indent: 2em;"><span style="font-family: 黑体, SimHei;">{_esc(b.text)}&nbsp;</span></p>'
    if b.kind in ("sign", "date"):
        return f'<p style="text-align: right;">{_esc(b.text)}</p>'
    return f'<p style="text-indent: 2em;">{_esc(b.text)}</p>'


# ---------------------------------------------------------------------------- Word-pasted

_WORD_TABLE = ('<div align="center"><table border="1" cellspacing="0" style="border-collapse:collapse;border:none;'
               'mso-border-left-alt:none;\nmso-border-top-alt:none;mso-border-right-alt:none;mso-border-bottom-alt:none;\n'
               'mso-border-insideh:0.7500pt outset windowtext;mso-border-insidev:0.7500pt outset windowtext;'
               'mso-padding-alt:0.0000pt 0.0000pt 0.0000pt 0.0000pt ;"><tbody>')
_WORD_TD = ('width:{w}pt;padding:3.7500pt 3.7500pt 3.7500pt 3.7500pt ;border-left:{l};\nmso-border-left-alt:{l};'
            'border-right:1.0000pt outset windowtext;mso-border-right-alt:1.0000pt outset windowtext;\n'
            'border-top:{t};mso-border-top-alt:{t};border-bottom:1.0000pt outset windowtext;\n'
            'mso-border-bottom-alt:1.0000pt outset windowtext;')
_WORD_P = ('<p class="p" align="justify" style="margin-top:1.5000pt;margin-right:0.0000pt;margin-bottom:0.0000pt;\n'
           'margin-left:0.0000pt;text-indent:0.0000pt;word-break:break-all;\nmso-pagination:widow-orphan;'
           'text-align:justify;text-justify:inter-ideograph;\nline-height:21.0000pt;">')
_WORD_SPAN = ('<span style="font-family:仿宋_GB2312;mso-hansi-font-family:Calibri;color:rgb(51,51,51);\n'
              'letter-spacing:0.0000pt;font-size:14.0000pt;mso-font-kerning:0.0000pt;">')
_WORD_OP = ('<span style="font-family:Calibri;mso-fareast-font-family:宋体;mso-bidi-font-family:&#39;Times New Roman&#39;;\n'
            'font-size:12.0000pt;mso-font-kerning:0.0000pt;"><o:p></o:p></span>')


@dataclass(frozen=True)
class WordDialect:
    """How one Word version pasted tables: Pingtan 2020/2021 (lower-case mso styles, <o:p>, <font>) or
    Pingtan 2019 (upper-case inline styles, no <o:p>, shaded section rows, t2 table border="0")."""
    table_open: str
    td: str
    p: str
    span: str
    op: str
    line: str         # border of a first row/column cell
    no_line: str
    section_bg: str = ""


MSO = WordDialect(_WORD_TABLE, _WORD_TD, _WORD_P, _WORD_SPAN, _WORD_OP, "1.0000pt outset windowtext", "none")
UPPER = WordDialect(
    '<table style="BORDER-COLLAPSE: collapse; MARGIN: auto auto auto 6.75pt" border="{border}" cellspacing="0" cellpadding="0"><tbody>',
    "BORDER-BOTTOM: windowtext 1pt solid; BORDER-LEFT: {l}; PADDING-BOTTOM: 0pt; PADDING-LEFT: 5.4pt; "
    "WIDTH: {w}pt; PADDING-RIGHT: 5.4pt; BORDER-TOP: {t}; BORDER-RIGHT: windowtext 1pt solid; PADDING-TOP: 0pt",
    '<p style="TEXT-JUSTIFY: inter-ideograph; TEXT-ALIGN: justify; LINE-HEIGHT: 25pt; MARGIN: 0pt; '
    'FONT-FAMILY: 仿宋_GB2312; FONT-SIZE: 16pt">',
    '<span style="FONT-FAMILY: 仿宋_GB2312; FONT-SIZE: 12pt">', "", "windowtext 1pt solid", "medium none",
    "BACKGROUND: rgb(198,217,241); ")


def _word_cell_inner(rng: random.Random, c: Cell, which: str, d: WordDialect) -> str:
    blank = f"{d.p}{d.span}<font face=\"Calibri\">&nbsp;</font></span>{d.op}</p>"
    if c.is_value:
        if c.blank:
            return blank
        roll = rng.random()
        if roll < 0.12:
            return _esc(c.text)  # bare text directly in <td> (Pingtan 2019 t2)
        if roll < 0.3:
            body = f'<font face="Calibri">&nbsp;</font><font face="仿宋_GB2312">{_esc(c.text)}</font>'
            return f'<p class="MsoNormal" style="margin: 0pt;">{d.span}{body}</span>{d.op}</p>'
        if roll < 0.4:
            return f"{d.p}{d.span}{_esc(c.text)}</span>{d.span}{'&nbsp;' * rng.randint(1, 7)}</span>{d.op}</p>"
        return f"{d.p}{d.span}{_esc(c.text)}</span>{d.op}</p>"
    if not c.text:
        return blank
    if which == "t4" and len(c.text) == 4 and rng.random() < 0.5:  # one character per <p>
        return "".join(f"{d.p}{d.span}{_esc(ch)}<br/></span>{d.op}</p>" for ch in c.text)
    if which == "t2" and d is UPPER and len(c.text) == 7:  # 本年新<br/>制作数量
        return f"{d.p}{d.span}{_esc(c.text[:3])}<br/>{_esc(c.text[3:])}</span>{d.op}</p>"
    runs = _pieces(rng, c.text, 2) if len(c.text) > 8 and rng.random() < 0.3 else [c.text]
    return d.p + "".join(f"{d.span}{_esc(x)}</span>" for x in runs) + d.op + "</p>"


def _word_table(rng: random.Random, g: Grid, which: str, d: WordDialect = MSO) -> str:
    rows = []
    for i, row in enumerate(g):
        tds = []
        for j, c in enumerate(row):
            w = 29.5 * c.colspan + rng.choice([0, 0.35, 2.8])
            attrs = f' width="{int(w * 4 / 3)}" valign="center"'
            attrs += (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            style = d.td.format(w=f"{w:.4f}", l=d.line if j == 0 else d.no_line, t=d.line if i == 0 else d.no_line)
            if which == "t2" and c.colspan == 4:
                style = d.section_bg + style
            tds.append(f'<td{attrs} style="{style}">{_word_cell_inner(rng, c, which, d)}</td>')
        height = ' style="height:33.4500pt;"' if i == 0 else ""
        rows.append(f"<tr{height}>" + "".join(tds) + "</tr>")
    end = "</tbody></table></div>" if d is MSO else "</tbody></table>"
    return d.table_open.format(border="0" if which == "t2" else "1") + "".join(rows) + end


_WORD_PARA = ('<p class="MsoNormal" style="margin-top:0.0000pt;margin-bottom:0.0000pt;text-indent:32.0000pt;\n'
              'mso-char-indent-count:2.0000;line-height:28.0000pt;mso-line-height-rule:exactly;">')
_WORD_RUN = ('<span style="font-family:仿宋_GB2312;color:rgb(76,76,76);letter-spacing:0pt;font-size:16pt;'
             'background-image:initial;\nbackground-position:initial;">')


def _word_block(rng: random.Random, b: Block) -> str:
    if b.kind == "h":
        face = "黑体"
        return (f'{_WORD_PARA}<span style="font-family: {face}; color: rgb(76, 76, 76); font-size: 16pt;">'
                f'<font face="{face}">{_esc(b.text)}</font></span>{_WORD_OP}</p>')
    if b.kind == "title":
        return (f'<p class="MsoNormal" align="center" style="text-align:center;line-height:28.0000pt;">'
                f'<b><span style="font-family:方正小标宋简体;font-size:22.0000pt;">{_esc(b.text)}</span></b>{_WORD_OP}</p>')
    align = ' align="right" style="text-align:right;"' if b.kind in ("sign", "date") else ""
    start = f'<p class="MsoNormal"{align}>' if align else _WORD_PARA
    runs = _pieces(rng, b.text, rng.randint(1, 4))
    body = "".join(f'{_WORD_RUN}<font face="仿宋_GB2312">{_esc(x)}</font></span>' for x in runs)
    return f"{start}{body}{_WORD_OP}</p>"


# ---------------------------------------------------------------------------- compact nowrap

def _compact_table(g: Grid) -> str:
    rows = []
    for row in g:
        tds = []
        for c in row:
            attrs = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            text = "&nbsp;" if (c.is_value and c.blank) or not c.text else _esc(c.text)
            if c.is_value:
                tds.append(f'<td{attrs} nowrap="nowrap" style="width:38px;"><p align="center">{text}</p></td>')
            else:
                tds.append(f"<td{attrs}>{text}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return '<table align="center" border="1" cellspacing="1"><tbody>' + "".join(rows) + "</tbody></table>"


def _compact_block(b: Block) -> str:
    if b.kind == "title":
        return f'<p align="center"><strong>{_esc(b.text)}</strong></p>'
    if b.kind == "h":
        return f"<p><strong>{_esc(b.text)}</strong></p>"
    if b.kind in ("sign", "date"):
        return f'<p align="right">{_esc(b.text)}</p>'
    return f"<p>　　{_esc(b.text)}</p>"


# ---------------------------------------------------------------------------- whole bodies

def table_html(r: Report, which: str, rng: random.Random | None = None) -> str:
    rng = rng or random.Random(f"markup|{r.content_seed}|{which}")
    g = grid(r, which)
    if r.markup == "word":
        if which == "t3" and "word_grid_shift" in r.quirks:
            g = word_grid_shift(g)
        if which == "t3" and "split_result_label" in r.quirks:
            g = split_result_label(g)
        dialect = UPPER if (r.fmt == "2019" and r.content_seed % 2 == 0) else MSO
        return _word_table(rng, g, which, dialect)
    if r.markup == "compact":
        return _compact_table(g)
    return _clean_table(rng, g, which)


def body_html(r: Report, image_url: Callable[[str], str] | None = None, with_title: bool = False) -> str:
    """The article content (what sits inside TRS_Editor / #zoom / article-content).

    `image_url(which)` is required for carrier == "image": the tables become `<img>` tags.
    """
    rng = random.Random(f"markup|{r.content_seed}")
    out = []
    for b in blocks(r):
        if b.kind == "title" and not with_title:
            continue
        if b.kind == "table":
            if r.carrier == "image":
                assert image_url is not None, "image carrier needs image URLs"
                out.append(f'<p style="text-align: center;"><img src="{image_url(b.text)}" '
                           f'title="{b.text}.png" alt="{b.text}.png" style="max-width: 100%;" /></p>')
            else:
                out.append(table_html(r, b.text, random.Random(f"markup|{r.content_seed}|{b.text}")))
        elif r.markup == "word":
            out.append(_word_block(rng, b))
        elif r.markup == "compact":
            out.append(_compact_block(b))
        else:
            out.append(_clean_block(rng, b))
    return "".join(out)


def attachment_only_body(r: Report, link_html: str = "") -> str:
    """Page body of a report published only as an attachment: a line of text and maybe a link."""
    return (f'<p style="text-indent: 2em;">{_esc(r.title)}详见附件。</p>'
            + (f"<p>{link_html}</p>" if link_html else ""))
