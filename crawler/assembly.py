"""Page plus attachments → one report: which parsed document the archive keeps for a report page.

A report page that holds no tables (详见附件) waits for its attachments: the attachment that parsed
best is ingested under the PAGE's URL, with the page's title/organ/year filling its gaps, so a report
keeps one identity whatever file carries it. An attachment that did not arrive leaves the report to the
next run rather than have it guessed from the page.

Plain data in, decisions out: no Scrapy, no archive, no parsing. The caller parses, feeds the results
in the order they come, and carries out the decisions (`Ingest`, `Seen`, `Retry`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from parsers.model import Report


@dataclass(frozen=True)
class Ingest:
    """Store this parse result (a report, or the error) as the report at `url`."""

    url: str
    fetch_id: int
    report: Report | None
    error: str | None


@dataclass(frozen=True)
class Seen:
    """The report at `url` is unchanged (its page or its file answered 304)."""

    url: str


@dataclass(frozen=True)
class Retry:
    """The report at `url` lives in an attachment that did not arrive: nothing stored, next run tries again."""

    url: str


Decision = Ingest | Seen | Retry
Parsed = tuple[int, Report | None, str | None]  # fetch id, report, error


@dataclass
class _Group:
    """A report page and the attachments it is waiting for."""

    page: Parsed | None = None
    waiting: set[str] = field(default_factory=set)
    parsed: list[tuple[int, Report]] = field(default_factory=list)
    unchanged: bool = False
    failed: bool = False
    done: bool = False


def carries_report(page: Report | None, attachments: list[str]) -> bool:
    """Whether a report page parsed as `page` is the report itself (its files then are archived raw, never
    parsed): it has metrics, or there are no files to take them from."""
    return (page is not None and bool(page.metrics)) or not attachments


class ReportAssembler:
    """One per crawl. Each method takes what arrived for one report page and returns the decisions it makes."""

    def __init__(self) -> None:
        self.groups: dict[str, _Group] = {}

    def _group(self, url: str) -> _Group:
        return self.groups.setdefault(url, _Group())

    def page(self, url: str, parsed: Parsed, attachments: list[str]) -> list[Decision]:
        """A report page that answered 200, parsed. It is the report unless it has no metrics and files."""
        group = self._group(url)
        group.page = parsed
        if carries_report(parsed[1], attachments):
            group.done = True
            return [Ingest(url, *parsed)]
        group.waiting = set(attachments)
        return []

    def unchanged_page(self, url: str, stored: Parsed | None, attachments: list[str]) -> list[Decision]:
        """A report page that answered 304. With `attachments` (its report came from a file, asked for
        again) the stored page waits for them; without, the report is unchanged."""
        group = self._group(url)
        if attachments:
            group.page = stored
            group.waiting = set(attachments)
            return []
        group.done = True
        return [Seen(url)]

    def wants_attachments(self, url: str) -> bool:
        """False once the page itself carried the report: its files are archived raw, never parsed."""
        return not self._group(url).done

    def attachment(self, url: str, file_url: str, *, parsed: Parsed | None = None, unchanged: bool = False,
                   failed: bool = False) -> list[Decision]:
        """One attachment of the page at `url`: parsed, unchanged (304), or failed (not fetched, or not a file)."""
        group = self._group(url)
        if group.done:
            return []
        out: list[Decision] = []
        if unchanged:
            group.unchanged = True
        elif failed or parsed is None:
            group.failed = True
        else:
            fetch_id, report, error = parsed
            if report is not None and report.metrics:
                group.parsed.append((fetch_id, report))
            elif error:  # archived with its error; the report is tried again next run
                group.failed = True
                out.append(Ingest(url, fetch_id, None, error))
        group.waiting.discard(file_url)
        if not group.waiting:
            out += self._finish(url, group)
        return out

    def leftovers(self) -> list[Decision]:
        """At the end of the crawl: decide the pages whose attachments never came back."""
        out: list[Decision] = []
        for url, group in self.groups.items():
            if not group.done and group.page is not None:
                out += self._finish(url, group)
        return out

    def _finish(self, url: str, group: _Group) -> list[Decision]:
        group.done = True
        if group.parsed:
            fetch_id, report = max(group.parsed, key=lambda p: len(p[1].metrics))
            page_report = group.page[1] if group.page else None
            if page_report is not None:
                report.take_page(page_report)
            return [Ingest(url, fetch_id, report, None)]
        if group.unchanged:
            return [Seen(url)]
        if group.failed:
            return [Retry(url)]
        if group.page is not None:
            return [Ingest(url, *group.page)]
        return []
