"""Subcommands of `nianbao` for this part (collected by nianbao.cli): parse, eval."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from parsers import limits, parse_file
from parsers.evaluate import DocScore, labelled_inputs, load_truth, score, summary
from parsers.model import ParseError, Report

commands: list[click.Command] = []


def _apply_limits(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> limits.Limits:
    try:
        return limits.configure(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


limit_option = click.option(
    "--limit", "limits_in_force", multiple=True, metavar="NAME=VALUE", callback=_apply_limits, is_eager=True,
    help="Change a per-document limit (repeatable), e.g. --limit seconds=10 --limit memory=512M; also "
         f"${limits.ENV}. Names: {', '.join(f.name for f in limits.fields(limits.Limits))}.")


def _summary_text(r: Report) -> str:
    m = r.meta
    failed = [c for c in r.checks if c.passed is False]
    unknown = [c for c in r.checks if c.passed is None]
    lines = [
        f"== {r.source}",
        f"   organ:  {m.get('organ')}",
        f"   year:   {m.get('year')}   format: {m.get('format')}   date: {m.get('date')}",
        f"   title:  {m.get('title')}",
        f"   metrics: {len(r.metrics)} keys ({sum(v is None for v in r.metrics.values())} blank"
        f"{f', {len(r.inferred)} inferred' if r.inferred else ''})",
        f"   checks: {len(r.checks)} ({len(r.checks) - len(failed) - len(unknown)} pass, {len(failed)} fail, "
        f"{len(unknown)} n/a)",
    ]
    lines += [f"     FAIL {c.name}: {c.detail}" for c in failed]
    lines += [f"     LEFT OUT {c.name}: {c.detail}" for c in unknown if c.name.endswith(".reading")]
    lines.append(f"   sections: {', '.join(r.sections) or '-'}")
    if r.attachments:
        lines.append(f"   attachments: {len(r.attachments)}")
    return "\n".join(lines)


@click.command("parse")
@click.option("--jsonl", is_flag=True, help="One JSON object per input (Report.to_json()), in input order.")
@limit_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def parse_cmd(jsonl: bool, limits_in_force: limits.Limits, files: tuple[Path, ...]) -> None:
    """Parse report files (HTML, text, PDF, DOCX, DOC) and print a summary or JSON lines.

    Each file is parsed inside the per-document limits (a child process with a wall clock and a memory
    cap); a file over one is an error naming the limit, and the other files go on."""
    failed = False
    for path in files:
        try:
            report = limits.parse_file_limited(path, limits_in_force)
        except ParseError as e:
            failed = True
            if jsonl:
                click.echo(json.dumps({"source": str(path), "error": str(e)}, ensure_ascii=False))
            else:
                click.echo(f"== {path}\n   ERROR: {e}")
            continue
        click.echo(json.dumps(report.to_json(), ensure_ascii=False) if jsonl else _summary_text(report))
    if failed:
        sys.exit(1)


@click.command("eval")
@click.option("--quiet", is_flag=True, help="Only the last summary line.")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def eval_cmd(quiet: bool, dirs: tuple[Path, ...]) -> None:
    """Parse every input with a truth NAME.json beside it; print mismatches and, last, the accuracy line."""
    pairs = labelled_inputs(list(dirs))
    if not pairs:
        raise click.ClickException("no labelled inputs (NAME.json beside NAME.txt/.html/.htm/.pdf/.docx) found")
    scores: list[DocScore] = []
    start = time.perf_counter()
    for path, truth_path in pairs:
        try:
            truth = load_truth(truth_path)
        except ValueError as e:
            raise click.ClickException(str(e)) from e
        try:
            report = parse_file(path)
            s = score(str(path), truth, report.meta, report.metrics)
        except ParseError as e:
            s = score(str(path), truth, {}, {})
            s.error = str(e)
        scores.append(s)
    elapsed = time.perf_counter() - start
    if not quiet:
        for s in scores:
            status = "ok" if not s.mismatches else f"{len(s.mismatches)} mismatches"
            click.echo(f"{s.source}: {s.cells_right}/{s.cells} cells, {s.meta_right}/3 meta, {status}"
                       + (f"  ERROR {s.error}" if s.error else ""))
            for m in s.mismatches:
                click.echo(f"    {m}")
    click.echo(summary(scores, elapsed))


commands.extend([parse_cmd, eval_cmd])
