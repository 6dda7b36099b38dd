"""`nianbao discover URL...` (find a county's 年报 columns, write portal entries) and `nianbao check PORTAL...`
(what the crawl would see on an entry's first list pages). Registered in nianbao/cli.py."""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.discover import MAX_DEPTH, MAX_PAGES, Column
from crawler.portals import PortalError, load_portals


def loopback(urls: list[str]) -> bool:
    """Delays are off only when every URL is on loopback (the replica), as for `nianbao crawl --replica`."""
    return all((urlsplit(u).hostname or "").startswith("127.") for u in urls)


def slug(url: str) -> str:
    """An id stem from a homepage's host: www.qingshan.gov.cn → qingshan; 127.0.0.30 → 127-0-0-30."""
    host = (urlsplit(url).hostname or "site").lower()
    if not re.fullmatch(r"[\d.]+", host):
        host = host.removeprefix("www.").split(".")[0]
    return re.sub(r"[^a-z0-9-]+", "-", host).strip("-") or "site"


def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def portal_toml(columns: list[Column], command: str) -> str:
    """Portal entries in the format of crawler/portals.toml, for review (verified = false)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Written by `{command}` on {stamp}.",
           "# Review each entry (`nianbao check ID --portals THIS_FILE`), then set verified = true.",
           "# organ: the unit the column belongs to, as the unit list names it (a hint for the reports' issuer).", ""]
    numbers: dict[str, int] = {}
    for col in columns:
        stem = slug(col.origin)
        numbers[stem] = numbers.get(stem, 0) + 1
        out += ["[[portal]]", f'id = "{stem}-{numbers[stem]:02d}"', f"name = {toml_str(col.unit)}",
                f"region = {toml_str(col.county)}", f"start_urls = [{toml_str(col.url)}]", f'family = "{col.family}"',
                f"organ = {toml_str(col.unit)}" + ("  # inferred: the site's owner" if col.unit_inferred else ""),
                "verified = false", f"# found via: {' > '.join(col.via) or '(start page)'}", ""]
    return "\n".join(out)


@click.command("discover")
@click.argument("urls", metavar="URL...", nargs=-1, required=True)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Write the columns found as portal entries (portals.toml format, verified = false).")
@click.option("--max-depth", default=MAX_DEPTH, show_default=True, type=click.IntRange(1), help="Links followed from a start URL.")
@click.option("--max-pages", default=MAX_PAGES, show_default=True, type=click.IntRange(1), help="Pages fetched in all.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per column instead of text.")
def discover_cmd(urls: tuple[str, ...], output: str | None, max_depth: int, max_pages: int,
                 overrides: tuple[str, ...], as_json: bool) -> None:
    """Find every 年报 column under government homepage(s) or 信息公开 platform(s) URL....

    Follows the menus a person would (政务公开 / 信息公开 → units → 政府信息公开年报), including unit lists a
    script loads as JSON and departments' own sites linked from the homepage. Polite like the crawl
    (robots.txt, delays; off only for loopback URLs), bounded by --max-depth and --max-pages.
    """
    from crawler.discover import discover

    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise click.UsageError(f"not an http(s) URL: {', '.join(bad)}")
    if any("=" not in o for o in overrides):
        raise click.UsageError("-s expects NAME=VALUE")
    spider = discover(list(urls), max_depth=max_depth, max_pages=max_pages,
                      overrides=dict(o.split("=", 1) for o in overrides), fast=loopback(list(urls)))
    columns = list(spider.columns.values())
    for col in columns:
        if as_json:
            click.echo(json.dumps(col.as_dict(), ensure_ascii=False))
        else:
            click.echo(f"{col.unit:<24} {col.family:<7} {col.reports:>3} on page 1  {col.url}\n"
                       f"{'':<24} via {' > '.join(col.via) or '(start page)'}")
    click.echo(f"{len(columns)} 年报 column(s) from {len(urls)} start URL(s); {spider.pages} pages read"
               + ("; stopped at --max-pages" if spider.truncated else ""), err=as_json)
    for url, title in spider.rejected:
        click.echo(f"  not walked: {url} (linked from the start page, but its title «{title}» does not name the "
                   "county)", err=True)
    if spider.failures:
        url, reason = spider.failures[0]
        click.echo(f"  {len(spider.failures)} linked page(s) could not be read (first: {url}: {reason})", err=True)
    if output:
        Path(output).write_text(portal_toml(columns, "nianbao discover " + " ".join(urls)), encoding="utf-8")
        click.echo(f"wrote {len(columns)} portal entries to {output}", err=as_json)
    if not columns:
        sys.exit(1)


@click.command("check")
@click.argument("portal_ids", metavar="PORTAL...", nargs=-1, required=True)
@click.option("--portals", "portals_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Portal file (default: crawler/portals.toml).")
@click.option("--replica", "replica_url", default=None, metavar="URL",
              help="Check the sites of a running replica (its control URL, e.g. http://127.0.0.1:8800).")
@click.option("--pages", default=2, show_default=True, type=click.IntRange(1), help="List pages to read per portal.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per portal.")
def check_cmd(portal_ids: tuple[str, ...], portals_file: str | None, replica_url: str | None, pages: int,
              as_json: bool) -> None:
    """Read PORTAL...'s (ids, or `all`) first list page(s) without archiving; print what the crawl would see.

    Family, report links with titles and years, the next pages, blocked or not: enough to decide whether
    an entry can be marked verified. Exits 1 if a portal shows no report or is blocked.
    """
    from crawler.check import check, render
    from crawler.cli import replica_portals

    try:
        portals = replica_portals(replica_url) if replica_url else load_portals(portals_file)
    except PortalError as e:
        raise click.UsageError(str(e)) from None
    ids = list(portals) if portal_ids == ("all",) else list(portal_ids)
    unknown = [i for i in ids if i not in portals]
    if unknown:
        raise click.UsageError(f"unknown portal(s) {', '.join(unknown)}; known: {', '.join(portals)}")
    chosen = [portals[i] for i in ids]
    results = check(chosen, pages=pages, fast=loopback([u for p in chosen for u in p.start_urls]))
    for r in results:
        click.echo(json.dumps(r, ensure_ascii=False) if as_json else render(r))
    if any(r["blocked"] or not r["reports"] for r in results):
        sys.exit(1)


commands: list[click.Command] = [discover_cmd, check_cmd]
