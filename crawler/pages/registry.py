"""The CMS families, each declared by its own module in crawler/pages/ and registered here.

A family module says everything the crawl needs to know about one CMS:

    TRS = family("trs", markers=r"createPageHTML|TRS_Editor", rank=40)   # how `auto` recognises it

    @TRS.reads("list")                                                   # its list-page readers;
    def listing(page: Page, follow: Follow) -> Listing: ...              # the entry reader reads start pages

A reader turns a fetched list page into a `Listing`: report links and the further pages to read (each
a `Follow` naming the reader of that page: the family's next-page rule). Adding a family is adding one
module (and importing it in crawler/pages/__init__.py); its spider comes from `crawler.spiders.spider_for`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from crawler.pages.common import Follow, Listing, Page

Reader = Callable[[Page, Follow], Listing]

FAMILIES: dict[str, "Family"] = {}
PARSERS: dict[str, Reader] = {}  # "<family>.<kind>" -> reader: the name a Follow carries


@dataclass
class Family:
    name: str
    entry: str  # the reader of a column's start page
    markers: re.Pattern[str] | None  # what a start page of this CMS carries; None: never detected
    rank: int  # detection order, lowest first: families with specific markers go before loose ones
    readers: dict[str, Reader] = field(default_factory=dict)

    def reads(self, kind: str) -> Callable[[Reader], Reader]:
        """Decorator: register a list-page reader as `<family>.<kind>`."""
        def register(reader: Reader) -> Reader:
            name = f"{self.name}.{kind}"
            if name in PARSERS:
                raise ValueError(f"list-page reader {name!r} is registered twice")
            self.readers[name] = PARSERS[name] = reader
            return reader
        return register


def family(name: str, *, markers: str | None = None, rank: int = 100, entry: str = "list") -> Family:
    """Declare a family (once): `markers` is a case-insensitive regex, `entry` the kind of its start-page reader."""
    if name in FAMILIES:
        raise ValueError(f"CMS family {name!r} is declared twice")
    FAMILIES[name] = Family(name, f"{name}.{entry}", re.compile(markers, re.I) if markers else None, rank)
    return FAMILIES[name]


def detect_family(text: str) -> str:
    """The first family (by rank) whose markers appear in the page; `generic` when none does."""
    for f in sorted(FAMILIES.values(), key=lambda f: f.rank):
        if f.markers is not None and f.markers.search(text):
            return f.name
    return "generic"
