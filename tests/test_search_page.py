"""The bounded search SQL (archive.search_sql) pages through exactly the texts that contain the query.

Datasette's search page and `nianbao search` read one page after a cursor and count at most COUNT_CAP
matches; this checks those pages, walked to the end, against Python substring truth, on tricky strings.
"""
from __future__ import annotations

import asyncio
import sqlite3
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import ngrams, search_sql

TRICKY = [
    "啊啊啊啊啊啊", "啊啊啊", "啊", "",
    "abab aba ABABA", "信息公开、依申请公开。公开公开",
    "2023年度2023", "Ｈ５Ｎ１ h5n1", "——“公开”——", "費用 费用", "公开\n\n公 开",
    "政府信息公开工作年度报告", "政府信息公开工作年度报", "府信息公开工作年度报告书",
]
QUERIES = ["啊", "啊啊", "啊啊啊啊", "啊啊啊啊啊啊啊", "aba", "abab", "ababa", "2023", "023年", "h5n1", "５",
           "“公开”", "——", "公开公开", "公 开", "政府信息公开工作年度报告", "工作年度报", "年度报告书", "鑫", "费用 公开"]


def archive_of(texts: list[str], grams: bool = True) -> sqlite3.Connection:
    """The search table, its n-gram index and (unless not `grams`, as before migration 10) its gram index as the
    archive builds them, ids 1…n."""
    import sqlite_utils

    from archive.schema import create_search_fts, create_search_grams

    conn = sqlite3.connect(":memory:")
    db = sqlite_utils.Database(conn)
    conn.execute("create table search (id integer primary key, organ_id int, year int, organ text, province text, format text,"
                 " kind text, status text default 'current', title text, text text)")
    create_search_fts(db)
    if grams:
        create_search_grams(db)
    for i, text in enumerate(texts, 1):
        conn.execute("insert into search(id, year, organ, title, text) values (?, 2023, 'o', 't', ?)", (i, text))
        conn.execute("insert into search_fts(rowid, text) values (?, ?)", (i, ngrams.index_text(text)))
        if grams:
            conn.execute("insert into search_grams(rowid, grams) values (?, ?)", (i, ngrams.gram_text(text)))
    return conn


def truth(texts: list[str], query: str) -> list[int]:
    return [i for i, t in enumerate(texts, 1) if ngrams.contains_all(t, query)]


def walk(conn: sqlite3.Connection, query: str, size: int) -> list[int]:
    """Every page of matches as the search page reads them: `size` + 1 after the last id shown."""
    params, ids, after = {"nianbao_match": ngrams.fts_query(query)}, [], None
    while True:
        sql = search_sql.matches_sql(after=after is not None, limit=True)
        page = [r[0] for r in conn.execute(sql, {**params, "nianbao_limit": size + 1, "nianbao_after": after})]
        ids.extend(page[:size])
        if len(page) <= size:
            return ids
        after = page[size - 1]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("size", [1, 2, 100])
def test_pages_walk_exactly_the_matches(query, size):
    conn = archive_of(TRICKY)
    assert walk(conn, query, size) == truth(TRICKY, query)


def test_count_is_exact_below_the_cap_and_marked_above(monkeypatch):
    texts = ["公开"] * 7 + ["复议"] * 3
    conn = archive_of(texts)
    assert search_sql.search(conn, "复议", 2)[0] == 3
    monkeypatch.setattr(search_sql, "COUNT_CAP", 5)
    count, rows = search_sql.search(conn, "公开", 2)
    assert count == 5 and f"{count:,}" == "5+" and [r[0] for r in rows] == [1, 2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="公开啊信息ab12Ａ１、。“” \n", max_size=30), min_size=1, max_size=12),
       st.text(alphabet="公开啊信息ab12Ａ１、。“” ", min_size=1, max_size=7), st.integers(1, 4))
def test_random_pages_are_exact(texts, query, size):
    conn = archive_of(texts)
    assert walk(conn, query, size) == truth(texts, query)


@pytest.mark.parametrize("cap", [1000, 50])
def test_datasette_html_page_shows_exact_rows_count_and_next(tmp_path, monkeypatch, cap):
    """Datasette's own HTML page: the count shown, the rows of page one and of the `next` page are exact
    (with every match read by the count, and with more matches than the count reads)."""
    from datasette.app import Datasette

    from archive.metadata import build

    texts = ["政府信息公开工作年度报告 %d" % i if i % 3 else "依申请公开" for i in range(1, 251)]
    path = tmp_path / "nianbao.db"
    conn = archive_of(texts)
    conn.commit()
    conn.execute("vacuum into ?", (str(path),))
    ds = Datasette([str(path)], metadata=build("nianbao"), settings={"suggest_facets": False})
    monkeypatch.setattr(search_sql, "COUNT_CAP", cap)

    async def get(url):
        response = await ds.client.get(url)
        assert response.status_code == 200, response.text[:300]
        return response.text

    async def run():
        q = urllib.parse.quote("年度报告")
        html = await get(f"/nianbao/search?_search={q}")
        assert ("<h3>167 rows" if cap > 167 else "<h3>50+ rows") in html and 'name="_search"' in html
        data = (await ds.client.get(f"/nianbao/search.json?_search={q}&_shape=objects&_col=id")).json()
        assert [r["id"] for r in data["rows"]] == truth(texts, "年度报告")[:100]
        assert data["filtered_table_rows_count"] == 167
        html2 = await get(f"/nianbao/search?_search={q}&_next={truth(texts, '年度报告')[99]}")
        ids = truth(texts, "年度报告")
        assert f">{ids[100]}<" in html2 and f">{ids[166]}<" in html2 and f">{ids[99]}<" not in html2

    asyncio.run(run())
