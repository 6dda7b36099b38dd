"""The CMS family registry (crawler.pages.registry): each family module declares itself, its spider follows."""
from __future__ import annotations

import pytest

from crawler.pages import FAMILIES, PARSERS, detect_family
from crawler.pages.registry import family
from crawler.portals import families
from crawler.spiders.base import spider_for


def test_every_family_has_its_entry_reader_and_its_spider():
    assert set(FAMILIES) == {"trs", "hanweb", "gd", "boda", "generic"}
    for name, f in FAMILIES.items():
        assert f.entry in PARSERS and set(f.readers) <= set(PARSERS)
        assert all(reader.startswith(f"{name}.") for reader in f.readers)
        spider = spider_for(name)
        assert (spider.name, spider.family, spider.entry) == (name, name, f.entry)
    assert spider_for("auto").family == "auto"
    assert families() == (*FAMILIES, "auto")


def test_markers_are_tried_in_rank_order_and_generic_is_the_fallback():
    # a hanweb page built on a TRS-like article path is hanweb: specific markers go first
    assert detect_family('<script>var param_1 = {};</script><a href="./202401/t20240101_1.html">') == "hanweb"
    assert detect_family('<a href="./202401/t20240101_1.html">') == "trs"
    assert detect_family("<html><body>nothing known</body></html>") == "generic"


def test_a_family_or_reader_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        family("trs")
    with pytest.raises(ValueError, match="registered twice"):
        FAMILIES["trs"].reads("list")(lambda page, follow: None)
