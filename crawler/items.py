"""What spiders hand to the pipeline: one `Fetched` per response (or failure), raw bytes untouched."""
from __future__ import annotations

from dataclasses import dataclass, field

from crawler.pages.common import Follow


@dataclass
class Head:
    """The first page of a listing as one read showed it: the top, where a portal adds new reports, so a
    change in its report links means the listing moved (and pushed reports onto pages already read)."""

    follow: Follow
    links: tuple[str, ...]  # its report links, in listing order
    further: int  # how many further list pages it pointed to (the page count moves with removals too)
    confirmed: bool = False  # read again at the end of the run and found unchanged

    def shows(self) -> tuple[tuple[str, ...], int]:
        return self.links, self.further


@dataclass
class Fetched:
    """A response the spider routed, or a request that failed (headers: lower-case names, one string each).

    role: "list" (a column or pager page: archived raw, never parsed), "report" (a page whose list title
    names an annual report: archived and parsed), "attachment" (a file linked from a report page:
    archived, parsed only if the page itself holds no tables).
    report_url: the report page a report/attachment belongs to; reports are keyed by it in the archive.
    attachments: for a report page, the attachment URLs the spider requested (the archivist waits for them).
    error: why the fetch failed or was refused (then `body` holds whatever came back, maybe nothing).
    blocked: the failure was a bot wall / robots.txt refusal rather than an ordinary error.
    head: for the first page of a listing, what it showed (a distributed run's writer re-reads it at the end).
    worker_parsed: a distributed run's worker parsed it (crawler.distributed), so the writer only writes:
      `parsed` is (report, error) of this body, None where the body needs no parse (an attachment whose page
      carried the report); `stored` is, for a 304 report page waiting for its files, (fetch_id, report,
      error) of the page's archived body, or None if none is archived.
    """

    url: str
    role: str
    final_url: str = ""
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    report_url: str | None = None
    title: str = ""
    attachments: list[str] = field(default_factory=list)
    error: str | None = None
    blocked: bool = False
    head: Head | None = None
    worker_parsed: bool = False
    parsed: tuple | None = None
    stored: tuple | None = None

    def __repr__(self) -> str:  # bodies are megabytes; logs need the gist
        extra = f" error={self.error!r}" if self.error else ""
        return f"<Fetched {self.role} {self.status} {self.url} {len(self.body)} bytes{extra}>"

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")
