"""The gram index (archive.ngrams.gram_text, search_grams) narrows rare phrases of common n-grams, exactly.

Every way in (search_sql.narrowed, the table page's search_sql.search, the /-/search page's archive.search)
must give exactly the reports whose normalised text contains every word (Python substring truth), whether
the gram index answers (few candidates) or the trigram phrase does (short words, many candidates, an
archive not yet migrated), and the migration must build the index from the stored texts.
"""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search_page import archive_of, truth

from archive import ngrams, search_sql
from archive import search as fulltext

# Every text has 信息公开 and 、依申请 (and so all their trigrams and most 4-grams); one has the phrase.
COMMON = ["主动公开、依申请公开。政府信息公开工作", "信息公开工作；主动公开、依申请办理", "政府信息公开；依法公开、依申请"]
TEXTS = COMMON * 5 + ["本机关信息公开、依申请公开情况", "ABC def ＡＢＣ 2023年 H5N1型", "Ｗ３Ｃ标准2023年度"]
LONG = "行政复议和行政诉讼情况统计表（单位：件）本年度未收取信息处理费用依申请公开办理结果统计" * 2


@pytest.fixture(params=[0, search_sql.PHRASE_REPORTS_PER_CANDIDATE], ids=["confirm", "cost-based"])
def per_candidate(request, monkeypatch):
    """0: the gram index's candidates are always confirmed (these archives are too small for the trigram
    phrase ever to cost more); the default: the cost-based choice."""
    monkeypatch.setattr(search_sql, "PHRASE_REPORTS_PER_CANDIDATE", request.param)
    return request.param


def every_way(conn: sqlite3.Connection, query: str) -> list[list[int]]:
    """The ids each way in returns: lowest first (table page), newest first reversed (/-/search)."""
    table = [r[0] for r in search_sql.search(conn, query, 1000, columns="id")[1]]
    newest = [r["id"] for r in fulltext.search(conn, query, limit=1000, with_facets=False).rows]
    return [table, sorted(newest)]


@pytest.mark.parametrize("query", [
    "信息公开、依申请",           # every trigram in every text, the phrase in one
    "公开、依申请公开",
    "信息公开、依申请 工作",       # with a word the phrase's text lacks
    "依申请",                    # 3 characters: the trigram index alone
    "信",                        # 1 character
    "、",
    "abc",                       # Latin, width and case folded
    "2023年",                    # digits and Chinese
    "h5n1型",
    "w3c标准2023",
    "def ａｂｃ 2023",            # mixed words
    LONG[:60],                   # longer than MAX_QUERY_GRAMS grams: narrowed by a spread of them
    "鑫鑫鑫鑫",
])
def test_every_way_equals_substring_truth(query, per_candidate):
    texts = TEXTS + [LONG]
    conn = archive_of(texts)
    expected = truth(texts, query)
    assert every_way(conn, query) == [expected, expected]
    narrowed = search_sql.narrowed(conn, query)
    assert narrowed is None or narrowed == expected
    if len(ngrams.normalize(query).replace(" ", "")) < ngrams.GRAM:
        assert narrowed is None  # no word long enough: the trigram phrase answers


def test_rare_phrase_of_common_ngrams_is_answered_by_the_gram_index(monkeypatch):
    conn = archive_of(TEXTS)
    assert search_sql.narrowed(conn, LONG) == []  # a gram no text has: no candidate at all
    # One candidate, and every report holds every trigram of the phrase: confirming costs less.
    monkeypatch.setattr(search_sql, "PHRASE_REPORTS_PER_CANDIDATE", len(TEXTS) // 2)
    assert search_sql.narrowed(conn, "信息公开、依申请") == [16]
    # A phrase whose trigrams are together in few reports: the trigram phrase answers.
    assert search_sql.narrowed(conn, "Ｗ３Ｃ标准") is None


def test_many_candidates_fall_back_to_the_trigram_phrase(monkeypatch):
    conn = archive_of(TEXTS)
    monkeypatch.setattr(search_sql, "NARROW_CAP", 2)
    assert search_sql.narrowed(conn, "依申请公开") is None  # 6 candidates
    assert every_way(conn, "依申请公开") == [truth(TEXTS, "依申请公开")] * 2


def test_an_archive_without_the_gram_index_is_still_exact():
    conn = archive_of(TEXTS, grams=False)
    assert search_sql.narrowed(conn, "信息公开、依申请") is None
    assert every_way(conn, "信息公开、依申请") == [[16], [16]]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="公开信息依申请、。 aAＡ1１", max_size=40), min_size=1, max_size=10), st.data())
def test_random_texts_and_queries(per_candidate, texts, data):
    conn = archive_of(texts)
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(source)))
    for query in (source[start:start + data.draw(st.integers(1, 12))],
                  data.draw(st.text(alphabet="公开信息依申请、。 aAＡ1１", min_size=1, max_size=9))):
        if ngrams.normalized_words(query):
            expected = truth(texts, query)
            assert every_way(conn, query) == [expected, expected], (query, texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=30), min_size=1, max_size=5), st.text(min_size=4, max_size=10))
def test_any_unicode(per_candidate, texts, query):
    """Whatever the characters, the gram index's query parses and its confirmed answer is the truth."""
    conn = archive_of(texts)
    narrowed = search_sql.narrowed(conn, query)
    assert narrowed is None or narrowed == truth(texts, query)


def test_migration_builds_the_gram_index_and_ingest_keeps_it(tmp_path, monkeypatch):
    """An archive from before the gram index gets it from its stored texts on opening; a new version of a report
    replaces its grams (the contentless delete needs the old text)."""
    monkeypatch.setattr(search_sql, "PHRASE_REPORTS_PER_CANDIDATE", 0)  # always confirm the candidates
    import copy

    from archive_helpers import ingest_reports, sample_set

    from archive import schema
    from archive.store import Archive

    path = tmp_path / "nianbao.db"
    reports = sample_set(3, range(2020, 2023))
    with Archive(path) as archive:
        results = ingest_reports(archive, reports)
        archive.conn.execute("drop table search_grams")
        archive.conn.execute(f"pragma user_version = {schema.MIGRATIONS.index(schema._m10_search_grams)}")
        archive.conn.commit()
    with Archive(path) as archive:
        conn = archive.conn
        texts = dict(conn.execute("select id, text from search"))
        phrase = texts[results[4].report_id][40:52]
        expected = [i for i, t in texts.items() if ngrams.contains_all(t, phrase)]
        assert results[4].report_id in expected and search_sql.narrowed(conn, phrase) == expected
        changed = copy.deepcopy(reports[4])
        changed.text = "本机关信息公开、依申请公开情况。"
        ingest_reports(archive, [changed])
        assert search_sql.narrowed(conn, phrase) == [i for i in expected if i != results[4].report_id]
        assert search_sql.narrowed(conn, "信息公开、依申请") == [results[4].report_id]
        conn.execute("insert into search_grams(search_grams, rank) values ('integrity-check', 0)")
