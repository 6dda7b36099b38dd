"""What a parsed report is: the one data shape shared by the parser, the archive and the crawler."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Number = int | float

# The six parts of every report since 2019, in order; `Report.sections` uses these keys.
SECTION_NAMES: tuple[str, ...] = (
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议、行政诉讼情况",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
)


@dataclass
class Check:
    """One arithmetic check (勾稽关系) of the report against itself; never alters a value.

    `passed` is None when a number it needs is blank or absent, so the check could not be made.
    """

    name: str
    passed: bool | None
    detail: str
    values: dict[str, Number | None] = field(default_factory=dict)


@dataclass
class Report:
    """One document parsed: meta, canonical metrics, checks, section texts and the full text.

    meta keys: organ, year, format ("2019" | "2021" | "legacy"), title, date (YYYY-MM-DD or None).
    metrics: canonical keys of metrics.json only; None = printed blank; absent = not in the document.
    attachments: links the page offers to report files (PDF/DOC/...), as {"url", "name"}.
    inferred: metric keys whose cells were placed by the document's own sums choosing between
        readings of its layout (never by position alone); checks using them do not count as confirming.
    readers: versions of the libraries that read it ({"lxml": "6.2.1", ...}, parsers.versions).
    """

    source: str
    meta: dict[str, Any]
    metrics: dict[str, Number | None]
    checks: list[Check] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    text: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    readers: dict[str, str] = field(default_factory=dict)

    def take_page(self, page: "Report") -> None:
        """Complete an attachment's report from the report page it hangs off: the page's meta fills what
        the file does not print (title, organ, year, date) and the page's attachment list is kept, so a
        report keeps one identity and content whichever run or command parsed it."""
        for key, value in page.meta.items():
            if self.meta.get(key) in (None, ""):
                self.meta[key] = value
        self.attachments = self.attachments or page.attachments

    def to_json(self) -> dict[str, Any]:
        """The `nianbao parse --jsonl` shape."""
        return {
            "source": self.source,
            "meta": dict(self.meta),
            "metrics": dict(self.metrics),
            "inferred": list(self.inferred),
            "checks": [asdict(c) for c in self.checks],
            "sections": dict(self.sections),
            "readers": dict(self.readers),
        }


class ParseError(ValueError):
    """A document that cannot be read at all (not a PDF, empty body, ...). The message names the reason."""
