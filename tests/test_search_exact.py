"""The n-gram index finds exactly the texts that contain the query (Python substring truth)."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import ngrams

ALPHABET = "公开信息依申请复议费处理政府年度报告、，。；：（）()“”《》 \n\t0123456789０１２ABCabc·-—_%\"'*"

TEXTS = [
    "平潭综合实验区2023年度政府信息公开工作，依申请公开。收取信息处理费0元",
    "信息公开、依申请 公开",
    "行政复议和行政诉讼",
    "费、用",
    "ABC def ＡＢＣ",
    "本年度未收取信息处理费。",
    "",
]


def fts(texts: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create virtual table f using fts5(text, content='', prefix='1 2', tokenize=\"{ngrams.TOKENIZE}\")")
    conn.executemany("insert into f(rowid, text) values (?, ?)", [(i, ngrams.index_text(t)) for i, t in enumerate(texts)])
    return conn


def found(conn: sqlite3.Connection, query: str) -> list[int]:
    return sorted(r[0] for r in conn.execute("select rowid from f where f match ?", (ngrams.fts_query(query),)))


def truth(texts: list[str], query: str) -> list[int]:
    return [i for i, t in enumerate(texts) if ngrams.contains_all(t, query)]


@pytest.mark.parametrize("query", [
    "公开", "复议", "依申请公开", "信息处理费", "费", "、依申请", "信息公开、依申请", "费、", "abc", "ＡＢＣ",
    "公 开", '"依申请 公开"', "“", "", "   ", '"', "行政复议和行政诉讼", "0元", "2023", "。", "收取信息处理费0元",
])
def test_examples_are_exact(query):
    conn = fts(TEXTS)
    assert found(conn, query) == truth(TEXTS, query)


def test_substring_semantics_by_hand():
    conn = fts(TEXTS)
    assert found(conn, "复议") == [2]                 # 2 characters: the default tokenizers find nothing here
    assert found(conn, "费") == [0, 3, 5]             # 1 character: the start of a token
    assert found(conn, "信息公开、依申请") == [1]      # punctuation inside the query stays exact
    assert found(conn, "公开。") == [0]               # not text 1, where 公开 ends the text
    assert found(conn, "abc") == [4]                  # case and width folded (NFKC + lowercase)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=ALPHABET, max_size=40), min_size=1, max_size=8), st.data())
def test_random_texts_and_queries(texts, data):
    conn = fts(texts)
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, max(0, len(source))))
    length = data.draw(st.integers(1, 8))
    substring = source[start:start + length]
    random_query = data.draw(st.text(alphabet=ALPHABET, min_size=1, max_size=6))
    for query in (substring, random_query):
        assert found(conn, query) == truth(texts, query), (query, texts)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=5), st.text(min_size=1, max_size=4))
def test_any_unicode(texts, query):
    conn = fts(texts)
    assert found(conn, query) == truth(texts, query)
