"""Page plus attachments → one report (crawler.assembly.ReportAssembler), without Scrapy or an archive."""
from __future__ import annotations

from crawler.assembly import Ingest, ReportAssembler, Retry, Seen
from parsers.model import Report

PAGE = "http://portal.test/zfxxgknb/t20240301_1.html"
PDF = "http://portal.test/zfxxgknb/P020240301.pdf"
DOCX = "http://portal.test/zfxxgknb/P020240301.docx"


def report(source: str, metrics: int, **meta: object) -> Report:
    return Report(source=source, meta=dict(meta), metrics={f"t3.k{i}": i for i in range(metrics)})


def test_a_page_with_its_tables_is_the_report_and_its_files_are_not_parsed():
    a = ReportAssembler()
    page = report(PAGE, 5, organ="城关镇", year=2023)
    assert a.page(PAGE, (1, page, None), [PDF]) == [Ingest(PAGE, 1, page, None)]
    assert not a.wants_attachments(PAGE)
    assert a.attachment(PAGE, PDF, parsed=(2, report(PDF, 9), None)) == []


def test_a_page_without_files_is_the_report_even_without_tables():
    a = ReportAssembler()
    assert a.page(PAGE, (1, None, "not a report"), []) == [Ingest(PAGE, 1, None, "not a report")]


def test_the_file_that_parsed_best_is_ingested_under_the_page_url_with_the_page_meta():
    a = ReportAssembler()
    page = report(PAGE, 0, organ="城关镇", year=2023, title="城关镇2023年政府信息公开工作年度报告")
    assert a.page(PAGE, (1, page, None), [PDF, DOCX]) == []
    assert a.wants_attachments(PAGE)
    assert a.attachment(PAGE, PDF, parsed=(2, report(PDF, 3, year=2023), None)) == []
    best = report(DOCX, 7, organ="")
    assert a.attachment(PAGE, DOCX, parsed=(3, best, None)) == [Ingest(PAGE, 3, best, None)]
    assert best.meta == {"organ": "城关镇", "year": 2023, "title": "城关镇2023年政府信息公开工作年度报告"}


def test_a_missing_file_leaves_the_report_to_the_next_run():
    a = ReportAssembler()
    a.page(PAGE, (1, report(PAGE, 0), None), [PDF])
    assert a.attachment(PAGE, PDF, failed=True) == [Retry(PAGE)]


def test_a_file_that_fails_to_parse_is_stored_with_its_error_and_tried_again():
    a = ReportAssembler()
    a.page(PAGE, (1, report(PAGE, 0), None), [PDF])
    assert a.attachment(PAGE, PDF, parsed=(2, None, "PDF: broken xref")) == [Ingest(PAGE, 2, None, "PDF: broken xref"),
                                                                              Retry(PAGE)]


def test_unchanged_page_and_unchanged_file_mean_an_unchanged_report():
    a = ReportAssembler()
    assert a.unchanged_page(PAGE, None, []) == [Seen(PAGE)]
    b = ReportAssembler()
    stored = (1, report(PAGE, 0, organ="城关镇"), None)
    assert b.unchanged_page(PAGE, stored, [PDF]) == []
    assert b.attachment(PAGE, PDF, unchanged=True) == [Seen(PAGE)]


def test_a_changed_file_under_an_unchanged_page_takes_the_stored_page_meta():
    a = ReportAssembler()
    a.unchanged_page(PAGE, (1, report(PAGE, 0, organ="城关镇", year=2023), None), [PDF])
    new = report(PDF, 4)
    assert a.attachment(PAGE, PDF, parsed=(5, new, None)) == [Ingest(PAGE, 5, new, None)]
    assert new.meta == {"organ": "城关镇", "year": 2023}


def test_at_the_end_a_page_whose_files_never_came_is_ingested_as_it_is():
    a = ReportAssembler()
    page = report(PAGE, 0)
    a.page(PAGE, (1, page, None), [PDF])
    assert a.leftovers() == [Ingest(PAGE, 1, page, None)]
    assert a.leftovers() == []
