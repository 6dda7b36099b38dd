"""How much of a portal a run reads: the caps that make every crawl end, and the incremental re-crawl.

Caps (issue #11): a listing stops after `NIANBAO_MAX_LIST_PAGES` pages; a portal run stops after
`NIANBAO_MAX_REQUESTS` requests or `NIANBAO_MAX_RUN_SECONDS` seconds. A hit cap goes to the spider's
`caps_hit` (the run is then `partial`) and nothing is marked gone from a listing it cut.

Incremental re-crawl (issue #13): a listing whose first page shows what it showed at the last complete
walk (same report links, same number of further pages) is walked only while its pages show reports the
archive does not know; every `NIANBAO_FULL_WALK_DAYS` days (and with `nianbao crawl --full`) every listing
is walked whole, the only runs that may mark reports gone. A known report is asked for again (conditionally)
only when its re-check is due: at least every `NIANBAO_RECHECK_DAYS` days, on a day drawn from its URL so
that a daily run re-checks about 1/N of the reports.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timezone

from scrapy.settings import BaseSettings

DEFAULTS = {
    "NIANBAO_MAX_LIST_PAGES": 500,     # pages of one listing
    "NIANBAO_MAX_REQUESTS": 20_000,    # requests of one portal run (a big county has ~2,000)
    "NIANBAO_MAX_RUN_SECONDS": 6 * 3600,  # wall clock of one portal run
    "NIANBAO_FULL_WALK_DAYS": 30,      # every listing walked whole at least this often (0: every run)
    "NIANBAO_RECHECK_DAYS": 30,        # every known report asked for again at least this often (0: every run)
    "NIANBAO_FULL": False,             # `nianbao crawl --full`: this run walks everything and re-checks everything
}


@dataclass(frozen=True)
class WalkRules:
    max_list_pages: int
    max_requests: int
    max_seconds: float
    full_walk_days: int
    recheck_days: int
    full: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> "WalkRules":
        def get(name: str, kind):
            return kind(settings.get(name, DEFAULTS[name]))
        return cls(max_list_pages=get("NIANBAO_MAX_LIST_PAGES", int), max_requests=get("NIANBAO_MAX_REQUESTS", int),
                   max_seconds=get("NIANBAO_MAX_RUN_SECONDS", float),
                   full_walk_days=get("NIANBAO_FULL_WALK_DAYS", int), recheck_days=get("NIANBAO_RECHECK_DAYS", int),
                   full=settings.getbool("NIANBAO_FULL", DEFAULTS["NIANBAO_FULL"]))


def stamp_date(stamp: str | None) -> date | None:
    """The UTC day of an archive timestamp (ISO 8601), or None."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).date()


def recheck_due(url: str, last_seen: str | None, today: date, days: int) -> bool:
    """Is a known report due to be asked for again? Yes when `days` ≤ 0, when it was never confirmed or not
    for `days` days, and on its own day of the rotation (crc32 of the URL mod `days`) unless confirmed today:
    reports archived together are re-checked spread over the rotation, not all on one day."""
    seen = stamp_date(last_seen)
    if days <= 0 or seen is None or (today - seen).days >= days:
        return True
    return seen < today and today.toordinal() % days == zlib.crc32(url.encode()) % days


def full_walk_due(full_walk_at: list[str | None], today: date, days: int) -> bool:
    """Is the portal due a walk of every listing whole? When it never had one, or its oldest is `days` old."""
    seen = [stamp_date(s) for s in full_walk_at]
    if days <= 0 or not seen or any(s is None for s in seen):
        return True
    return (today - min(seen)).days >= days  # type: ignore[type-var]
