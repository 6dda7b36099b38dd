"""Portal definitions: which sites to crawl, with which spider, how often.

Users edit `crawler/portals.toml` (or pass `--portals FILE`); the scheduler reuses `load_portals`
and `schedule_crons`. Each entry is a `[[portal]]` table:

    [[portal]]
    id = "pingtan"                       # unique, [a-z0-9_-]; names the crawl_runs rows
    name = "平潭综合实验区管委会"
    region = "福建省"
    start_urls = ["https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"]
    family = "trs"                       # trs | hanweb | gd | boda | generic | auto (default)
    schedule = "season"                  # a preset name or a 5-field cron (default "season")
    enabled = true                       # default true
    verified = false                     # has someone checked the entry against the live site?
    allowed_hosts = ["www.pingtan.gov.cn"]   # optional; default: the start URLs' hosts
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_FILE = Path(__file__).with_name("portals.toml")


def families() -> tuple[str, ...]:
    """The CMS families a portal may name: every registered one (crawler.pages), and `auto`."""
    from crawler.pages import FAMILIES  # imported late: reading a portal file needs no page objects

    return (*FAMILIES, "auto")

# Reports appear Jan–Mar (deadline 31 Jan for most units, late ones follow), so look daily then.
SCHEDULE_PRESETS: dict[str, tuple[str, ...]] = {
    "season": ("0 3 * 1-4 *", "0 3 * 5-12 1"),  # daily Jan–Apr, weekly (Mondays) otherwise
    "daily": ("0 3 * * *",),
    "weekly": ("0 3 * * 1",),
    "monthly": ("0 3 1 * *",),
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class PortalError(ValueError):
    """A portals file that cannot be used; the message names the file and the entry."""


@dataclass
class Portal:
    """One site to crawl. `options` carries family-specific settings verbatim (unknown keys land there)."""

    id: str
    name: str
    start_urls: list[str]
    family: str = "auto"
    region: str = ""
    schedule: str = "season"
    enabled: bool = True
    verified: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.allowed_hosts:
            self.allowed_hosts = sorted({urlsplit(u).hostname or "" for u in self.start_urls} - {""})

    def allows(self, url: str) -> bool:
        """True when `url`'s host is one of the portal's hosts (subdomains of them included)."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)


def schedule_crons(portal: Portal) -> tuple[str, ...]:
    """The cron expressions a portal's `schedule` stands for (a preset expands to one or more)."""
    return SCHEDULE_PRESETS.get(portal.schedule, (portal.schedule,))


def _portal(entry: dict[str, Any], where: str) -> Portal:
    known = {"id", "name", "region", "start_urls", "family", "schedule", "enabled", "verified", "allowed_hosts"}
    missing = [k for k in ("id", "name", "start_urls") if k not in entry]
    if missing:
        raise PortalError(f"{where}: missing {', '.join(missing)}")
    pid = str(entry["id"])
    if not _ID.match(pid):
        raise PortalError(f"{where}: id {pid!r} must be lower-case letters, digits, '-' or '_'")
    urls = entry["start_urls"]
    if isinstance(urls, str):
        urls = [urls]
    if not urls or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
        raise PortalError(f"{where} ({pid}): start_urls must be a list of http(s) URLs")
    family = entry.get("family", "auto")
    if family not in families():
        raise PortalError(f"{where} ({pid}): family {family!r} is not one of {', '.join(families())}")
    slots = entry.get("backend_slots")
    if slots is not None and (isinstance(slots, bool) or not isinstance(slots, int) or slots < 1):
        raise PortalError(f"{where} ({pid}): backend_slots must be a whole number >= 1 (its platform's requests "
                          f"in flight at once), not {slots!r}")
    schedule = entry.get("schedule", "season")
    if schedule not in SCHEDULE_PRESETS and len(schedule.split()) not in (5, 6):
        raise PortalError(f"{where} ({pid}): schedule {schedule!r} is neither a preset "
                          f"({', '.join(SCHEDULE_PRESETS)}) nor a cron expression (5 fields, or 6 with seconds first)")
    return Portal(
        id=pid, name=entry["name"], start_urls=list(urls), family=family, region=entry.get("region", ""),
        schedule=schedule, enabled=bool(entry.get("enabled", True)), verified=bool(entry.get("verified", False)),
        allowed_hosts=list(entry.get("allowed_hosts", [])),
        options={k: v for k, v in entry.items() if k not in known},
    )


def load_portals(path: str | Path | None = None) -> dict[str, Portal]:
    """Read a portals file into {id: Portal}, in file order; raises PortalError on a bad entry."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PortalError(f"{path}: no such portals file") from None
    except tomllib.TOMLDecodeError as e:
        raise PortalError(f"{path}: not valid TOML ({e})") from None
    portals: dict[str, Portal] = {}
    for i, entry in enumerate(data.get("portal", []), 1):
        p = _portal(entry, f"{path} [[portal]] #{i}")
        if p.id in portals:
            raise PortalError(f"{path}: portal id {p.id!r} appears twice")
        portals[p.id] = p
    return portals


def portals_from_sites(sites: list[dict[str, Any]]) -> list[Portal]:
    """Portal definitions for the replica's virtual sites (`Replica.sites()`); hostile ones are crawled
    as `auto`, like any unknown site would be."""
    return [Portal(id=s["id"], name=s.get("name", s["id"]), start_urls=list(s["start_urls"]),
                   family=s["family"] if s["family"] in families() else "auto", region="replica",
                   verified=True) for s in sites]
